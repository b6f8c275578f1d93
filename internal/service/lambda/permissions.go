package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// forgetPolicies drops the cached policies of a function (account/name)
// and of its qualifiers.
func (l *Lambda) forgetPolicies(fnKey string) {
	l.policies.ForgetFunc(func(k string) bool { return k == fnKey || strings.HasPrefix(k, fnKey+":") })
}

// policyKey is the store key of the policy of ref (with its qualifier).
func policyKey(ref fnRef) string {
	if ref.Qualifier == "" || ref.Qualifier == latest {
		return ref.key()
	}
	return ref.key() + ":" + ref.Qualifier
}

// policyDocument renders statements as Lambda's policy document.
func policyDocument(statements []json.RawMessage) string {
	doc := struct {
		Version   string            `json:"Version"`
		ID        string            `json:"Id"`
		Statement []json.RawMessage `json:"Statement"`
	}{"2012-10-17", "default", statements}
	b, _ := json.Marshal(doc)
	return string(b)
}

// resourcePolicy is the ResourcePolicy hook of the function operations:
// the function's resource-based policy, so that the gateway grants what it
// allows to other principals (Invoke from another account or a service).
func (l *Lambda) resourcePolicy(c *api.Call) (*policy.Policy, bool, error) {
	ref, err := l.pathRef(c, true)
	if err != nil {
		return nil, false, err
	}
	key := policyKey(ref)
	p, ok, gen := l.policies.Get(key)
	if ok {
		return p, false, nil
	}
	var sp storedPolicy
	err = store.GetJSON(c.Context, l.cfg.Store, tablePolicies, key, &sp)
	if errors.Is(err, store.ErrNotFound) || err == nil && len(sp.Statements) == 0 {
		l.policies.Put(gen, key, nil)
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	statements, err := l.shownStatements(c.Context, &sp)
	if err != nil {
		return nil, false, err
	}
	p, err = policy.Parse(policyDocument(statements), policy.Resource)
	if err != nil {
		return nil, false, err
	}
	if len(sp.PrincipalIDs) == 0 {
		// A policy naming IAM users or roles is read afresh: IAM's changes
		// to them do not reach this cache.
		l.policies.Put(gen, key, p)
	}
	return p, false, nil
}

// shownStatements returns the statements of sp as Lambda shows and
// evaluates them: a statement whose IAM user or role is gone, or was made
// again with another unique ID, names the unique ID it had, as IAM keeps
// the principals of resource-based policies by unique ID ("Principal"
// element, IAM User Guide).
func (l *Lambda) shownStatements(ctx context.Context, sp *storedPolicy) ([]json.RawMessage, error) {
	if len(sp.PrincipalIDs) == 0 || l.cfg.PrincipalID == nil {
		return sp.Statements, nil
	}
	out := make([]json.RawMessage, len(sp.Statements))
	for n, raw := range sp.Statements {
		out[n] = raw
		var st permissionStatement
		if err := json.Unmarshal(raw, &st); err != nil {
			return nil, fmt.Errorf("lambda: stored policy statement: %w", err)
		}
		id, ok := sp.PrincipalIDs[st.Sid]
		principal, isAWS := st.Principal.(map[string]any)
		if !ok || !isAWS {
			continue
		}
		arn, _ := principal["AWS"].(string)
		now, _, err := l.cfg.PrincipalID(ctx, arn)
		if err != nil {
			return nil, fmt.Errorf("lambda: check principal %s: %w", arn, err)
		}
		if now == id {
			continue
		}
		st.Principal = map[string]string{"AWS": id}
		b, err := json.Marshal(st)
		if err != nil {
			return nil, err
		}
		out[n] = b
	}
	return out, nil
}

// addPermissionInput is the AddPermission request.
type addPermissionInput struct {
	StatementID         string `json:"StatementId"`
	Action              string `json:"Action"`
	Principal           string `json:"Principal"`
	SourceArn           string `json:"SourceArn"`
	SourceAccount       string `json:"SourceAccount"`
	EventSourceToken    string `json:"EventSourceToken"`
	PrincipalOrgID      string `json:"PrincipalOrgID"`
	FunctionURLAuthType string `json:"FunctionUrlAuthType"`
	RevisionID          string `json:"RevisionId"`
}

// permissionStatement is a statement as Lambda writes it, in its order.
type permissionStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal any                          `json:"Principal"`
	Action    string                       `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// principalElement maps AddPermission's Principal to a policy principal.
func principalElement(p string) (any, error) {
	switch {
	case p == "*":
		return "*", nil
	case reAccount.MatchString(p):
		return map[string]string{"AWS": "arn:aws:iam::" + p + ":root"}, nil
	case strings.HasPrefix(p, "arn:aws:iam::") || strings.HasPrefix(p, "arn:aws:sts::"):
		return map[string]string{"AWS": p}, nil
	case strings.HasSuffix(p, ".amazonaws.com") || strings.HasSuffix(p, ".amazon.com"):
		return map[string]string{"Service": p}, nil
	}
	return nil, errInvalidParam("The provided principal was invalid. Please check the principal and try again.")
}

// checkPrincipal refuses an IAM user or role ARN that names nothing, as
// Lambda refuses it, and returns the unique ID of one that exists ("" for
// other principals).
func (l *Lambda) checkPrincipal(ctx context.Context, principal string) (string, error) {
	if l.cfg.PrincipalID == nil {
		return "", nil
	}
	id, known, err := l.cfg.PrincipalID(ctx, principal)
	if err != nil {
		return "", fmt.Errorf("lambda: check principal %s: %w", principal, err)
	}
	if known && id == "" {
		return "", errInvalidParam("The provided principal was invalid. Please check the principal and try again.")
	}
	return id, nil
}

func (in *addPermissionInput) statement(resource string) (*permissionStatement, error) {
	// The model checks StatementId, Action, Principal and SourceAccount.
	principal, err := principalElement(in.Principal)
	if err != nil {
		return nil, err
	}
	st := &permissionStatement{Sid: in.StatementID, Effect: "Allow", Principal: principal, Action: in.Action, Resource: resource}
	cond := func(op, key, v string) {
		if v == "" {
			return
		}
		if st.Condition == nil {
			st.Condition = map[string]map[string]string{}
		}
		if st.Condition[op] == nil {
			st.Condition[op] = map[string]string{}
		}
		st.Condition[op][key] = v
	}
	cond("StringEquals", "AWS:SourceAccount", in.SourceAccount)
	cond("StringEquals", "aws:PrincipalOrgID", in.PrincipalOrgID)
	cond("StringEquals", "lambda:EventSourceToken", in.EventSourceToken)
	cond("StringEquals", "lambda:FunctionUrlAuthType", in.FunctionURLAuthType)
	cond("ArnLike", "AWS:SourceArn", in.SourceArn)
	return st, nil
}

// AddPermissionOutput is the AddPermission output.
type AddPermissionOutput struct {
	Statement string `json:"Statement"`
}

func (l *Lambda) addPermission(c *api.Call) (any, error) {
	ref, err := l.pathRef(c, true)
	if err != nil {
		return nil, err
	}
	var in addPermissionInput
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	st, err := in.statement(ref.qualifiedARN())
	if err != nil {
		return nil, err
	}
	principalID, err := l.checkPrincipal(c.Context, in.Principal)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	key := policyKey(ref)
	_, err = l.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		sp, err := l.loadPolicy(c.Context, tx, ref)
		if err != nil {
			return err
		}
		if in.RevisionID != "" && in.RevisionID != sp.RevisionID {
			return errPrecondition()
		}
		for _, s := range sp.Statements {
			var existing struct{ Sid string }
			if json.Unmarshal(s, &existing) == nil && existing.Sid == in.StatementID {
				return errConflict("The statement id (%s) provided already exists. Please choose a new statement id, or remove the existing statement.", in.StatementID)
			}
		}
		sp.Statements = append(sp.Statements, raw)
		if principalID != "" {
			if sp.PrincipalIDs == nil {
				sp.PrincipalIDs = map[string]string{}
			}
			sp.PrincipalIDs[in.StatementID] = principalID
		}
		if _, err := policy.Parse(policyDocument(sp.Statements), policy.Resource); err != nil {
			var pe *policy.Error
			if errors.As(err, &pe) {
				return errInvalidParam("The policy is invalid: %s", pe.Message)
			}
			return errInvalidParam("The policy is invalid: %v", err)
		}
		sp.RevisionID = uuid.NewString()
		return store.PutJSON(c.Context, tx, tablePolicies, key, sp)
	})
	if err != nil {
		return nil, err
	}
	l.forgetPolicies(ref.key())
	return &AddPermissionOutput{Statement: string(raw)}, nil
}

// loadPolicy returns the policy of ref, empty when it has none, checking
// that the function and its qualifier exist.
func (l *Lambda) loadPolicy(ctx context.Context, r store.Reader, ref fnRef) (*storedPolicy, error) {
	f, err := l.load(ctx, r, ref)
	if err != nil {
		return nil, err
	}
	if q := ref.Qualifier; q != "" && q != latest {
		if reNumeric.MatchString(q) {
			if _, err := l.loadVersion(ctx, r, ref, q); err != nil {
				return nil, err
			}
		} else if _, err := r.Get(ctx, tableAliases, aliasKey(ref, q)); errors.Is(err, store.ErrNotFound) {
			return nil, errFunctionNotFound(ref.qualifiedARN())
		} else if err != nil {
			return nil, err
		}
	}
	var sp storedPolicy
	err = store.GetJSON(ctx, r, tablePolicies, policyKey(ref), &sp)
	if errors.Is(err, store.ErrNotFound) {
		return &storedPolicy{RevisionID: f.Config.RevisionID}, nil
	}
	if err != nil {
		return nil, err
	}
	return &sp, nil
}

// GetPolicyOutput is the GetPolicy output.
type GetPolicyOutput struct {
	Policy     string `json:"Policy"`
	RevisionId string `json:"RevisionId"`
}

func (l *Lambda) getPolicy(c *api.Call) (any, error) {
	ref, err := l.pathRef(c, true)
	if err != nil {
		return nil, err
	}
	sp, err := l.loadPolicy(c.Context, l.cfg.Store, ref)
	if err != nil {
		return nil, err
	}
	if len(sp.Statements) == 0 {
		return nil, errNotFound("The resource you requested does not exist.")
	}
	statements, err := l.shownStatements(c.Context, sp)
	if err != nil {
		return nil, err
	}
	return &GetPolicyOutput{Policy: policyDocument(statements), RevisionId: sp.RevisionID}, nil
}

func (l *Lambda) removePermission(c *api.Call) (any, error) {
	ref, err := l.pathRef(c, true)
	if err != nil {
		return nil, err
	}
	sid := c.PathParams["StatementId"]
	revision := c.Params.Get("RevisionId")
	_, err = l.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		sp, err := l.loadPolicy(c.Context, tx, ref)
		if err != nil {
			return err
		}
		if len(sp.Statements) == 0 {
			return errNotFound("No policy is associated with the given resource.")
		}
		if revision != "" && revision != sp.RevisionID {
			return errPrecondition()
		}
		kept := sp.Statements[:0]
		for _, s := range sp.Statements {
			var existing struct{ Sid string }
			if json.Unmarshal(s, &existing) == nil && existing.Sid == sid {
				continue
			}
			kept = append(kept, s)
		}
		if len(kept) == len(sp.Statements) {
			return errNotFound("Statement %s is not found in resource policy.", sid)
		}
		if len(kept) == 0 {
			return tx.Delete(c.Context, tablePolicies, policyKey(ref))
		}
		sp.Statements = kept
		delete(sp.PrincipalIDs, sid)
		sp.RevisionID = uuid.NewString()
		return store.PutJSON(c.Context, tx, tablePolicies, policyKey(ref), sp)
	})
	if err != nil {
		return nil, err
	}
	l.forgetPolicies(ref.key())
	return nil, nil
}

// principalCondition is lambda:Principal for AddPermission and RemovePermission.
func (l *Lambda) principalCondition(c *api.Call, _ api.Resource, keys api.Keys) {
	var in struct{ Principal string }
	if decodeBody(c, &in) == nil && in.Principal != "" {
		keys.Set("lambda:Principal", in.Principal)
	}
}
