package kinesis

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/seqlog"
)

// Stream statuses and capacity modes.
const (
	statusCreating = "CREATING"
	statusActive   = "ACTIVE"

	modeProvisioned = "PROVISIONED"
	modeOnDemand    = "ON_DEMAND"
)

// Kinesis's limits.
const (
	onDemandShards     = 4    // shards an on-demand stream starts with
	shardLimit         = 200  // provisioned shards per account and region
	onDemandLimit      = 50   // on-demand streams per account and region
	defaultRetention   = 24   // hours
	minRetention       = 24   // hours
	maxRetention       = 8760 // hours
	maxTagsPerStream   = 50
	defaultRecordKiB   = 1024
	describeShardLimit = 100 // DescribeStream's default Limit
	listShardsLimit    = 1000
	listStreamsLimit   = 100
)

// allMetrics are the shard-level metrics "ALL" stands for.
var allMetrics = []string{"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
	"WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds"}

// stream is a stream as the store keeps it.
type stream struct {
	Name      string    `json:"name"`
	ARN       string    `json:"arn"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Created   time.Time `json:"created"`
	Mode      string    `json:"mode"`
	Shards    int       `json:"shards"`
	Retention int       `json:"retention"` // hours
	// Expired is the arrival time before which records are gone for good:
	// a retention period once shortened does not give back, when
	// lengthened again, the records it put past retention.
	Expired   time.Time         `json:"expired,omitzero"`
	RecordKiB int               `json:"recordKiB"`
	Tags      map[string]string `json:"tags,omitempty"`
	Policy    string            `json:"policy,omitempty"`
	// Encryption is "KMS" with KeyID once StartStreamEncryption ran.
	Encryption string   `json:"encryption,omitempty"`
	KeyID      string   `json:"keyId,omitempty"`
	Metrics    []string `json:"metrics,omitempty"`
}

func streamARN(region, account, name string) string {
	return "arn:aws:kinesis:" + region + ":" + account + ":stream/" + name
}

func streamKey(account, region, name string) string { return account + "/" + region + "/" + name }

// status is the stream's StreamStatus at now.
func (k *Kinesis) status(created time.Time) string {
	if k.cfg.Now().Before(created.Add(k.cfg.CreateDelay)) {
		return statusCreating
	}
	return statusActive
}

// epochMillis identifies one incarnation of a stream: a stream deleted and
// created again under its name has new logs and sequence numbers.
func (s *stream) epochMillis() int64 { return s.Created.UnixMilli() }

// shardID is the ShardId of the shard at index i.
func shardID(i int) string { return fmt.Sprintf("shardId-%012d", i) }

// shardIndex parses a ShardId; ok is false for one that names no shard of s.
func (s *stream) shardIndex(id string) (int, bool) {
	n, ok := strings.CutPrefix(id, "shardId-")
	if !ok || len(n) != 12 {
		return 0, false
	}
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 || i >= s.Shards {
		return 0, false
	}
	return i, true
}

// shardsThrough is the number of s's shards whose ShardId sorts at or
// before id: the index of the first shard listed after id. ShardIds sort
// as strings, as Kinesis lists them.
func (s *stream) shardsThrough(id string) int {
	return sort.Search(s.Shards, func(i int) bool { return shardID(i) > id })
}

// logName is the seqlog of shard i.
func (s *stream) logName(i int) string {
	return fmt.Sprintf("kinesis/%s/%s/%s/%d/%d", s.Account, s.Region, s.Name, s.epochMillis(), i)
}

// hashSpace is 2^128, the size of the hash key space.
var hashSpace = new(big.Int).Lsh(big.NewInt(1), 128)

// hashRange returns the hash keys shard i of n holds: the space split
// evenly, the last shard taking the remainder.
func hashRange(i, n int) (lo, hi *big.Int) {
	step := new(big.Int).Div(hashSpace, big.NewInt(int64(n)))
	lo = new(big.Int).Mul(step, big.NewInt(int64(i)))
	if i == n-1 {
		return lo, new(big.Int).Sub(hashSpace, big.NewInt(1))
	}
	hi = new(big.Int).Add(lo, step)
	return lo, hi.Sub(hi, big.NewInt(1))
}

// shardFor returns the index of the shard of n holding hash key h.
func shardFor(h *big.Int, n int) int {
	step := new(big.Int).Div(hashSpace, big.NewInt(int64(n)))
	i := int(new(big.Int).Div(h, step).Int64())
	return min(i, n-1)
}

// shard returns shard i of s as Kinesis describes it.
func (s *stream) shard(i int) Shard {
	lo, hi := hashRange(i, s.Shards)
	return Shard{
		ShardId:             shardID(i),
		HashKeyRange:        HashKeyRange{StartingHashKey: lo.String(), EndingHashKey: hi.String()},
		SequenceNumberRange: SequenceNumberRange{StartingSequenceNumber: s.sequence(i, 0)},
	}
}

// streamNotFound is Kinesis's answer for a missing stream.
func streamNotFound(name, account string) *api.Error {
	return kinesisError("ResourceNotFoundException", "Stream %s under account %s not found.", name, account)
}

// where is the account, region and name a call's StreamName or StreamARN
// names.
type where struct{ account, region, name string }

// locate resolves a stream reference: StreamARN (which may name another
// account's stream, reached through its resource policy) or StreamName
// in the caller's account.
func locate(c *api.Call, ref streamRef) (where, error) {
	if ref.StreamARN != "" {
		w, ok := parseStreamARN(ref.StreamARN)
		if !ok {
			return w, invalidArgument("StreamARN %s is invalid.", ref.StreamARN)
		}
		if ref.StreamName != "" && ref.StreamName != w.name {
			return w, invalidArgument("StreamARN %s and StreamName %s do not name the same stream.", ref.StreamARN, ref.StreamName)
		}
		if w.region != c.Region {
			return w, streamNotFound(w.name, w.account)
		}
		return w, nil
	}
	if ref.StreamName == "" {
		return where{}, invalidArgument("Either StreamName or StreamARN should be provided.")
	}
	return where{account: c.Account, region: c.Region, name: ref.StreamName}, nil
}

// parseStreamARN splits arn:aws:kinesis:R:A:stream/NAME.
func parseStreamARN(arn string) (where, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kinesis" || parts[3] == "" || len(parts[4]) != 12 {
		return where{}, false
	}
	name, ok := strings.CutPrefix(parts[5], "stream/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return where{}, false
	}
	return where{account: parts[4], region: parts[3], name: name}, true
}

// load reads a stream, or answers ResourceNotFoundException.
func load(c *api.Call, r store.Reader, w where) (*stream, error) {
	var s stream
	err := store.GetJSON(c.Context, r, streamsTable, streamKey(w.account, w.region, w.name), &s)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, streamNotFound(w.name, w.account)
	case err != nil:
		return nil, fmt.Errorf("kinesis: stream %s: %w", w.name, err)
	}
	return &s, nil
}

// streamOf decodes the call's stream reference and loads the stream.
func (k *Kinesis) streamOf(c *api.Call, ref streamRef) (*stream, error) {
	w, err := locate(c, ref)
	if err != nil {
		return nil, err
	}
	return load(c, k.cfg.Store, w)
}

// update loads the stream ref names in a transaction, lets fn change it,
// and stores it.
func (k *Kinesis) update(c *api.Call, ref streamRef, fn func(s *stream) error) (*stream, error) {
	w, err := locate(c, ref)
	if err != nil {
		return nil, err
	}
	var out *stream
	_, err = k.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		s, err := load(c, tx, w)
		if err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
		out = s
		return store.PutJSON(c.Context, tx, streamsTable, streamKey(s.Account, s.Region, s.Name), s)
	})
	return out, err
}

func (k *Kinesis) createStream(c *api.Call) (any, error) {
	var in createStreamInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	mode := modeProvisioned
	if in.StreamModeDetails != nil {
		mode = in.StreamModeDetails.StreamMode
	} else if in.ShardCount == nil {
		// Without a shard count there is no provisioned capacity to give.
		mode = modeOnDemand
	}
	shards := onDemandShards
	switch {
	case mode == modeOnDemand && in.ShardCount != nil:
		return nil, invalidArgument("ShardCount is not supported for streams in ON_DEMAND mode.")
	case mode == modeProvisioned && in.ShardCount == nil:
		return nil, invalidArgument("ShardCount is required for streams in PROVISIONED mode.")
	case mode == modeProvisioned:
		shards = *in.ShardCount
	}
	if len(in.Tags) > maxTagsPerStream {
		return nil, invalidArgument("Failed to create stream %s under account %s because a given stream cannot have more than %d tags.", in.StreamName, c.Account, maxTagsPerStream)
	}
	if err := authorizeTags(c, "kinesis:AddTagsToStream", api.Resource{ARN: streamARN(c.Region, c.Account, in.StreamName), Type: typeStream}, in.Tags); err != nil {
		return nil, err
	}
	recordKiB := defaultRecordKiB
	if in.MaxRecordSizeInKiB != nil {
		recordKiB = *in.MaxRecordSizeInKiB
	}
	created := k.cfg.Now().UTC().Truncate(time.Millisecond)
	s := &stream{
		Name: in.StreamName, ARN: streamARN(c.Region, c.Account, in.StreamName), Account: c.Account, Region: c.Region,
		Created: created, Mode: mode, Shards: shards,
		Retention: defaultRetention, RecordKiB: recordKiB, Tags: in.Tags,
	}
	_, err := k.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		key := streamKey(c.Account, c.Region, in.StreamName)
		if _, err := tx.Get(c.Context, streamsTable, key); err == nil {
			return kinesisError("ResourceInUseException", "Stream %s under account %s already exists.", in.StreamName, c.Account)
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("kinesis: stream %s: %w", in.StreamName, err)
		}
		s.Created = created
		// A stream deleted within the millisecond (or by a node whose
		// clock is ahead) must not share its incarnation with this one.
		if b, err := tx.Get(c.Context, retiredTable, key); err == nil {
			last, err := strconv.ParseInt(string(b), 10, 64)
			if err != nil {
				return fmt.Errorf("kinesis: retired stream %s: %w", in.StreamName, err)
			}
			if s.epochMillis() <= last {
				s.Created = time.UnixMilli(last + 1).UTC()
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("kinesis: retired stream %s: %w", in.StreamName, err)
		}
		open, onDemand, err := countShards(c, tx)
		if err != nil {
			return err
		}
		if mode == modeProvisioned && open+shards > shardLimit {
			return kinesisError("LimitExceededException", "This request would exceed the shard limit for the account %s in %s. "+
				"Current provisioned shard count for the account in %s: %d. Limit: %d. "+
				"Number of additional shards that would have resulted from this request: %d. "+
				"Refer to the AWS Service Limits page (https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.",
				c.Account, c.Region, c.Region, open, shardLimit, shards)
		}
		if mode == modeOnDemand && onDemand >= onDemandLimit {
			return kinesisError("LimitExceededException", "This request would exceed the limit of on-demand streams for the account %s in %s. "+
				"Current on-demand stream count for the account: %d. Limit: %d.", c.Account, c.Region, onDemand, onDemandLimit)
		}
		return store.PutJSON(c.Context, tx, streamsTable, key, s)
	})
	return struct{}{}, err
}

// countShards returns the account's provisioned shards and on-demand
// streams in the call's region.
func countShards(c *api.Call, r store.Reader) (shards, onDemand int, err error) {
	items, err := r.List(c.Context, streamsTable, scope(c), "", 0)
	if err != nil {
		return 0, 0, fmt.Errorf("kinesis: streams: %w", err)
	}
	for _, it := range items {
		var s stream
		if err := jsonUnmarshal(it.Value, &s); err != nil {
			return 0, 0, err
		}
		if s.Mode == modeOnDemand {
			onDemand++
		} else {
			shards += s.Shards
		}
	}
	return shards, onDemand, nil
}

func (k *Kinesis) describeStream(c *api.Call) (any, error) {
	var in DescribeStreamInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	s, err := k.streamOf(c, streamRef{StreamName: in.StreamName, StreamARN: in.StreamARN})
	if err != nil {
		return nil, err
	}
	limit := describeShardLimit
	if in.Limit != nil {
		limit = *in.Limit
	}
	first := 0
	if in.ExclusiveStartShardId != "" {
		first = s.shardsThrough(in.ExclusiveStartShardId)
	}
	d := StreamDescription{
		StreamName: s.Name, StreamARN: s.ARN, StreamStatus: k.status(s.Created),
		StreamModeDetails: &StreamModeDetails{StreamMode: s.Mode}, Shards: []Shard{},
		RetentionPeriodHours: s.Retention, StreamCreationTimestamp: Timestamp{s.Created},
		EnhancedMonitoring: []EnhancedMetrics{{ShardLevelMetrics: metricsOf(s)}},
		EncryptionType:     encryptionOf(s), KeyId: s.KeyID,
	}
	for i := first; i < s.Shards && len(d.Shards) < limit; i++ {
		d.Shards = append(d.Shards, s.shard(i))
	}
	d.HasMoreShards = first+len(d.Shards) < s.Shards
	return &DescribeStreamOutput{StreamDescription: d}, nil
}

func metricsOf(s *stream) []string {
	if s.Metrics == nil {
		return []string{}
	}
	return s.Metrics
}

func encryptionOf(s *stream) string {
	if s.Encryption == "" {
		return "NONE"
	}
	return s.Encryption
}

func (k *Kinesis) describeStreamSummary(c *api.Call) (any, error) {
	var in DescribeStreamSummaryInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	s, err := k.streamOf(c, streamRef(in))
	if err != nil {
		return nil, err
	}
	consumers, err := k.cfg.Store.List(c.Context, consumersTable, streamKey(s.Account, s.Region, s.Name)+"/", "", 0)
	if err != nil {
		return nil, fmt.Errorf("kinesis: consumers of %s: %w", s.Name, err)
	}
	return &DescribeStreamSummaryOutput{StreamDescriptionSummary: StreamDescriptionSummary{
		StreamName: s.Name, StreamARN: s.ARN, StreamStatus: k.status(s.Created),
		StreamModeDetails: &StreamModeDetails{StreamMode: s.Mode}, RetentionPeriodHours: s.Retention,
		StreamCreationTimestamp: Timestamp{s.Created}, EnhancedMonitoring: []EnhancedMetrics{{ShardLevelMetrics: metricsOf(s)}},
		EncryptionType: encryptionOf(s), KeyId: s.KeyID, OpenShardCount: s.Shards, ConsumerCount: len(consumers),
		MaxRecordSizeInKiB: s.RecordKiB,
	}}, nil
}

func (k *Kinesis) listStreams(c *api.Call) (any, error) {
	var in listStreamsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	limit := listStreamsLimit
	if in.Limit != nil {
		limit = *in.Limit
	}
	after := in.ExclusiveStartStreamName
	if in.NextToken != "" {
		if in.ExclusiveStartStreamName != "" {
			return nil, invalidArgument("NextToken and ExclusiveStartStreamName cannot be provided together.")
		}
		b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil {
			return nil, invalidArgument("NextToken %s is invalid.", in.NextToken)
		}
		after = string(b)
	}
	from := ""
	if after != "" {
		from = scope(c) + after
	}
	items, err := k.cfg.Store.List(c.Context, streamsTable, scope(c), from, limit+1)
	if err != nil {
		return nil, fmt.Errorf("kinesis: streams: %w", err)
	}
	out := &listStreamsOutput{StreamNames: []string{}, StreamSummaries: []streamSummary{}}
	for i, it := range items {
		if i == limit {
			out.HasMoreStreams = true
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(out.StreamNames[len(out.StreamNames)-1]))
			break
		}
		var s stream
		if err := jsonUnmarshal(it.Value, &s); err != nil {
			return nil, err
		}
		out.StreamNames = append(out.StreamNames, s.Name)
		out.StreamSummaries = append(out.StreamSummaries, streamSummary{
			StreamName: s.Name, StreamARN: s.ARN, StreamStatus: k.status(s.Created),
			StreamModeDetails: &StreamModeDetails{StreamMode: s.Mode}, StreamCreationTimestamp: Timestamp{s.Created},
		})
	}
	return out, nil
}

// shardsToken is ListShards' NextToken, sealed with the server key like
// a shard iterator: the stream and the last shard listed.
type shardsToken struct {
	Stream  string `json:"s"`
	Account string `json:"a"`
	Epoch   int64  `json:"e"`
	After   int    `json:"i"`
}

var shardsTokenAD = []byte("kinesis list shards token")

// shardsRef is the stream ListShards lists: the one its NextToken names,
// or its StreamName or StreamARN. A NextToken this endpoint did not make
// is InvalidArgumentException.
func (k *Kinesis) shardsRef(c *api.Call, in *ListShardsInput) (streamRef, shardsToken, error) {
	var tok shardsToken
	if in.NextToken == "" {
		return streamRef{StreamName: in.StreamName, StreamARN: in.StreamARN}, tok, nil
	}
	if in.StreamName != "" {
		return streamRef{}, tok, invalidArgument("NextToken and StreamName cannot be provided together.")
	}
	b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
	if err == nil {
		b, err = k.cfg.Box.Open(b, shardsTokenAD)
	}
	if err != nil || jsonUnmarshal(b, &tok) != nil || tok.After < 0 {
		return streamRef{}, tok, invalidArgument("NextToken %s is invalid.", in.NextToken)
	}
	return streamRef{StreamARN: streamARN(c.Region, tok.Account, tok.Stream)}, tok, nil
}

// listShardsResource is the stream ListShards lists.
func (k *Kinesis) listShardsResource(c *api.Call) (api.Resource, error) {
	var in ListShardsInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	ref, _, err := k.shardsRef(c, &in)
	if err != nil {
		return api.Resource{}, err
	}
	w, err := locate(c, ref)
	if err != nil {
		return api.Resource{}, err
	}
	return k.resourceOfStream(c, w)
}

func (k *Kinesis) listShards(c *api.Call) (any, error) {
	var in ListShardsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	ref, tok, err := k.shardsRef(c, &in)
	if err != nil {
		return nil, err
	}
	first := 0
	if in.NextToken != "" {
		first = tok.After + 1
	}
	s, err := k.streamOf(c, ref)
	if err != nil {
		return nil, err
	}
	if in.NextToken != "" && tok.Epoch != s.epochMillis() {
		return nil, kinesisError("ExpiredNextTokenException", "The NextToken has expired: the stream was deleted and created again.")
	}
	if in.ExclusiveStartShardId != "" {
		first = max(first, s.shardsThrough(in.ExclusiveStartShardId))
	}
	if f := in.ShardFilter; f != nil && f.Type == "AFTER_SHARD_ID" {
		if f.ShardId == "" {
			return nil, invalidArgument("ShardId must be provided with the ShardFilter type AFTER_SHARD_ID.")
		}
		first = max(first, s.shardsThrough(f.ShardId))
	}
	limit := listShardsLimit
	if in.MaxResults != nil {
		limit = *in.MaxResults
	}
	out := &ListShardsOutput{Shards: []Shard{}}
	for i := first; i < s.Shards && len(out.Shards) < limit; i++ {
		out.Shards = append(out.Shards, s.shard(i))
	}
	if last := first + len(out.Shards); last < s.Shards {
		b, _ := jsonMarshal(shardsToken{Stream: s.Name, Account: s.Account, Epoch: s.epochMillis(), After: last - 1})
		out.NextToken = base64.RawURLEncoding.EncodeToString(k.cfg.Box.Seal(b, shardsTokenAD))
	}
	return out, nil
}

func (k *Kinesis) deleteStream(c *api.Call) (any, error) {
	var in deleteStreamInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	w, err := locate(c, in.streamRef)
	if err != nil {
		return nil, err
	}
	_, err = k.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		s, err := load(c, tx, w)
		if err != nil {
			return err
		}
		key := streamKey(s.Account, s.Region, s.Name)
		consumers, err := tx.List(c.Context, consumersTable, key+"/", "", 0)
		if err != nil {
			return fmt.Errorf("kinesis: consumers of %s: %w", s.Name, err)
		}
		if len(consumers) > 0 && !in.EnforceConsumerDeletion {
			return kinesisError("ResourceInUseException", "Stream %s under account %s has registered consumers; "+
				"deregister them or set EnforceConsumerDeletion.", s.Name, s.Account)
		}
		for _, it := range consumers {
			if err := tx.Delete(c.Context, consumersTable, it.Key); err != nil {
				return fmt.Errorf("kinesis: consumer %s: %w", it.Key, err)
			}
		}
		// The shards' records go with the stream.
		for i := range s.Shards {
			info, err := seqlog.Stat(c.Context, tx, s.logName(i))
			if err != nil {
				return err
			}
			if err := seqlog.Trim(c.Context, tx, s.logName(i), info.Last); err != nil {
				return err
			}
		}
		if err := tx.Put(c.Context, retiredTable, key, []byte(strconv.FormatInt(s.epochMillis(), 10))); err != nil {
			return fmt.Errorf("kinesis: retire stream %s: %w", s.Name, err)
		}
		return tx.Delete(c.Context, streamsTable, key)
	})
	return struct{}{}, err
}

func (k *Kinesis) increaseRetention(c *api.Call) (any, error) {
	return k.retention(c, true)
}

func (k *Kinesis) decreaseRetention(c *api.Call) (any, error) {
	return k.retention(c, false)
}

// retention sets a stream's retention period, longer (increase) or
// shorter, within Kinesis's bounds and with its messages.
func (k *Kinesis) retention(c *api.Call, increase bool) (any, error) {
	var in retentionInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if in.RetentionPeriodHours == nil {
		return nil, validation("1 validation error detected: Value null at 'retentionPeriodHours' failed to satisfy constraint: Member must not be null")
	}
	h := *in.RetentionPeriodHours
	switch {
	case h < minRetention:
		return nil, invalidArgument("Minimum allowed retention period is %d hours. Requested retention period (%d hours) is too short.", minRetention, h)
	case h > maxRetention:
		return nil, invalidArgument("Maximum allowed retention period is %d hours. Requested retention period (%d hours) is too long.", maxRetention, h)
	}
	_, err := k.update(c, in.streamRef, func(s *stream) error {
		switch {
		case increase && h < s.Retention:
			return invalidArgument("Requested retention period (%d hours) for stream %s can not be shorter than existing retention period (%d hours). Use DecreaseRetentionPeriod API.", h, s.Name, s.Retention)
		case !increase && h > s.Retention:
			return invalidArgument("Requested retention period (%d hours) for stream %s can not be longer than existing retention period (%d hours). Use IncreaseRetentionPeriod API.", h, s.Name, s.Retention)
		}
		if h < s.Retention {
			if gone := k.cfg.Now().UTC().Add(-time.Duration(h) * time.Hour); gone.After(s.Expired) {
				s.Expired = gone
			}
		}
		s.Retention = h
		return nil
	})
	return struct{}{}, err
}

func (k *Kinesis) updateStreamMode(c *api.Call) (any, error) {
	var in updateStreamModeInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	_, err := k.update(c, streamRef{StreamARN: in.StreamARN}, func(s *stream) error {
		if s.Mode == in.StreamModeDetails.StreamMode {
			return invalidArgument("Stream %s under account %s is already in %s mode.", s.Name, s.Account, s.Mode)
		}
		// The shards stay as they are: a stream keeps the shards it was
		// created with in either mode.
		s.Mode = in.StreamModeDetails.StreamMode
		return nil
	})
	return struct{}{}, err
}

// reshard answers UpdateShardCount, SplitShard and MergeShards.
func (k *Kinesis) reshard(c *api.Call) (any, error) {
	return nil, invalidArgument("%s is not supported by this endpoint: a stream keeps the shards it was created with.", c.OperationName)
}

func (k *Kinesis) startEncryption(c *api.Call) (any, error) {
	var in encryptionInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if in.EncryptionType != "KMS" {
		return nil, invalidArgument("EncryptionType %s is not supported; use KMS.", in.EncryptionType)
	}
	_, err := k.update(c, in.streamRef, func(s *stream) error {
		s.Encryption, s.KeyID = "KMS", in.KeyId
		return nil
	})
	return struct{}{}, err
}

func (k *Kinesis) stopEncryption(c *api.Call) (any, error) {
	var in encryptionInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	_, err := k.update(c, in.streamRef, func(s *stream) error {
		if s.Encryption == "" {
			return invalidArgument("Stream %s under account %s is not encrypted.", s.Name, s.Account)
		}
		s.Encryption, s.KeyID = "", ""
		return nil
	})
	return struct{}{}, err
}

func (k *Kinesis) enableMonitoring(c *api.Call) (any, error) { return k.monitoring(c, true) }

func (k *Kinesis) disableMonitoring(c *api.Call) (any, error) { return k.monitoring(c, false) }

// monitoring records the shard-level metrics enabled on a stream. The
// metrics themselves are not published anywhere.
func (k *Kinesis) monitoring(c *api.Call, enable bool) (any, error) {
	var in monitoringInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	named := in.ShardLevelMetrics
	if slices.Contains(named, "ALL") {
		named = allMetrics
	}
	var before []string
	s, err := k.update(c, in.streamRef, func(s *stream) error {
		before = slices.Clone(metricsOf(s))
		var next []string
		for _, m := range allMetrics {
			on := slices.Contains(s.Metrics, m)
			if slices.Contains(named, m) {
				on = enable
			}
			if on {
				next = append(next, m)
			}
		}
		s.Metrics = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &monitoringOutput{StreamName: s.Name, StreamARN: s.ARN, CurrentShardLevelMetrics: before, DesiredShardLevelMetrics: metricsOf(s)}, nil
}

func (k *Kinesis) describeLimits(c *api.Call) (any, error) {
	open, onDemand, err := countShards(c, k.cfg.Store)
	if err != nil {
		return nil, err
	}
	return map[string]int{"ShardLimit": shardLimit, "OpenShardCount": open, "OnDemandStreamCount": onDemand, "OnDemandStreamCountLimit": onDemandLimit}, nil
}
