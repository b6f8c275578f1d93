package sqs

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/queue"
)

// attrSpec is one settable queue attribute.
type attrSpec struct {
	def      string
	min, max int  // an integer attribute's range, when max > 0
	fifo     bool // FIFO queues only
	create   bool // set by CreateQueue only
	oneOf    []string
}

// settable are the queue attributes CreateQueue and SetQueueAttributes
// take, with SQS's defaults and ranges.
var settable = map[string]attrSpec{
	"DelaySeconds":                  {def: "0", min: 0, max: 900},
	"MaximumMessageSize":            {def: "1048576", min: 1024, max: 1048576},
	"MessageRetentionPeriod":        {def: "345600", min: 60, max: 1209600},
	"ReceiveMessageWaitTimeSeconds": {def: "0", min: 0, max: 20},
	"VisibilityTimeout":             {def: "30", min: 0, max: 43200},
	"Policy":                        {},
	"RedrivePolicy":                 {},
	"RedriveAllowPolicy":            {},
	"SqsManagedSseEnabled":          {def: "false", oneOf: []string{"false"}},
	"FifoQueue":                     {fifo: true, create: true, oneOf: []string{"true", "false"}},
	"ContentBasedDeduplication":     {def: "false", fifo: true, oneOf: []string{"true", "false"}},
	"DeduplicationScope":            {def: "queue", fifo: true, oneOf: []string{"queue", "messageGroup"}},
	"FifoThroughputLimit":           {def: "perQueue", fifo: true, oneOf: []string{"perQueue", "perMessageGroupId"}},
}

// computed are the attributes GetQueueAttributes reports besides the
// settable ones.
var computed = []string{
	"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
	"CreatedTimestamp", "LastModifiedTimestamp", "QueueArn",
}

// defaults are a new queue's attributes.
func defaults(fifo bool) map[string]string {
	m := map[string]string{}
	for name, spec := range settable {
		if spec.def != "" && (!spec.fifo || fifo) {
			m[name] = spec.def
		}
	}
	if fifo {
		m["FifoQueue"] = "true"
	}
	return m
}

// setAttributes checks the attributes given for the queue ref and sets
// them in attrs. Server-side encryption with KMS keys is refused: the
// store does not encrypt messages with a customer key.
func (s *SQS) setAttributes(ctx context.Context, ref queueRef, attrs, given map[string]string, create bool) error {
	fifo := attrs["FifoQueue"] == "true"
	for _, name := range slices.Sorted(maps.Keys(given)) {
		v := given[name]
		spec, ok := settable[name]
		switch {
		case name == "KmsMasterKeyId" || name == "KmsDataKeyReusePeriodSeconds":
			return invalidParameter("Value %s for parameter %s is invalid. Reason: server-side encryption with KMS keys is not supported; messages are kept in the server's store.", v, name)
		case !ok || spec.fifo && !fifo:
			return invalidAttributeName(name)
		case spec.create && !create:
			return invalidAttributeName(name)
		case spec.max > 0:
			n, err := strconv.Atoi(v)
			if err != nil || n < spec.min || n > spec.max {
				return invalidAttributeValue(name)
			}
			v = strconv.Itoa(n)
		case spec.oneOf != nil:
			if !slices.Contains(spec.oneOf, v) {
				return invalidAttributeValue(name)
			}
		case name == "Policy":
			if v != "" {
				if _, err := compilePolicy(v); err != nil {
					return invalidAttributeValue(name)
				}
			}
		case name == "RedrivePolicy":
			canon, err := s.checkRedrive(ctx, ref, fifo, v)
			if err != nil {
				return err
			}
			v = canon
		case name == "RedriveAllowPolicy":
			rp, err := parseRedriveAllow(v)
			if err != nil {
				return invalidValue(name, v, err.Error())
			}
			if rp != nil {
				b, _ := json.Marshal(rp)
				v = string(b)
			}
		}
		if v == "" && spec.def == "" {
			delete(attrs, name)
			continue
		}
		attrs[name] = v
	}
	return nil
}

// redrivePolicy is a queue's RedrivePolicy.
type redrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

// parseRedrive reads a RedrivePolicy; maxReceiveCount may be a number or
// a string holding one. "" is no policy.
func parseRedrive(v string) (*redrivePolicy, error) {
	if v == "" {
		return nil, nil
	}
	var raw struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, errString("Redrive policy is not a valid JSON map.")
	}
	if raw.DeadLetterTargetArn == "" {
		return nil, errString("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	if len(raw.MaxReceiveCount) == 0 {
		return nil, errString("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
	}
	n, err := strconv.Atoi(strings.Trim(string(raw.MaxReceiveCount), `"`))
	if err != nil || n < 1 || n > 1000 {
		return nil, errString("Invalid value for maxReceiveCount: " + strings.Trim(string(raw.MaxReceiveCount), `"`) + ", valid values are from 1 to 1000 both inclusive.")
	}
	return &redrivePolicy{DeadLetterTargetArn: raw.DeadLetterTargetArn, MaxReceiveCount: n}, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// checkRedrive checks a RedrivePolicy of the queue ref against its
// dead-letter queue and returns it as SQS reports it.
func (s *SQS) checkRedrive(ctx context.Context, ref queueRef, fifo bool, v string) (string, error) {
	rp, err := parseRedrive(v)
	if err != nil {
		return "", invalidValue("RedrivePolicy", v, err.Error())
	}
	if rp == nil {
		return "", nil
	}
	dref, ok := parseARN(rp.DeadLetterTargetArn)
	if !ok {
		return "", invalidValue("RedrivePolicy", v, "Invalid value for deadLetterTargetArn.")
	}
	notAllowed := invalidValue("RedrivePolicy", v, "Queue "+ref.ARN()+" is not allowed to use "+rp.DeadLetterTargetArn+" as a dead-letter queue.")
	if !sameHome(ref, dref) {
		// Refused before it is looked up: the answer does not tell
		// whether another account's queue exists.
		return "", notAllowed
	}
	dst, err := s.load(ctx, dref)
	if err != nil {
		return "", errorf("load dead-letter queue", err)
	}
	if dst.rec == nil {
		return "", invalidValue("RedrivePolicy", v, "Dead letter target does not exist.")
	}
	if dst.rec.fifo() != fifo {
		return "", invalidValue("RedrivePolicy", v, "Dead-letter queue must be same type of queue as the source.")
	}
	if !dst.allow.allows(ref, dref) {
		return "", notAllowed
	}
	b, _ := json.Marshal(rp)
	return string(b), nil
}

// redriveAllowPolicy is a dead-letter queue's RedriveAllowPolicy: which
// source queues may move messages to it.
type redriveAllowPolicy struct {
	RedrivePermission string   `json:"redrivePermission"`
	SourceQueueArns   []string `json:"sourceQueueArns,omitempty"`
}

func parseRedriveAllow(v string) (*redriveAllowPolicy, error) {
	if v == "" {
		return nil, nil
	}
	var rp redriveAllowPolicy
	if err := json.Unmarshal([]byte(v), &rp); err != nil {
		return nil, errString("Redrive allow policy is not a valid JSON map.")
	}
	switch rp.RedrivePermission {
	case "allowAll", "denyAll":
		if len(rp.SourceQueueArns) > 0 {
			return nil, errString("Redrive allow policy sourceQueueArns can only be given with redrivePermission byQueue.")
		}
	case "byQueue":
		if len(rp.SourceQueueArns) == 0 || len(rp.SourceQueueArns) > 10 {
			return nil, errString("Redrive allow policy with redrivePermission byQueue must name 1 to 10 sourceQueueArns.")
		}
	default:
		return nil, errString("Redrive allow policy redrivePermission must be one of allowAll, denyAll, byQueue.")
	}
	return &rp, nil
}

// allows reports whether the policy of the dead-letter queue dlq lets
// the queue src move messages to it. A dead-letter queue is in its
// source's account and Region; no policy, or allowAll, allows every such
// source ("any source queues in this account in the same Region").
func (p *redriveAllowPolicy) allows(src, dlq queueRef) bool {
	if !sameHome(src, dlq) {
		return false
	}
	if p == nil {
		return true
	}
	switch p.RedrivePermission {
	case "allowAll":
		return true
	case "byQueue":
		return slices.Contains(p.SourceQueueArns, src.ARN())
	}
	return false
}

// sameHome reports whether two queues are of one account and Region.
func sameHome(a, b queueRef) bool { return a.Account == b.Account && a.Region == b.Region }

func (s *SQS) getQueueAttributes(c *api.Call) (any, error) {
	var in GetQueueAttributesInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	_, st, err := s.queueAt(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	return s.attributesOf(c.Context, st.rec, in.AttributeNames)
}

// attributesOf answers GetQueueAttributes for names.
func (s *SQS) attributesOf(ctx context.Context, rec *queueRecord, names []string) (*GetQueueAttributesOutput, error) {
	want := map[string]bool{}
	for _, n := range names {
		switch _, ok := settable[n]; {
		case n == "All":
			for k := range settable {
				want[k] = true
			}
			for _, k := range computed {
				want[k] = true
			}
		case ok || slices.Contains(computed, n):
			want[n] = true
		default:
			return nil, invalidAttributeName(n)
		}
	}
	out := Attributes{}
	for n := range want {
		if v, ok := rec.Attrs[n]; ok {
			out[n] = v
		}
	}
	if want["ApproximateNumberOfMessages"] || want["ApproximateNumberOfMessagesNotVisible"] || want["ApproximateNumberOfMessagesDelayed"] {
		stats, err := s.messages(rec).Stats(ctx, s.cfg.Store, rec.seconds("MessageRetentionPeriod"))
		if err != nil {
			return nil, errorf("queue attributes", err)
		}
		counts := map[string]int{"ApproximateNumberOfMessages": stats.Visible,
			"ApproximateNumberOfMessagesNotVisible": stats.InFlight, "ApproximateNumberOfMessagesDelayed": stats.Delayed}
		for n, v := range counts {
			if want[n] {
				out[n] = strconv.Itoa(v)
			}
		}
	}
	for n, v := range map[string]string{
		"CreatedTimestamp": strconv.FormatInt(rec.Created, 10), "LastModifiedTimestamp": strconv.FormatInt(rec.Modified, 10),
		"QueueArn": rec.ref().ARN(),
	} {
		if want[n] {
			out[n] = v
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return &GetQueueAttributesOutput{Attributes: out}, nil
}

func (s *SQS) setQueueAttributes(c *api.Call) (any, error) {
	var in setQueueAttributesInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	ref, st, err := s.queueAt(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	attrs := maps.Clone(st.rec.Attrs)
	if err := s.setAttributes(c.Context, ref, attrs, in.Attributes, false); err != nil {
		return nil, err
	}
	now := s.cfg.Now().Unix()
	err = s.update(c.Context, ref, func(tx store.Tx, rec *queueRecord) error {
		if rec.ID != st.rec.ID {
			return errNoQueue
		}
		maps.Copy(rec.Attrs, attrs)
		for k := range rec.Attrs {
			if _, ok := attrs[k]; !ok {
				delete(rec.Attrs, k)
			}
		}
		rec.Modified = now
		return writeQueue(c.Context, tx, rec)
	})
	if err != nil {
		return nil, handlerError("set queue attributes", err)
	}
	return nil, nil
}

// retention is the ReceiveOptions field of the queue's retention period.
func retention(rec *queueRecord) queue.ReceiveOptions {
	return queue.ReceiveOptions{Retention: rec.seconds("MessageRetentionPeriod"), FIFO: rec.fifo()}
}
