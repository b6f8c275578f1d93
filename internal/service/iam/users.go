package iam

import (
	"github.com/rolecall/rolecall/internal/api"
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

func createUser(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	path := f.str("Path")
	name := f.str("UserName")
	boundary := f.str("PermissionsBoundary")
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
	if err := userKind.create(i, c, u); err != nil {
		return nil, err
	}
	return userResult{User: i.userXML(u)}, nil
}

// callerUser returns the user a user-optional operation acts on: the named
// user, else the calling IAM user. root is true when the caller is the root
// user and no user is named.
func (i *IAM) callerUser(c *api.Call, f *form) (name string, root bool, err error) {
	if f.has("UserName") {
		return f.v.Get("UserName"), false, nil
	}
	p := c.Principal
	switch {
	case p == nil || p.Type == api.Root:
		return "", true, nil
	case p.Type == api.IAMUser:
		return p.UserName, false, nil
	}
	return "", false, api.ValidationError("Must specify userName when calling with non-User credentials")
}

func getUser(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	f.str("UserName")
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

func listUsers(i *IAM, c *api.Call) (any, error) {
	users, pg, err := listByPath(i, c, userKind, func(u *userRecord) userXML {
		x := i.userXML(u)
		x.Tags = nil
		return x
	})
	if err != nil {
		return nil, err
	}
	return listUsersResult{Users: users, page: pg}, nil
}

func deleteUser(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str("UserName")
	if err := f.err(); err != nil {
		return nil, err
	}
	return nil, userKind.remove(i, c, name)
}
