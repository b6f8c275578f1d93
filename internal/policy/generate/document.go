package generate

import (
	"encoding/json"
	"fmt"
	"strings"
)

// document is a generated policy as JSON writes it.
type document struct {
	Version   string    `json:"Version"`
	Statement []docStmt `json:"Statement"`
}

type docStmt struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Action    any            `json:"Action"`
	Resource  any            `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// one writes a list of one as its only element, as IAM documents do.
func one(list []string) any {
	if len(list) == 1 {
		return list[0]
	}
	return list
}

// sid names a statement: the service in title case, the service that
// called on the principal's behalf ("LogsCalledByLambda"), and a number
// keeping Sids unique.
func sid(st *statement, n int) string {
	s := title(st.service)
	if st.invokedBy != "" {
		by, _, _ := strings.Cut(st.invokedBy, ".")
		s += "CalledBy" + title(by)
	}
	if st.passedTo != "" {
		to, _, _ := strings.Cut(st.passedTo, ".")
		s += "PassedTo" + title(to)
	}
	if st.serviceLevel {
		s += "ServiceLevel"
	}
	return fmt.Sprintf("%s%d", s, n)
}

// title keeps the letters and digits of s, upper-casing the first of each run.
func title(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			if up {
				r -= 'a' - 'A'
			}
			up = false
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			up = false
		default:
			up = true
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// render writes the statements as policies of at most MaxPolicySize
// characters without whitespace, in order, and adds the on-behalf notes
// naming their Sids. A statement too large for one policy on its own is
// split by resources into several statements.
func render(stmts []*statement, notes []Note) ([]string, []Note) {
	counts := map[string]int{}
	var docStmts []docStmt
	for _, st := range stmts {
		for _, chunk := range chunks(st) {
			base := sid(st, 0)
			base = base[:len(base)-1]
			counts[base]++
			ds := docStmt{Sid: sid(st, counts[base]), Effect: "Allow", Action: one(st.actions), Resource: one(chunk)}
			if st.passedTo != "" {
				ds.Condition = map[string]any{"StringEquals": map[string]string{"iam:PassedToService": st.passedTo}}
			}
			if st.serviceLevel {
				notes = append(notes, Note{Kind: "service-level", Sid: ds.Sid, Action: st.actions[0],
					Message: fmt.Sprintf("Statement %s is the service-level template of %s: the service was used, but not in the time range read; narrow it to the actions needed.", ds.Sid, st.service)})
			}
			if st.invokedBy != "" {
				notes = append(notes, Note{Kind: "on-behalf", Sid: ds.Sid, Action: strings.Join(st.actions, ","),
					Message: fmt.Sprintf("Statement %s grants what %s did on the principal's behalf: %s.", ds.Sid, st.invokedBy, strings.Join(st.actions, ", "))})
			}
			docStmts = append(docStmts, ds)
		}
	}
	if len(docStmts) == 0 {
		return nil, notes
	}
	var policies []string
	cur := document{Version: "2012-10-17"}
	size := len(`{"Version":"2012-10-17","Statement":[]}`)
	for _, ds := range docStmts {
		n := stmtSize(ds) + 1 // the comma
		if len(cur.Statement) > 0 && size+n > MaxPolicySize {
			policies = append(policies, marshal(cur))
			cur.Statement, size = nil, len(`{"Version":"2012-10-17","Statement":[]}`)
		}
		cur.Statement = append(cur.Statement, ds)
		size += n
	}
	return append(policies, marshal(cur)), notes
}

// chunks splits a statement's resources so that each statement fits a
// policy on its own.
func chunks(st *statement) [][]string {
	probe := docStmt{Sid: sid(st, 999), Effect: "Allow", Action: one(st.actions), Resource: []string{}}
	if st.passedTo != "" {
		probe.Condition = map[string]any{"StringEquals": map[string]string{"iam:PassedToService": st.passedTo}}
	}
	room := MaxPolicySize - len(`{"Version":"2012-10-17","Statement":[]}`) - stmtSize(probe)
	var out [][]string
	var cur []string
	used := 0
	for _, r := range st.resources {
		n := len(r) + 3 // quotes and comma
		if len(cur) > 0 && used+n > room {
			out = append(out, cur)
			cur, used = nil, 0
		}
		cur = append(cur, r)
		used += n
	}
	return append(out, cur)
}

func stmtSize(ds docStmt) int {
	b, _ := json.Marshal(ds)
	return len(b)
}

func marshal(d document) string {
	b, err := json.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("generate: marshal policy: %v", err)) // strings and maps of strings always marshal
	}
	return string(b)
}
