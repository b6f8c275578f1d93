package iam

import (
	"strings"

	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

func (i *IAM) userXML(u *userRecord) userXML {
	return userXML{
		Path:                u.Path,
		UserName:            u.Name,
		UserId:              u.ID,
		Arn:                 i.userARN(u.Path, u.Name),
		CreateDate:          iso(u.Created),
		PermissionsBoundary: boundaryOf(u.Boundary),
		Tags:                u.Tags,
	}
}

type userResult struct {
	User userXML `xml:"User"`
}

func createUser(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	path := f.str("Path", fPath, false)
	name := f.str("UserName", fUserName, true)
	boundary := f.str("PermissionsBoundary", fARN, false)
	tags := f.tags("Tags")
	if err := f.err(); err != nil {
		return nil, err
	}
	if path == "" {
		path = "/"
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	u := &userRecord{
		Name:     name,
		Path:     path,
		ID:       uniqueID(prefixUser),
		Created:  i.clock(),
		Boundary: boundary,
		Tags:     tags,
	}
	err := i.update(c.Context, func(tx store.Tx) error {
		have, err := get[userRecord](c.Context, tx, tableUsers, nameKey(name))
		if err != nil {
			return err
		}
		if have != nil {
			return alreadyExists("User with name %s already exists.", name)
		}
		if boundary != "" {
			if err := i.useBoundary(c, tx, boundary, 1); err != nil {
				return err
			}
		}
		return put(c.Context, tx, tableUsers, nameKey(name), u)
	})
	if err != nil {
		return nil, err
	}
	i.sets.invalidate(userEntity(name))
	return userResult{User: i.userXML(u)}, nil
}

// callerUser returns the user a user-optional operation acts on: the named
// user, else the calling IAM user. root is true when the caller is the root
// user and no user is named.
func (i *IAM) callerUser(c *service.Call, f *form) (name string, root bool, err error) {
	if f.has("UserName") {
		return f.v.Get("UserName"), false, nil
	}
	p := c.Principal
	switch {
	case p == nil || p.Type == service.Root:
		return "", true, nil
	case p.Type == service.IAMUser:
		return p.UserName, false, nil
	}
	return "", false, service.ValidationError("Must specify userName when calling with non-User credentials")
}

func getUser(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	f.str("UserName", fExistUser, false)
	if err := f.err(); err != nil {
		return nil, err
	}
	name, root, err := i.callerUser(c, f)
	if err != nil {
		return nil, err
	}
	if root {
		return userResult{User: userXML{
			UserId:     i.account,
			Arn:        "arn:aws:iam::" + i.account + ":root",
			CreateDate: iso(i.clock()),
		}}, nil
	}
	u, err := i.user(c.Context, i.store, name)
	if err != nil {
		return nil, err
	}
	return userResult{User: i.userXML(u)}, nil
}

type listUsersResult struct {
	Users list[userXML] `xml:"Users"`
	page
}

func listUsers(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	prefix := f.str("PathPrefix", fPathPrefix, false)
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, err
	}
	recs, err := all[userRecord](c.Context, i.store, tableUsers, "")
	if err != nil {
		return nil, err
	}
	var match []*userRecord
	for _, u := range recs {
		if strings.HasPrefix(u.Path, prefix) {
			match = append(match, u)
		}
	}
	match, pg, err := paginate(match, func(u *userRecord) string { return nameKey(u.Name) }, marker, max)
	if err != nil {
		return nil, err
	}
	out := listUsersResult{Users: list[userXML]{}, page: pg}
	for _, u := range match {
		x := i.userXML(u)
		x.Tags = nil
		out.Users = append(out.Users, x)
	}
	return out, nil
}

func deleteUser(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str("UserName", fExistUser, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	err := i.update(c.Context, func(tx store.Tx) error {
		u, err := i.user(c.Context, tx, name)
		if err != nil {
			return err
		}
		switch {
		case len(u.Keys) > 0:
			return deleteConflict("Cannot delete entity, must delete access keys first.")
		case len(u.Attached) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(u.Inline) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		}
		if u.Boundary != "" {
			if err := i.useBoundary(c, tx, u.Boundary, -1); err != nil {
				return err
			}
		}
		return del(c.Context, tx, tableUsers, nameKey(u.Name))
	})
	if err != nil {
		return nil, err
	}
	i.sets.invalidate(userEntity(name))
	return nil, nil
}

func tagUser(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str("UserName", fExistUser, true)
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
	err := i.update(c.Context, func(tx store.Tx) error {
		u, err := i.user(c.Context, tx, name)
		if err != nil {
			return err
		}
		merged := mergeTags(u.Tags, tags)
		if err := tooManyTags(len(merged)); err != nil {
			return err
		}
		u.Tags = merged
		return put(c.Context, tx, tableUsers, nameKey(u.Name), u)
	})
	return nil, err
}

func untagUser(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str("UserName", fExistUser, true)
	keys := f.strings("TagKeys", fTagKey, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	err := i.update(c.Context, func(tx store.Tx) error {
		u, err := i.user(c.Context, tx, name)
		if err != nil {
			return err
		}
		u.Tags = removeTags(u.Tags, keys)
		return put(c.Context, tx, tableUsers, nameKey(u.Name), u)
	})
	return nil, err
}

func listUserTags(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str("UserName", fExistUser, true)
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, err
	}
	u, err := i.user(c.Context, i.store, name)
	if err != nil {
		return nil, err
	}
	return pageTags(u.Tags, marker, max)
}
