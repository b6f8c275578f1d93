package iam

import (
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Tag{Role,User,Policy}, Untag{Role,User,Policy}, List{Role,User,Policy}Tags.

// tagged reaches the tags of one kind of resource, named by a parameter.
type tagged struct {
	param string // "RoleName", "UserName", "PolicyArn"
	// load reads the tags of the named resource.
	load func(i *IAM, c *api.Call, name string) ([]Tag, error)
	// change applies fn to the tags of the named resource and stores them.
	change func(i *IAM, c *api.Call, name string, fn func(tags *[]Tag) error) error
}

// entityTags reaches the tags of the roles or the users.
func entityTags(k *kind) *tagged {
	return &tagged{
		param: k.param,
		load: func(i *IAM, c *api.Call, name string) ([]Tag, error) {
			e, err := k.load(i, c.Context, i.store, name)
			if err != nil {
				return nil, err
			}
			return *e.tags(), nil
		},
		change: func(i *IAM, c *api.Call, name string, fn func(tags *[]Tag) error) error {
			if err := k.change(i, c, name, func(_ store.Tx, e entity) error { return fn(e.tags()) }); err != nil {
				return err
			}
			if k == userKind {
				// Cached principals carry their user's tags.
				i.keys.ForgetAll()
			}
			return nil
		},
	}
}

var (
	roleTags   = entityTags(roleKind)
	userTags   = entityTags(userKind)
	policyTags = &tagged{
		param: "PolicyArn",
		load: func(i *IAM, c *api.Call, arn string) ([]Tag, error) {
			p, err := i.mustPolicy(c, i.store, arn)
			if err != nil {
				return nil, err
			}
			return p.Tags, nil
		},
		change: func(i *IAM, c *api.Call, arn string, fn func(tags *[]Tag) error) error {
			_, err := i.changePolicy(c, arn, func(p *policyRecord) error { return fn(&p.Tags) })
			return err
		},
	}
)

func (t *tagged) tag(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str(t.param)
	tags := f.tags("Tags")
	if tags == nil {
		f.str("Tags")
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	err := t.change(i, c, name, func(have *[]Tag) error {
		merged := mergeTags(*have, tags)
		if err := tooManyTags(len(merged)); err != nil {
			return err
		}
		*have = merged
		return nil
	})
	return nil, err
}

func (t *tagged) untag(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str(t.param)
	keys := f.strings("TagKeys")
	if err := f.err(); err != nil {
		return nil, err
	}
	err := t.change(i, c, name, func(have *[]Tag) error {
		*have = removeTags(*have, keys)
		return nil
	})
	return nil, err
}

type tagsResult struct {
	Tags list[Tag] `xml:"Tags"`
	page
}

func (t *tagged) list(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str(t.param)
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, err
	}
	have, err := t.load(i, c, name)
	if err != nil {
		return nil, err
	}
	// Tags keep their insertion order; the marker is the position.
	tags, pg, err := pageInOrder(have, marker, max)
	if err != nil {
		return nil, err
	}
	return tagsResult{Tags: tags, page: pg}, nil
}
