package organizations

import (
	"net/http"
	"sort"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

type ouOut struct {
	ID   string `json:"Id"`
	Arn  string `json:"Arn"`
	Name string `json:"Name"`
}

func (r *orgRecord) ouOut(ou *ouRecord) ouOut {
	return ouOut{ID: ou.ID, Arn: r.ouARN(ou.ID), Name: ou.Name}
}

// depth is the number of OUs from the root down to id, inclusive.
func (r *orgRecord) depth(id string) int { return len(r.path(id)) - 1 }

func (r *orgRecord) duplicateOU(parent, name, except string) bool {
	for _, ou := range r.OUs {
		if ou.Parent == parent && ou.Name == name && ou.ID != except {
			return true
		}
	}
	return false
}

func duplicateOU() *api.Error {
	return api.Errorf(http.StatusBadRequest, "DuplicateOrganizationalUnitException", "An OU with the same name already exists.")
}

// createOU makes an OU under the root or another OU, at most five deep.
func (o *Org) createOU(c *api.Call) (any, error) {
	var in struct {
		ParentID string  `json:"ParentId"`
		Name     string  `json:"Name"`
		Tags     []tagIn `json:"Tags"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return o.change(c, func(_ store.Tx, rec *orgRecord) (any, error) {
		switch {
		case !rec.isParent(in.ParentID):
			return nil, parentNotFound()
		case rec.depth(in.ParentID) >= maxOUDepth:
			return nil, constraint("OU_DEPTH_LIMIT_EXCEEDED", "You attempted to create an OU tree that is too many levels deep.")
		case rec.duplicateOU(in.ParentID, in.Name, ""):
			return nil, duplicateOU()
		}
		ou := &ouRecord{ID: "ou-" + rec.RootID[2:] + "-" + randomString(lower, 8), Name: in.Name, Parent: in.ParentID}
		if rec.OUs == nil {
			rec.OUs = map[string]*ouRecord{}
		}
		rec.OUs[ou.ID] = ou
		rec.attachDefaults(ou.ID)
		if err := rec.setTags(ou.ID, in.Tags); err != nil {
			return nil, err
		}
		return map[string]any{"OrganizationalUnit": rec.ouOut(ou)}, nil
	})
}

type ouInput struct {
	ID   string `json:"OrganizationalUnitId"`
	Name string `json:"Name"`
}

func (o *Org) describeOU(c *api.Call) (any, error) {
	var in ouInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	ou := rec.OUs[in.ID]
	if ou == nil {
		return nil, ouNotFound()
	}
	return map[string]any{"OrganizationalUnit": rec.ouOut(ou)}, nil
}

func (o *Org) updateOU(c *api.Call) (any, error) {
	var in ouInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return o.change(c, func(_ store.Tx, rec *orgRecord) (any, error) {
		ou := rec.OUs[in.ID]
		if ou == nil {
			return nil, ouNotFound()
		}
		if in.Name != "" {
			if rec.duplicateOU(ou.Parent, in.Name, ou.ID) {
				return nil, duplicateOU()
			}
			ou.Name = in.Name
		}
		return map[string]any{"OrganizationalUnit": rec.ouOut(ou)}, nil
	})
}

// deleteOU deletes an OU with no accounts or OUs in it.
func (o *Org) deleteOU(c *api.Call) (any, error) {
	var in ouInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return o.change(c, func(_ store.Tx, rec *orgRecord) (any, error) {
		if rec.OUs[in.ID] == nil {
			return nil, ouNotFound()
		}
		for id := range rec.Accounts {
			if rec.parentOf(id) == in.ID {
				return nil, notEmpty()
			}
		}
		for id := range rec.OUs {
			if rec.parentOf(id) == in.ID {
				return nil, notEmpty()
			}
		}
		delete(rec.OUs, in.ID)
		rec.forget(in.ID)
		return struct{}{}, nil
	})
}

func notEmpty() *api.Error {
	return api.Errorf(http.StatusBadRequest, "OrganizationalUnitNotEmptyException",
		"You must first remove all accounts and child OUs before you can delete the OU.")
}

func (o *Org) listOUsForParent(c *api.Call) (any, error) {
	var in struct {
		pageInput
		ParentID string `json:"ParentId"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	if !rec.isParent(in.ParentID) {
		return nil, parentNotFound()
	}
	var all []ouOut
	for _, ou := range rec.OUs {
		if ou.Parent == in.ParentID {
			all = append(all, rec.ouOut(ou))
		}
	}
	sort.Slice(all, func(a, b int) bool { return all[a].ID < all[b].ID })
	items, next, err := page(c, in.pageInput, all, in.ParentID)
	if err != nil {
		return nil, err
	}
	return listOut("OrganizationalUnits", items, next), nil
}
