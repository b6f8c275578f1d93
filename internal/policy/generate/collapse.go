package generate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/catalog"
)

// collapse replaces, for action a, the resources (sorted ARNs) that share
// a parent resource and are more than above in number by one wildcard
// ARN. Only names inside a parent are collapsed: the ARN must match one of
// the action's resource types whose format names the resource with two or
// more variables (an object in a bucket, a log stream in a log group, an
// index of a table), and the wildcard replaces part of the last one, so
// that it never reaches another parent (another bucket, another log group)
// nor a resource of the same parent the evidence does not cover beyond
// its prefix. The wildcard is the parent's part of the ARN followed by the
// longest prefix, ending in "/", that all the names share, then "*".
func collapse(a *catalog.Action, arns []string, above int) ([]string, []Note) {
	var tpls []template
	for _, r := range a.Resources {
		if r.Type != nil {
			if t := parseTemplate(r.Type.ARN); t.names >= 2 {
				tpls = append(tpls, t)
			}
		}
	}
	if len(tpls) == 0 || len(arns) <= above {
		return arns, nil
	}
	// Group by parent: the ARN up to where the last variable begins.
	groups := map[string][]string{}
	var parents []string
	var out []string
	for _, arn := range arns {
		base := -1
		for _, t := range tpls {
			if i := t.lastVar(arn); i > base {
				base = i
			}
		}
		if base < 0 {
			out = append(out, arn)
			continue
		}
		p := arn[:base]
		if groups[p] == nil {
			parents = append(parents, p)
		}
		groups[p] = append(groups[p], arn[base:])
	}
	var notes []Note
	for _, p := range parents {
		names := groups[p]
		if len(names) <= above {
			for _, n := range names {
				out = append(out, p+n)
			}
			continue
		}
		w := p + sharedDir(names) + "*"
		out = append(out, w)
		notes = append(notes, Note{Kind: "collapsed", Action: a.String(), Resource: w, Count: len(names),
			Message: fmt.Sprintf("%s was used on %d resources under %s, written as %s: more than %d under one prefix are collapsed to a wildcard.",
				a.String(), len(names), p+sharedDir(names), w, above)})
	}
	slices.Sort(out)
	return slices.Compact(out), notes
}

// sharedDir returns the longest prefix ending in "/" that every name has,
// or "".
func sharedDir(names []string) string {
	prefix := names[0]
	for _, n := range names[1:] {
		i := 0
		for i < len(prefix) && i < len(n) && prefix[i] == n[i] {
			i++
		}
		prefix = prefix[:i]
	}
	return prefix[:strings.LastIndexByte(prefix, '/')+1]
}

// template is a resource type's ARN format split into literal text and
// variables: "arn:${Partition}:s3:::${BucketName}/${ObjectName}".
type template struct {
	parts []part
	names int // variables that name the resource (not Partition, Region, Account)
}

type part struct {
	lit      string
	variable bool
}

func parseTemplate(format string) template {
	var t template
	for format != "" {
		i := strings.Index(format, "${")
		if i < 0 {
			t.parts = append(t.parts, part{lit: format})
			break
		}
		j := strings.IndexByte(format[i:], '}')
		if j < 0 {
			t.parts = append(t.parts, part{lit: format})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{lit: format[:i]})
		}
		name := format[i+2 : i+j]
		t.parts = append(t.parts, part{lit: name, variable: true})
		if name != "Partition" && name != "Region" && name != "Account" {
			t.names++
		}
		format = format[i+j+1:]
	}
	return t
}

// lastVar returns the index in arn where the template's last variable
// begins when arn matches the template and the template ends with a
// variable, else -1. A variable before the last matches the shortest
// non-empty text the rest can follow.
func (t template) lastVar(arn string) int {
	n := len(t.parts)
	if n == 0 || !t.parts[n-1].variable {
		return -1
	}
	return t.match(0, arn, 0)
}

func (t template) match(i int, arn string, pos int) int {
	p := t.parts[i]
	last := i == len(t.parts)-1
	if !p.variable {
		if !strings.HasPrefix(arn[pos:], p.lit) {
			return -1
		}
		return t.match(i+1, arn, pos+len(p.lit))
	}
	if last {
		if pos < len(arn) && !strings.Contains(arn[pos:], "*") {
			return pos
		}
		return -1
	}
	next := t.parts[i+1] // a literal: two variables never touch in ARN formats
	for end := pos + 1; end <= len(arn); end++ {
		if next.variable {
			return -1
		}
		k := strings.Index(arn[end:], next.lit)
		if k < 0 {
			return -1
		}
		end += k
		if r := t.match(i+1, arn, end); r >= 0 {
			return r
		}
	}
	return -1
}
