package dynamodb

import (
	"errors"
	"sort"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Tag limits (DynamoDB's tagging restrictions).
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// resourceArnInput is the input of the operations on a ResourceArn:
// tags and resource policies.
type resourceArnInput struct {
	ResourceArn                     string
	Tags                            []tag
	TagKeys                         []string
	Policy                          *string
	ExpectedRevisionId              string
	ConfirmRemoveSelfResourceAccess bool
}

// arnResource is the table or stream a ResourceArn names.
func (d *DynamoDB) arnResource(c *api.Call) (api.Resource, error) {
	var in resourceArnInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	if _, _, _, _, ok := parseStreamARN(in.ResourceArn); ok {
		return d.streamResource(c, in.ResourceArn)
	}
	if !isTableARN(in.ResourceArn) {
		return api.Resource{}, validation("Invalid TableArn: Invalid ResourceArn provided as input %s", in.ResourceArn)
	}
	return d.tableResource(c, in.ResourceArn)
}

// isTableARN reports whether arn is arn:aws:dynamodb:R:A:table/T.
func isTableARN(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "dynamodb" &&
		strings.HasPrefix(parts[5], "table/") && !strings.Contains(strings.TrimPrefix(parts[5], "table/"), "/") &&
		len(parts[5]) > len("table/")
}

// requestTagConditions sets aws:RequestTag/* and aws:TagKeys from Tags.
func requestTagConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in resourceArnInput
	if decode(c, &in) != nil || len(in.Tags) == 0 {
		return
	}
	names := make([]string, 0, len(in.Tags))
	for _, t := range in.Tags {
		keys.Set("aws:RequestTag/"+t.Key, t.Value)
		names = append(names, t.Key)
	}
	keys.Set("aws:TagKeys", names...)
}

// untagConditions sets aws:TagKeys from TagKeys.
func untagConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in resourceArnInput
	if decode(c, &in) != nil || len(in.TagKeys) == 0 {
		return
	}
	keys.Set("aws:TagKeys", in.TagKeys...)
}

// tagMap returns have with tags added, checked against DynamoDB's limits.
func tagMap(have map[string]string, tags []tag) (map[string]string, error) {
	if len(tags) == 0 {
		return have, nil
	}
	out := make(map[string]string, len(have)+len(tags))
	for k, v := range have {
		out[k] = v
	}
	for _, t := range tags {
		if len(t.Key) < 1 || len(t.Key) > maxTagKeyLen {
			return nil, validation("1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length less than or equal to %d", t.Key, maxTagKeyLen)
		}
		if len(t.Value) > maxTagValueLen {
			return nil, validation("1 validation error detected: Value '%s' at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to %d", t.Value, maxTagValueLen)
		}
		if strings.HasPrefix(t.Key, "aws:") {
			return nil, validation("One or more parameter values were invalid: Tag keys starting with 'aws:' are reserved for system use")
		}
		out[t.Key] = t.Value
	}
	if len(out) > maxTags {
		return nil, api.Errorf(400, "LimitExceededException", "One or more parameter values were invalid: The number of tags exceeds the limit of %d", maxTags)
	}
	return out, nil
}

// updateTags applies fn to the tags of the table ResourceArn names.
func (d *DynamoDB) updateTags(c *api.Call, arn string, fn func(map[string]string) (map[string]string, error)) error {
	if !isTableARN(arn) {
		return validation("Invalid TableArn: Invalid ResourceArn provided as input %s", arn)
	}
	var t *Table
	_, err := d.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		var err error
		if t, err = d.loadTable(c.Context, tx, c, arn); err != nil {
			return arnNotFound(err, arn)
		}
		if t.Tags, err = fn(t.Tags); err != nil {
			return err
		}
		if len(t.Tags) == 0 {
			t.Tags = nil
		}
		return store.PutJSON(c.Context, tx, tablesTable, tableKey(t.Account, t.Region, t.Name), t)
	})
	if t != nil {
		d.forgetTable(t)
	}
	return err
}

// arnNotFound words loadTable's ResourceNotFoundException as the tag
// operations do, for a ResourceArn naming no table; other errors pass.
func arnNotFound(err error, arn string) error {
	var ae *api.Error
	if errors.As(err, &ae) && ae.Code == "ResourceNotFoundException" {
		return api.Errorf(400, "ResourceNotFoundException", "Requested resource not found: ResourceArn: %s not found", arn)
	}
	return err
}

// tagResource is TagResource.
func (d *DynamoDB) tagResource(c *api.Call) (any, error) {
	var in resourceArnInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, validation("1 validation error detected: Value '[]' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	err := d.updateTags(c, in.ResourceArn, func(have map[string]string) (map[string]string, error) {
		return tagMap(have, in.Tags)
	})
	return struct{}{}, err
}

// untagResource is UntagResource.
func (d *DynamoDB) untagResource(c *api.Call) (any, error) {
	var in resourceArnInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	err := d.updateTags(c, in.ResourceArn, func(have map[string]string) (map[string]string, error) {
		for _, k := range in.TagKeys {
			delete(have, k)
		}
		return have, nil
	})
	return struct{}{}, err
}

// listTagsOfResource is ListTagsOfResource, all tags in one page.
func (d *DynamoDB) listTagsOfResource(c *api.Call) (any, error) {
	var in resourceArnInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if !isTableARN(in.ResourceArn) {
		return nil, validation("Invalid TableArn: Invalid ResourceArn provided as input %s", in.ResourceArn)
	}
	t, err := d.loadTable(c.Context, d.cfg.Store, c, in.ResourceArn)
	if err != nil {
		return nil, arnNotFound(err, in.ResourceArn)
	}
	return map[string]any{"Tags": tagList(t.Tags)}, nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
