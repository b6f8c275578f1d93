package esm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/rolecall/rolecall/internal/eventpattern"
)

// maxFilters is Lambda's default quota of filters per event source
// mapping (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html).
const maxFilters = 5

// filters is a mapping's compiled FilterCriteria: a record passes when any
// pattern matches it. A nil *filters passes every record.
type filters struct {
	patterns []*eventpattern.Pattern
}

// compileFilters compiles a mapping's FilterCriteria. Nil criteria, or
// criteria without filters, give nil filters (everything passes). More
// than five filters, or a pattern that is not valid, is Lambda's
// InvalidParameterValueException ("Invalid filter pattern definition."
// for a pattern).
func compileFilters(fc *FilterCriteria) (*filters, error) {
	if fc == nil || len(fc.Filters) == 0 {
		return nil, nil
	}
	if len(fc.Filters) > maxFilters {
		return nil, errInvalidParam("The number of filters in FilterCriteria (%d) exceeds the quota of %d filters per event source mapping.",
			len(fc.Filters), maxFilters)
	}
	f := &filters{patterns: make([]*eventpattern.Pattern, 0, len(fc.Filters))}
	for _, flt := range fc.Filters {
		p, err := eventpattern.Parse(flt.Pattern)
		var pe *eventpattern.Error
		switch {
		case errors.As(err, &pe):
			return nil, errInvalidParam("%s", pe.Error())
		case err != nil:
			return nil, fmt.Errorf("esm: compiling a filter pattern: %w", err)
		}
		f.patterns = append(f.patterns, p)
	}
	return f, nil
}

// dataFields names, per kind, the member of a record that holds the
// payload Lambda's filtering treats as data, when its patterns must be on
// JSON: a pattern on Kinesis data or on a DynamoDB record's dynamodb
// member given as plain values is refused when the mapping is created or
// updated (Lambda's "Properly filtering Kinesis and DynamoDB messages").
var dataFields = map[Kind]string{
	KindKinesis:         "data",
	KindDynamoDBStreams: "dynamodb",
}

// checkKind applies the rules of a mapping's kind to its filters: for a
// stream, patterns on the data member must be JSON objects. The error is
// Lambda's InvalidParameterValueException.
func (f *filters) checkKind(k Kind) error {
	field, ok := dataFields[k]
	if f == nil || !ok {
		return nil
	}
	for _, p := range f.patterns {
		if p.Field(field) == eventpattern.RuleField {
			return errInvalidParam("Invalid filter pattern definition.")
		}
	}
	return nil
}

// matches reports whether a record passes the filters. record is the
// event record as the function receives it (decoded JSON); field names
// its member holding the payload ("body" for SQS, "data" for Kinesis,
// whose patterns see the record's kinesis member, "" for DynamoDB, whose
// patterns see the record as is); payload is the message body or the
// decoded Kinesis data.
//
// Lambda's rules: a payload that is a JSON object or array is matched by
// patterns on field as parsed JSON, and a pattern giving field plain
// values never matches it; a payload that is not JSON is matched as a
// string for SQS (a pattern with an object under body never matches it),
// and never for Kinesis (only patterns that do not name data may pass
// the record). A nil *filters matches everything.
func (f *filters) matches(record map[string]any, field string, payload []byte) bool {
	if f == nil {
		return true
	}
	if field == "" {
		for _, p := range f.patterns {
			if p.Match(record) {
				return true
			}
		}
		return false
	}
	base := record
	if k, ok := record["kinesis"].(map[string]any); ok && field == "data" {
		base = k
	}
	parsed, isJSON := parseJSON(payload)
	event := maps.Clone(base)
	switch {
	case isJSON:
		event[field] = parsed
	case field == "body":
		event[field] = string(payload)
	default:
		delete(event, field)
	}
	for _, p := range f.patterns {
		kind := p.Field(field)
		switch {
		case kind == eventpattern.ObjectField && !isJSON,
			kind == eventpattern.RuleField && isJSON,
			kind == eventpattern.RuleField && field != "body":
			continue
		}
		if p.Match(event) {
			return true
		}
	}
	return false
}

// parseJSON decodes a payload that is a JSON object or array, numbers
// kept as their text (json.Number).
func parseJSON(payload []byte) (any, bool) {
	b := bytes.TrimSpace(payload)
	if len(b) == 0 || (b[0] != '{' && b[0] != '[') || !json.Valid(b) {
		return nil, false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil, false
	}
	return v, true
}

// applyFilters validates a request's FilterCriteria for mp's kind and
// sets it on mp; nil leaves mp's as it is, empty criteria remove them.
func applyFilters(mp *Mapping, fc *FilterCriteria) error {
	if fc == nil {
		return nil
	}
	f, err := compileFilters(fc)
	if err != nil {
		return err
	}
	if err := f.checkKind(mp.Kind); err != nil {
		return err
	}
	mp.FilterCriteria = fc
	if len(fc.Filters) == 0 {
		mp.FilterCriteria = nil
	}
	return nil
}
