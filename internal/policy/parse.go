package policy

import (
	"errors"
	"strings"
)

// Policy language versions.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Parse validates doc as IAM does for a policy of the given kind and
// returns the compiled policy. A document IAM would reject yields a *Error
// holding AWS's MalformedPolicyDocument message. Every construct the
// evaluator cannot evaluate exactly is rejected here, so that evaluation
// never fails open.
func Parse(doc string, kind Kind) (*Policy, error) {
	p, err := parse(doc, kind)
	if err != nil {
		var msg string
		var pe perr
		switch {
		case kind == SCP:
			msg = string(errSCPMalformed)
		case errors.As(err, &pe):
			msg = string(pe)
		default:
			msg = string(errSyntax)
		}
		return nil, &Error{Message: msg}
	}
	return p, nil
}

// statement elements, in the order String writes them when absent from
// the document's own order (it keeps the document's order).
var statementKeys = map[string]bool{
	"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true,
	"Action": true, "NotAction": true, "Resource": true, "NotResource": true,
	"Condition": true,
}

func parse(doc string, kind Kind) (*Policy, error) {
	root, err := parseJSON(doc)
	if err != nil {
		if errors.Is(err, errJSON) && kind == Trust {
			return nil, errInvalidJSON
		}
		return nil, errSyntax
	}
	if root.kind != jObject {
		return nil, errSyntax
	}
	p := &Policy{kind: kind, doc: root}
	var stmtVals []*jvalue
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "Version":
			if v.kind != jString {
				return nil, errSyntax
			}
			p.version = v.str
		case "Id":
			if v.kind != jString {
				return nil, errSyntax
			}
		case "Statement":
			switch v.kind {
			case jObject:
				stmtVals = []*jvalue{v}
			case jArray:
				stmtVals = v.arr
			default:
				return nil, errSyntax
			}
		default:
			return nil, errSyntax
		}
	}
	if root.get("Statement") == nil || len(stmtVals) == 0 {
		return nil, errSyntax
	}
	// Element shapes.
	for _, sv := range stmtVals {
		if err := checkShape(sv); err != nil {
			return nil, err
		}
	}
	if p.version != "" && p.version != Version2012 && p.version != Version2008 {
		return nil, errVersion
	}
	vars := p.version == Version2012

	// Rules of the kind.
	for _, sv := range stmtVals {
		if err := checkKind(sv, kind); err != nil {
			return nil, err
		}
	}
	// Statement IDs.
	seen := map[string]bool{}
	for _, sv := range stmtVals {
		sid := sv.get("Sid")
		if sid == nil || sid.str == "" {
			continue
		}
		if seen[sid.str] {
			return nil, errSidUnique
		}
		seen[sid.str] = true
	}
	if kind != Resource {
		for _, sv := range stmtVals {
			if sid := sv.get("Sid"); sid != nil && !isAlnum(sid.str) {
				return nil, errSidFormat
			}
		}
	}
	// Actions and resources must be present.
	for _, sv := range stmtVals {
		if n := listLen(sv, "Action") + listLen(sv, "NotAction"); n == 0 {
			return nil, errNoActions
		}
	}
	if kind != Trust {
		for _, sv := range stmtVals {
			if n := listLen(sv, "Resource") + listLen(sv, "NotResource"); n == 0 {
				return nil, errNoResources
			}
		}
	}
	p.stmts = make([]stmt, len(stmtVals))
	for i, sv := range stmtVals {
		if err := p.stmts[i].compile(sv, i, kind, vars); err != nil {
			return nil, err
		}
	}
	p.idx = newIndex()
	for i := range p.stmts {
		p.idx.add(&p.stmts[i], 0, 0)
	}
	return p, nil
}

// checkShape checks the JSON types of a statement's elements.
func checkShape(sv *jvalue) error {
	if sv.kind != jObject {
		return errSyntax
	}
	for i, k := range sv.keys {
		v := sv.vals[i]
		if !statementKeys[k] {
			return errSyntax
		}
		switch k {
		case "Sid":
			if v.kind != jString {
				return errSyntax
			}
		case "Effect":
			if v.kind != jString || (v.str != "Allow" && v.str != "Deny") {
				return errSyntax
			}
		case "Action", "NotAction", "Resource", "NotResource":
			if _, ok := v.strings(); !ok {
				return errSyntax
			}
		case "Principal", "NotPrincipal":
			if v.kind != jObject && !(v.kind == jString && v.str == "*") {
				return errSyntax
			}
		case "Condition":
			if v.kind != jObject {
				return errSyntax
			}
			for _, block := range v.vals {
				if block.kind != jObject {
					return errSyntax
				}
				for _, vals := range block.vals {
					if _, ok := vals.scalars(); !ok {
						return errSyntax
					}
				}
			}
		}
	}
	if sv.get("Effect") == nil {
		return errSyntax
	}
	for _, pair := range [][2]string{{"Action", "NotAction"}, {"Resource", "NotResource"}, {"Principal", "NotPrincipal"}} {
		if sv.get(pair[0]) != nil && sv.get(pair[1]) != nil {
			return errSyntax
		}
	}
	return nil
}

// checkKind applies the element rules of a policy kind to a statement.
func checkKind(sv *jvalue, kind Kind) error {
	hasP := sv.get("Principal") != nil || sv.get("NotPrincipal") != nil
	switch kind {
	case Identity, Session, Boundary, SCP:
		if hasP {
			return errHasPrincipal
		}
	case Resource:
		if !hasP {
			return errNoPrincipal
		}
	case Trust:
		for _, f := range []string{"Resource", "NotResource", "NotPrincipal", "NotAction"} {
			if sv.get(f) != nil {
				return perr(msgProhibitedFmt + f)
			}
		}
		if sv.get("Principal") == nil {
			return errNoPrincipal
		}
	}
	return nil
}

func listLen(sv *jvalue, k string) int {
	v := sv.get(k)
	if v == nil {
		return 0
	}
	if v.kind == jString {
		return 1
	}
	return len(v.arr)
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// trustActions are the actions a trust policy may name.
var trustActions = []string{
	"sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml",
	"sts:tagsession", "sts:setsourceidentity",
}

// checkAction validates an action as IAM does.
func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	i := strings.IndexByte(a, ':')
	if i < 0 {
		return errVendor
	}
	if strings.IndexByte(a[i+1:], ':') >= 0 {
		return errOneColon
	}
	if v := a[:i]; v != "*" && !validVendor(v) {
		return perr("Vendor " + v + " is not valid")
	}
	return nil
}

// partitions are the partitions a resource ARN may name.
var partitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}

func validPartition(p string) bool {
	for _, q := range partitions {
		if p == q {
			return true
		}
	}
	return false
}

// checkResource validates a Resource or NotResource entry as IAM does.
func checkResource(r string, vars bool) error {
	if r == "*" {
		return nil
	}
	bad := perr("Resource " + r + ` must be in ARN format or "*".`)
	parts, n := splitARN(r, vars)
	if n < 2 || parts[0] != "arn" {
		return bad
	}
	if p := parts[1]; !validPartition(p) && p != "*" {
		rest := [4]string{"*", "*", "*", "*"}
		for i := 2; i < n; i++ {
			rest[i-2] = parts[i]
		}
		return perr(`Partition "` + p + `" is not valid for resource "arn:` + p + ":" + rest[0] + ":" + rest[1] + ":" + rest[2] + ":" + rest[3] + `".`)
	}
	if n < 3 || !validVendor(parts[2]) {
		return errResVendor
	}
	if n < 6 {
		return bad
	}
	switch parts[2] {
	case "iam":
		if parts[3] != "" {
			return perr("IAM resource " + r + " cannot contain region information.")
		}
	case "s3":
		// Bucket and object ARNs name neither region nor account; the
		// resources that name an account (access points, batch jobs,
		// Storage Lens, Access Grants) may name a region.
		if parts[3] != "" && parts[4] == "" {
			return perr("Resource " + r + " can not contain region information.")
		}
	}
	return nil
}
