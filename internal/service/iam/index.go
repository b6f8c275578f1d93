package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Index tables. Each is written in the transaction that writes the records
// it indexes, so a list that filters reads the index entries it selects
// instead of every record of the account.
const (
	// tablePaths indexes roles and users by path:
	// "<account>/<noun><path> <name lowercased>" -> the name. Neither paths
	// nor names hold a space, so a PathPrefix is a key prefix.
	tablePaths = "iam_paths"
	// tableRootKeys indexes the access keys of root users:
	// "<account>/<access key id>" -> the id.
	tableRootKeys = "iam_root_keys"
)

// pathKey is the tablePaths key of an entity of kind k.
func (k *kind) pathKey(account, path, name string) string {
	return account + "/" + k.noun + path + " " + strings.ToLower(name)
}

// indexPath adds (add) or removes the tablePaths entry of e.
func (k *kind) indexPath(ctx context.Context, tx store.Tx, account string, e entity, add bool) error {
	key := k.pathKey(account, e.path(), e.name())
	if !add {
		return del(ctx, tx, tablePaths, key)
	}
	if err := tx.Put(ctx, tablePaths, key, []byte(e.name())); err != nil {
		return fmt.Errorf("iam: write %s/%s: %w", tablePaths, key, err)
	}
	return nil
}

// indexRootKey adds (add) or removes the tableRootKeys entry of a root
// user's access key.
func indexRootKey(ctx context.Context, tx store.Tx, account, id string, add bool) error {
	key := account + "/" + id
	if !add {
		return del(ctx, tx, tableRootKeys, key)
	}
	if err := tx.Put(ctx, tableRootKeys, key, []byte(id)); err != nil {
		return fmt.Errorf("iam: write %s/%s: %w", tableRootKeys, key, err)
	}
	return nil
}

// rootKeyIDs returns the ids of the access keys of the view's account's
// root user.
func (i *IAM) rootKeyIDs(ctx context.Context, r store.Reader) ([]string, error) {
	items, err := r.List(ctx, tableRootKeys, i.prefix(), "", 0)
	if err != nil {
		return nil, fmt.Errorf("iam: list %s: %w", tableRootKeys, err)
	}
	ids := make([]string, len(items))
	for n, it := range items {
		ids[n] = strings.TrimPrefix(it.Key, i.prefix())
	}
	return ids, nil
}

// decodeAll decodes the JSON records of items.
func decodeAll[T any](table string, items []store.Item) ([]*T, error) {
	out := make([]*T, 0, len(items))
	for _, it := range items {
		v := new(T)
		if err := json.Unmarshal(it.Value, v); err != nil {
			return nil, fmt.Errorf("iam: read %s/%s: %w", table, it.Key, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// listByPath pages the entities of kind k whose path starts with
// PathPrefix, in the order of their lowercased names, and renders the page:
// what ListRoles and ListUsers share. The Marker holds the last name
// returned. Without a PathPrefix (or with "/", which every path starts
// with) the page is read from the entity table, whose keys are in that
// order: it reads the records it returns and one more. With a PathPrefix
// the path index's entries under the prefix are read (keys only), and then
// the page's records.
func listByPath[T any, P interface {
	*T
	entity
}, X any](i *IAM, c *api.Call, k *kind, render func(P) X) (list[X], page, error) {
	f := newForm(c)
	prefix := f.str("PathPrefix")
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, page{}, err
	}
	after, err := marker.after()
	if err != nil {
		return nil, page{}, err
	}
	var recs []*T
	if prefix == "" || prefix == "/" {
		start := ""
		if after != "" {
			start = i.prefix() + after
		}
		items, err := i.store.List(c.Context, k.table, i.prefix(), start, max+1)
		if err != nil {
			return nil, page{}, fmt.Errorf("iam: list %s: %w", k.table, err)
		}
		if recs, err = decodeAll[T](k.table, items); err != nil {
			return nil, page{}, err
		}
	} else {
		var err error
		if recs, err = byPath[T](c.Context, i, k, prefix, after, max+1); err != nil {
			return nil, page{}, err
		}
	}
	pg := page{}
	if len(recs) > max {
		recs = recs[:max]
		pg = page{IsTruncated: true, Marker: api.EncodeToken(marker.scope, strings.ToLower(P(recs[max-1]).name()))}
	}
	out := make(list[X], 0, len(recs))
	for _, r := range recs {
		out = append(out, render(r))
	}
	return out, pg, nil
}

// maxPathsMerged is how many distinct paths under a PathPrefix byPath
// pages path by path; beyond it, it reads every index entry under the
// prefix.
const maxPathsMerged = 32

// byPath reads up to limit entities of kind k in the view's account whose
// path starts with prefix and whose lowercased name sorts after after, in
// name order. The index holds each path's names in order, so with few
// distinct paths under the prefix it reads up to limit names of each
// (found by skipping from path to path) and merges them; with many it reads
// the names of every entry under the prefix. Then it reads the records.
func byPath[T any](ctx context.Context, i *IAM, k *kind, prefix, after string, limit int) ([]*T, error) {
	base := i.prefix() + k.noun
	var names []string
	paths, err := pathsUnder(ctx, i.store, base, prefix, maxPathsMerged)
	if err != nil {
		return nil, err
	}
	if paths != nil {
		for _, p := range paths {
			from, start := base+p+" ", ""
			if after != "" {
				start = from + after
			}
			items, err := i.store.List(ctx, tablePaths, from, start, limit)
			if err != nil {
				return nil, fmt.Errorf("iam: list %s: %w", tablePaths, err)
			}
			for _, it := range items {
				names = append(names, strings.TrimPrefix(it.Key, from))
			}
		}
	} else {
		items, err := i.store.List(ctx, tablePaths, base+prefix, "", 0)
		if err != nil {
			return nil, fmt.Errorf("iam: list %s: %w", tablePaths, err)
		}
		for _, it := range items {
			if name := it.Key[strings.LastIndexByte(it.Key, ' ')+1:]; name > after {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	names = names[:min(limit, len(names))]
	out := make([]*T, 0, len(names))
	for _, name := range names {
		rec, err := get[T](ctx, i.store, k.table, i.nameKey(name))
		if err != nil {
			return nil, err
		}
		if rec != nil { // deleted since the index was read
			out = append(out, rec)
		}
	}
	return out, nil
}

// pathsUnder returns the distinct paths of the tablePaths entries under
// base whose path starts with prefix, in order, reading one entry per
// path; nil when there are more than max.
func pathsUnder(ctx context.Context, r store.Reader, base, prefix string, max int) ([]string, error) {
	paths := []string{}
	start := ""
	for {
		items, err := r.List(ctx, tablePaths, base+prefix, start, 1)
		if err != nil {
			return nil, fmt.Errorf("iam: list %s: %w", tablePaths, err)
		}
		if len(items) == 0 {
			return paths, nil
		}
		if len(paths) == max {
			return nil, nil
		}
		key := items[0].Key
		p := key[len(base):strings.LastIndexByte(key, ' ')]
		paths = append(paths, p)
		// Names sort below '~': this is past every entry of path p, and
		// before the entries of any longer path.
		start = base + p + " ~"
	}
}

// tablePolicyEntities indexes the roles and users that use a managed
// policy, attached or as their permissions boundary:
// "<account>/<policy ARN> <r|u>/<name lowercased>" -> policyEntity. Its
// key order (roles, then users, by name) is ListEntitiesForPolicy's.
const tablePolicyEntities = "iam_policy_entities"

// policyEntity is an entry of tablePolicyEntities.
type policyEntity struct {
	Name     string `json:"name"`
	ID       string `json:"id"`
	Path     string `json:"path"`
	Attached bool   `json:"attached,omitempty"`
	Boundary bool   `json:"boundary,omitempty"`
}

// policyUse is how an entity uses a managed policy.
type policyUse struct{ attached, boundary bool }

// usesOf returns the managed policies e uses, by ARN.
func usesOf(attached []string, boundary string) map[string]policyUse {
	uses := make(map[string]policyUse, len(attached)+1)
	for _, arn := range attached {
		uses[arn] = policyUse{attached: true}
	}
	if boundary != "" {
		u := uses[boundary]
		u.boundary = true
		uses[boundary] = u
	}
	return uses
}

// entityUses returns the managed policies e uses now.
func entityUses(e entity) map[string]policyUse {
	if e == nil {
		return nil
	}
	return usesOf(*e.attached(), *e.boundary())
}

// entityID returns the unique id of a role or user.
func entityID(e entity) string {
	switch e := e.(type) {
	case *roleRecord:
		return e.ID
	case *userRecord:
		return e.ID
	}
	return ""
}

// policyEntityKey is the tablePolicyEntities key of entity name of kind k.
func (k *kind) policyEntityKey(account, arn, name string) string {
	return account + "/" + arn + " " + k.noun[:1] + "/" + strings.ToLower(name)
}

// indexUses brings the tablePolicyEntities entries of e (nil once
// deleted) from the uses it had, before, to those it has.
func (k *kind) indexUses(ctx context.Context, tx store.Tx, account string, e entity, name string, before map[string]policyUse) error {
	after := entityUses(e)
	for arn := range before {
		if _, ok := after[arn]; !ok {
			if err := del(ctx, tx, tablePolicyEntities, k.policyEntityKey(account, arn, name)); err != nil {
				return err
			}
		}
	}
	for arn, now := range after {
		if was, ok := before[arn]; ok && was == now {
			continue
		}
		rec := policyEntity{Name: e.name(), ID: entityID(e), Path: e.path(), Attached: now.attached, Boundary: now.boundary}
		if err := put(ctx, tx, tablePolicyEntities, k.policyEntityKey(account, arn, name), rec); err != nil {
			return err
		}
	}
	return nil
}

// scan hands fn the items of table under prefix after start, in key order,
// read chunk at a time, until fn reports false or the items run out.
func scan(ctx context.Context, r store.Reader, table, prefix, start string, chunk int, fn func(store.Item) (bool, error)) error {
	for {
		items, err := r.List(ctx, table, prefix, start, chunk)
		if err != nil {
			return fmt.Errorf("iam: list %s: %w", table, err)
		}
		for _, it := range items {
			more, err := fn(it)
			if err != nil || !more {
				return err
			}
		}
		if len(items) < chunk {
			return nil
		}
		start = items[len(items)-1].Key
	}
}

// scanAWSPolicies hands add the AWS managed policies whose key
// ("aws/<name>") sorts after after, in key order, with the view's
// account's counts, until add reports false. With inUse only the policies
// the account uses are read: the account's counts are their index.
func (i *IAM) scanAWSPolicies(ctx context.Context, after string, inUse bool, chunk int, add func(key string, p *policyRecord) bool) error {
	counts := i.prefix()
	if inUse {
		start := ""
		if after != "" {
			start = counts + after
		}
		return scan(ctx, i.store, tableUses, counts+"aws/", start, chunk, func(it store.Item) (bool, error) {
			key := strings.TrimPrefix(it.Key, counts)
			p, err := get[policyRecord](ctx, i.store, tablePolicies, key)
			if err != nil || p == nil {
				return err == nil, err
			}
			var u usesRecord
			if err := json.Unmarshal(it.Value, &u); err != nil {
				return false, fmt.Errorf("iam: read %s/%s: %w", tableUses, it.Key, err)
			}
			p.Attachments, p.BoundaryUses = u.Attachments, u.BoundaryUses
			return add(key, p), nil
		})
	}
	return scan(ctx, i.store, tablePolicies, "aws/", after, chunk, func(it store.Item) (bool, error) {
		var p policyRecord
		if err := json.Unmarshal(it.Value, &p); err != nil {
			return false, fmt.Errorf("iam: read %s/%s: %w", tablePolicies, it.Key, err)
		}
		if err := i.countUses(ctx, i.store, &p); err != nil {
			return false, err
		}
		return add(it.Key, &p), nil
	})
}
