package kinesis

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// maxConsumers is the number of consumers a stream may have registered.
const maxConsumers = 20

// consumer is an enhanced fan-out consumer as the store keeps it.
type consumer struct {
	Name      string            `json:"name"`
	ARN       string            `json:"arn"`
	StreamARN string            `json:"streamArn"`
	Created   time.Time         `json:"created"`
	Tags      map[string]string `json:"tags,omitempty"`
	Policy    string            `json:"policy,omitempty"`
}

// consumerWhere names a consumer: its stream and its name.
type consumerWhere struct {
	stream where
	name   string
}

func (cw consumerWhere) key() string {
	return streamKey(cw.stream.account, cw.stream.region, cw.stream.name) + "/" + cw.name
}

// parseConsumerARN splits arn:aws:kinesis:R:A:stream/S/consumer/C:T.
func parseConsumerARN(arn string) (consumerWhere, bool) {
	streamPart, rest, ok := strings.Cut(arn, "/consumer/")
	if !ok {
		return consumerWhere{}, false
	}
	w, ok := parseStreamARN(streamPart)
	if !ok {
		return consumerWhere{}, false
	}
	name, ts, ok := strings.Cut(rest, ":")
	if _, err := strconv.ParseInt(ts, 10, 64); !ok || name == "" || err != nil {
		return consumerWhere{}, false
	}
	return consumerWhere{stream: w, name: name}, true
}

func consumerNotFound(cw consumerWhere) *api.Error {
	return kinesisError("ResourceNotFoundException", "Consumer %s under stream %s not found for account %s.", cw.name, cw.stream.name, cw.stream.account)
}

func loadConsumer(c *api.Call, r store.Reader, cw consumerWhere) (*consumer, error) {
	var cs consumer
	err := store.GetJSON(c.Context, r, consumersTable, cw.key(), &cs)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, consumerNotFound(cw)
	case err != nil:
		return nil, fmt.Errorf("kinesis: consumer %s: %w", cw.name, err)
	}
	return &cs, nil
}

// consumerOf names the consumer of the call's input: ConsumerARN, or
// StreamARN and ConsumerName. A ConsumerARN of a consumer registered
// again under its name (a new creation time) names no consumer.
func consumerOf(c *api.Call, in consumerInput) (consumerWhere, error) {
	if in.ConsumerARN != "" {
		cw, ok := parseConsumerARN(in.ConsumerARN)
		if !ok || cw.stream.region != c.Region {
			return cw, invalidArgument("ConsumerARN %s is invalid.", in.ConsumerARN)
		}
		return cw, nil
	}
	if in.StreamARN == "" || in.ConsumerName == "" {
		return consumerWhere{}, invalidArgument("Either ConsumerARN or both ConsumerName and StreamARN should be provided.")
	}
	w, err := locate(c, streamRef{StreamARN: in.StreamARN})
	return consumerWhere{stream: w, name: in.ConsumerName}, err
}

// consumerResource is the consumer the call names.
func (k *Kinesis) consumerResource(c *api.Call) (api.Resource, error) {
	var in consumerInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	cw, err := consumerOf(c, in)
	if err != nil {
		return api.Resource{}, err
	}
	return k.resourceOfConsumer(c, cw)
}

// resourceOfConsumer is the authorization resource of a consumer; a
// missing one is authorized by the ARN it would have.
func (k *Kinesis) resourceOfConsumer(c *api.Call, cw consumerWhere) (api.Resource, error) {
	res := api.Resource{Type: typeConsumer, Account: cw.stream.account, Mode: api.ResourcePolicy,
		ARN: streamARN(cw.stream.region, cw.stream.account, cw.stream.name) + "/consumer/" + cw.name}
	cs, err := loadConsumer(c, k.cfg.Store, cw)
	var ae *api.Error
	if errors.As(err, &ae) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.ARN, res.Tags = cs.ARN, cs.Tags
	res.Policy, err = k.compiled(cs.Policy)
	return res, err
}

func (k *Kinesis) describe(cs *consumer) consumerOut {
	return consumerOut{ConsumerName: cs.Name, ConsumerARN: cs.ARN, ConsumerStatus: k.status(cs.Created),
		ConsumerCreationTimestamp: Timestamp{cs.Created}, StreamARN: cs.StreamARN}
}

func (k *Kinesis) registerConsumer(c *api.Call) (any, error) {
	var in consumerInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	cw, err := consumerOf(c, consumerInput{StreamARN: in.StreamARN, ConsumerName: in.ConsumerName})
	if err != nil {
		return nil, err
	}
	now := k.cfg.Now().UTC().Truncate(time.Second)
	arn := streamARN(cw.stream.region, cw.stream.account, cw.stream.name) + "/consumer/" + cw.name + ":" + strconv.FormatInt(now.Unix(), 10)
	if err := authorizeTags(c, "kinesis:TagResource", api.Resource{ARN: arn, Type: typeConsumer, Account: cw.stream.account}, in.Tags); err != nil {
		return nil, err
	}
	var cs *consumer
	_, err = k.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		s, err := load(c, tx, cw.stream)
		if err != nil {
			return err
		}
		if _, err := loadConsumer(c, tx, cw); err == nil {
			return kinesisError("ResourceInUseException", "Consumer %s under stream %s already exists for account %s.", cw.name, s.Name, s.Account)
		}
		others, err := tx.List(c.Context, consumersTable, streamKey(s.Account, s.Region, s.Name)+"/", "", 0)
		if err != nil {
			return fmt.Errorf("kinesis: consumers of %s: %w", s.Name, err)
		}
		if len(others) >= maxConsumers {
			return kinesisError("LimitExceededException", "Consumer limit of %d reached for stream %s under account %s.", maxConsumers, s.Name, s.Account)
		}
		cs = &consumer{Name: cw.name, StreamARN: s.ARN, Created: now, Tags: in.Tags, ARN: arn}
		return store.PutJSON(c.Context, tx, consumersTable, cw.key(), cs)
	})
	if err != nil {
		return nil, err
	}
	d := k.describe(cs)
	d.StreamARN = ""
	return map[string]consumerOut{"Consumer": d}, nil
}

// current loads the consumer the call names; a ConsumerARN must carry the
// consumer's creation time.
func (k *Kinesis) current(c *api.Call, in consumerInput) (*consumer, consumerWhere, error) {
	cw, err := consumerOf(c, in)
	if err != nil {
		return nil, cw, err
	}
	cs, err := loadConsumer(c, k.cfg.Store, cw)
	if err != nil {
		return nil, cw, err
	}
	if in.ConsumerARN != "" && in.ConsumerARN != cs.ARN {
		return nil, cw, consumerNotFound(cw)
	}
	return cs, cw, nil
}

func (k *Kinesis) describeConsumer(c *api.Call) (any, error) {
	var in consumerInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	cs, _, err := k.current(c, in)
	if err != nil {
		return nil, err
	}
	return map[string]consumerOut{"ConsumerDescription": k.describe(cs)}, nil
}

func (k *Kinesis) listConsumers(c *api.Call) (any, error) {
	var in consumerInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	w, err := locate(c, streamRef{StreamARN: in.StreamARN})
	if err != nil {
		return nil, err
	}
	if _, err := load(c, k.cfg.Store, w); err != nil {
		return nil, err
	}
	prefix := streamKey(w.account, w.region, w.name) + "/"
	from := ""
	if in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil {
			return nil, invalidArgument("NextToken %s is invalid.", in.NextToken)
		}
		from = prefix + string(b)
	}
	limit := 100
	if in.MaxResults != nil {
		limit = *in.MaxResults
	}
	items, err := k.cfg.Store.List(c.Context, consumersTable, prefix, from, limit+1)
	if err != nil {
		return nil, fmt.Errorf("kinesis: consumers of %s: %w", w.name, err)
	}
	out := struct {
		Consumers []consumerOut `json:"Consumers"`
		NextToken string        `json:"NextToken,omitempty"`
	}{Consumers: []consumerOut{}}
	for i, it := range items {
		if i == limit {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(out.Consumers[i-1].ConsumerName))
			break
		}
		var cs consumer
		if err := jsonUnmarshal(it.Value, &cs); err != nil {
			return nil, err
		}
		d := k.describe(&cs)
		d.StreamARN = ""
		out.Consumers = append(out.Consumers, d)
	}
	return &out, nil
}

func (k *Kinesis) deregisterConsumer(c *api.Call) (any, error) {
	var in consumerInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	_, cw, err := k.current(c, in)
	if err != nil {
		return nil, err
	}
	_, err = k.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		return tx.Delete(c.Context, consumersTable, cw.key())
	})
	return struct{}{}, err
}

// subscribeToShard refuses SubscribeToShard: its answer is an HTTP/2
// event stream, which the SDKs open only over TLS (h2), and this endpoint
// serves HTTP/1.1. Consumers read with GetShardIterator and GetRecords.
func (k *Kinesis) subscribeToShard(c *api.Call) (any, error) {
	var in consumerInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if _, _, err := k.current(c, consumerInput{ConsumerARN: in.ConsumerARN}); err != nil {
		return nil, err
	}
	return nil, invalidArgument("SubscribeToShard is not supported by this endpoint: enhanced fan-out needs an HTTP/2 event stream. " +
		"Read the shard with GetShardIterator and GetRecords.")
}
