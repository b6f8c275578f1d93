package ec2

import (
	"sort"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// tag is one item of a tagSet.
type tag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// tagSet renders tags in key order.
func tagSet(m map[string]string) []tag {
	out := make([]tag, 0, len(m))
	for k, v := range m {
		out = append(out, tag{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// tagList reads Name.N.Key / Name.N.Value.
func tagList(params map[string][]string, name string) ([]tag, error) {
	var out []tag
	for n := 1; ; n++ {
		p := name + "." + strconv.Itoa(n)
		k, ok := params[p+".Key"]
		if !ok {
			if _, hasValue := params[p+".Value"]; hasValue {
				return nil, missing(p + ".Key")
			}
			return out, nil
		}
		t := tag{Key: k[0]}
		if v, ok := params[p+".Value"]; ok {
			t.Value = v[0]
		}
		if err := checkTag(t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
}

func checkTag(t tag) error {
	switch {
	case t.Key == "":
		return api.Errorf(400, "InvalidParameterValue", "Tag key cannot be null or empty.")
	case len(t.Key) > 127:
		return api.Errorf(400, "InvalidParameterValue", "Tag key exceeds the maximum length of 127 characters")
	case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
		return api.Errorf(400, "InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
	case len(t.Value) > 255:
		return api.Errorf(400, "InvalidParameterValue", "Tag value exceeds the maximum length of 255 characters")
	}
	return nil
}

// tagSpecifications returns the tags that TagSpecification.N gives
// resource type arnType ("vpc", "subnet", "security-group", ...); a
// specification for another type is InvalidParameterValue.
func tagSpecifications(c *api.Call, arnType string) (map[string]string, error) {
	var out map[string]string
	for n := 1; ; n++ {
		p := "TagSpecification." + strconv.Itoa(n)
		rt, ok := c.Params[p+".ResourceType"]
		if !ok {
			if len(indexed(c.Params, p+".Tag")) > 0 || c.Params.Has(p+".Tag.1.Key") {
				return nil, missing(p + ".ResourceType")
			}
			return out, nil
		}
		if rt[0] != arnType {
			return nil, api.Errorf(400, "InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", rt[0])
		}
		tags, err := tagList(c.Params, p+".Tag")
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]string{}
		}
		for _, t := range tags {
			out[t.Key] = t.Value
		}
		if len(out) > 50 {
			return nil, api.Errorf(400, "TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
		}
	}
}

type returnResponse struct {
	Return bool `xml:"return"`
}

func (e *EC2) createTags(c *api.Call) (any, error) {
	return e.changeTags(c, false)
}

func (e *EC2) deleteTags(c *api.Call) (any, error) {
	return e.changeTags(c, true)
}

// changeTags adds (or removes) the tags of every ResourceId.N, all or none.
func (e *EC2) changeTags(c *api.Call, remove bool) (any, error) {
	ids := indexed(c.Params, "ResourceId")
	if len(ids) == 0 {
		return nil, missing("ResourceId")
	}
	tags, err := tagList(c.Params, "Tag")
	if err != nil {
		return nil, err
	}
	if !remove && len(tags) == 0 {
		return nil, missing("Tag")
	}
	// DeleteTags' Tag.N.Value, when given, must match the value.
	valued := map[string]bool{}
	for n := range tags {
		valued[tags[n].Key] = c.Params.Has("Tag." + strconv.Itoa(n+1) + ".Value")
	}
	region := e.region(c)
	_, err = e.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		for _, id := range ids {
			r, err := get(c.Context, tx, c.Account, region, id)
			if err != nil {
				return err
			}
			for _, t := range tags {
				switch {
				case !remove:
					if r.Tags == nil {
						r.Tags = map[string]string{}
					}
					r.Tags[t.Key] = t.Value
				case !valued[t.Key] || r.Tags[t.Key] == t.Value:
					delete(r.Tags, t.Key)
				}
			}
			if len(r.Tags) > 50 {
				return api.Errorf(400, "TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
			}
			if err := put(c.Context, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &returnResponse{Return: true}, nil
}

// resourceTypes are DescribeTags' resource types by ID prefix.
var resourceTypes = map[string]string{
	"vpc": "vpc", "subnet": "subnet", "sg": "security-group", "rtb": "route-table",
	"eni": "network-interface", "vpce": "vpc-endpoint",
}

type tagDescription struct {
	ResourceID   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}

type describeTagsResponse struct {
	Tags      []tagDescription `xml:"tagSet>item"`
	NextToken string           `xml:"nextToken,omitempty"`
}

// describeTags lists the tags of every resource, filtered by resource-id,
// resource-type, key and value.
func (e *EC2) describeTags(c *api.Call) (any, error) {
	fs := filters(c.Params)
	out := &describeTagsResponse{Tags: []tagDescription{}}
	kindsInOrder := []string{"eni", "rtb", "sg", "subnet", "vpc", "vpce"}
	for _, k := range kindsInOrder {
		all, err := e.list(c.Context, e.cfg.Store, c.Account, e.region(c), k)
		if err != nil {
			return nil, err
		}
		for _, r := range all {
			for _, t := range tagSet(r.Tags) {
				d := tagDescription{ResourceID: r.ID, ResourceType: resourceTypes[k], Key: t.Key, Value: t.Value}
				ok := true
				for _, f := range fs {
					var have string
					switch f.Name {
					case "resource-id":
						have = d.ResourceID
					case "resource-type":
						have = d.ResourceType
					case "key":
						have = d.Key
					case "value":
						have = d.Value
					default:
						return nil, api.Errorf(400, "InvalidParameterValue", "The filter '%s' is invalid", f.Name)
					}
					if !containsGlob(f.Values, have) {
						ok = false
						break
					}
				}
				if ok {
					out.Tags = append(out.Tags, d)
				}
			}
		}
	}
	from, to, next, err := pageIndex(c, len(out.Tags))
	if err != nil {
		return nil, err
	}
	out.Tags, out.NextToken = out.Tags[from:to], next
	return out, nil
}

func containsGlob(patterns []string, s string) bool {
	for _, p := range patterns {
		if globMatch(p, s) {
			return true
		}
	}
	return false
}
