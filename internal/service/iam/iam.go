// Package iam is the IAM service: roles, users, access keys, inline and
// managed policies, permissions boundaries and the policy simulator, spoken
// over the query protocol (Version 2010-05-08). It also answers the
// in-process questions the gateway and the other services ask: who owns an
// access key, which policies apply to a principal, what a role trusts.
package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/shape"
	"github.com/rolecall/rolecall/internal/store"
)

// Namespace is the XML namespace of IAM responses.
const Namespace = "https://iam.amazonaws.com/doc/2010-05-08/"

// Errors returned by LookupAccessKey.
var (
	// ErrNoSuchKey means the access key id is unknown.
	ErrNoSuchKey = errors.New("iam: no such access key")
	// ErrInactiveKey means the access key exists but is Inactive.
	ErrInactiveKey = errors.New("iam: access key is inactive")
)

// Config configures the IAM service.
type Config struct {
	// Account is the default account: the one whose root key is made at
	// first start and the one a call that names no account acts in.
	Account string
	Store   store.Store
	// Box seals secret access keys at rest.
	Box *crypt.Box
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Feed, when set, feeds the caches of keys, compiled policy sets and
	// roles with the changes of every process sharing Store, so that a
	// change made elsewhere reaches them within the feed's delay. A
	// process's own changes reach its caches at once either way.
	Feed *store.Feed
	// SCPs, when set, returns the service control policies that apply to
	// the principals of account (nil when none do): SimulatePrincipalPolicy
	// includes them, as AWS's simulator does.
	SCPs func(ctx context.Context, account string) (*policy.Gate, error)
}

// IAM is the IAM service. It is safe for concurrent use.
//
// Every role, user, customer managed policy and access key belongs to an
// account. An *IAM value is a view of the service in one account: the
// handlers run on the view of the account the request acts in, and the
// in-process methods pick the view of the account they are asked about.
type IAM struct {
	*core
	account string
}

// core is what every account's view shares.
type core struct {
	store store.Store
	cache *store.Cache // store, caching roles and users
	box   *crypt.Box
	now   func() time.Time

	keys store.Memo[*cachedKey] // long-term access keys looked up so far
	// parsed keeps managed policy documents parsed so far, by kind and the
	// SHA-256 of their text: a document's parse never changes, so nothing
	// is forgotten but for room.
	parsed  store.Memo[*policy.Policy]
	sets    setCache
	keyUses keyUses
	scps    func(ctx context.Context, account string) (*policy.Gate, error)
}

// New opens the IAM service over cfg.Store and makes sure the AWS managed
// policies exist.
func New(ctx context.Context, cfg Config) (*IAM, error) {
	if cfg.Account == "" || cfg.Store == nil || cfg.Box == nil {
		return nil, errors.New("iam: Config needs Account, Store and Box")
	}
	// Roles, users and when roles were last used are read on every
	// AssumeRole and GetRole: their records are kept in memory, forgotten
	// on change.
	cache := store.NewCache(cfg.Store, tableRoles, tableUsers, tableRoleUse)
	i := &IAM{
		core: &core{
			cache: cache,
			store: cache,
			box:   cfg.Box,
			now:   cfg.Now,
			scps:  cfg.SCPs,

			parsed: store.Memo[*policy.Policy]{Max: parsedPolicies},
		},
		account: cfg.Account,
	}
	if i.now == nil {
		i.now = time.Now
	}
	i.sets.init()
	if cfg.Feed != nil {
		cfg.Feed.Subscribe([]string{tableKeys, tableUsers, tableRoles, tableRoleUse, tablePolicies}, i.changed, i.reset)
	}
	if err := i.upgrade(ctx); err != nil {
		return nil, fmt.Errorf("iam: upgrade stored data: %w", err)
	}
	if err := i.seedManaged(ctx); err != nil {
		return nil, fmt.Errorf("iam: seed AWS managed policies: %w", err)
	}
	return i, nil
}

// Service returns the operation table.
func (i *IAM) Service() *api.Service {
	return api.NewService(api.Service{
		Name:         "iam",
		EventSource:  "iam.amazonaws.com",
		Protocols:    []string{"awsQuery"},
		APIVersion:   "2010-05-08",
		XMLNamespace: Namespace,
		Global:       true,
		Validate:     shape.Hook("iam", "ValidationError"),
	}, i.operations()...)
}

// in returns the view of account; "" means the default account.
func (i *IAM) in(account string) *IAM {
	if account == "" || account == i.account {
		return i
	}
	return &IAM{core: i.core, account: account}
}

// Tables and keys that other packages' caches watch on the change feed.
const (
	// RolesTable holds the roles, keyed by RoleKey.
	RolesTable = tableRoles
	// PoliciesTable holds the managed policies.
	PoliciesTable = tablePolicies
)

// RoleKey is the key in RolesTable of the role name in account.
func RoleKey(account, name string) string { return account + "/" + strings.ToLower(name) }

// changed drops what the caches derived from a changed record. Store keys
// of roles and users are "<account>/<lower-case name>".
func (i *IAM) changed(c store.Change) {
	// The record first: the caches below rebuild from it.
	i.cache.Forget(c.Table, c.Key)
	account, name, _ := strings.Cut(c.Key, "/")
	switch c.Table {
	case tableKeys:
		i.keys.Forget(c.Key)
	case tableUsers:
		// Cached keys carry their user's tags (aws:PrincipalTag).
		i.keys.ForgetAll()
		i.sets.invalidate(userKind.cacheKey(account, name))
	case tableRoles:
		i.sets.invalidate(roleKind.cacheKey(account, name))
	case tablePolicies:
		// Any entity's compiled set may include the policy.
		i.sets.invalidateAll()
	}
}

// reset drops every cache: changes may have been missed.
func (i *IAM) reset() {
	i.cache.ForgetAll()
	i.keys.ForgetAll()
	i.sets.invalidateAll()
}

// clock returns the current time truncated to seconds, as IAM reports it.
func (i *IAM) clock() time.Time { return i.now().UTC().Truncate(time.Second) }
