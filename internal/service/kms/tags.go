package kms

import (
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// Tags of keys (TagResource, UntagResource, ListResourceTags) and the tag
// condition keys of requests.

func requestTags(tags []Tag, keys api.Keys) {
	if len(tags) == 0 {
		return
	}
	names := make([]string, 0, len(tags))
	for _, t := range tags {
		keys.Set("aws:RequestTag/"+t.TagKey, t.TagValue)
		names = append(names, t.TagKey)
	}
	keys.Set("aws:TagKeys", names...)
}

func checkTags(tags []Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		if t.TagKey == "" || len(t.TagKey) > 128 || len(t.TagValue) > 256 {
			return tagError("Tag keys must be 1 to 128 characters and tag values 0 to 256 characters.")
		}
		if strings.HasPrefix(t.TagKey, "aws:") {
			return tagError("Tags beginning with aws: are reserved.")
		}
		if seen[t.TagKey] {
			return tagError("Duplicate tag keys")
		}
		seen[t.TagKey] = true
	}
	if len(tags) > 50 {
		return kmsError("LimitExceededException", "A key can have at most 50 tags.")
	}
	return nil
}

type tagInput struct {
	KeyId   string   `json:"KeyId"`
	Tags    []Tag    `json:"Tags"`
	TagKeys []string `json:"TagKeys"`
	Limit   int      `json:"Limit"`
	Marker  string   `json:"Marker"`
}

func (k *KMS) tagConditions(c *api.Call, res api.Resource, keys api.Keys) {
	k.keyConditions(c, res, keys)
	var in tagInput
	if decode(c, &in) != nil {
		return
	}
	requestTags(in.Tags, keys)
	if len(in.TagKeys) > 0 {
		keys.Set("aws:TagKeys", in.TagKeys...)
	}
}

func (k *KMS) tagResource(c *api.Call) (any, error) {
	var in tagInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	_, err = k.updateKey(c.Context, kk, func(cur *key) error {
		if cur.State == statePendingDeletion {
			return pendingDeletion(cur.ARN)
		}
		for _, t := range in.Tags {
			i := slices.IndexFunc(cur.Tags, func(have Tag) bool { return have.TagKey == t.TagKey })
			if i >= 0 {
				cur.Tags[i].TagValue = t.TagValue
			} else {
				cur.Tags = append(cur.Tags, t)
			}
		}
		return checkTags(cur.Tags)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (k *KMS) untagResource(c *api.Call) (any, error) {
	var in tagInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	_, err = k.updateKey(c.Context, kk, func(cur *key) error {
		if cur.State == statePendingDeletion {
			return pendingDeletion(cur.ARN)
		}
		cur.Tags = slices.DeleteFunc(cur.Tags, func(t Tag) bool { return slices.Contains(in.TagKeys, t.TagKey) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (k *KMS) listResourceTags(c *api.Call) (any, error) {
	var in tagInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	tags := kk.Tags
	if tags == nil {
		tags = []Tag{}
	}
	return map[string]any{"Tags": tags, "Truncated": false}, nil
}
