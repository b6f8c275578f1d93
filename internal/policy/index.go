package policy

import "strings"

// entry is a statement as placed in an index.
type entry struct {
	st    *stmt
	names []pattern // the statement's action names for the bucket's service; nil for wild entries
	group uint8     // which policy set the statement belongs to (see PolicySet)
	pol   int32     // index of the policy's ID in PolicySet.ids
}

// bucket holds the statements that may apply to one service's actions.
type bucket struct {
	deny, allow []entry
}

// index finds the statements that may apply to an action without scanning
// statements of other services.
type index struct {
	svc  map[string]*bucket
	wild bucket // statements that must be checked for every action
}

func newIndex() index { return index{svc: map[string]*bucket{}} }

func (ix *index) add(st *stmt, group uint8, pol int32) {
	if st.wild {
		ix.wild.put(entry{st: st, group: group, pol: pol}, st.deny)
		return
	}
	for i := range st.services {
		sn := &st.services[i]
		b := ix.svc[sn.service]
		if b == nil {
			b = &bucket{}
			ix.svc[sn.service] = b
		}
		b.put(entry{st: st, names: sn.names, group: group, pol: pol}, st.deny)
	}
}

func (b *bucket) put(e entry, deny bool) {
	if deny {
		b.deny = append(b.deny, e)
	} else {
		b.allow = append(b.allow, e)
	}
}

// lookup returns the bucket for a service name, compared case-insensitively.
func (ix *index) lookup(svc string) *bucket {
	if len(ix.svc) == 0 {
		return nil
	}
	var buf [64]byte
	if len(svc) > len(buf) {
		return ix.svc[strings.ToLower(svc)]
	}
	for i := 0; i < len(svc); i++ {
		buf[i] = toLower(svc[i])
	}
	return ix.svc[string(buf[:len(svc)])]
}

// request is a request prepared for matching: the action split at its
// colon and the resource split into ARN components.
type request struct {
	action   string
	resource string
	svc      string
	name     string
	res      [6]string
	resN     int
	ctx      *Context
	p        *Principal
}

func (rq *request) init(r *Request) {
	rq.action = r.Action
	rq.svc, rq.name, _ = strings.Cut(r.Action, ":")
	rq.resource = r.Resource
	rq.res, rq.resN = splitResource(r.Resource)
	rq.ctx = r.Context
	rq.p = &r.Principal
}

// matches reports whether the entry's statement applies to the request,
// principal aside.
func (e *entry) matches(rq *request) bool {
	st := e.st
	if e.names != nil {
		ok := false
		for i := range e.names {
			if e.names[i].match(rq.name, nil, true) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	} else if !st.matchAction(rq.action) {
		return false
	}
	return st.matchResource(rq.resource, &rq.res, rq.resN, rq.ctx) && st.matchConds(rq.ctx)
}
