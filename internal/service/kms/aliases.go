package kms

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// alias is a key's alias as the store keeps it.
type alias struct {
	Name    string    `json:"name"` // "alias/name"
	KeyID   string    `json:"keyId"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

type aliasInput struct {
	AliasName   string `json:"AliasName"`
	TargetKeyId string `json:"TargetKeyId"`
}

// checkAliasName checks an alias name as KMS does.
func checkAliasName(name string, creating bool) error {
	if !strings.HasPrefix(name, "alias/") {
		return validation(`Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html`)
	}
	if len(name) > 256 || len(name) == len("alias/") {
		return validation("1 validation error detected: Value '%s' at 'aliasName' failed to satisfy constraint: Member must have length between 1 and 256", name)
	}
	for _, r := range name[len("alias/"):] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_-", r)) {
			return validation("1 validation error detected: Value '%s' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$", name)
		}
	}
	if strings.HasPrefix(name, "alias/aws/") {
		return kmsError("NotAuthorizedException", "Cannot %s alias with prefix 'alias/aws/'", map[bool]string{true: "create", false: "modify"}[creating])
	}
	return nil
}

func (k *KMS) aliasResource(c *api.Call) (api.Resource, error) {
	var in aliasInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	if err := checkAliasName(in.AliasName, c.OperationName == "CreateAlias"); err != nil {
		return api.Resource{}, err
	}
	return api.Resource{ARN: aliasARN(c.Region, c.Account, in.AliasName)}, nil
}

func (k *KMS) aliasConditions(c *api.Call, _ api.Resource, keys api.Keys) { k.callerKeys(c, keys) }

// targetKey returns the customer managed key TargetKeyId names: a key ID
// or key ARN, not an alias.
func (k *KMS) targetKey(c *api.Call, id string) (*key, error) {
	if requestAlias(id) != "" {
		return nil, validation("Aliases cannot point to other aliases: %s", id)
	}
	kk, err := k.resolve(c, id)
	if err != nil {
		return nil, err
	}
	switch {
	case kk.Manager == "AWS":
		return nil, kmsError("NotAuthorizedException", "Cannot associate an alias with an AWS managed key.")
	case kk.State == statePendingDeletion:
		return nil, pendingDeletion(kk.ARN)
	}
	return kk, nil
}

func (k *KMS) targetKeyResource(c *api.Call) (api.Resource, error) {
	var in aliasInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	kk, err := k.targetKey(c, in.TargetKeyId)
	if err != nil {
		return api.Resource{}, err
	}
	return k.resourceOf(c.Context, kk)
}

// aliasKeyResource is the key the alias points to now.
func (k *KMS) aliasKeyResource(c *api.Call) (api.Resource, error) {
	var in aliasInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	kk, err := k.resolve(c, in.AliasName)
	if err != nil {
		return api.Resource{}, err
	}
	return k.resourceOf(c.Context, kk)
}

func (k *KMS) createAlias(c *api.Call) (any, error) {
	var in aliasInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkAliasName(in.AliasName, true); err != nil {
		return nil, err
	}
	kk, err := k.targetKey(c, in.TargetKeyId)
	if err != nil {
		return nil, err
	}
	now := k.cfg.Now().UTC()
	id := scope(c) + in.AliasName
	_, err = k.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		_, err := tx.Get(c.Context, aliasesTable, id)
		switch {
		case err == nil:
			return kmsError("AlreadyExistsException", "An alias with the name %s already exists", aliasARN(c.Region, c.Account, in.AliasName))
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if err := setKeyAlias(c, tx, kk.ID, in.AliasName, true); err != nil {
			return err
		}
		return store.PutJSON(c.Context, tx, aliasesTable, id, &alias{Name: in.AliasName, KeyID: kk.ID, Created: now, Updated: now})
	})
	if err != nil {
		return nil, asAPIError(err, "create alias")
	}
	return struct{}{}, nil
}

func asAPIError(err error, what string) error {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae
	}
	return fmt.Errorf("kms: %s: %w", what, err)
}

func (k *KMS) updateAlias(c *api.Call) (any, error) {
	var in aliasInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkAliasName(in.AliasName, false); err != nil {
		return nil, err
	}
	kk, err := k.targetKey(c, in.TargetKeyId)
	if err != nil {
		return nil, err
	}
	id := scope(c) + in.AliasName
	_, err = k.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		var a alias
		if err := store.GetJSON(c.Context, tx, aliasesTable, id, &a); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return aliasNotFound(aliasARN(c.Region, c.Account, in.AliasName))
			}
			return err
		}
		if err := setKeyAlias(c, tx, a.KeyID, in.AliasName, false); err != nil {
			return err
		}
		if err := setKeyAlias(c, tx, kk.ID, in.AliasName, true); err != nil {
			return err
		}
		a.KeyID, a.Updated = kk.ID, k.cfg.Now().UTC()
		return store.PutJSON(c.Context, tx, aliasesTable, id, &a)
	})
	if err != nil {
		return nil, asAPIError(err, "update alias")
	}
	return struct{}{}, nil
}

func (k *KMS) deleteAlias(c *api.Call) (any, error) {
	var in aliasInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkAliasName(in.AliasName, false); err != nil {
		return nil, err
	}
	id := scope(c) + in.AliasName
	_, err := k.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		var a alias
		if err := store.GetJSON(c.Context, tx, aliasesTable, id, &a); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return aliasNotFound(aliasARN(c.Region, c.Account, in.AliasName))
			}
			return err
		}
		if err := setKeyAlias(c, tx, a.KeyID, in.AliasName, false); err != nil {
			return err
		}
		return tx.Delete(c.Context, aliasesTable, id)
	})
	if err != nil {
		return nil, asAPIError(err, "delete alias")
	}
	return struct{}{}, nil
}

func (k *KMS) listAliases(c *api.Call) (any, error) {
	var in listInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	var filter string
	if in.KeyId != "" {
		kk, err := k.resolve(c, in.KeyId)
		if err != nil {
			return nil, err
		}
		filter = kk.ID
	}
	items, err := k.cfg.Store.List(c.Context, aliasesTable, scope(c), "", 0)
	if err != nil {
		return nil, fmt.Errorf("kms: list aliases: %w", err)
	}
	type entry struct {
		AliasName       string  `json:"AliasName"`
		AliasArn        string  `json:"AliasArn"`
		TargetKeyId     string  `json:"TargetKeyId"`
		CreationDate    float64 `json:"CreationDate"`
		LastUpdatedDate float64 `json:"LastUpdatedDate"`
	}
	out := struct {
		Aliases    []entry `json:"Aliases"`
		NextMarker string  `json:"NextMarker,omitempty"`
		Truncated  bool    `json:"Truncated"`
	}{Aliases: []entry{}}
	for _, it := range items {
		var a alias
		if err := json.Unmarshal(it.Value, &a); err != nil {
			return nil, fmt.Errorf("kms: alias %s: %w", it.Key, err)
		}
		if filter != "" && a.KeyID != filter || in.Marker != "" && a.Name <= in.Marker {
			continue
		}
		if len(out.Aliases) == in.limit() {
			out.Truncated, out.NextMarker = true, out.Aliases[len(out.Aliases)-1].AliasName
			break
		}
		out.Aliases = append(out.Aliases, entry{AliasName: a.Name, AliasArn: aliasARN(c.Region, c.Account, a.Name),
			TargetKeyId: a.KeyID, CreationDate: epoch(a.Created), LastUpdatedDate: epoch(a.Updated)})
	}
	return out, nil
}

// setKeyAlias adds name to, or removes it from, the aliases the key keyID
// of the call's account and region records.
func setKeyAlias(c *api.Call, tx store.Tx, keyID, name string, add bool) error {
	var kk key
	id := scope(c) + keyID
	if err := store.GetJSON(c.Context, tx, keysTable, id, &kk); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	kk.Aliases = slices.DeleteFunc(kk.Aliases, func(a string) bool { return a == name })
	if add {
		kk.Aliases = append(kk.Aliases, name)
		slices.Sort(kk.Aliases)
	}
	return store.PutJSON(c.Context, tx, keysTable, id, &kk)
}
