// Package sqs is Amazon Simple Queue Service, in both its protocols: the
// JSON protocol (awsJson1_0, X-Amz-Target AmazonSQS.*, with AWS's
// query-compatible error codes) and the query protocol (Action=...,
// Version=2012-11-05, XML answers) that older clients speak.
//
// A queue is a record in the store (queuesTable) and a leased queue of
// package queue holding its messages, named by an id drawn at creation, so
// that a queue deleted and created again starts empty. Messages are sent,
// received, deleted and moved to dead-letter queues in store transactions:
// a message is delivered at least once, survives a restart, and is held by
// one receiver at a time within its visibility timeout, on every node
// sharing the database. The queue policy is a resource policy, compiled
// once and kept fresh across nodes by the change feed.
package sqs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/protocol"
	"github.com/rolecall/rolecall/internal/shape"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/queue"
)

// Wire names of the service.
const (
	TargetPrefix = "AmazonSQS"
	APIVersion   = "2012-11-05"
	XMLNamespace = "http://queue.amazonaws.com/doc/2012-11-05/"
)

// Config configures SQS.
type Config struct {
	// Account and Region are the defaults.
	Account string
	Region  string
	Store   store.Store
	// Feed, when set, keeps cached queue records fresh across nodes and
	// wakes long polls when another node sends a message. Without it,
	// nothing is cached and a long poll looks again every second.
	Feed *store.Feed
	// Endpoint returns the base URL clients reach rolecall at
	// ("http://127.0.0.1:4566"): queue URLs are built on it.
	Endpoint func() string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// SQS is the Simple Queue Service.
type SQS struct {
	cfg    Config
	queues store.Memo[*queueState]
	waits  *waiters
}

// New returns SQS configured by cfg.
func New(cfg Config) (*SQS, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("sqs: a store is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Endpoint == nil {
		cfg.Endpoint = func() string { return "http://localhost" }
	}
	s := &SQS{cfg: cfg, queues: store.Memo[*queueState]{Max: 10000}}
	s.waits = newWaiters(cfg.Feed)
	if cfg.Feed != nil {
		cfg.Feed.Subscribe([]string{queuesTable},
			func(c store.Change) { s.queues.Forget(c.Key) },
			s.queues.ForgetAll)
	}
	return s, nil
}

// Service returns the operation table.
func (s *SQS) Service() *api.Service {
	q, owner := s.queueResource, s.ownerResource
	data := api.Data
	return api.NewService(api.Service{
		Name:              "sqs",
		EventSource:       "sqs.amazonaws.com",
		Protocols:         []string{"awsJson1_0", "awsQuery"},
		TargetPrefix:      TargetPrefix,
		APIVersion:        APIVersion,
		XMLNamespace:      XMLNamespace,
		QueryCompatible:   true,
		DeniedActionLower: true,
		QueryCodes:        queryCodes,
		Validate:          shape.PruneHook("sqs"),
	}, []*api.Operation{
		{Name: "CreateQueue", Action: "sqs:CreateQueue", Resource: s.createResource, Conditions: s.createConditions, Handle: s.createQueue},
		{Name: "GetQueueUrl", Action: "sqs:GetQueueUrl", ReadOnly: true, Resource: s.nameResource, Handle: s.getQueueURL},
		{Name: "ListQueues", Action: "sqs:ListQueues", ReadOnly: true, Handle: s.listQueues},
		{Name: "DeleteQueue", Action: "sqs:DeleteQueue", Resource: owner, Handle: s.deleteQueue},
		{Name: "GetQueueAttributes", Action: "sqs:GetQueueAttributes", ReadOnly: true, Resource: q, Handle: s.getQueueAttributes},
		{Name: "SetQueueAttributes", Action: "sqs:SetQueueAttributes", Resource: owner, Handle: s.setQueueAttributes},
		{Name: "PurgeQueue", Action: "sqs:PurgeQueue", Resource: q, Handle: s.purgeQueue},
		{Name: "TagQueue", Action: "sqs:TagQueue", Resource: owner, Conditions: tagConditions, Handle: s.tagQueue},
		{Name: "UntagQueue", Action: "sqs:UntagQueue", Resource: owner, Conditions: untagConditions, Handle: s.untagQueue},
		{Name: "ListQueueTags", Action: "sqs:ListQueueTags", ReadOnly: true, Resource: owner, Handle: s.listQueueTags},
		{Name: "AddPermission", Action: "sqs:AddPermission", Resource: owner, Handle: s.addPermission},
		{Name: "RemovePermission", Action: "sqs:RemovePermission", Resource: owner, Handle: s.removePermission},
		{Name: "ListDeadLetterSourceQueues", Action: "sqs:ListDeadLetterSourceQueues", ReadOnly: true, Resource: q, Handle: s.listDeadLetterSourceQueues},

		{Name: "SendMessage", Action: "sqs:SendMessage", Category: data, Resource: q, Handle: s.sendMessage},
		{Name: "SendMessageBatch", Action: "sqs:SendMessage", Category: data, Resource: q, Handle: s.sendMessageBatch},
		{Name: "ReceiveMessage", Action: "sqs:ReceiveMessage", Category: data, ReadOnly: true, Resource: q, Handle: s.receiveMessage},
		{Name: "DeleteMessage", Action: "sqs:DeleteMessage", Category: data, Resource: q, Handle: s.deleteMessage},
		{Name: "DeleteMessageBatch", Action: "sqs:DeleteMessage", Category: data, Resource: q, Handle: s.deleteMessageBatch},
		{Name: "ChangeMessageVisibility", Action: "sqs:ChangeMessageVisibility", Category: data, Resource: q, Handle: s.changeMessageVisibility},
		{Name: "ChangeMessageVisibilityBatch", Action: "sqs:ChangeMessageVisibility", Category: data, Resource: q, Handle: s.changeMessageVisibilityBatch},
	}...)
}

// decode decodes the call's input into v: an in-process call's typed
// input, the query protocol's form, or the JSON body.
func decode(c *api.Call, v any) error {
	if c.Input != nil {
		return c.Decode(v)
	}
	if c.Protocol != nil && c.Protocol.Name() == protocol.NameQuery {
		if err := decodeQuery(c.Params, v); err != nil {
			return err
		}
	} else {
		body, err := c.Payload()
		if err != nil {
			return err
		}
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, v); err != nil {
				return api.Errorf(400, "SerializationException", "Could not parse the request body as JSON.")
			}
		}
	}
	// A query request POSTed to the queue's URL names the queue by its
	// path alone.
	if u, ok := v.(interface{ setQueueURL(string) }); ok && c.HTTP != nil {
		if p := strings.Trim(c.HTTP.URL.Path, "/"); strings.Count(p, "/") == 1 {
			u.setQueueURL(p)
		}
	}
	return nil
}

// queueRef names a queue.
type queueRef struct {
	Account, Region, Name string
}

func (r queueRef) key() string { return r.Account + "/" + r.Region + "/" + r.Name }

// ARN is the queue's ARN.
func (r queueRef) ARN() string { return "arn:aws:sqs:" + r.Region + ":" + r.Account + ":" + r.Name }

// url is the queue's URL.
func (s *SQS) url(r queueRef) string {
	return strings.TrimSuffix(s.cfg.Endpoint(), "/") + "/" + r.Account + "/" + r.Name
}

// parseQueueURL reads a queue URL of any host whose path is
// /account/name (also "account/name", a query request's path).
func parseQueueURL(c *api.Call, raw string) (queueRef, error) {
	if raw == "" {
		return queueRef{}, missingParameter("QueueUrl")
	}
	path := raw
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil {
			return queueRef{}, invalidAddress(raw)
		}
		path = u.Path
	}
	account, name, ok := strings.Cut(strings.Trim(path, "/"), "/")
	if !ok || account == "" || name == "" || strings.Contains(name, "/") {
		return queueRef{}, invalidAddress(raw)
	}
	return queueRef{Account: account, Region: c.Region, Name: name}, nil
}

// parseARN reads a queue ARN.
func parseARN(arn string) (queueRef, bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return queueRef{}, false
	}
	return queueRef{Region: parts[3], Account: parts[4], Name: parts[5]}, true
}

// messages is the leased queue of a queue's messages.
func (s *SQS) messages(rec *queueRecord) *queue.Queue {
	return queue.New(s.cfg.Store, "sqs_"+rec.ID, s.cfg.Now)
}

// errNoQueue is returned inside transactions for a queue that is gone.
var errNoQueue = errors.New("sqs: no such queue")

// handlerError turns an error of the store's layers into the answer.
func handlerError(op string, err error) error {
	var ae *api.Error
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, errNoQueue):
		return queueDoesNotExist()
	}
	return errorf(op, err)
}
