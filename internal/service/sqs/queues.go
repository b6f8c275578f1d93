package sqs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// queuesTable holds the queues: account/region/name → queueRecord JSON.
const queuesTable = "sqs_queues"

// deletedTable holds when a queue name was last deleted:
// account/region/name → unix milliseconds. SQS takes no queue of that name
// for 60 seconds after.
const deletedTable = "sqs_deleted"

// queueRecord is a queue as stored.
type queueRecord struct {
	ID      string `json:"id"` // names the queue's message table
	Account string `json:"account"`
	Region  string `json:"region"`
	Name    string `json:"name"`
	// Attrs are the settable attributes, each present, in SQS's spelling.
	Attrs    map[string]string `json:"attrs"`
	Tags     map[string]string `json:"tags,omitempty"`
	Created  int64             `json:"created"`  // unix seconds
	Modified int64             `json:"modified"` // unix seconds
	PurgedAt int64             `json:"purged,omitempty"`
}

func (r *queueRecord) ref() queueRef {
	return queueRef{Account: r.Account, Region: r.Region, Name: r.Name}
}

func (r *queueRecord) fifo() bool { return r.Attrs["FifoQueue"] == "true" }

// seconds returns an integer attribute as a duration in seconds.
func (r *queueRecord) seconds(name string) time.Duration {
	n, _ := strconv.Atoi(r.Attrs[name])
	return time.Duration(n) * time.Second
}

func (r *queueRecord) int(name string) int {
	n, _ := strconv.Atoi(r.Attrs[name])
	return n
}

// queueState is a queue with its policies compiled; rec nil means there
// is no such queue.
type queueState struct {
	rec     *queueRecord
	policy  *policy.Policy
	redrive *redrivePolicy
	allow   *redriveAllowPolicy
}

// load returns the queue ref names, cached until it changes.
func (s *SQS) load(ctx context.Context, ref queueRef) (*queueState, error) {
	k := ref.key()
	if st, ok, _ := s.queues.Get(k); ok && s.cfg.Feed != nil {
		return st, nil
	}
	_, _, gen := s.queues.Get(k)
	rec, err := readQueue(ctx, s.cfg.Store, ref)
	if err != nil {
		return nil, err
	}
	st := &queueState{rec: rec}
	if rec != nil {
		if st.policy, err = compilePolicy(rec.Attrs["Policy"]); err != nil {
			return nil, err
		}
		st.redrive, _ = parseRedrive(rec.Attrs["RedrivePolicy"])
		st.allow, _ = parseRedriveAllow(rec.Attrs["RedriveAllowPolicy"])
	}
	s.queues.Put(gen, k, st)
	return st, nil
}

// existing returns the queue ref names, or QueueDoesNotExist.
// queueAt returns the queue a call's QueueUrl names, and its state, or
// SQS's error for a malformed URL or a missing queue.
func (s *SQS) queueAt(c *api.Call, url string) (queueRef, *queueState, error) {
	ref, err := parseQueueURL(c, url)
	if err != nil {
		return queueRef{}, nil, err
	}
	st, err := s.existing(c.Context, ref)
	return ref, st, err
}

func (s *SQS) existing(ctx context.Context, ref queueRef) (*queueState, error) {
	st, err := s.load(ctx, ref)
	if err != nil {
		return nil, errorf("load queue", err)
	}
	if st.rec == nil {
		return nil, queueDoesNotExist()
	}
	return st, nil
}

func compilePolicy(doc string) (*policy.Policy, error) {
	if doc == "" {
		return nil, nil
	}
	return policy.Parse(doc, policy.Resource)
}

// readQueue reads a queue record; nil when there is none.
func readQueue(ctx context.Context, r store.Reader, ref queueRef) (*queueRecord, error) {
	v, err := r.Get(ctx, queuesTable, ref.key())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec queueRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

func writeQueue(ctx context.Context, tx store.Tx, rec *queueRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return tx.Put(ctx, queuesTable, rec.ref().key(), v)
}

// update changes the queue ref in a transaction and forgets its cached
// state.
func (s *SQS) update(ctx context.Context, ref queueRef, fn func(tx store.Tx, rec *queueRecord) error) error {
	_, err := s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		rec, err := readQueue(ctx, tx, ref)
		if err != nil {
			return err
		}
		if rec == nil {
			return errNoQueue
		}
		return fn(tx, rec)
	})
	s.queues.Forget(ref.key())
	return err
}

// queueURLOf reads the QueueUrl an input names, for authorization.
func queueURLOf(c *api.Call) string {
	if c.Input != nil {
		if u, ok := c.Input.(interface{ queueURL() string }); ok {
			return u.queueURL()
		}
		return ""
	}
	var in queueInput
	if c.Protocol != nil && c.Protocol.Name() == "awsQuery" {
		in.QueueUrl = c.Params.Get("QueueUrl")
	} else if body, err := c.Payload(); err == nil && len(body) > 0 {
		_ = json.Unmarshal(body, &in)
	}
	if in.QueueUrl == "" && c.HTTP != nil {
		if p := strings.Trim(c.HTTP.URL.Path, "/"); strings.Count(p, "/") == 1 {
			return p
		}
	}
	return in.QueueUrl
}

// queueResource is the queue a call names, with its tags and policy.
func (s *SQS) queueResource(c *api.Call) (api.Resource, error) {
	ref, err := parseQueueURL(c, queueURLOf(c))
	if err != nil {
		return api.Resource{}, err
	}
	return s.resourceOf(c.Context, ref)
}

// ownerResource is the queue of an action SQS keeps to the queue's own
// account (AddPermission, RemovePermission, DeleteQueue,
// SetQueueAttributes, TagQueue, UntagQueue, ListQueueTags): cross-account
// permissions do not apply to them (SQS Developer Guide, "Limitations of
// Amazon SQS custom policies"), so a caller of another account is judged
// without the queue policy, which then cannot grant it anything.
func (s *SQS) ownerResource(c *api.Call) (api.Resource, error) {
	res, err := s.queueResource(c)
	if err != nil {
		return res, err
	}
	if c.Principal == nil || c.Principal.Account != res.Account {
		res.Policy = nil
	}
	return res, nil
}

func (s *SQS) resourceOf(ctx context.Context, ref queueRef) (api.Resource, error) {
	res := api.Resource{ARN: ref.ARN(), Type: "AWS::SQS::Queue", Account: ref.Account, Mode: api.ResourcePolicy}
	st, err := s.load(ctx, ref)
	if err != nil {
		return res, errorf("load queue", err)
	}
	if st.rec != nil {
		res.Policy = st.policy
		if len(st.rec.Tags) > 0 {
			res.Tags = st.rec.Tags
		}
	}
	return res, nil
}

// nameResource is the queue GetQueueUrl names.
func (s *SQS) nameResource(c *api.Call) (api.Resource, error) {
	var in getQueueURLInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	account := in.QueueOwnerAWSAccountId
	if account == "" {
		account = c.Account
	}
	return s.resourceOf(c.Context, queueRef{Account: account, Region: c.Region, Name: in.QueueName})
}

// createResource is the queue CreateQueue makes.
func (s *SQS) createResource(c *api.Call) (api.Resource, error) {
	var in createQueueInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	return s.resourceOf(c.Context, queueRef{Account: c.Account, Region: c.Region, Name: in.QueueName})
}

func (s *SQS) createConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in createQueueInput
	if decode(c, &in) == nil {
		requestTags(in.Tags, keys)
	}
}

func tagConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in tagQueueInput
	if decode(c, &in) == nil {
		requestTags(in.Tags, keys)
	}
}

func untagConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in untagQueueInput
	if decode(c, &in) == nil && len(in.TagKeys) > 0 {
		keys.Set("aws:TagKeys", in.TagKeys...)
	}
}

func requestTags(tags Tags, keys api.Keys) {
	if len(tags) == 0 {
		return
	}
	for k, v := range tags {
		keys.Set("aws:RequestTag/"+k, v)
	}
	keys.Set("aws:TagKeys", slices.Sorted(maps.Keys(tags))...)
}

// validName reports whether name is a queue name: 1 to 80 alphanumeric
// characters, hyphens and underscores, ".fifo" (counted) ending a FIFO
// queue's.
func validName(name string, fifo bool) bool {
	if len(name) < 1 || len(name) > 80 {
		return false
	}
	base := name
	if fifo {
		var ok bool
		if base, ok = strings.CutSuffix(name, ".fifo"); !ok || base == "" {
			return false
		}
	}
	for _, r := range base {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *SQS) createQueue(c *api.Call) (any, error) {
	var in createQueueInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, missingParameter("QueueName")
	}
	fifo := in.Attributes["FifoQueue"] == "true"
	if !validName(in.QueueName, fifo) {
		if fifo || strings.HasSuffix(in.QueueName, ".fifo") {
			return nil, invalidParameter("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
		}
		return nil, invalidParameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if strings.HasSuffix(in.QueueName, ".fifo") && !fifo {
		if _, given := in.Attributes["FifoQueue"]; given {
			return nil, invalidAttributeValue("FifoQueue")
		}
		return nil, invalidParameter("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	ref := queueRef{Account: c.Account, Region: c.Region, Name: in.QueueName}
	attrs := defaults(fifo)
	if err := s.setAttributes(c.Context, ref, attrs, in.Attributes, true); err != nil {
		return nil, err
	}
	now := s.cfg.Now().Unix()
	_, err := s.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		old, err := readQueue(c.Context, tx, ref)
		if err != nil {
			return err
		}
		if old != nil {
			for _, name := range slices.Sorted(maps.Keys(in.Attributes)) {
				if old.Attrs[name] != attrs[name] {
					return sqsError(http.StatusBadRequest, "QueueNameExists",
						"A queue already exists with the same name and a different value for attribute %s", name)
				}
			}
			return nil
		}
		if v, err := tx.Get(c.Context, deletedTable, ref.key()); err == nil {
			if at, _ := strconv.ParseInt(string(v), 10, 64); s.cfg.Now().Sub(time.UnixMilli(at)) < time.Minute {
				return sqsError(http.StatusBadRequest, "QueueDeletedRecently",
					"You must wait 60 seconds after deleting a queue before you can create another with the same name.")
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		rec := &queueRecord{ID: newID(), Account: ref.Account, Region: ref.Region, Name: ref.Name,
			Attrs: attrs, Tags: in.Tags, Created: now, Modified: now}
		return writeQueue(c.Context, tx, rec)
	})
	s.queues.Forget(ref.key())
	if err != nil {
		return nil, handlerError("create queue", err)
	}
	return &queueURLOutput{QueueUrl: s.url(ref)}, nil
}

func (s *SQS) getQueueURL(c *api.Call) (any, error) {
	var in getQueueURLInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, missingParameter("QueueName")
	}
	account := in.QueueOwnerAWSAccountId
	if account == "" {
		account = c.Account
	}
	st, err := s.existing(c.Context, queueRef{Account: account, Region: c.Region, Name: in.QueueName})
	if err != nil {
		return nil, err
	}
	return &queueURLOutput{QueueUrl: s.url(st.rec.ref())}, nil
}

// listPage lists the queue URLs of the account and region of home whose
// names start with prefix (and pass keep, when set), a page at a time.
func (s *SQS) listPage(c *api.Call, home queueRef, prefix, token string, max *int32, keep func(*queueRecord) bool) ([]string, string, error) {
	limit := 1000
	if max != nil {
		if *max < 1 || *max > 1000 {
			return nil, "", invalidValue("MaxResults", *max, "MaxResults must be an integer between 1 and 1000.")
		}
		limit = int(*max)
	}
	after := ""
	if token != "" {
		b, err := hex.DecodeString(token)
		if err != nil {
			return nil, "", invalidParameter("Invalid NextToken value.")
		}
		after = string(b)
	}
	scope := home.Account + "/" + home.Region + "/"
	items, err := s.cfg.Store.List(c.Context, queuesTable, scope+prefix, after, 0)
	if err != nil {
		return nil, "", errorf("list queues", err)
	}
	var urls []string
	next, last := "", ""
	for _, it := range items {
		var rec queueRecord
		if err := json.Unmarshal(it.Value, &rec); err != nil {
			return nil, "", errorf("list queues", err)
		}
		if keep != nil && !keep(&rec) {
			continue
		}
		if len(urls) == limit {
			next = hex.EncodeToString([]byte(last))
			break
		}
		urls = append(urls, s.url(rec.ref()))
		last = it.Key
	}
	if max == nil && token == "" {
		next = "" // without MaxResults, ListQueues answers up to 1000 and no token
	}
	return urls, next, nil
}

func (s *SQS) listQueues(c *api.Call) (any, error) {
	var in listQueuesInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	urls, next, err := s.listPage(c, queueRef{Account: c.Account, Region: c.Region}, in.QueueNamePrefix, in.NextToken, in.MaxResults, nil)
	if err != nil {
		return nil, err
	}
	return &listQueuesOutput{QueueUrls: urls, NextToken: next}, nil
}

func (s *SQS) listDeadLetterSourceQueues(c *api.Call) (any, error) {
	var in listDeadLetterSourceQueuesInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	_, st, err := s.queueAt(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	// Its sources are of its own account and Region (allows), whoever
	// asks.
	arn := st.rec.ref().ARN()
	urls, next, err := s.listPage(c, st.rec.ref(), "", in.NextToken, in.MaxResults, func(r *queueRecord) bool {
		rp, err := parseRedrive(r.Attrs["RedrivePolicy"])
		return err == nil && rp != nil && rp.DeadLetterTargetArn == arn
	})
	if err != nil {
		return nil, err
	}
	if urls == nil {
		urls = []string{}
	}
	return &listDeadLetterSourceQueuesOutput{QueueUrls: urls, NextToken: next}, nil
}

func (s *SQS) deleteQueue(c *api.Call) (any, error) {
	var in queueInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	ref, err := parseQueueURL(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	err = s.update(c.Context, ref, func(tx store.Tx, rec *queueRecord) error {
		if err := s.messages(rec).Drop(c.Context, tx); err != nil {
			return err
		}
		if err := dropAttempts(c.Context, tx, rec); err != nil {
			return err
		}
		if err := tx.Put(c.Context, deletedTable, ref.key(), []byte(strconv.FormatInt(s.cfg.Now().UnixMilli(), 10))); err != nil {
			return err
		}
		return tx.Delete(c.Context, queuesTable, ref.key())
	})
	if err != nil {
		return nil, handlerError("delete queue", err)
	}
	return nil, nil
}

func (s *SQS) purgeQueue(c *api.Call) (any, error) {
	var in queueInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	ref, err := parseQueueURL(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	err = s.update(c.Context, ref, func(tx store.Tx, rec *queueRecord) error {
		if rec.PurgedAt != 0 && now.Sub(time.UnixMilli(rec.PurgedAt)) < time.Minute {
			return sqsError(http.StatusForbidden, "PurgeQueueInProgress",
				"Only one PurgeQueue operation on %s is allowed every 60 seconds.", rec.Name)
		}
		rec.PurgedAt = now.UnixMilli()
		if err := s.messages(rec).Purge(c.Context, tx); err != nil {
			return err
		}
		return writeQueue(c.Context, tx, rec)
	})
	if err != nil {
		return nil, handlerError("purge queue", err)
	}
	return nil, nil
}

func checkTags(tags Tags) error {
	if len(tags) > 50 {
		return invalidParameter("Too many tags added for queue. Maximum is 50.")
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 || strings.HasPrefix(k, "aws:") {
			return invalidParameter("Tag key or value is invalid: %s", k)
		}
	}
	return nil
}

func (s *SQS) tagQueue(c *api.Call) (any, error) {
	var in tagQueueInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	ref, err := parseQueueURL(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, missingParameter("Tags")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err = s.update(c.Context, ref, func(tx store.Tx, rec *queueRecord) error {
		if rec.Tags == nil {
			rec.Tags = map[string]string{}
		}
		maps.Copy(rec.Tags, in.Tags)
		if len(rec.Tags) > 50 {
			return invalidParameter("Too many tags added for queue. Maximum is 50.")
		}
		return writeQueue(c.Context, tx, rec)
	})
	if err != nil {
		return nil, handlerError("tag queue", err)
	}
	return nil, nil
}

func (s *SQS) untagQueue(c *api.Call) (any, error) {
	var in untagQueueInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	ref, err := parseQueueURL(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, missingParameter("TagKeys")
	}
	err = s.update(c.Context, ref, func(tx store.Tx, rec *queueRecord) error {
		for _, k := range in.TagKeys {
			delete(rec.Tags, k)
		}
		return writeQueue(c.Context, tx, rec)
	})
	if err != nil {
		return nil, handlerError("untag queue", err)
	}
	return nil, nil
}

func (s *SQS) listQueueTags(c *api.Call) (any, error) {
	var in queueInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	_, st, err := s.queueAt(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	return &listQueueTagsOutput{Tags: st.rec.Tags}, nil
}

// The inputs that name a queue by URL.

func (in *queueInput) setQueueURL(p string)                      { setIfEmpty(&in.QueueUrl, p) }
func (in *setQueueAttributesInput) setQueueURL(p string)         { setIfEmpty(&in.QueueUrl, p) }
func (in *tagQueueInput) setQueueURL(p string)                   { setIfEmpty(&in.QueueUrl, p) }
func (in *untagQueueInput) setQueueURL(p string)                 { setIfEmpty(&in.QueueUrl, p) }
func (in *listDeadLetterSourceQueuesInput) setQueueURL(p string) { setIfEmpty(&in.QueueUrl, p) }
func (in *GetQueueAttributesInput) setQueueURL(p string)         { setIfEmpty(&in.QueueUrl, p) }
func (in *SendMessageInput) setQueueURL(p string)                { setIfEmpty(&in.QueueUrl, p) }
func (in *SendMessageBatchInput) setQueueURL(p string)           { setIfEmpty(&in.QueueUrl, p) }
func (in *ReceiveMessageInput) setQueueURL(p string)             { setIfEmpty(&in.QueueUrl, p) }
func (in *DeleteMessageInput) setQueueURL(p string)              { setIfEmpty(&in.QueueUrl, p) }
func (in *DeleteMessageBatchInput) setQueueURL(p string)         { setIfEmpty(&in.QueueUrl, p) }
func (in *ChangeMessageVisibilityInput) setQueueURL(p string)    { setIfEmpty(&in.QueueUrl, p) }
func (in *ChangeMessageVisibilityBatchInput) setQueueURL(p string) {
	setIfEmpty(&in.QueueUrl, p)
}

func (in *GetQueueAttributesInput) queueURL() string           { return in.QueueUrl }
func (in *SendMessageInput) queueURL() string                  { return in.QueueUrl }
func (in *ReceiveMessageInput) queueURL() string               { return in.QueueUrl }
func (in *DeleteMessageInput) queueURL() string                { return in.QueueUrl }
func (in *DeleteMessageBatchInput) queueURL() string           { return in.QueueUrl }
func (in *ChangeMessageVisibilityInput) queueURL() string      { return in.QueueUrl }
func (in *ChangeMessageVisibilityBatchInput) queueURL() string { return in.QueueUrl }
func (in *SendMessageBatchInput) queueURL() string             { return in.QueueUrl }

func setIfEmpty(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}
