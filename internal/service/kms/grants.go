package kms

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// grant is a KMS grant as the store keeps it. It names its grantee and
// retiring principal by the unique ID IAM gave them when the grant was
// made: a role deleted and created again under the same name is not the
// grantee.
type grant struct {
	ID                string            `json:"id"`
	KeyARN            string            `json:"keyArn"`
	Name              string            `json:"name,omitempty"`
	Grantee           string            `json:"grantee"`
	GranteeID         string            `json:"granteeId"`
	Retiring          string            `json:"retiring,omitempty"`
	RetiringID        string            `json:"retiringId,omitempty"`
	IssuingAccount    string            `json:"issuingAccount"`
	Operations        []string          `json:"operations"`
	Constraints       *GrantConstraints `json:"constraints,omitempty"`
	Created           time.Time         `json:"created"`
	CreatedForService bool              `json:"createdForService,omitempty"`
}

// grantOperations are the operations a grant may allow (GrantOperation).
var grantOperations = []string{
	"Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
	"ReEncryptFrom", "ReEncryptTo", "Sign", "Verify", "GetPublicKey", "CreateGrant",
	"RetireGrant", "DescribeKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
	"GenerateMac", "VerifyMac", "DeriveSharedSecret",
}

// grantPrefix is the store key prefix of kk's grants.
func grantPrefix(kk *key) string { return kk.Account + "/" + kk.Region + "/" + kk.ID + "/" }

// grants returns kk's grants, oldest first by ID order.
func (k *KMS) grants(ctx context.Context, kk *key) ([]grant, error) {
	items, err := k.cfg.Store.List(ctx, grantsTable, grantPrefix(kk), "", 0)
	if err != nil {
		return nil, fmt.Errorf("kms: grants of %s: %w", kk.ARN, err)
	}
	out := make([]grant, 0, len(items))
	for _, it := range items {
		var g grant
		if err := json.Unmarshal(it.Value, &g); err != nil {
			return nil, fmt.Errorf("kms: grant %s: %w", it.Key, err)
		}
		out = append(out, g)
	}
	return out, nil
}

// grantSid is the statement ID a grant's allow carries in the policy a
// request on its key is authorized against: the trail's decision names it.
func grantSid(g *grant) string { return "grant/" + g.ID }

// statement is one policy statement, as the key's effective policy is built.
type statement struct {
	Sid       string                      `json:"Sid"`
	Effect    string                      `json:"Effect"`
	Principal map[string][]string         `json:"Principal"`
	Action    []string                    `json:"Action"`
	Resource  string                      `json:"Resource"`
	Condition map[string]map[string][]any `json:"Condition,omitempty"`
}

func principalElement(id string) map[string][]string {
	if strings.HasSuffix(id, ".amazonaws.com") {
		return map[string][]string{"Service": {id}}
	}
	return map[string][]string{"AWS": {id}}
}

// allowStatements are the allows a grant gives its grantee: its
// operations under its constraints, and CreateGrant for grants of its own
// operations alone. A grantee who gets CreateGrant from a grant may only
// make grants that allow no more than that grant ("Granting CreateGrant
// permission", AWS KMS Developer Guide); a grant with constraints lets no
// one create grants from it, as the constraints of the grants it would
// make cannot be checked against its own.
func (g *grant) allowStatements() []statement {
	var out []statement
	ops := slices.DeleteFunc(slices.Clone(g.Operations), func(op string) bool { return op == "CreateGrant" })
	if len(ops) > 0 {
		out = append(out, g.allowStatement(ops))
	}
	if len(ops) < len(g.Operations) && g.Constraints == nil {
		vals := make([]any, len(g.Operations))
		for i, op := range g.Operations {
			vals[i] = op
		}
		out = append(out, statement{Sid: grantSid(g) + "/create", Effect: "Allow", Principal: principalElement(g.GranteeID),
			Action: []string{"kms:CreateGrant"}, Resource: "*",
			Condition: map[string]map[string][]any{"ForAllValues:StringEquals": {"kms:GrantOperations": vals}}})
	}
	return out
}

// allowStatement is the allow of ops a grant gives its grantee, under its
// constraints.
func (g *grant) allowStatement(ops []string) statement {
	actions := make([]string, len(ops))
	for i, op := range ops {
		actions[i] = "kms:" + op
	}
	st := statement{Sid: grantSid(g), Effect: "Allow", Principal: principalElement(g.GranteeID), Action: actions, Resource: "*"}
	if c := g.Constraints; c != nil {
		eq := map[string][]any{}
		for k, v := range c.EncryptionContextSubset {
			eq["kms:EncryptionContext:"+k] = []any{v}
		}
		for k, v := range c.EncryptionContextEquals {
			eq["kms:EncryptionContext:"+k] = []any{v}
		}
		st.Condition = map[string]map[string][]any{}
		if len(eq) > 0 {
			st.Condition["StringEquals"] = eq
		}
		if c.EncryptionContextEquals != nil {
			if len(c.EncryptionContextEquals) == 0 {
				st.Condition["Null"] = map[string][]any{"kms:EncryptionContextKeys": {"true"}}
			} else {
				keys := slices.Sorted(maps.Keys(c.EncryptionContextEquals))
				vals := make([]any, len(keys))
				for i, k := range keys {
					vals[i] = k
				}
				// A grant constraint's keys match whatever their case, its
				// values exactly (GrantConstraints, AWS KMS API Reference).
				st.Condition["ForAllValues:StringEqualsIgnoreCase"] = map[string][]any{"kms:EncryptionContextKeys": vals}
			}
		}
	}
	return st
}

// retireStatement lets the grant's retiring principal, its grantee when
// the grant allows RetireGrant, and the account in which the grant was
// created (its root, and the principals it delegates kms:RetireGrant to
// in their identity policies) retire it ("Retiring and revoking grants",
// AWS KMS Developer Guide).
func (g *grant) retireStatement() (statement, bool) {
	ids := []string{}
	if g.RetiringID != "" {
		ids = append(ids, g.RetiringID)
	}
	if slices.Contains(g.Operations, "RetireGrant") && !slices.Contains(ids, g.GranteeID) {
		ids = append(ids, g.GranteeID)
	}
	if g.IssuingAccount != "" {
		ids = append(ids, g.IssuingAccount)
	}
	if len(ids) == 0 {
		return statement{}, false
	}
	aws, svc := []string{}, []string{}
	for _, id := range ids {
		if strings.HasSuffix(id, ".amazonaws.com") {
			svc = append(svc, id)
		} else {
			aws = append(aws, id)
		}
	}
	p := map[string][]string{}
	if len(aws) > 0 {
		p["AWS"] = aws
	}
	if len(svc) > 0 {
		p["Service"] = svc
	}
	return statement{Sid: grantSid(g) + "/retire", Effect: "Allow", Principal: p, Action: []string{"kms:RetireGrant"}, Resource: "*"}, true
}

// cachedPolicy is a key's compiled effective policy, with the signature
// of the key policy and grants it was built from.
type cachedPolicy struct {
	sig string
	pol *policy.Policy
}

// maxCachedPolicies bounds the cache of compiled policies.
const maxCachedPolicies = 4096

// keyPolicy returns the policy requests on kk are authorized against: its
// key policy, with the allow statements of its grants.
func (k *KMS) keyPolicy(ctx context.Context, kk *key) (*policy.Policy, error) {
	gs, err := k.grants(ctx, kk)
	if err != nil {
		return nil, err
	}
	var sig strings.Builder
	sig.WriteString(kk.Policy)
	for _, g := range gs {
		sig.WriteString("\x00" + g.ID)
	}
	k.mu.Lock()
	cp := k.policies[kk.ARN]
	k.mu.Unlock()
	if cp != nil && cp.sig == sig.String() {
		return cp.pol, nil
	}
	stmts := make([]statement, 0, len(gs))
	for i := range gs {
		stmts = append(stmts, gs[i].allowStatements()...)
	}
	pol, err := withStatements(kk.Policy, stmts)
	if err != nil {
		return nil, fmt.Errorf("kms: policy of %s: %w", kk.ARN, err)
	}
	k.mu.Lock()
	if len(k.policies) >= maxCachedPolicies {
		clear(k.policies)
	}
	k.policies[kk.ARN] = &cachedPolicy{sig: sig.String(), pol: pol}
	k.mu.Unlock()
	return pol, nil
}

// withStatements parses doc, a key policy, with extra statements appended.
func withStatements(doc string, extra []statement) (*policy.Policy, error) {
	if len(extra) == 0 {
		return policy.Parse(doc, policy.Resource)
	}
	var top struct {
		Version   string          `json:"Version"`
		Id        string          `json:"Id,omitempty"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &top); err != nil {
		return nil, err
	}
	var stmts []json.RawMessage
	if s := bytes.TrimSpace(top.Statement); len(s) > 0 && s[0] == '{' {
		stmts = []json.RawMessage{s}
	} else if err := json.Unmarshal(top.Statement, &stmts); err != nil {
		return nil, err
	}
	for _, st := range extra {
		b, err := json.Marshal(st)
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, b)
	}
	all, err := json.Marshal(stmts)
	if err != nil {
		return nil, err
	}
	top.Statement = all
	b, err := json.Marshal(top)
	if err != nil {
		return nil, err
	}
	return policy.Parse(string(b), policy.Resource)
}

// newGrantID returns a grant ID: 64 hexadecimal digits, as KMS's.
func newGrantID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newGrantToken returns a fresh token for grant g of key keyARN: it names
// both, so that RetireGrant finds the grant by its token alone.
func newGrantToken(keyARN, grantID string) string {
	n := make([]byte, 16)
	_, _ = rand.Read(n)
	return base64.RawURLEncoding.EncodeToString([]byte(keyARN + "\x00" + grantID + "\x00" + hex.EncodeToString(n)))
}

// parseGrantToken returns the key ARN and grant ID a token names.
func parseGrantToken(tok string) (keyARN, grantID string, err error) {
	b, derr := base64.RawURLEncoding.DecodeString(tok)
	parts := strings.Split(string(b), "\x00")
	if derr != nil || len(parts) != 3 || !strings.HasPrefix(parts[0], "arn:aws:kms:") || len(parts[1]) != 64 {
		return "", "", invalidGrantToken()
	}
	return parts[0], parts[1], nil
}

// checkGrantTokens refuses grant tokens that are not KMS's.
func checkGrantTokens(tokens []string) error {
	if len(tokens) > 10 {
		return validation("1 validation error detected: Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	for _, t := range tokens {
		if _, _, err := parseGrantToken(t); err != nil {
			return err
		}
	}
	return nil
}

// principalID returns the unique ID a grant keeps for a principal given
// by ARN (or a service principal's name).
func (k *KMS) principalID(ctx context.Context, arn string) (string, error) {
	if strings.HasSuffix(arn, ".amazonaws.com") && !strings.HasPrefix(arn, "arn:") {
		return arn, nil
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[5] == "root" {
		return parts[4], nil
	}
	if k.cfg.PrincipalID == nil {
		return "", invalidARN("ARN does not refer to a valid principal: %s", arn)
	}
	id, known, err := k.cfg.PrincipalID(ctx, arn)
	if err != nil {
		return "", fmt.Errorf("kms: principal %s: %w", arn, err)
	}
	if !known || id == "" {
		return "", invalidARN("ARN does not refer to a valid principal: %s", arn)
	}
	return id, nil
}

func (k *KMS) grantConditions(c *api.Call, res api.Resource, keys api.Keys) {
	k.keyConditions(c, res, keys)
	var in CreateGrantInput
	if decode(c, &in) != nil {
		return
	}
	if len(in.Operations) > 0 {
		keys.Set("kms:GrantOperations", in.Operations...)
	}
	if in.GranteePrincipal != "" {
		keys.Set("kms:GranteePrincipal", in.GranteePrincipal)
	}
	if in.RetiringPrincipal != "" {
		keys.Set("kms:RetiringPrincipal", in.RetiringPrincipal)
	}
	keys.Set("kms:GrantIsForAWSResource", fmt.Sprint(c.Principal.InvokedBy != ""))
	if in.Constraints != nil {
		var types []string
		if in.Constraints.EncryptionContextEquals != nil {
			types = append(types, "EncryptionContextEquals")
		}
		if in.Constraints.EncryptionContextSubset != nil {
			types = append(types, "EncryptionContextSubset")
		}
		if len(types) > 0 {
			keys.Set("kms:GrantConstraintType", types...)
		}
	}
}

func (k *KMS) createGrant(c *api.Call) (any, error) {
	var in CreateGrantInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if len(in.Operations) == 0 {
		return nil, validation("1 validation error detected: Value null at 'operations' failed to satisfy constraint: Member must not be null")
	}
	for _, op := range in.Operations {
		if !slices.Contains(grantOperations, op) {
			return nil, validation("1 validation error detected: Value '[%s]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [%s]]",
				strings.Join(in.Operations, ", "), strings.Join(grantOperations, ", "))
		}
	}
	if in.Constraints != nil && in.Constraints.EncryptionContextEquals != nil && in.Constraints.EncryptionContextSubset != nil {
		return nil, validation("Grant constraints may contain either EncryptionContextEquals or EncryptionContextSubset, not both.")
	}
	if err := checkGrantTokens(in.GrantTokens); err != nil {
		return nil, err
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	if err := usable(kk); err != nil {
		return nil, err
	}
	gid, err := k.principalID(c.Context, in.GranteePrincipal)
	if err != nil {
		return nil, err
	}
	var rid string
	if in.RetiringPrincipal != "" {
		if rid, err = k.principalID(c.Context, in.RetiringPrincipal); err != nil {
			return nil, err
		}
	}
	g := grant{
		ID: newGrantID(), KeyARN: kk.ARN, Name: in.Name,
		Grantee: in.GranteePrincipal, GranteeID: gid, Retiring: in.RetiringPrincipal, RetiringID: rid,
		IssuingAccount: "arn:aws:iam::" + c.Principal.Account + ":root",
		Operations:     in.Operations, Constraints: in.Constraints, Created: k.cfg.Now().UTC(),
		CreatedForService: c.Principal.InvokedBy != "",
	}
	var id string
	_, err = k.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		id = ""
		if g.Name != "" {
			// A retry of a named grant gets the grant made before.
			items, err := tx.List(c.Context, grantsTable, grantPrefix(kk), "", 0)
			if err != nil {
				return err
			}
			for _, it := range items {
				var have grant
				if err := json.Unmarshal(it.Value, &have); err != nil {
					return err
				}
				if have.sameAs(&g) {
					id = have.ID
					return nil
				}
			}
		}
		id = g.ID
		return store.PutJSON(c.Context, tx, grantsTable, grantPrefix(kk)+g.ID, &g)
	})
	if err != nil {
		return nil, fmt.Errorf("kms: create grant: %w", err)
	}
	return &CreateGrantOutput{GrantId: id, GrantToken: newGrantToken(kk.ARN, id)}, nil
}

// sameAs reports whether o is a retry of g: the same name, grantee,
// retiring principal, operations and constraints.
func (g *grant) sameAs(o *grant) bool {
	a, _ := json.Marshal(g.Constraints)
	b, _ := json.Marshal(o.Constraints)
	return g.Name == o.Name && g.GranteeID == o.GranteeID && g.RetiringID == o.RetiringID &&
		slices.Equal(g.Operations, o.Operations) && bytes.Equal(a, b)
}

// grantEntry is ListGrants' GrantListEntry.
type grantEntry struct {
	KeyId             string            `json:"KeyId"`
	GrantId           string            `json:"GrantId"`
	Name              string            `json:"Name,omitempty"`
	CreationDate      float64           `json:"CreationDate"`
	GranteePrincipal  string            `json:"GranteePrincipal"`
	RetiringPrincipal string            `json:"RetiringPrincipal,omitempty"`
	IssuingAccount    string            `json:"IssuingAccount"`
	Operations        []string          `json:"Operations"`
	Constraints       *GrantConstraints `json:"Constraints,omitempty"`
}

func (g *grant) entry() grantEntry {
	return grantEntry{
		KeyId: g.KeyARN, GrantId: g.ID, Name: g.Name, CreationDate: epoch(g.Created),
		GranteePrincipal: g.Grantee, RetiringPrincipal: g.Retiring, IssuingAccount: g.IssuingAccount,
		Operations: g.Operations, Constraints: g.Constraints,
	}
}

type grantsPage struct {
	Grants     []grantEntry `json:"Grants"`
	NextMarker string       `json:"NextMarker,omitempty"`
	Truncated  bool         `json:"Truncated"`
}

// page returns the entries of gs after marker, up to limit.
func page(gs []grant, marker string, limit int) grantsPage {
	out := grantsPage{Grants: []grantEntry{}}
	for _, g := range gs {
		if marker != "" && g.ID <= marker {
			continue
		}
		if len(out.Grants) == limit {
			out.Truncated, out.NextMarker = true, out.Grants[limit-1].GrantId
			break
		}
		out.Grants = append(out.Grants, g.entry())
	}
	return out
}

func (k *KMS) listGrants(c *api.Call) (any, error) {
	var in struct {
		listInput
		GrantId          string `json:"GrantId"`
		GranteePrincipal string `json:"GranteePrincipal"`
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	gs, err := k.grants(c.Context, kk)
	if err != nil {
		return nil, err
	}
	gs = slices.DeleteFunc(gs, func(g grant) bool {
		return in.GrantId != "" && g.ID != in.GrantId || in.GranteePrincipal != "" && g.Grantee != in.GranteePrincipal
	})
	return page(gs, in.Marker, in.limit()), nil
}

func (k *KMS) listRetirableGrants(c *api.Call) (any, error) {
	var in struct {
		listInput
		RetiringPrincipal string `json:"RetiringPrincipal"`
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if in.RetiringPrincipal == "" {
		return nil, validation("1 validation error detected: Value null at 'retiringPrincipal' failed to satisfy constraint: Member must not be null")
	}
	items, err := k.cfg.Store.List(c.Context, grantsTable, scope(c), "", 0)
	if err != nil {
		return nil, fmt.Errorf("kms: list retirable grants: %w", err)
	}
	var gs []grant
	for _, it := range items {
		var g grant
		if err := json.Unmarshal(it.Value, &g); err != nil {
			return nil, fmt.Errorf("kms: grant %s: %w", it.Key, err)
		}
		if g.Retiring == in.RetiringPrincipal {
			gs = append(gs, g)
		}
	}
	slices.SortFunc(gs, func(a, b grant) int { return strings.Compare(a.ID, b.ID) })
	return page(gs, in.Marker, in.limit()), nil
}

// deleteGrant deletes grant id of kk; NotFoundException when it has none.
func (k *KMS) deleteGrant(ctx context.Context, kk *key, id string) error {
	_, err := k.cfg.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Get(ctx, grantsTable, grantPrefix(kk)+id); err != nil {
			return err
		}
		return tx.Delete(ctx, grantsTable, grantPrefix(kk)+id)
	})
	if errors.Is(err, store.ErrNotFound) {
		return kmsError("NotFoundException", "Grant ID %s not found", id)
	}
	if err != nil {
		return fmt.Errorf("kms: delete grant: %w", err)
	}
	return nil
}

type grantIDInput struct {
	KeyId      string `json:"KeyId"`
	GrantId    string `json:"GrantId"`
	GrantToken string `json:"GrantToken"`
}

func (k *KMS) revokeGrant(c *api.Call) (any, error) {
	var in grantIDInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	if len(in.GrantId) != 64 {
		return nil, invalidGrantID()
	}
	if err := k.deleteGrant(c.Context, kk, in.GrantId); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// retireTarget returns the key and grant RetireGrant names: by token, or
// by key and grant ID.
func (k *KMS) retireTarget(c *api.Call) (*key, string, error) {
	var in RetireGrantInput
	if err := decode(c, &in); err != nil {
		return nil, "", err
	}
	keyID, grantID := in.KeyId, in.GrantId
	if in.GrantToken != "" {
		arn, id, err := parseGrantToken(in.GrantToken)
		if err != nil {
			return nil, "", err
		}
		keyID, grantID = arn, id
	} else if keyID == "" || grantID == "" {
		return nil, "", validation("Either GrantToken, or both KeyId and GrantId must be specified.")
	}
	if len(grantID) != 64 {
		return nil, "", invalidGrantID()
	}
	kk, err := k.resolve(c, keyID)
	if err != nil {
		return nil, "", err
	}
	return kk, grantID, nil
}

// retireResource is the key of the grant RetireGrant names, authorized
// only by that grant: its retiring principal, and its grantee when it
// allows RetireGrant, may retire it (a policy alone cannot allow it).
func (k *KMS) retireResource(c *api.Call) (api.Resource, error) {
	kk, id, err := k.retireTarget(c)
	if err != nil {
		return api.Resource{}, err
	}
	var g grant
	err = store.GetJSON(c.Context, k.cfg.Store, grantsTable, grantPrefix(kk)+id, &g)
	if errors.Is(err, store.ErrNotFound) {
		return api.Resource{}, kmsError("NotFoundException", "Grant ID %s not found", id)
	}
	if err != nil {
		return api.Resource{}, fmt.Errorf("kms: grant %s: %w", id, err)
	}
	res := api.Resource{ARN: kk.ARN, Type: "AWS::KMS::Key", Account: kk.Account, Mode: api.KeyPolicy}
	if st, ok := g.retireStatement(); ok {
		b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []statement{st}})
		if err != nil {
			return api.Resource{}, err
		}
		if res.Policy, err = policy.Parse(string(b), policy.Resource); err != nil {
			return api.Resource{}, fmt.Errorf("kms: grant %s: %w", id, err)
		}
	}
	return res, nil
}

func (k *KMS) retireGrant(c *api.Call) (any, error) {
	kk, id, err := k.retireTarget(c)
	if err != nil {
		return nil, err
	}
	if err := k.deleteGrant(c.Context, kk, id); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
