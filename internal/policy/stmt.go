package policy

import (
	"strings"
)

// stmt is a compiled statement.
type stmt struct {
	index int
	sid   string
	deny  bool

	notAction bool
	actions   []pattern  // whole actions, lower-cased
	services  []svcNames // actions grouped by service, unless wild
	wild      bool       // NotAction, or an action whose service is "*"

	hasResource bool
	notResource bool
	resources   []arnPattern

	principal    *principals
	notPrincipal bool

	conds []cond
	raw   *jvalue
}

// svcNames holds the action-name patterns of one service.
type svcNames struct {
	service string // lower-cased
	names   []pattern
}

func (st *stmt) compile(sv *jvalue, index int, kind Kind, vars bool) error {
	st.index = index
	st.raw = sv
	if v := sv.get("Sid"); v != nil {
		st.sid = v.str
	}
	st.deny = sv.get("Effect").str == "Deny"

	// Actions.
	acts, _ := listOf(sv, "Action")
	if v := sv.get("NotAction"); v != nil {
		acts, _ = v.strings()
		st.notAction, st.wild = true, true
	}
	for _, a := range acts {
		if err := checkAction(a); err != nil {
			return err
		}
	}
	if kind == Trust {
		for _, a := range acts {
			if !trustAction(a) {
				return errTrustActions
			}
		}
	}
	for _, a := range acts {
		la := strings.ToLower(a)
		p, _ := compilePattern(la, true, false, false)
		st.actions = append(st.actions, p)
		svc, name, ok := strings.Cut(la, ":")
		if !ok || svc == "*" {
			st.wild = true
			continue
		}
		np, _ := compilePattern(name, true, false, false)
		st.addName(svc, np)
	}
	if st.wild {
		st.services = nil
	}

	// Resources.
	res, ok := listOf(sv, "Resource")
	if v := sv.get("NotResource"); v != nil {
		res, ok = v.strings()
		st.notResource = true
	}
	st.hasResource = ok
	for _, r := range res {
		if err := checkResource(r, vars); err != nil {
			return err
		}
	}
	for _, r := range res {
		ap, err := compileARNPattern(r, vars)
		if err != nil {
			return errSyntax
		}
		st.resources = append(st.resources, ap)
	}

	// Principals.
	pv := sv.get("Principal")
	if v := sv.get("NotPrincipal"); v != nil {
		pv = v
		st.notPrincipal = true
	}
	if pv != nil {
		ps, err := compilePrincipals(pv)
		if err != nil {
			return err
		}
		st.principal = ps
	}

	// Conditions.
	if cv := sv.get("Condition"); cv != nil {
		for i, op := range cv.keys {
			block := cv.vals[i]
			for j, key := range block.keys {
				vals, _ := block.vals[j].scalars()
				c, err := compileCond(op, key, vals, vars)
				if err != nil {
					return err
				}
				st.conds = append(st.conds, c)
			}
		}
	}
	return nil
}

func (st *stmt) addName(svc string, p pattern) {
	for i := range st.services {
		if st.services[i].service == svc {
			st.services[i].names = append(st.services[i].names, p)
			return
		}
	}
	st.services = append(st.services, svcNames{service: svc, names: []pattern{p}})
}

func listOf(sv *jvalue, k string) ([]string, bool) {
	v := sv.get(k)
	if v == nil {
		return nil, false
	}
	return v.strings()
}

// trustAction reports whether a trust policy may name the action pattern a:
// it must cover at least one of the actions that assume a role.
func trustAction(a string) bool {
	p, err := compilePattern(strings.ToLower(a), true, false, false)
	if err != nil {
		return false
	}
	for _, t := range trustActions {
		if p.match(t, nil, true) {
			return true
		}
	}
	return false
}

// view renders the statement for Statements.
func (st *stmt) view() Statement {
	s := Statement{Index: st.index, Sid: st.sid, Effect: "Allow", Raw: st.raw.compact()}
	if st.deny {
		s.Effect = "Deny"
	}
	s.Action, _ = listOf(st.raw, "Action")
	s.NotAction, _ = listOf(st.raw, "NotAction")
	s.Resource, _ = listOf(st.raw, "Resource")
	s.NotResource, _ = listOf(st.raw, "NotResource")
	if st.principal != nil {
		cp := make(Principals, len(st.principal.raw))
		for k, v := range st.principal.raw {
			cp[k] = append([]string(nil), v...)
		}
		if st.notPrincipal {
			s.NotPrincipal = cp
		} else {
			s.Principal = cp
		}
	}
	if cv := st.raw.get("Condition"); cv != nil {
		for i, op := range cv.keys {
			block := cv.vals[i]
			for j, key := range block.keys {
				vals, _ := block.vals[j].scalars()
				s.Condition = append(s.Condition, Condition{Operator: op, Key: key, Values: vals})
			}
		}
	}
	return s
}

// matchAction reports whether the statement's Action or NotAction element
// applies to the whole action a (used for wild statements).
func (st *stmt) matchAction(a string) bool {
	m := false
	for i := range st.actions {
		if st.actions[i].match(a, nil, true) {
			m = true
			break
		}
	}
	return m != st.notAction
}

// matchResource reports whether the Resource or NotResource element
// applies to the resource arn, also given split into parts. An entry with a
// policy variable that has no value matches no resource: in Resource it
// grants or denies nothing, and in NotResource it makes the whole element
// unresolvable, so the statement does not apply (an Allow with such a
// NotResource must not grant every resource).
func (st *stmt) matchResource(arn string, parts *[6]string, n int, ctx *Context) bool {
	if !st.hasResource {
		return true
	}
	if st.notResource {
		for i := range st.resources {
			r := &st.resources[i]
			if !r.resolved(ctx) || r.match(arn, parts, n, ctx) {
				return false
			}
		}
		return true
	}
	for i := range st.resources {
		if st.resources[i].match(arn, parts, n, ctx) {
			return true
		}
	}
	return false
}

// matchConds reports whether every condition holds.
func (st *stmt) matchConds(ctx *Context) bool {
	for i := range st.conds {
		if !st.conds[i].eval(ctx) {
			return false
		}
	}
	return true
}
