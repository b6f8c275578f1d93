// Package lint checks a parsed policy against the catalog of AWS services,
// as IAM Access Analyzer's ValidatePolicy does: it reports actions and
// service prefixes that do not exist, condition keys that do not exist, and
// condition keys that none of a statement's actions supports, so that a
// condition that will never be evaluated is caught when the policy is
// written.
//
// The policy package itself stays pure and knows nothing of the catalog;
// this package joins the two.
package lint

import (
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/policy"
)

// Finding types, as Access Analyzer names them.
const (
	Error   = "ERROR"
	Warning = "WARNING"
)

// Issue codes, as Access Analyzer names them.
const (
	InvalidAction                    = "INVALID_ACTION"
	InvalidServiceInAction           = "INVALID_SERVICE_IN_ACTION"
	InvalidGlobalConditionKey        = "INVALID_GLOBAL_CONDITION_KEY"
	InvalidServiceConditionKey       = "INVALID_SERVICE_CONDITION_KEY"
	UnsupportedActionForConditionKey = "UNSUPPORTED_ACTION_FOR_CONDITION_KEY"
)

// A Finding is one problem in a policy.
type Finding struct {
	Type      string // Error or Warning
	Code      string // issue code, such as InvalidAction
	Statement int    // index of the statement in the policy, from 0
	Sid       string // the statement's Sid, if any
	Detail    string // the explanation, in Access Analyzer's words
}

func (f Finding) String() string {
	return fmt.Sprintf("statement %d: %s %s: %s", f.Statement, f.Type, f.Code, f.Detail)
}

// Policy checks p against the catalog of AWS services and returns its
// findings in statement order, errors about actions before those about
// condition keys.
func Policy(p *policy.Policy) []Finding {
	c := catalog.Load()
	var out []Finding
	for _, st := range p.Statements() {
		out = append(out, statement(c, &st)...)
	}
	return out
}

func statement(c *catalog.Catalog, st *policy.Statement) []Finding {
	var out []Finding
	add := func(typ, code, format string, args ...any) {
		out = append(out, Finding{Type: typ, Code: code, Statement: st.Index, Sid: st.Sid, Detail: fmt.Sprintf(format, args...)})
	}

	// Actions. known collects the Action entries that name real actions,
	// each with what it expands to, for the condition key checks.
	type entry struct {
		written string
		actions []*catalog.Action
	}
	var known []entry
	checkKeys := len(st.NotAction) == 0 // NotAction names what the statement does not cover
	for _, list := range [][]string{st.Action, st.NotAction} {
		for _, a := range list {
			if a == "*" {
				checkKeys = false
				continue
			}
			svc, _, _ := strings.Cut(a, ":")
			if !strings.ContainsAny(svc, "*?") && c.Service(svc) == nil {
				add(Error, InvalidServiceInAction, "The service %s specified in the action does not exist.", svc)
				checkKeys = false
				continue
			}
			acts := c.MatchActions(a)
			if len(acts) == 0 {
				add(Error, InvalidAction, "The action %s does not exist.", a)
				checkKeys = false
				continue
			}
			known = append(known, entry{a, acts})
		}
	}

	// Condition keys.
	seen := make(map[string]bool)
	for _, cond := range st.Condition {
		name := cond.Key
		if seen[strings.ToLower(name)] {
			continue
		}
		seen[strings.ToLower(name)] = true
		k := c.ConditionKey(name)
		svc, _, _ := strings.Cut(name, ":")
		switch {
		case strings.EqualFold(svc, "aws"):
			if k == nil {
				add(Error, InvalidGlobalConditionKey, "The condition key %s does not exist. Use a valid condition key.", name)
				continue
			}
		case k == nil && c.Service(svc) == nil && strings.ContainsAny(svc, "./"):
			// A web identity or SAML provider's key (oidc.example.com:sub):
			// any provider may be federated, so its keys cannot be known.
			continue
		case k == nil:
			add(Error, InvalidServiceConditionKey, "The condition key %s does not exist in the service %s. Use a valid condition key.", name, svc)
			continue
		}
		if !checkKeys {
			continue
		}
		var unsupported []string
		for _, e := range known {
			if !anySupports(e.actions, name) {
				unsupported = append(unsupported, e.written)
			}
		}
		if len(unsupported) > 0 {
			add(Warning, UnsupportedActionForConditionKey,
				"The following actions: %s are not supported by the condition key %s. The condition will not be evaluated for these actions. We recommend that you move these actions to a different statement without this condition key.",
				strings.Join(unsupported, ", "), name)
		}
	}
	return out
}

// anySupports reports whether a condition on key is evaluated for any of
// the actions a pattern expands to.
func anySupports(actions []*catalog.Action, key string) bool {
	for _, a := range actions {
		if a.Supports(key) {
			return true
		}
	}
	return false
}
