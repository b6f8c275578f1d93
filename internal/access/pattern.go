package access

import (
	"strings"

	"github.com/rolecall/rolecall/internal/policy"
)

// Covers reports whether every resource the IAM pattern q matches is
// matched by the pattern p ("arn:aws:s3:::b/*" covers "arn:aws:s3:::b/k").
// The escapes ${*}, ${?} and ${$} are read as Reach reads them (fill): as
// the character, a "*" or "?" then counting as a wildcard, so that a
// pattern a policy writes with them covers what Reach made of it.
func Covers(p, q string) bool { return covers(unescape(p), unescape(q)) }

// escapes are the policy variables that stand for a character.
var escapes = strings.NewReplacer("${*}", "*", "${?}", "?", "${$}", "$")

func unescape(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return escapes.Replace(s)
}

// covers reports whether every string the IAM pattern q matches is matched
// by the pattern p: "*" in p matches any run of characters of q, wildcards
// included; "?" in p matches one character of q other than "*". It is exact
// for patterns whose "*" and "?" are all wildcards.
func covers(p, q string) bool {
	// The classic two-pointer glob match, q's characters taken literally
	// except that only a "*" of p may stand for a "*" of q.
	i, j := 0, 0
	star, mark := -1, 0
	for j < len(q) {
		switch {
		case i < len(p) && p[i] == '*':
			star, mark = i, j
			i++
		case i < len(p) && (p[i] == q[j] && q[j] != '*' && q[j] != '?' || p[i] == '?' && q[j] != '*' || p[i] == q[j] && p[i] != '?'):
			i++
			j++
		case star >= 0:
			mark++
			i, j = star+1, mark
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// segment, in the first pattern given to intersect, matches any run of
// characters without "/".
const segment = 0x01

// intersect reports whether some resource is matched by both IAM patterns.
// ARNs are compared component by component, as IAM matches them: a
// wildcard in one component does not reach into the next.
func intersect(p, q string) bool {
	if p == "*" || q == "*" || p == q {
		return true
	}
	ps, qs := strings.SplitN(p, ":", 6), strings.SplitN(q, ":", 6)
	if len(ps) == 6 && len(qs) == 6 {
		for i := range ps {
			if !intersectGlob(ps[i], qs[i]) {
				return false
			}
		}
		return true
	}
	return intersectGlob(p, q)
}

// intersectGlob reports whether some string is matched by both patterns.
func intersectGlob(p, q string) bool {
	if p == "*" || q == "*" || p == q {
		return true
	}
	// memo[i][j] holds 1 + the answer for p[i:], q[j:], 0 when unknown.
	memo := make([]uint8, (len(p)+1)*(len(q)+1))
	var f func(i, j int) bool
	f = func(i, j int) bool {
		k := i*(len(q)+1) + j
		if memo[k] != 0 {
			return memo[k] == 2
		}
		var ok bool
		switch {
		case i == len(p) && j == len(q):
			ok = true
		case i < len(p) && p[i] == '*':
			ok = f(i+1, j) || j < len(q) && f(i, j+1)
		case i < len(p) && p[i] == segment:
			ok = f(i+1, j) || j < len(q) && q[j] != '/' && f(i, j+1)
		case j < len(q) && q[j] == '*':
			ok = f(i, j+1) || i < len(p) && f(i+1, j)
		case i == len(p) || j == len(q):
			ok = false
		default:
			ok = (p[i] == q[j] || p[i] == '?' || q[j] == '?') && f(i+1, j+1)
		}
		memo[k] = 1
		if ok {
			memo[k] = 2
		}
		return ok
	}
	return f(0, 0)
}

// variables returns the values of the policy variables that describe the
// principal, by lower-cased name.
func variables(p policy.Principal) map[string]string {
	v := map[string]string{}
	if p.Account != "" {
		v["aws:principalaccount"] = p.Account
	}
	switch p.Type {
	case policy.User:
		v["aws:principalarn"] = p.ARN
		v["aws:username"] = p.ARN[strings.LastIndexByte(p.ARN, '/')+1:]
		if p.ID != "" {
			v["aws:userid"] = p.ID
		}
	case policy.Role:
		v["aws:principalarn"] = p.ARN
	case policy.AssumedRole:
		v["aws:principalarn"] = p.RoleARN
		if p.ID != "" {
			v["aws:userid"] = p.ID + ":" + p.ARN[strings.LastIndexByte(p.ARN, '/')+1:]
		}
	case policy.Root:
		v["aws:principalarn"] = p.ARN
		v["aws:userid"] = p.Account
	}
	return v
}

// fill replaces the policy variables of a resource pattern: ${*}, ${?} and
// ${$} by the character, the principal's by their values, and any other by
// "*", when ok is false.
func (r *reacher) fill(s string) (string, bool) {
	if !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	ok := true
	for {
		i := strings.Index(s, "${")
		j := strings.IndexByte(s[max(i, 0):], '}')
		if i < 0 || j < 0 {
			b.WriteString(s)
			return b.String(), ok
		}
		b.WriteString(s[:i])
		name := s[i+2 : i+j]
		if def := strings.Index(name, ", '"); def >= 0 {
			name = strings.TrimSpace(name[:def])
		}
		switch v, known := r.vars[strings.ToLower(name)]; {
		case name == "*" || name == "?" || name == "$":
			b.WriteString(name)
		case known:
			b.WriteString(v)
		default:
			b.WriteByte('*')
			ok = false
		}
		s = s[i+j+1:]
	}
}
