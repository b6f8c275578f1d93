package iam

import (
	"context"
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// IAM keeps the users and roles a trust policy names by their unique IDs
// ("Principal" element, IAM User Guide): the policy is refused when one of
// them does not exist, and when one is deleted the policy shows, and
// trusts, only the unique ID it had, so that a user or role made again
// under the same name is not trusted until the policy is set again.
//
// A role record keeps its trust policy as sent and, in Principals, the
// unique ID of each user and role it names, by ARN; trustDocument puts the
// ID in place of the ARN of each of them that is gone.
//
// rolecall checks the principals of the accounts it serves (the request's
// account, and any account with a root key here). The users and roles of
// other accounts are out of its sight: they are kept as named, matched by
// ARN, as a policy naming an account rolecall does not serve can only be
// checked by that account.

// invalidPrincipal is IAM's answer for a principal that names nothing.
func invalidPrincipal(v string) error {
	return malformed(`Invalid principal in policy: "AWS":"` + v + `"`)
}

// principalIDs checks the AWS principals of the Principal and NotPrincipal
// elements of p and returns the unique IDs of the users and roles they
// name, by ARN (nil when none). A unique ID, or the ARN of a user or role
// that does not exist in an account rolecall serves, is
// MalformedPolicyDocument.
func (i *IAM) principalIDs(ctx context.Context, r store.Reader, p *policy.Policy) (map[string]string, error) {
	var ids map[string]string
	for _, st := range p.Statements() {
		for _, ps := range [...]policy.Principals{st.Principal, st.NotPrincipal} {
			for _, v := range ps["AWS"] {
				if policy.IsUniqueID(v) {
					// IAM shows IDs only for entities that are gone; one
					// sent back names nothing.
					return nil, invalidPrincipal(v)
				}
				acct, _, _, ok := entityARN(v)
				if !ok {
					continue
				}
				served, err := i.serves(ctx, r, acct)
				if err != nil {
					return nil, err
				}
				if !served {
					continue
				}
				id, err := i.principalID(ctx, r, v)
				if err != nil {
					return nil, err
				}
				if id == "" {
					return nil, invalidPrincipal(v)
				}
				if ids == nil {
					ids = make(map[string]string)
				}
				ids[v] = id
			}
		}
	}
	return ids, nil
}

// accountRoots returns the trust policy doc (parsed: p) as IAM keeps it:
// each "AWS" principal given as an account ID alone, 123456789012, is
// kept as the account's ARN, arn:aws:iam::123456789012:root, as the
// service converts the short form when it saves the policy ("Principal"
// element, IAM User Guide). Without one, doc and p are returned as they
// are.
func accountRoots(doc string, p *policy.Policy) (string, *policy.Policy, error) {
	var roots map[string]string
	for _, st := range p.Statements() {
		for _, ps := range [...]policy.Principals{st.Principal, st.NotPrincipal} {
			for _, v := range ps["AWS"] {
				if !isAccountID(v) {
					continue
				}
				if roots == nil {
					roots = make(map[string]string)
				}
				roots[v] = "arn:aws:iam::" + v + ":root"
			}
		}
	}
	if roots == nil {
		return doc, p, nil
	}
	kept := p.ReplacePrincipals(roots)
	q, err := policy.Parse(kept, policy.Trust)
	if err != nil {
		return "", nil, fmt.Errorf("iam: trust policy with account ARNs: %w", err)
	}
	return kept, q, nil
}

// isAccountID reports whether v is a 12-digit AWS account ID.
func isAccountID(v string) bool {
	if len(v) != 12 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// entityARN splits the ARN of an IAM user or role,
// arn:aws:iam::ACCOUNT:(user|role)/PATH/NAME.
func entityARN(v string) (account, noun, name string, ok bool) {
	rest, ok := strings.CutPrefix(v, "arn:aws:iam::")
	if !ok {
		return "", "", "", false
	}
	account, res, ok := strings.Cut(rest, ":")
	if !ok {
		return "", "", "", false
	}
	noun, _, _ = strings.Cut(res, "/")
	if noun != "user" && noun != "role" {
		return "", "", "", false
	}
	return account, noun, res[strings.LastIndexByte(res, '/')+1:], true
}

// serves reports whether rolecall keeps the users and roles of account:
// the view's own, or one with a root key here.
func (i *IAM) serves(ctx context.Context, r store.Reader, account string) (bool, error) {
	if account == i.account {
		return true, nil
	}
	keys, err := i.in(account).rootKeyIDs(ctx, r)
	if err != nil {
		return false, err
	}
	return len(keys) > 0, nil
}

// principalID returns the unique ID of the user or role whose ARN is arn,
// or "" when there is none.
func (i *IAM) principalID(ctx context.Context, r store.Reader, arn string) (string, error) {
	account, noun, name, ok := entityARN(arn)
	if !ok {
		return "", nil
	}
	v := i.in(account)
	if noun == "role" {
		rec, err := get[roleRecord](ctx, r, tableRoles, v.nameKey(name))
		if err != nil || rec == nil || v.roleARN(rec.Path, rec.Name) != arn {
			return "", err
		}
		return rec.ID, nil
	}
	rec, err := get[userRecord](ctx, r, tableUsers, v.nameKey(name))
	if err != nil || rec == nil || v.userARN(rec.Path, rec.Name) != arn {
		return "", err
	}
	return rec.ID, nil
}

// trustDocument returns a role's trust policy as IAM shows and evaluates
// it: each user or role it names that is gone, or was made again with
// another unique ID, is named by the unique ID it had.
func (i *IAM) trustDocument(ctx context.Context, r store.Reader, rec *roleRecord) (string, error) {
	var gone map[string]string
	for arn, id := range rec.Principals {
		now, err := i.principalID(ctx, r, arn)
		if err != nil {
			return "", fmt.Errorf("iam: principals of role %s: %w", rec.Name, err)
		}
		if now != id {
			if gone == nil {
				gone = make(map[string]string)
			}
			gone[arn] = id
		}
	}
	if gone == nil {
		return rec.Trust, nil
	}
	p, err := policy.Parse(rec.Trust, policy.Trust)
	if err != nil {
		return "", fmt.Errorf("iam: trust policy of role %s: %w", rec.Name, err)
	}
	return p.ReplacePrincipals(gone), nil
}

// shown returns rec with its trust policy as IAM shows it (trustDocument).
func (i *IAM) shown(ctx context.Context, r store.Reader, rec *roleRecord) (*roleRecord, error) {
	doc, err := i.trustDocument(ctx, r, rec)
	if err != nil || doc == rec.Trust {
		return rec, err
	}
	c := *rec
	c.Trust = doc
	return &c, nil
}

// PrincipalID returns the unique ID (AIDA..., AROA...) of the IAM user or
// role whose ARN is arn, "" when there is none, and whether that is known:
// known is false when arn names no user or role, or one of an account
// rolecall does not serve. Services that keep resource-based policies
// (Lambda's AddPermission) check the principals they are given with it.
func (i *IAM) PrincipalID(ctx context.Context, arn string) (id string, known bool, err error) {
	account, _, _, ok := entityARN(arn)
	if !ok {
		return "", false, nil
	}
	served, err := i.serves(ctx, i.store, account)
	if err != nil || !served {
		return "", false, err
	}
	id, err = i.principalID(ctx, i.store, arn)
	if err != nil {
		return "", false, fmt.Errorf("iam: principal %s: %w", arn, err)
	}
	return id, true, nil
}
