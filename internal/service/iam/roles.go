package iam

import (
	"strings"

	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// roleXML renders a role; full adds what only GetRole shows.
func (i *IAM) roleXML(r *roleRecord, full bool) roleXML {
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
	if full {
		x.RoleLastUsed = &roleLastUsedXML{LastUsedDate: iso(r.LastUsed), Region: r.LastRegion}
	}
	return x
}

type roleResult struct {
	Role roleXML `xml:"Role"`
}

func createRole(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	path := f.str("Path", fPath, false)
	name := f.str("RoleName", fRoleName, true)
	doc := f.str("AssumeRolePolicyDocument", fDocument, true)
	desc := f.str("Description", fRoleDesc, false)
	maxSession, ok := f.integer("MaxSessionDuration", 3600, 43200)
	boundary := f.str("PermissionsBoundary", fARN, false)
	tags := f.tags("Tags")
	if err := f.err(); err != nil {
		return nil, err
	}
	if path == "" {
		path = "/"
	}
	if !ok {
		maxSession = defaultSessionLimit
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	if _, err := parseDocument(doc, policy.Trust); err != nil {
		return nil, err
	}
	if policy.Size(doc) > maxTrustSize {
		return nil, limitExceeded("Cannot exceed quota for ACLSizePerRole: %d", maxTrustSize)
	}
	rec := &roleRecord{
		Name:        name,
		Path:        path,
		ID:          uniqueID(prefixRole),
		Created:     i.clock(),
		Trust:       doc,
		Description: desc,
		MaxSession:  maxSession,
		Boundary:    boundary,
		Tags:        tags,
	}
	err := i.update(c.Context, func(tx store.Tx) error {
		have, err := get[roleRecord](c.Context, tx, tableRoles, nameKey(name))
		if err != nil {
			return err
		}
		if have != nil {
			return alreadyExists("Role with name %s already exists.", name)
		}
		if boundary != "" {
			if err := i.useBoundary(c, tx, boundary, 1); err != nil {
				return err
			}
		}
		return put(c.Context, tx, tableRoles, nameKey(name), rec)
	})
	if err != nil {
		return nil, err
	}
	i.sets.invalidate(roleEntity(name))
	return roleResult{Role: i.roleXML(rec, false)}, nil
}

func getRole(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str("RoleName", fRoleName, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	rec, err := i.role(c.Context, i.store, name)
	if err != nil {
		return nil, err
	}
	return roleResult{Role: i.roleXML(rec, true)}, nil
}

type listRolesResult struct {
	Roles list[roleXML] `xml:"Roles"`
	page
}

func listRoles(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	prefix := f.str("PathPrefix", fPathPrefix, false)
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, err
	}
	recs, err := all[roleRecord](c.Context, i.store, tableRoles, "")
	if err != nil {
		return nil, err
	}
	var match []*roleRecord
	for _, r := range recs {
		if strings.HasPrefix(r.Path, prefix) {
			match = append(match, r)
		}
	}
	match, pg, err := paginate(match, func(r *roleRecord) string { return nameKey(r.Name) }, marker, max)
	if err != nil {
		return nil, err
	}
	out := listRolesResult{Roles: list[roleXML]{}, page: pg}
	for _, r := range match {
		x := i.roleXML(r, false)
		x.Tags, x.PermissionsBoundary = nil, nil // ListRoles omits them
		out.Roles = append(out.Roles, x)
	}
	return out, nil
}

// changeRole loads the role named by RoleName, applies fn and stores it.
// fn may return an error to abandon the change.
func (i *IAM) changeRole(c *service.Call, name string, fn func(tx store.Tx, r *roleRecord) error) (*roleRecord, error) {
	var rec *roleRecord
	err := i.update(c.Context, func(tx store.Tx) error {
		r, err := i.role(c.Context, tx, name)
		if err != nil {
			return err
		}
		if err := fn(tx, r); err != nil {
			return err
		}
		rec = r
		return put(c.Context, tx, tableRoles, nameKey(r.Name), r)
	})
	if err != nil {
		return nil, err
	}
	i.sets.invalidate(roleEntity(name))
	return rec, nil
}

func updateRole(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str("RoleName", fRoleName, true)
	desc := f.str("Description", fRoleDesc, false)
	maxSession, hasMax := f.integer("MaxSessionDuration", 3600, 43200)
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

func updateRoleDescription(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str("RoleName", fRoleName, true)
	desc := f.str("Description", fRoleDesc, true)
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
	return roleResult{Role: i.roleXML(rec, false)}, nil
}

func updateAssumeRolePolicy(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str("RoleName", fRoleName, true)
	doc := f.str("PolicyDocument", fDocument, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	if _, err := parseDocument(doc, policy.Trust); err != nil {
		return nil, err
	}
	if policy.Size(doc) > maxTrustSize {
		return nil, limitExceeded("Cannot exceed quota for ACLSizePerRole: %d", maxTrustSize)
	}
	_, err := i.changeRole(c, name, func(_ store.Tx, r *roleRecord) error {
		r.Trust = doc
		return nil
	})
	return nil, err
}

func deleteRole(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str("RoleName", fRoleName, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	err := i.update(c.Context, func(tx store.Tx) error {
		r, err := i.role(c.Context, tx, name)
		if err != nil {
			return err
		}
		if len(r.Attached) > 0 {
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		}
		if len(r.Inline) > 0 {
			return deleteConflict("Cannot delete entity, must delete policies first.")
		}
		if r.Boundary != "" {
			if err := i.useBoundary(c, tx, r.Boundary, -1); err != nil {
				return err
			}
		}
		return del(c.Context, tx, tableRoles, nameKey(r.Name))
	})
	if err != nil {
		return nil, err
	}
	i.sets.invalidate(roleEntity(name))
	return nil, nil
}

func tagRole(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str("RoleName", fRoleName, true)
	tags := f.tags("Tags")
	if tags == nil {
		f.str("Tags", fAny, true)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	_, err := i.changeRole(c, name, func(_ store.Tx, r *roleRecord) error {
		merged := mergeTags(r.Tags, tags)
		if err := tooManyTags(len(merged)); err != nil {
			return err
		}
		r.Tags = merged
		return nil
	})
	return nil, err
}

func untagRole(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str("RoleName", fRoleName, true)
	keys := f.strings("TagKeys", fTagKey, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	_, err := i.changeRole(c, name, func(_ store.Tx, r *roleRecord) error {
		r.Tags = removeTags(r.Tags, keys)
		return nil
	})
	return nil, err
}

type tagsResult struct {
	Tags list[Tag] `xml:"Tags"`
	page
}

func listRoleTags(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str("RoleName", fRoleName, true)
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, err
	}
	r, err := i.role(c.Context, i.store, name)
	if err != nil {
		return nil, err
	}
	return pageTags(r.Tags, marker, max)
}

func pageTags(tags []Tag, marker string, max int) (any, error) {
	// Tags keep their insertion order; the marker is the position.
	ordered := make([]indexed[Tag], len(tags))
	for k, t := range tags {
		ordered[k] = indexed[Tag]{k, t}
	}
	got, pg, err := paginate(ordered, indexed[Tag].key, marker, max)
	if err != nil {
		return nil, err
	}
	out := tagsResult{Tags: list[Tag]{}, page: pg}
	for _, t := range got {
		out.Tags = append(out.Tags, t.v)
	}
	return out, nil
}
