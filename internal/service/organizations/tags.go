package organizations

import (
	"sort"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// maxTags is the number of tags a resource may have.
const maxTags = 50

// taggable reports whether id names a root, OU, account or (customer
// managed) policy of the organization.
func (r *orgRecord) taggable(id string) bool {
	if arn, _, _ := r.target(id); arn != "" {
		return true
	}
	return r.Policies[id] != nil
}

// setTags adds tags to resource id (new keys) or replaces their values.
func (r *orgRecord) setTags(id string, tags []tagIn) error {
	if len(tags) == 0 {
		return nil
	}
	if r.Tags == nil {
		r.Tags = map[string]map[string]string{}
	}
	have := r.Tags[id]
	if have == nil {
		have = map[string]string{}
	}
	for _, t := range tags {
		have[t.Key] = t.Value
	}
	if len(have) > maxTags {
		return constraint("TAG_POLICY_VIOLATION", "You have tags that violate your tag policy.")
	}
	r.Tags[id] = have
	return nil
}

func (o *Org) tagResource(c *api.Call) (any, error) {
	var in struct {
		ResourceID string  `json:"ResourceId"`
		Tags       []tagIn `json:"Tags"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return o.change(c, func(_ store.Tx, rec *orgRecord) (any, error) {
		if !rec.taggable(in.ResourceID) {
			return nil, targetNotFound()
		}
		return struct{}{}, rec.setTags(in.ResourceID, in.Tags)
	})
}

func (o *Org) untagResource(c *api.Call) (any, error) {
	var in struct {
		ResourceID string   `json:"ResourceId"`
		TagKeys    []string `json:"TagKeys"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return o.change(c, func(_ store.Tx, rec *orgRecord) (any, error) {
		if !rec.taggable(in.ResourceID) {
			return nil, targetNotFound()
		}
		for _, k := range in.TagKeys {
			delete(rec.Tags[in.ResourceID], k)
		}
		return struct{}{}, nil
	})
}

func (o *Org) listTagsForResource(c *api.Call) (any, error) {
	var in struct {
		pageInput
		ResourceID string `json:"ResourceId"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	if !rec.taggable(in.ResourceID) {
		return nil, targetNotFound()
	}
	tags := []tagIn{}
	for k, v := range rec.Tags[in.ResourceID] {
		tags = append(tags, tagIn{Key: k, Value: v})
	}
	sort.Slice(tags, func(a, b int) bool { return tags[a].Key < tags[b].Key })
	items, next, err := page(c, in.pageInput, tags, in.ResourceID)
	if err != nil {
		return nil, err
	}
	return listOut("Tags", items, next), nil
}
