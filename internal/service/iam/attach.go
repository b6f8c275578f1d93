package iam

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Attach{Role,User}Policy, Detach{Role,User}Policy, ListAttached{Role,User}Policies.

// policyArgs reads the entity name and the PolicyArn that attaching and
// detaching take.
func (k *kind) policyArgs(c *api.Call) (name, arn string, err error) {
	f := newForm(c)
	name = f.str(k.param)
	arn = f.str("PolicyArn")
	if err := f.err(); err != nil {
		return "", "", err
	}
	if !validARN(arn) {
		return "", "", invalidInput("ARN %s is not valid.", arn)
	}
	return name, arn, nil
}

func (k *kind) attachPolicy(i *IAM, c *api.Call) (any, error) {
	name, arn, err := k.policyArgs(c)
	if err != nil {
		return nil, err
	}
	err = k.change(i, c, name, func(tx store.Tx, e entity) error {
		p, _, err := i.policy(c.Context, tx, arn)
		if err != nil {
			return err
		}
		if p == nil {
			return noSuchEntity("Policy %s does not exist or is not attachable.", arn)
		}
		have := *e.attached()
		if slices.Contains(have, arn) {
			return nil
		}
		if len(have) >= maxAttached {
			return limitExceeded("Cannot exceed quota for PoliciesPer%s: %d", title(k.noun), maxAttached)
		}
		*e.attached() = append(have, arn)
		p.Attachments++
		return i.putUses(c.Context, tx, p)
	})
	return nil, err
}

func (k *kind) detachPolicy(i *IAM, c *api.Call) (any, error) {
	name, arn, err := k.policyArgs(c)
	if err != nil {
		return nil, err
	}
	err = k.change(i, c, name, func(tx store.Tx, e entity) error {
		next, ok := removeString(*e.attached(), arn)
		if !ok {
			return noSuchEntity("Policy %s was not found.", arn)
		}
		*e.attached() = next
		p, _, err := i.policy(c.Context, tx, arn)
		if err != nil || p == nil {
			return err
		}
		p.Attachments = max(0, p.Attachments-1)
		return i.putUses(c.Context, tx, p)
	})
	return nil, err
}

type attachedResult struct {
	AttachedPolicies list[attachedPolicyXML] `xml:"AttachedPolicies"`
	page
}

func (k *kind) listAttached(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str(k.param)
	prefix := f.str("PathPrefix")
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, err
	}
	e, err := k.load(i, c.Context, i.store, name)
	if err != nil {
		return nil, err
	}
	var items []indexed[attachedPolicyXML]
	for n, arn := range *e.attached() {
		pname, path := splitPolicyARN(arn)
		if !strings.HasPrefix(path, prefix) {
			continue
		}
		items = append(items, indexed[attachedPolicyXML]{n, attachedPolicyXML{PolicyName: pname, PolicyArn: arn}})
	}
	got, pg, err := pageList(items, indexed[attachedPolicyXML].key, marker, max, indexed[attachedPolicyXML].value)
	if err != nil {
		return nil, err
	}
	return attachedResult{AttachedPolicies: got, page: pg}, nil
}

// splitPolicyARN returns the name and path of a managed policy ARN.
func splitPolicyARN(arn string) (name, path string) {
	_, res, _ := strings.Cut(arn, ":policy")
	slash := strings.LastIndexByte(res, '/')
	if slash < 0 {
		return res, "/"
	}
	return res[slash+1:], res[:slash+1]
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

type policyRoleXML struct {
	RoleName string `xml:"RoleName"`
	RoleId   string `xml:"RoleId"`
}

type policyUserXML struct {
	UserName string `xml:"UserName"`
	UserId   string `xml:"UserId"`
}

type entitiesResult struct {
	PolicyGroups list[struct{}]      `xml:"PolicyGroups"`
	PolicyUsers  list[policyUserXML] `xml:"PolicyUsers"`
	PolicyRoles  list[policyRoleXML] `xml:"PolicyRoles"`
	page
}

func listEntitiesForPolicy(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	arn := f.str("PolicyArn")
	filter := f.str("EntityFilter")
	prefix := f.str("PathPrefix")
	usage := f.str("PolicyUsageFilter")
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, err
	}
	p, err := i.mustPolicy(c, i.store, arn)
	if err != nil {
		return nil, err
	}
	uses := func(e *policyEntity) bool {
		switch usage {
		case "PermissionsPolicy":
			return e.Attached
		case "PermissionsBoundary":
			return e.Boundary
		}
		return e.Attached || e.Boundary
	}
	// The index holds the policy's roles, then its users, by name: the
	// listing's order. The Marker holds the last "r/<name>" or "u/<name>"
	// returned.
	after, err := marker.after()
	if err != nil {
		return nil, err
	}
	base := i.prefix() + p.ARN + " "
	from := base
	switch filter {
	case "Role":
		from += "r/"
	case "User":
		from += "u/"
	}
	start := ""
	if after != "" {
		start = base + after
	}
	var hits []string
	var got []*policyEntity
	for len(got) <= max {
		items, err := i.store.List(c.Context, tablePolicyEntities, from, start, max+1)
		if err != nil {
			return nil, fmt.Errorf("iam: list %s: %w", tablePolicyEntities, err)
		}
		recs, err := decodeAll[policyEntity](tablePolicyEntities, items)
		if err != nil {
			return nil, err
		}
		for n, e := range recs {
			if len(got) <= max && uses(e) && strings.HasPrefix(e.Path, prefix) {
				got = append(got, e)
				hits = append(hits, strings.TrimPrefix(items[n].Key, base))
			}
		}
		if len(items) <= max {
			break
		}
		start = items[len(items)-1].Key
	}
	pg := page{}
	if len(got) > max {
		got, hits = got[:max], hits[:max]
		pg = page{IsTruncated: true, Marker: api.EncodeToken(marker.scope, hits[max-1])}
	}
	out := entitiesResult{PolicyGroups: list[struct{}]{}, PolicyUsers: list[policyUserXML]{}, PolicyRoles: list[policyRoleXML]{}, page: pg}
	for n, e := range got {
		if strings.HasPrefix(hits[n], "u/") {
			out.PolicyUsers = append(out.PolicyUsers, policyUserXML{e.Name, e.ID})
		} else {
			out.PolicyRoles = append(out.PolicyRoles, policyRoleXML{e.Name, e.ID})
		}
	}
	return out, nil
}
