package iam

import (
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// roleXML renders a role; GetRole adds RoleLastUsed.
func (i *IAM) roleXML(r *roleRecord) roleXML {
	x := roleXML{
		Path:                     r.Path,
		RoleName:                 r.Name,
		RoleId:                   r.ID,
		Arn:                      i.roleARN(r.Path, r.Name),
		CreateDate:               iso(r.Created),
		AssumeRolePolicyDocument: encodeDocument(r.Trust),
		Description:              r.Description,
		MaxSessionDuration:       r.MaxSession,
		PermissionsBoundary:      boundaryOf(r.Boundary),
		Tags:                     r.Tags,
	}
	return x
}

type roleResult struct {
	Role roleXML `xml:"Role"`
}

// serviceRolePath is the path prefix of service-linked roles.
const serviceRolePath = "/aws-service-role/"

func createRole(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	path := f.str("Path")
	name := f.str("RoleName")
	doc := f.str("AssumeRolePolicyDocument")
	desc := f.str("Description")
	maxSession, ok := f.integer("MaxSessionDuration")
	boundary := f.str("PermissionsBoundary")
	tags := f.tags("Tags")
	if err := f.err(); err != nil {
		return nil, err
	}
	if path == "" {
		path = "/"
	}
	if strings.HasPrefix(path, serviceRolePath) {
		// Service-linked roles live there, out of reach of SCPs: only
		// their services create them.
		return nil, invalidInput("Path prefix '%s' can only be used for AWS Service linked Roles", serviceRolePath)
	}
	if !ok {
		maxSession = defaultSessionLimit
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	trust, err := parseDocument(doc, policy.Trust)
	if err != nil {
		return nil, err
	}
	if policy.Size(doc) > maxTrustSize {
		return nil, limitExceeded("Cannot exceed quota for ACLSizePerRole: %d", maxTrustSize)
	}
	doc, trust, err = accountRoots(doc, trust)
	if err != nil {
		return nil, err
	}
	principals, err := i.principalIDs(c.Context, i.store, trust)
	if err != nil {
		return nil, err
	}
	rec := &roleRecord{
		Name:        name,
		Path:        path,
		ID:          uniqueID(prefixRole),
		Created:     i.clock(),
		Trust:       doc,
		Principals:  principals,
		Description: desc,
		MaxSession:  maxSession,
		Boundary:    boundary,
		Tags:        tags,
	}
	if err := roleKind.create(i, c, rec); err != nil {
		return nil, err
	}
	// CreateRole answers without MaxSessionDuration, as AWS does; GetRole
	// and ListRoles show it.
	x := i.roleXML(rec)
	x.MaxSessionDuration = 0
	return roleResult{Role: x}, nil
}

func getRole(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str("RoleName")
	if err := f.err(); err != nil {
		return nil, err
	}
	rec, err := i.role(c.Context, i.store, name)
	if err != nil {
		return nil, err
	}
	if rec, err = i.shown(c.Context, i.store, rec); err != nil {
		return nil, err
	}
	used, err := i.roleLastUsed(c.Context, i.store, rec)
	if err != nil {
		return nil, err
	}
	x := i.roleXML(rec)
	lu := used.roleXML()
	x.RoleLastUsed = &lu
	return roleResult{Role: x}, nil
}

type listRolesResult struct {
	Roles list[roleXML] `xml:"Roles"`
	page
}

func listRoles(i *IAM, c *api.Call) (any, error) {
	var shownErr error
	roles, pg, err := listByPath(i, c, roleKind, func(r *roleRecord) roleXML {
		r, err := i.shown(c.Context, i.store, r)
		if err != nil && shownErr == nil {
			shownErr = err
		}
		x := i.roleXML(r)
		x.Tags, x.PermissionsBoundary = nil, nil // ListRoles omits them
		return x
	})
	if err == nil {
		err = shownErr
	}
	if err != nil {
		return nil, err
	}
	return listRolesResult{Roles: roles, page: pg}, nil
}

// changeRole loads the role named by RoleName, applies fn and stores it.
// fn may return an error to abandon the change.
func (i *IAM) changeRole(c *api.Call, name string, fn func(tx store.Tx, r *roleRecord) error) (*roleRecord, error) {
	var rec *roleRecord
	err := roleKind.change(i, c, name, func(tx store.Tx, e entity) error {
		rec = e.(*roleRecord)
		return fn(tx, rec)
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

func updateRole(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str("RoleName")
	desc := f.str("Description")
	maxSession, hasMax := f.integer("MaxSessionDuration")
	if err := f.err(); err != nil {
		return nil, err
	}
	hasDesc := f.has("Description")
	_, err := i.changeRole(c, name, func(_ store.Tx, r *roleRecord) error {
		if hasDesc {
			r.Description = desc
		}
		if hasMax {
			r.MaxSession = maxSession
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func updateRoleDescription(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str("RoleName")
	desc := f.str("Description")
	if err := f.err(); err != nil {
		return nil, err
	}
	rec, err := i.changeRole(c, name, func(_ store.Tx, r *roleRecord) error {
		r.Description = desc
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rec, err = i.shown(c.Context, i.store, rec); err != nil {
		return nil, err
	}
	return roleResult{Role: i.roleXML(rec)}, nil
}

func updateAssumeRolePolicy(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str("RoleName")
	doc := f.str("PolicyDocument")
	if err := f.err(); err != nil {
		return nil, err
	}
	trust, err := parseDocument(doc, policy.Trust)
	if err != nil {
		return nil, err
	}
	if policy.Size(doc) > maxTrustSize {
		return nil, limitExceeded("Cannot exceed quota for ACLSizePerRole: %d", maxTrustSize)
	}
	doc, trust, err = accountRoots(doc, trust)
	if err != nil {
		return nil, err
	}
	_, err = i.changeRole(c, name, func(tx store.Tx, r *roleRecord) error {
		// Read in the transaction: a principal deleted meanwhile is refused.
		principals, err := i.principalIDs(c.Context, tx, trust)
		if err != nil {
			return err
		}
		r.Trust, r.Principals = doc, principals
		return nil
	})
	return nil, err
}

func deleteRole(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str("RoleName")
	if err := f.err(); err != nil {
		return nil, err
	}
	return nil, roleKind.remove(i, c, name)
}
