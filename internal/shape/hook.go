package shape

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// Hook returns an api.Service.Validate for service that answers a call
// whose input fails its model's constraints with AWS's error: the given
// code, HTTP 400, and the violations worded as AWS does. only limits it to
// the named operations; none means every operation. In-process calls
// (typed Call.Input) and JSON bodies that do not decode are left to the
// handler. In a JSON-protocol body, keys that name no member exactly are
// removed before the handler reads it (see Validator.Prune); a REST-JSON
// body with a member spelt in another case is refused with
// SerializationException (see Validator.Misspelt). It panics if the binary embeds no model for service.
func Hook(service, code string, only ...string) func(c *api.Call) *api.Error {
	return HookLeaving(service, code, nil, only...)
}

// HookLeaving is Hook, but leaves the members named in left, by operation
// and written as messages write them ({"ListFunctions": {"maxItems"}}), to
// the handler: the service words their constraints differently from the
// model, or enforces other bounds. A member left also leaves what it holds.
func HookLeaving(service, code string, left map[string][]string, only ...string) func(c *api.Call) *api.Error {
	v, err := For(service)
	if err != nil {
		panic(err)
	}
	checked := map[string]bool{}
	for _, op := range only {
		checked[op] = true
	}
	return func(c *api.Call) *api.Error {
		if c.Operation == nil || c.Input != nil || len(checked) > 0 && !checked[c.Operation.Name] {
			return nil
		}
		in := Input{Params: c.Params, Path: c.PathParams}
		if c.HTTP != nil {
			in.Header = c.HTTP.Header
		}
		if v.model.Protocol == JSON || v.model.Protocol == RESTJSON {
			body, err := c.Payload()
			if err != nil {
				return nil
			}
			if len(body) > 0 {
				if in.Body, err = decodeJSON(body); err != nil {
					return nil
				}
			}
			// The handler decodes exactly the members checked: keys that
			// name no member (a "limit" beside "Limit") are dropped first.
			// A REST-JSON body is refused instead: AWS does not document
			// an answer, and a member sent in another case is no member.
			if v.model.Protocol == RESTJSON {
				if path := v.Misspelt(c.Operation.Name, in.Body); path != "" {
					return &api.Error{Code: "SerializationException", Status: http.StatusBadRequest,
						Message: "Unrecognized member " + path + ": member names are case-sensitive"}
				}
			}
			if v.model.Protocol == JSON && v.Prune(c.Operation.Name, in.Body) {
				b, err := json.Marshal(in.Body)
				if err != nil {
					return nil
				}
				c.SetPayload(b)
			}
			floats(in.Body)
		}
		vs := leave(v.Check(c.Operation.Name, in), left[c.Operation.Name])
		if len(vs) == 0 {
			return nil
		}
		return &api.Error{Code: code, Status: http.StatusBadRequest, Message: Message(vs)}
	}
}

// leave drops the violations at or under the paths in left.
func leave(vs []Violation, left []string) []Violation {
	if len(left) == 0 {
		return vs
	}
	kept := vs[:0]
	for _, x := range vs {
		if !under(x.Path, left) {
			kept = append(kept, x)
		}
	}
	return kept
}

func under(path string, left []string) bool {
	for _, l := range left {
		if path == l || strings.HasPrefix(path, l+".") {
			return true
		}
	}
	return false
}

// PruneHook returns an api.Service.Validate for a service that checks its
// input itself (SQS words every violation its own way): it only removes,
// from the body of a call in a JSON protocol, the keys that name no member
// exactly (see Validator.Prune), so that the handler decodes the members
// AWS would read and no others. A body that does not decode is left to
// the handler. It panics if the binary embeds no model for service.
func PruneHook(service string) func(c *api.Call) *api.Error {
	v, err := For(service)
	if err != nil {
		panic(err)
	}
	return func(c *api.Call) *api.Error {
		if c.Operation == nil || c.Input != nil || c.Protocol == nil || !strings.HasPrefix(c.Protocol.Name(), "awsJson") {
			return nil
		}
		body, err := c.Payload()
		if err != nil || len(body) == 0 {
			return nil
		}
		doc, err := decodeJSON(body)
		if err != nil || !v.Prune(c.Operation.Name, doc) {
			return nil
		}
		if b, err := json.Marshal(doc); err == nil {
			c.SetPayload(b)
		}
		return nil
	}
}
