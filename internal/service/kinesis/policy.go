package kinesis

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// Resource types as CloudTrail names them.
const (
	typeStream   = "AWS::Kinesis::Stream"
	typeConsumer = "AWS::Kinesis::StreamConsumer"
)

// maxCachedPolicies bounds the cache of compiled resource policies.
const maxCachedPolicies = 1024

// compiled returns doc compiled as a resource policy. Policies are cached
// by their text, so a policy changed on another node is compiled afresh
// when its new text is read.
func (k *Kinesis) compiled(doc string) (*policy.Policy, error) {
	if doc == "" {
		return nil, nil
	}
	k.mu.Lock()
	p, ok := k.policies[doc]
	k.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		return nil, fmt.Errorf("kinesis: stored resource policy: %w", err)
	}
	k.mu.Lock()
	if len(k.policies) >= maxCachedPolicies {
		clear(k.policies)
	}
	k.policies[doc] = p
	k.mu.Unlock()
	return p, nil
}

// refOf returns the stream reference of the call's input: StreamName and
// StreamARN, of a typed in-process input or of the request.
func refOf(c *api.Call) (streamRef, error) {
	if c.Input != nil {
		v := reflect.Indirect(reflect.ValueOf(c.Input))
		var ref streamRef
		if f := v.FieldByName("StreamName"); f.IsValid() && f.Kind() == reflect.String {
			ref.StreamName = f.String()
		}
		if f := v.FieldByName("StreamARN"); f.IsValid() && f.Kind() == reflect.String {
			ref.StreamARN = f.String()
		}
		return ref, nil
	}
	var ref streamRef
	err := decode(c, &ref)
	return ref, err
}

// streamResource is the stream the call names.
func (k *Kinesis) streamResource(c *api.Call) (api.Resource, error) {
	ref, err := refOf(c)
	if err != nil {
		return api.Resource{}, err
	}
	w, err := locate(c, ref)
	if err != nil {
		return api.Resource{}, err
	}
	return k.resourceOfStream(c, w)
}

// resourceOfStream is the authorization resource of a stream: its ARN,
// tags and policy. A missing stream is authorized by its ARN alone; the
// handler then answers ResourceNotFoundException.
func (k *Kinesis) resourceOfStream(c *api.Call, w where) (api.Resource, error) {
	res := api.Resource{ARN: streamARN(w.region, w.account, w.name), Type: typeStream, Account: w.account, Mode: api.ResourcePolicy}
	s, err := load(c, k.cfg.Store, w)
	var ae *api.Error
	if errors.As(err, &ae) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.Tags = s.Tags
	res.Policy, err = k.compiled(s.Policy)
	return res, err
}

// newStreamResource is the stream CreateStream creates.
func (k *Kinesis) newStreamResource(c *api.Call) (api.Resource, error) {
	var in createStreamInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	return api.Resource{ARN: streamARN(c.Region, c.Account, in.StreamName), Type: typeStream}, nil
}

// writeResource is the stream PutRecord and PutRecords write to. It also
// sets the trail's requestParameters: CloudTrail records the stream, never
// the records' data.
func (k *Kinesis) writeResource(c *api.Call) (api.Resource, error) {
	var in struct {
		streamRef
		PartitionKey string `json:"PartitionKey"`
	}
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	params := map[string]any{}
	if in.StreamName != "" {
		params["streamName"] = in.StreamName
	}
	if in.StreamARN != "" {
		params["streamARN"] = in.StreamARN
	}
	if in.PartitionKey != "" {
		params["partitionKey"] = in.PartitionKey
	}
	c.Trail.RequestParameters = params
	w, err := locate(c, in.streamRef)
	if err != nil {
		return api.Resource{}, err
	}
	return k.resourceOfStream(c, w)
}

// streamResourceByARN is the stream of a consumer operation's StreamARN.
func (k *Kinesis) streamResourceByARN(c *api.Call) (api.Resource, error) {
	var in consumerInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	w, err := locate(c, streamRef{StreamARN: in.StreamARN})
	if err != nil {
		return api.Resource{}, err
	}
	return k.resourceOfStream(c, w)
}

// resourceByARN is the stream or consumer a ResourceARN names.
func (k *Kinesis) resourceByARN(c *api.Call) (api.Resource, error) {
	var in resourceInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	if strings.Contains(in.ResourceARN, "/consumer/") {
		cw, ok := parseConsumerARN(in.ResourceARN)
		if !ok || cw.stream.region != c.Region {
			return api.Resource{}, invalidArgument("ResourceARN %s is invalid.", in.ResourceARN)
		}
		return k.resourceOfConsumer(c, cw)
	}
	w, ok := parseStreamARN(in.ResourceARN)
	if !ok || w.region != c.Region {
		return api.Resource{}, invalidArgument("ResourceARN %s is invalid.", in.ResourceARN)
	}
	return k.resourceOfStream(c, w)
}

// policyOwnerResource is the stream or consumer whose resource policy
// PutResourcePolicy or DeleteResourcePolicy changes. Only identities of
// the resource's own account may change it ("the calling identity must
// have the PutResourcePolicy permissions on the specified Kinesis Data
// Streams resource and belong to the owner's account", Kinesis API
// Reference): the resource's policy never grants another account the
// right to rewrite it, so for a caller of another account it takes no part
// in the decision.
func (k *Kinesis) policyOwnerResource(c *api.Call) (api.Resource, error) {
	res, err := k.resourceByARN(c)
	if err == nil && res.Account != c.Account {
		res.Policy = nil
	}
	return res, err
}

// requestTagConditions sets aws:RequestTag/* and aws:TagKeys from the
// request's Tags.
func requestTagConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	if decode(c, &in) != nil {
		return
	}
	for k, v := range tagKeys(in.Tags) {
		keys.Set(k, v...)
	}
}

// tagKeys are the condition keys of tags given in a request:
// aws:RequestTag/* and aws:TagKeys (none for no tags).
func tagKeys(tags map[string]string) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	keys := make(map[string][]string, len(tags)+1)
	names := make([]string, 0, len(tags))
	for key, v := range tags {
		keys["aws:RequestTag/"+key] = []string{v}
		names = append(names, key)
	}
	sort.Strings(names)
	keys["aws:TagKeys"] = names
	return keys
}

// authorizeTags authorizes tagging a resource on its creation: AWS
// requires kinesis:AddTagsToStream on the stream CreateStream makes with
// Tags, and kinesis:TagResource on the consumer RegisterStreamConsumer
// registers with Tags, besides the operation's own action.
func authorizeTags(c *api.Call, action string, res api.Resource, tags map[string]string) error {
	if len(tags) == 0 {
		return nil
	}
	return c.Authorize(action, res, tagKeys(tags))
}

// tagKeyConditions sets aws:TagKeys from the request's TagKeys.
func tagKeyConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in struct {
		TagKeys []string `json:"TagKeys"`
	}
	if decode(c, &in) != nil || len(in.TagKeys) == 0 {
		return
	}
	keys.Set("aws:TagKeys", in.TagKeys...)
}

// Resource policies.

// target is a stream or a consumer named by a ResourceARN, loaded in a
// transaction and written back by put.
type target struct {
	tags   *map[string]string
	policy *string
	put    func() error
}

// withTarget runs fn on the stream or consumer ResourceARN names, in one
// transaction, and stores it when fn returns nil and changed is set.
func (k *Kinesis) withTarget(c *api.Call, arn string, fn func(t target) error) error {
	_, err := k.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if strings.Contains(arn, "/consumer/") {
			cw, ok := parseConsumerARN(arn)
			if !ok {
				return invalidArgument("ResourceARN %s is invalid.", arn)
			}
			cs, err := loadConsumer(c, tx, cw)
			if err != nil {
				return err
			}
			return fn(target{tags: &cs.Tags, policy: &cs.Policy, put: func() error {
				return store.PutJSON(c.Context, tx, consumersTable, cw.key(), cs)
			}})
		}
		w, ok := parseStreamARN(arn)
		if !ok {
			return invalidArgument("ResourceARN %s is invalid.", arn)
		}
		s, err := load(c, tx, w)
		if err != nil {
			return err
		}
		return fn(target{tags: &s.Tags, policy: &s.Policy, put: func() error {
			return store.PutJSON(c.Context, tx, streamsTable, streamKey(s.Account, s.Region, s.Name), s)
		}})
	})
	return err
}

func (k *Kinesis) putResourcePolicy(c *api.Call) (any, error) {
	var in resourceInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if in.Policy == nil {
		return nil, validation("1 validation error detected: Value null at 'policy' failed to satisfy constraint: Member must not be null")
	}
	if _, err := policy.Parse(*in.Policy, policy.Resource); err != nil {
		return nil, invalidArgument("Invalid policy: %s", strings.TrimPrefix(err.Error(), "policy: "))
	}
	err := k.withTarget(c, in.ResourceARN, func(t target) error {
		*t.policy = *in.Policy
		return t.put()
	})
	return struct{}{}, err
}

func (k *Kinesis) getResourcePolicy(c *api.Call) (any, error) {
	var in resourceInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	var doc string
	err := k.withTarget(c, in.ResourceARN, func(t target) error {
		doc = *t.policy
		return nil
	})
	if err != nil {
		return nil, err
	}
	if doc == "" {
		doc = "{}"
	}
	return map[string]string{"Policy": doc}, nil
}

func (k *Kinesis) deleteResourcePolicy(c *api.Call) (any, error) {
	var in resourceInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	err := k.withTarget(c, in.ResourceARN, func(t target) error {
		if *t.policy == "" {
			return kinesisError("ResourceNotFoundException", "No resource policy found for resource ARN %s.", in.ResourceARN)
		}
		*t.policy = ""
		return t.put()
	})
	return struct{}{}, err
}

// Tags.

func checkTagCount(n int, name, account string) error {
	if n > maxTagsPerStream {
		return invalidArgument("Failed to add tags to stream %s under account %s because a given stream cannot have more than %d tags.", name, account, maxTagsPerStream)
	}
	return nil
}

func (k *Kinesis) addTagsToStream(c *api.Call) (any, error) {
	var in addTagsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	_, err := k.update(c, in.streamRef, func(s *stream) error {
		merged := mergeTags(s.Tags, in.Tags)
		if err := checkTagCount(len(merged), s.Name, s.Account); err != nil {
			return err
		}
		s.Tags = merged
		return nil
	})
	return struct{}{}, err
}

func mergeTags(have, add map[string]string) map[string]string {
	out := make(map[string]string, len(have)+len(add))
	for k, v := range have {
		out[k] = v
	}
	for k, v := range add {
		out[k] = v
	}
	return out
}

func (k *Kinesis) removeTagsFromStream(c *api.Call) (any, error) {
	var in removeTagsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	_, err := k.update(c, in.streamRef, func(s *stream) error {
		for _, key := range in.TagKeys {
			delete(s.Tags, key)
		}
		return nil
	})
	return struct{}{}, err
}

// sortedTags returns tags as a list sorted by key.
func sortedTags(m map[string]string) []tag {
	out := make([]tag, 0, len(m))
	for k, v := range m {
		out = append(out, tag{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b tag) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func (k *Kinesis) listTagsForStream(c *api.Call) (any, error) {
	var in listTagsForStreamInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	s, err := k.streamOf(c, in.streamRef)
	if err != nil {
		return nil, err
	}
	limit := maxTagsPerStream
	if in.Limit != nil {
		limit = *in.Limit
	}
	out := &listTagsForStreamOutput{Tags: []tag{}}
	for _, t := range sortedTags(s.Tags) {
		if in.ExclusiveStartTagKey != "" && t.Key <= in.ExclusiveStartTagKey {
			continue
		}
		if len(out.Tags) == limit {
			out.HasMoreTags = true
			break
		}
		out.Tags = append(out.Tags, t)
	}
	return out, nil
}

func (k *Kinesis) tagResource(c *api.Call) (any, error) {
	var in resourceInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	err := k.withTarget(c, in.ResourceARN, func(t target) error {
		merged := mergeTags(*t.tags, in.Tags)
		if err := checkTagCount(len(merged), in.ResourceARN, c.Account); err != nil {
			return err
		}
		*t.tags = merged
		return t.put()
	})
	return struct{}{}, err
}

func (k *Kinesis) untagResource(c *api.Call) (any, error) {
	var in resourceInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	err := k.withTarget(c, in.ResourceARN, func(t target) error {
		for _, key := range in.TagKeys {
			delete(*t.tags, key)
		}
		return t.put()
	})
	return struct{}{}, err
}

func (k *Kinesis) listTagsForResource(c *api.Call) (any, error) {
	var in resourceInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	var tags []tag
	err := k.withTarget(c, in.ResourceARN, func(t target) error {
		tags = sortedTags(*t.tags)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string][]tag{"Tags": tags}, nil
}

// Helpers for the stored JSON and the tokens.

func jsonMarshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("kinesis: %w", err)
	}
	return b, nil
}

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("kinesis: %w", err)
	}
	return nil
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func unbase64Std(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
