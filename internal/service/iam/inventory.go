package iam

import (
	"context"
	"strings"
	"time"
)

// Entity types, as Access Analyzer names the resources of unused access
// findings.
const (
	RoleType = "AWS::IAM::Role"
	UserType = "AWS::IAM::User"
)

// Entity is an IAM role or user of an account as unused access analysis
// reads it: what it is, since when it exists, and the uses IAM itself
// records (a role's RoleLastUsed, a user's access keys' last use).
type Entity struct {
	Type    string // RoleType or UserType
	ARN     string
	Name    string
	Path    string
	ID      string // AROA... or AIDA...
	Created time.Time
	Tags    map[string]string
	// LastAssumed is when a role was last assumed (GetRole's
	// RoleLastUsed); zero if never, and for users.
	LastAssumed time.Time
	// Keys are a user's access keys, in creation order.
	Keys []KeyUse
}

// KeyUse is an access key with its last use, as GetAccessKeyLastUsed
// reports it.
type KeyUse struct {
	ID      string
	Status  string // "Active" or "Inactive"
	Created time.Time
	// LastUsed is zero when the key never signed a request; Service and
	// Region are then "".
	LastUsed time.Time
	Service  string
	Region   string
}

// Entities returns the roles and then the users of account ("" for the
// default account), each in name order, read in one consistent view.
func (i *IAM) Entities(ctx context.Context, account string) ([]Entity, error) {
	i = i.in(account)
	roles, err := all[roleRecord](ctx, i.store, tableRoles, i.prefix())
	if err != nil {
		return nil, err
	}
	used, err := i.rolesLastUsed(ctx, i.store)
	if err != nil {
		return nil, err
	}
	users, err := all[userRecord](ctx, i.store, tableUsers, i.prefix())
	if err != nil {
		return nil, err
	}
	out := make([]Entity, 0, len(roles)+len(users))
	for _, r := range roles {
		out = append(out, Entity{Type: RoleType, ARN: i.roleARN(r.Path, r.Name), Name: r.Name, Path: r.Path, ID: r.ID,
			Created: r.Created, Tags: tagMap(r.Tags), LastAssumed: used[r.ID].At})
	}
	for _, u := range users {
		e := Entity{Type: UserType, ARN: i.userARN(u.Path, u.Name), Name: u.Name, Path: u.Path, ID: u.ID,
			Created: u.Created, Tags: tagMap(u.Tags)}
		for _, id := range u.Keys {
			k, err := get[keyRecord](ctx, i.store, tableKeys, id)
			if err != nil {
				return nil, err
			}
			if k == nil {
				continue // deleted since the user was read
			}
			ku := KeyUse{ID: k.ID, Status: k.Status, Created: k.Created}
			lu, err := get[lastUsedRecord](ctx, i.store, tableKeyUse, id)
			if err != nil {
				return nil, err
			}
			if lu != nil {
				ku.LastUsed, ku.Service, ku.Region = lu.At, lu.Service, lu.Region
			}
			e.Keys = append(e.Keys, ku)
		}
		out = append(out, e)
	}
	return out, nil
}

// Entity returns the role or user arn names, or NoSuchEntity.
func (i *IAM) Entity(ctx context.Context, arn string) (*Entity, error) {
	account, kind, err := entityOf(arn)
	if err != nil {
		return nil, err
	}
	all, err := i.Entities(ctx, account)
	if err != nil {
		return nil, err
	}
	for k := range all {
		if all[k].ARN == arn && all[k].Type == kind {
			return &all[k], nil
		}
	}
	return nil, noSuchEntity("The entity %s cannot be found.", arn)
}

// entityOf returns the account and entity type of a role or user ARN
// (arn:aws:iam::ACCOUNT:role/PATH/NAME, arn:aws:iam::ACCOUNT:user/PATH/NAME).
func entityOf(arn string) (account, kind string, err error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" && len(parts[4]) == 12 {
		switch {
		case strings.HasPrefix(parts[5], "role/"):
			return parts[4], RoleType, nil
		case strings.HasPrefix(parts[5], "user/"):
			return parts[4], UserType, nil
		}
	}
	return "", "", noSuchEntity("The entity %s cannot be found.", arn)
}
