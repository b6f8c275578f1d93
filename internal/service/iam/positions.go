package iam

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// statementSpan locates statement index of a policy document: the position
// of its opening brace and the position just after its closing brace, with
// lines and columns counted from 1.
func statementSpan(doc string, index int) (start, end positionXML, ok bool) {
	dec := json.NewDecoder(strings.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return start, end, false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return start, end, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return start, end, false
		}
		if key != "Statement" {
			continue
		}
		base := int(dec.InputOffset()) - len(raw)
		from, to, found := element(raw, index)
		if !found {
			return start, end, false
		}
		return position(doc, base+from), position(doc, base+to), true
	}
	return start, end, false
}

// element returns the byte span of element index of the JSON array raw, or
// of raw itself when it is a single object and index is 0.
func element(raw json.RawMessage, index int) (from, to int, ok bool) {
	if len(raw) == 0 || raw[0] != '[' {
		return 0, len(raw), index == 0
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return 0, 0, false
	}
	for k := 0; dec.More(); k++ {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return 0, 0, false
		}
		if k == index {
			to = int(dec.InputOffset())
			return to - len(v), to, true
		}
	}
	return 0, 0, false
}

// position converts a byte offset of doc into a line and column.
func position(doc string, offset int) positionXML {
	before := doc[:min(offset, len(doc))]
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return positionXML{Line: line, Column: col}
}
