package dynamodb

import (
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// Resource-based policies on tables and streams: PutResourcePolicy,
// GetResourcePolicy and DeleteResourcePolicy. A table's policy is kept in
// its record (Policy, PolicyRevision); a stream's in its table's
// (StreamPolicy, StreamPolicyRevision), so that the cache of table
// records (access.go) holds both, compiled.

// maxPolicySize is the largest resource-based policy DynamoDB keeps, in
// bytes.
const maxPolicySize = 20 * 1024

// noPolicy is the ExpectedRevisionId that asks for no policy to exist.
const noPolicy = "NO_POLICY"

// checkPolicy validates a resource-based policy document as
// PutResourcePolicy does and returns it compiled.
func checkPolicy(doc string) (*policy.Policy, error) {
	if len(doc) > maxPolicySize {
		return nil, validation("Policy document size exceeds the maximum allowed size of 20 KB")
	}
	p, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		return nil, validation("Invalid policy document: %v", err)
	}
	return p, nil
}

// revisionID is a resource policy's RevisionId: the time of the change in
// milliseconds, made larger than the previous one if the clock has not
// moved past it.
func revisionID(nowMillis int64, previous string) string {
	if p, err := strconv.ParseInt(previous, 10, 64); err == nil && nowMillis <= p {
		nowMillis = p + 1
	}
	return strconv.FormatInt(nowMillis, 10)
}

// policySlot is the policy of a table or of its stream, in the table's record.
type policySlot struct {
	doc, rev *string
	kind     string // "table" or "stream", for messages
}

// slot returns the policy ResourceArn names in t.
func slot(t *Table, arn string) policySlot {
	if _, _, _, _, ok := parseStreamARN(arn); ok {
		return policySlot{&t.StreamPolicy, &t.StreamPolicyRevision, "stream"}
	}
	return policySlot{&t.Policy, &t.PolicyRevision, "table"}
}

// policyTable loads, in tx, the table whose policy (or whose stream's)
// ResourceArn names.
func (d *DynamoDB) policyTable(c *api.Call, tx store.Reader, arn string) (*Table, error) {
	if account, region, table, label, ok := parseStreamARN(arn); ok {
		t, err := d.loadTable(c.Context, tx, c, tableARN(region, account, table))
		if err != nil {
			return nil, err
		}
		if t.StreamLabel == "" || t.StreamLabel > label || t.ARN+"/stream/"+label != arn {
			return nil, api.Errorf(400, "ResourceNotFoundException", "Requested resource not found: Stream: %s not found", arn)
		}
		return t, nil
	}
	if !isTableARN(arn) {
		return nil, validation("Invalid TableArn: Invalid ResourceArn provided as input %s", arn)
	}
	return d.loadTable(c.Context, tx, c, arn)
}

// checkRevision checks ExpectedRevisionId against the slot's revision.
func checkRevision(t *Table, s policySlot, expected string) error {
	switch {
	case expected == "":
		return nil
	case expected == noPolicy && *s.rev != "":
		return api.Errorf(400, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: Requested policy update expecting none to be present for %s %s, but a policy exists with revision id %s.", s.kind, t.Name, *s.rev)
	case expected == noPolicy:
		return nil
	case *s.rev == "":
		return api.Errorf(400, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id %s, but the policy associated to target %s %s has no revision id.", expected, s.kind, t.Name)
	case expected != *s.rev:
		return api.Errorf(400, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id %s, but the policy associated to target %s %s has revision id %s.", expected, s.kind, t.Name, *s.rev)
	}
	return nil
}

// putResourcePolicy is PutResourcePolicy: the same document again is no
// change and keeps its revision.
func (d *DynamoDB) putResourcePolicy(c *api.Call) (any, error) {
	var in resourceArnInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if in.Policy == nil || *in.Policy == "" {
		return nil, validation("1 validation error detected: Value null at 'policy' failed to satisfy constraint: Member must not be null")
	}
	if _, err := checkPolicy(*in.Policy); err != nil {
		return nil, err
	}
	var t *Table
	var rev string
	_, err := d.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		var err error
		if t, err = d.policyTable(c, tx, in.ResourceArn); err != nil {
			return err
		}
		s := slot(t, in.ResourceArn)
		if err := checkRevision(t, s, in.ExpectedRevisionId); err != nil {
			return err
		}
		if *s.doc == *in.Policy {
			rev = *s.rev
			return nil
		}
		*s.doc, *s.rev = *in.Policy, revisionID(d.cfg.Now().UnixMilli(), *s.rev)
		rev = *s.rev
		return store.PutJSON(c.Context, tx, tablesTable, tableKey(t.Account, t.Region, t.Name), t)
	})
	if err != nil {
		return nil, err
	}
	d.forgetTable(t)
	out := map[string]any{}
	if rev != "" {
		out["RevisionId"] = rev
	}
	return out, nil
}

// getResourcePolicy is GetResourcePolicy.
func (d *DynamoDB) getResourcePolicy(c *api.Call) (any, error) {
	var in resourceArnInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	t, err := d.policyTable(c, d.cfg.Store, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	s := slot(t, in.ResourceArn)
	if *s.doc == "" {
		return nil, policyNotFound(in.ResourceArn)
	}
	return map[string]any{"Policy": *s.doc, "RevisionId": *s.rev}, nil
}

func policyNotFound(arn string) *api.Error {
	return api.Errorf(400, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: %s", arn)
}

// deletePolicyResource is DeleteResourcePolicy's resource: the account's
// root may delete a policy that denies it, so that no policy locks the
// account out of its own table.
func (d *DynamoDB) deletePolicyResource(c *api.Call) (api.Resource, error) {
	res, err := d.arnResource(c)
	if err == nil && c.Principal != nil && c.Principal.Type == api.Root && c.Principal.Account == res.Account {
		res.Policy = nil
	}
	return res, err
}

// deleteResourcePolicy is DeleteResourcePolicy: without
// ExpectedRevisionId, deleting a policy that is not there succeeds.
func (d *DynamoDB) deleteResourcePolicy(c *api.Call) (any, error) {
	var in resourceArnInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	var t *Table
	var rev string
	_, err := d.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		var err error
		if t, err = d.policyTable(c, tx, in.ResourceArn); err != nil {
			return err
		}
		s := slot(t, in.ResourceArn)
		if err := checkRevision(t, s, in.ExpectedRevisionId); err != nil {
			return err
		}
		if *s.doc == "" {
			return nil
		}
		rev = *s.rev
		*s.doc, *s.rev = "", ""
		return store.PutJSON(c.Context, tx, tablesTable, tableKey(t.Account, t.Region, t.Name), t)
	})
	if err != nil {
		return nil, err
	}
	d.forgetTable(t)
	out := map[string]any{}
	if rev != "" {
		out["RevisionId"] = rev
	}
	return out, nil
}
