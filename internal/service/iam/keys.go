package iam

import (
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Access key statuses.
const (
	statusActive   = "Active"
	statusInactive = "Inactive"
)

type accessKeyXML struct {
	UserName        string `xml:"UserName,omitempty"`
	AccessKeyId     string `xml:"AccessKeyId"`
	Status          string `xml:"Status"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	CreateDate      string `xml:"CreateDate"`
}

type accessKeyResult struct {
	AccessKey accessKeyXML `xml:"AccessKey"`
}

// ownedKeys returns the key records of a user, or of the root user of the
// view's account.
func (i *IAM) ownedKeys(c *api.Call, r store.Reader, user string, root bool) ([]*keyRecord, *userRecord, error) {
	if root {
		ids, err := i.rootKeyIDs(c.Context, r)
		if err != nil {
			return nil, nil, err
		}
		var out []*keyRecord
		for _, id := range ids {
			k, err := get[keyRecord](c.Context, r, tableKeys, id)
			if err != nil {
				return nil, nil, err
			}
			if k != nil && k.User == "" && k.Account == i.account {
				out = append(out, k)
			}
		}
		return out, nil, nil
	}
	u, err := i.user(c.Context, r, user)
	if err != nil {
		return nil, nil, err
	}
	var out []*keyRecord
	for _, id := range u.Keys {
		k, err := get[keyRecord](c.Context, r, tableKeys, id)
		if err != nil {
			return nil, nil, err
		}
		if k != nil {
			out = append(out, k)
		}
	}
	return out, u, nil
}

func createAccessKey(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	f.str("UserName")
	if err := f.err(); err != nil {
		return nil, err
	}
	user, root, err := i.callerUser(c, f)
	if err != nil {
		return nil, err
	}
	id, secret := accessKeyID(i.account), secretKey()
	var owner string
	rec := &keyRecord{
		ID:      id,
		Account: i.account,
		Status:  statusActive,
		Secret:  i.box.Seal([]byte(secret), []byte(id)),
		Created: i.clock(),
	}
	err = i.update(c.Context, func(tx store.Tx) error {
		owner, rec.User = "", "" // a run again after a conflict starts over
		keys, u, err := i.ownedKeys(c, tx, user, root)
		if err != nil {
			return err
		}
		if len(keys) >= maxKeysPerUser {
			return limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", maxKeysPerUser)
		}
		if u != nil {
			owner = u.Name
			rec.User = u.Name
			u.Keys = append(u.Keys, id)
			if err := put(c.Context, tx, tableUsers, i.nameKey(u.Name), u); err != nil {
				return err
			}
		} else if err := indexRootKey(c.Context, tx, i.account, id, true); err != nil {
			return err
		}
		return put(c.Context, tx, tableKeys, id, rec)
	})
	if err != nil {
		return nil, err
	}
	return accessKeyResult{AccessKey: accessKeyXML{
		UserName:        owner,
		AccessKeyId:     id,
		Status:          statusActive,
		SecretAccessKey: secret,
		CreateDate:      iso(rec.Created),
	}}, nil
}

type accessKeyMetadataXML struct {
	UserName    string `xml:"UserName,omitempty"`
	AccessKeyId string `xml:"AccessKeyId"`
	Status      string `xml:"Status"`
	CreateDate  string `xml:"CreateDate"`
}

type listAccessKeysResult struct {
	AccessKeyMetadata list[accessKeyMetadataXML] `xml:"AccessKeyMetadata"`
	page
}

func listAccessKeys(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	f.str("UserName")
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, err
	}
	user, root, err := i.callerUser(c, f)
	if err != nil {
		return nil, err
	}
	keys, _, err := i.ownedKeys(c, i.store, user, root)
	if err != nil {
		return nil, err
	}
	keys, pg, err := paginate(keys, func(k *keyRecord) string { return k.ID }, marker, max)
	if err != nil {
		return nil, err
	}
	out := listAccessKeysResult{AccessKeyMetadata: list[accessKeyMetadataXML]{}, page: pg}
	for _, k := range keys {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, accessKeyMetadataXML{
			UserName: k.User, AccessKeyId: k.ID, Status: k.Status, CreateDate: iso(k.Created),
		})
	}
	return out, nil
}

// ownedKey reads key id, which must belong to the user (or root) the
// request names.
func (i *IAM) ownedKey(c *api.Call, tx store.Reader, f *form, id string) (*keyRecord, error) {
	user, root, err := i.callerUser(c, f)
	if err != nil {
		return nil, err
	}
	if !root {
		if _, err := i.user(c.Context, tx, user); err != nil {
			return nil, err
		}
	}
	k, err := get[keyRecord](c.Context, tx, tableKeys, id)
	if err != nil {
		return nil, err
	}
	if k == nil || k.Account != i.account || (root && k.User != "") || (!root && !strings.EqualFold(k.User, user)) {
		return nil, noSuchEntity("The Access Key with id %s cannot be found.", id)
	}
	return k, nil
}

func updateAccessKey(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	f.str("UserName")
	id := f.str("AccessKeyId")
	status := f.str("Status")
	if !f.has("Status") {
		f.str("Status")
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if status == "Expired" {
		return nil, invalidInput("Status Expired is not valid for an access key you update.")
	}
	err := i.update(c.Context, func(tx store.Tx) error {
		k, err := i.ownedKey(c, tx, f, id)
		if err != nil {
			return err
		}
		k.Status = status
		return put(c.Context, tx, tableKeys, id, k)
	})
	if err != nil {
		return nil, err
	}
	i.keys.Forget(id)
	return nil, nil
}

func deleteAccessKey(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	f.str("UserName")
	id := f.str("AccessKeyId")
	if err := f.err(); err != nil {
		return nil, err
	}
	err := i.update(c.Context, func(tx store.Tx) error {
		k, err := i.ownedKey(c, tx, f, id)
		if err != nil {
			return err
		}
		if k.User != "" {
			u, err := i.user(c.Context, tx, k.User)
			if err != nil {
				return err
			}
			u.Keys, _ = removeString(u.Keys, id)
			if err := put(c.Context, tx, tableUsers, i.nameKey(u.Name), u); err != nil {
				return err
			}
		} else if err := indexRootKey(c.Context, tx, k.Account, id, false); err != nil {
			return err
		}
		if err := del(c.Context, tx, tableKeyUse, id); err != nil {
			return err
		}
		return del(c.Context, tx, tableKeys, id)
	})
	if err != nil {
		return nil, err
	}
	i.keys.Forget(id)
	return nil, nil
}

type accessKeyLastUsedXML struct {
	LastUsedDate string `xml:"LastUsedDate,omitempty"`
	ServiceName  string `xml:"ServiceName"`
	Region       string `xml:"Region"`
}

type lastUsedResult struct {
	UserName          string               `xml:"UserName,omitempty"`
	AccessKeyLastUsed accessKeyLastUsedXML `xml:"AccessKeyLastUsed"`
}

func getAccessKeyLastUsed(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	id := f.str("AccessKeyId")
	if err := f.err(); err != nil {
		return nil, err
	}
	k, err := get[keyRecord](c.Context, i.store, tableKeys, id)
	if err != nil {
		return nil, err
	}
	if k == nil || k.Account != i.account {
		return nil, noSuchEntity("The Access Key with id %s cannot be found.", id)
	}
	out := lastUsedResult{UserName: k.User, AccessKeyLastUsed: accessKeyLastUsedXML{ServiceName: "N/A", Region: "N/A"}}
	used, err := get[lastUsedRecord](c.Context, i.store, tableKeyUse, id)
	if err != nil {
		return nil, err
	}
	if used != nil {
		out.AccessKeyLastUsed = accessKeyLastUsedXML{LastUsedDate: iso(used.At), ServiceName: used.Service, Region: used.Region}
	}
	return out, nil
}
