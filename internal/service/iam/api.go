package iam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// RoleInfo is what STS and Lambda need to know about a role.
type RoleInfo struct {
	Account string
	ARN     string
	RoleID  string // AROA...
	Name    string
	Path    string
	// Trust is the parsed trust policy; TrustDocument the document as IAM
	// shows it, the users and roles it named that are gone by their IDs.
	Trust         *policy.Policy
	TrustDocument string
	// MaxSessionDuration is the longest session AssumeRole may grant.
	MaxSessionDuration time.Duration
	Tags               []Tag
	// PermissionsBoundary is the ARN of the role's boundary policy, or "".
	PermissionsBoundary string
	Created             time.Time
}

// EnsureRootKey registers the root access key of account ("" for the
// default account). Calling it again with another secret replaces the secret.
func (i *IAM) EnsureRootKey(ctx context.Context, account, accessKeyID, secret string) error {
	if accessKeyID == "" || secret == "" {
		return fmt.Errorf("iam: root key needs an id and a secret")
	}
	account = i.in(account).account
	err := i.update(ctx, func(tx store.Tx) error {
		have, err := get[keyRecord](ctx, tx, tableKeys, accessKeyID)
		if err != nil {
			return err
		}
		if have != nil {
			if have.User != "" {
				return fmt.Errorf("iam: access key %s belongs to user %s", accessKeyID, have.User)
			}
			if have.Account != account {
				return fmt.Errorf("iam: access key %s is the root key of account %s, not of account %s", accessKeyID, have.Account, account)
			}
			if plain, err := i.box.Open(have.Secret, []byte(accessKeyID)); err == nil && string(plain) == secret && have.Status == statusActive {
				return nil
			}
		}
		if have == nil {
			// A new key: the root user keeps AWS's quota of two.
			ids, err := i.in(account).rootKeyIDs(ctx, tx)
			if err != nil {
				return err
			}
			if len(ids) >= maxKeysPerUser {
				return fmt.Errorf("iam: the root user of account %s has %d access keys already (%s), the most AWS allows: "+
					"delete one (aws iam delete-access-key --access-key-id ID, as root) or use one of them", account, len(ids), strings.Join(ids, ", "))
			}
		}
		rec := keyRecord{
			ID:      accessKeyID,
			Account: account,
			Status:  statusActive,
			Secret:  i.box.Seal([]byte(secret), []byte(accessKeyID)),
			Created: i.clock(),
		}
		if have != nil {
			rec.Created = have.Created
		}
		if err := indexRootKey(ctx, tx, account, accessKeyID, true); err != nil {
			return err
		}
		return put(ctx, tx, tableKeys, accessKeyID, rec)
	})
	if err != nil {
		return fmt.Errorf("iam: register root key: %w", err)
	}
	i.keys.Forget(accessKeyID)
	return nil
}

// LookupAccessKey returns the principal and secret of a long-term access
// key (the root key or an IAM user's). It returns ErrNoSuchKey for an
// unknown id and ErrInactiveKey for an inactive key. Answers are cached.
func (i *IAM) LookupAccessKey(ctx context.Context, id string) (*api.Principal, string, error) {
	k, ok, gen := i.keys.Get(id)
	if !ok {
		var err error
		if k, err = i.loadKey(ctx, id, gen); err != nil {
			return nil, "", err
		}
	}
	if !k.active {
		return nil, "", ErrInactiveKey
	}
	p := k.principal
	return &p, k.secret, nil
}

func (i *IAM) loadKey(ctx context.Context, id string, gen uint64) (*cachedKey, error) {
	rec, err := get[keyRecord](ctx, i.store, tableKeys, id)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, ErrNoSuchKey
	}
	secret, err := i.box.Open(rec.Secret, []byte(id))
	if err != nil {
		return nil, fmt.Errorf("iam: open secret of %s: %w", id, err)
	}
	k := &cachedKey{secret: string(secret), active: rec.Status == statusActive}
	in := i.in(rec.Account)
	if rec.User == "" {
		k.principal = api.Principal{
			Type:        api.Root,
			Account:     in.account,
			ARN:         "arn:aws:iam::" + in.account + ":root",
			PrincipalID: in.account,
			AccessKeyID: id,
		}
	} else {
		u, err := get[userRecord](ctx, i.store, tableUsers, in.nameKey(rec.User))
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, ErrNoSuchKey
		}
		k.principal = api.Principal{
			Type:        api.IAMUser,
			Account:     in.account,
			ARN:         in.userARN(u.Path, u.Name),
			PrincipalID: u.ID,
			UserName:    u.Name,
			AccessKeyID: id,
			Tags:        tagMap(u.Tags),
		}
	}
	i.keys.Put(gen, id, k)
	return k, nil
}

// PolicySet returns the compiled policies of an IAM user, or of the role of
// a role session, together with the given session policies. The root user
// has none: it returns nil, nil. A user or role that no longer exists gets
// a set that allows nothing, and so does a session of a role or user whose
// ID is not the current one's of that name (deleted and made again).
func (i *IAM) PolicySet(ctx context.Context, p *api.Principal, session []policy.Named) (*policy.PolicySet, error) {
	if p != nil && p.Type == api.Root {
		return nil, nil
	}
	i, k, name, current, err := i.principalEntity(ctx, p)
	if err != nil {
		return nil, err
	}
	if !current {
		return policy.Compile(policy.SetInput{Session: session}), nil
	}
	entity := k.cacheKey(i.account, name)
	set, d, ok := i.sets.lookup(entity, session)
	if ok {
		return set, nil
	}
	gen := i.sets.generation()
	in, err := i.entityInput(ctx, p, k, name)
	if err != nil {
		return nil, err
	}
	in.Session = session
	set = policy.Compile(in)
	i.sets.put(gen, entity, session, d, set)
	return set, nil
}

// PolicyInput returns the policies PolicySet compiles for p, without
// session policies: the identity-based policies (inline by name, managed
// by ARN) and the permissions boundary of the user, or of the role of a
// role session, as they are now. The root user, a user or role that no
// longer exists, and a session of a role or user made again under its
// name have none (an empty SetInput). It fails for other principal types.
func (i *IAM) PolicyInput(ctx context.Context, p *api.Principal) (policy.SetInput, error) {
	if p != nil && p.Type == api.Root {
		return policy.SetInput{}, nil
	}
	i, k, name, current, err := i.principalEntity(ctx, p)
	if err != nil || !current {
		return policy.SetInput{}, err
	}
	return i.entityInput(ctx, p, k, name)
}

// principalEntity returns the IAM of p's account and the kind and name of
// the user or role whose policies apply to p (a user or role session), and
// whether that entity is still the one p was issued for: a role or user
// made again under a deleted one's name is another (AWS applies a role's
// policies to the sessions of its unique ID).
func (i *IAM) principalEntity(ctx context.Context, p *api.Principal) (_ *IAM, _ *kind, name string, current bool, _ error) {
	if p == nil {
		return nil, nil, "", false, fmt.Errorf("iam: no principal")
	}
	i = i.in(p.Account)
	var k *kind
	switch p.Type {
	case api.IAMUser:
		k, name = userKind, p.UserName
	case api.AssumedRole:
		k, name = roleKind, p.RoleName
		if name == "" {
			name = p.RoleARN[strings.LastIndexByte(p.RoleARN, '/')+1:]
		}
	default:
		return nil, nil, "", false, fmt.Errorf("iam: principal type %s has no identity policies", p.Type)
	}
	if p.Type == api.AssumedRole && p.RoleID != "" {
		info, err := i.Role(ctx, i.account, name)
		var se *api.Error
		switch {
		case errors.As(err, &se) && se.Code == "NoSuchEntity":
		case err != nil:
			return nil, nil, "", false, fmt.Errorf("iam: policies of %s: %w", p.ARN, err)
		case info.RoleID != p.RoleID:
			return i, k, name, false, nil
		}
	}
	if p.Type == api.IAMUser && p.Claims != nil && p.PrincipalID != "" {
		// The same for a user's session (GetSessionToken).
		rec, err := i.user(ctx, i.store, name)
		var se *api.Error
		switch {
		case errors.As(err, &se) && se.Code == "NoSuchEntity":
		case err != nil:
			return nil, nil, "", false, fmt.Errorf("iam: policies of %s: %w", p.ARN, err)
		case rec.ID != p.PrincipalID:
			return i, k, name, false, nil
		}
	}
	return i, k, name, true, nil
}

// entityInput loads the identity policies and boundary of the entity k
// names; an entity that no longer exists has none.
func (i *IAM) entityInput(ctx context.Context, p *api.Principal, k *kind, name string) (policy.SetInput, error) {
	e, err := k.load(i, ctx, i.store, name)
	var se *api.Error
	switch {
	case errors.As(err, &se) && se.Code == "NoSuchEntity":
		// A session of a deleted role (or a key of a deleted user) keeps
		// no permissions: an empty set denies everything.
		return policy.SetInput{}, nil
	case err != nil:
		return policy.SetInput{}, fmt.Errorf("iam: policies of %s: %w", p.ARN, err)
	}
	in, err := i.setInput(ctx, i.store, e)
	if err != nil {
		return policy.SetInput{}, fmt.Errorf("iam: policies of %s: %w", p.ARN, err)
	}
	return in, nil
}

// setInput gathers an entity's identity policies (inline, then attached
// managed policies at their default version) and its boundary.
func (i *IAM) setInput(ctx context.Context, r store.Reader, e entity) (policy.SetInput, error) {
	var in policy.SetInput
	for _, p := range *e.inlines() {
		parsed, err := policy.Parse(p.Doc, policy.Identity)
		if err != nil {
			return in, fmt.Errorf("inline policy %s: %w", p.Name, err)
		}
		in.Identity = append(in.Identity, policy.Named{ID: p.Name, Policy: parsed})
	}
	for _, arn := range *e.attached() {
		parsed, err := i.managed(ctx, r, arn, policy.Identity)
		if err != nil {
			return in, err
		}
		if parsed != nil {
			in.Identity = append(in.Identity, policy.Named{ID: arn, Policy: parsed})
		}
	}
	if arn := *e.boundary(); arn != "" {
		parsed, err := i.managed(ctx, r, arn, policy.Boundary)
		if err != nil {
			return in, err
		}
		if parsed != nil {
			in.Boundary = &policy.Named{ID: arn, Policy: parsed}
		}
	}
	return in, nil
}

// parsedPolicies bounds the managed policy documents kept parsed: the AWS
// managed policies in use and the customer managed ones.
const parsedPolicies = 1024

// managed parses the default version of a managed policy; nil if it is
// gone. A document parsed before, under the same kind, is not parsed again
// (large AWS managed policies such as ReadOnlyAccess take milliseconds).
func (i *IAM) managed(ctx context.Context, r store.Reader, arn string, kind policy.Kind) (*policy.Policy, error) {
	rec, _, err := i.policy(ctx, r, arn)
	if err != nil || rec == nil {
		return nil, err
	}
	doc := rec.defaultDoc()
	sum := sha256.Sum256([]byte(doc))
	key := strconv.Itoa(int(kind)) + ":" + hex.EncodeToString(sum[:])
	parsed, ok, gen := i.parsed.Get(key)
	if ok {
		return parsed, nil
	}
	parsed, err = policy.Parse(doc, kind)
	if err != nil {
		return nil, fmt.Errorf("managed policy %s: %w", arn, err)
	}
	// The generation does not matter: the key is the document itself.
	i.parsed.Put(gen, key, parsed)
	return parsed, nil
}

// Role describes the role name in account ("" for the default account),
// or returns NoSuchEntity.
func (i *IAM) Role(ctx context.Context, account, name string) (*RoleInfo, error) {
	i = i.in(account)
	if info := i.sets.role(i.account, name); info != nil {
		return info, nil
	}
	gen := i.sets.generation()
	rec, err := i.role(ctx, i.store, name)
	if err != nil {
		return nil, err
	}
	doc, err := i.trustDocument(ctx, i.store, rec)
	if err != nil {
		return nil, err
	}
	trust, err := policy.Parse(doc, policy.Trust)
	if err != nil {
		return nil, fmt.Errorf("iam: trust policy of role %s: %w", rec.Name, err)
	}
	info := &RoleInfo{
		Account:             i.account,
		ARN:                 i.roleARN(rec.Path, rec.Name),
		RoleID:              rec.ID,
		Name:                rec.Name,
		Path:                rec.Path,
		Trust:               trust,
		TrustDocument:       doc,
		MaxSessionDuration:  time.Duration(rec.MaxSession) * time.Second,
		Tags:                append([]Tag(nil), rec.Tags...),
		PermissionsBoundary: rec.Boundary,
		Created:             rec.Created,
	}
	i.sets.putRole(gen, info)
	return info, nil
}

// RoleByARN describes the role arn names (arn:aws:iam::ACCT:role/path/name).
func (i *IAM) RoleByARN(ctx context.Context, arn string) (*RoleInfo, error) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	acct, res, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || !strings.HasPrefix(res, "role/") {
		return nil, invalidInput("ARN %s is not valid.", arn)
	}
	name := res[strings.LastIndexByte(res, '/')+1:]
	info, err := i.Role(ctx, acct, name)
	if err != nil {
		return nil, err
	}
	if info.ARN != arn {
		return nil, noSuchEntity("The role with name %s cannot be found.", name)
	}
	return info, nil
}

// ManagedPolicy returns the default version of a managed policy, parsed as
// a session policy (for AssumeRole's PolicyArns). The policy is AWS managed
// or belongs to the account its ARN names.
func (i *IAM) ManagedPolicy(ctx context.Context, arn string) (*policy.Policy, error) {
	rec, _, err := i.in(arnAccount(arn)).policy(ctx, i.store, arn)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, noSuchEntity("Policy %s was not found.", arn)
	}
	p, err := policy.Parse(rec.defaultDoc(), policy.Session)
	if err != nil {
		return nil, fmt.Errorf("iam: managed policy %s: %w", arn, err)
	}
	return p, nil
}

// tagMap returns tags as the aws:PrincipalTag/* keys see them, or nil.
func tagMap(tags []Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// PrincipalTags returns the tags of the role a role session belongs to, for
// aws:PrincipalTag/*.
func (i *IAM) PrincipalTags(ctx context.Context, roleARN string) (map[string]string, error) {
	ri, err := i.RoleByARN(ctx, roleARN)
	if err != nil {
		return nil, err
	}
	return tagMap(ri.Tags), nil
}
