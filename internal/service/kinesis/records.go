package kinesis

import (
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/seqlog"
)

// Record limits.
const (
	maxPutRecordsBytes = 5 << 20  // a PutRecords request's data and partition keys
	maxGetRecordsBytes = 10 << 20 // a GetRecords answer's data
	maxGetRecords      = 10000
	readPage           = 500 // records GetRecords reads from the store at once
	// trimEvery is how often, in positions, an append also trims its
	// shard's records older than the retention period.
	trimEvery = 256
)

// A sequence number is 56 decimal digits: "49", the stream's creation
// time in milliseconds (14 digits), the record's position in its shard's
// log (20 digits) and the shard's index (20 digits). Within a shard it
// grows with the position, that is in commit order; the shard index makes
// it unique in the stream, and the creation time tells one incarnation of
// a stream name from another.
const sequenceDigits = 56

// sequence returns the sequence number of position p of shard i.
func (s *stream) sequence(i int, p seqlog.Position) string {
	return fmt.Sprintf("49%014d%020d%020d", s.epochMillis(), int64(p), i)
}

// parseSequence returns the shard index and position a sequence number of
// s encodes; ok is false for one that is not of s.
func (s *stream) parseSequence(seq string) (shard int, p seqlog.Position, ok bool) {
	if len(seq) != sequenceDigits || seq[:2] != "49" {
		return 0, 0, false
	}
	epoch, err1 := strconv.ParseInt(seq[2:16], 10, 64)
	pos, err2 := strconv.ParseInt(seq[16:36], 10, 64)
	idx, err3 := strconv.ParseInt(seq[36:], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || epoch != s.epochMillis() || idx >= int64(s.Shards) || pos < 0 {
		return 0, 0, false
	}
	return int(idx), seqlog.Position(pos), true
}

// stored is a record as its shard's log keeps it.
type stored struct {
	Arrival      time.Time
	PartitionKey string
	Data         []byte
}

const recordFormat = 1

// encode writes r as: format byte, arrival in Unix milliseconds (8 bytes),
// the partition key's length (uvarint), the key, the data.
func (r stored) encode() []byte {
	b := make([]byte, 0, 1+8+binary.MaxVarintLen64+len(r.PartitionKey)+len(r.Data))
	b = append(b, recordFormat)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Arrival.UnixMilli()))
	b = binary.AppendUvarint(b, uint64(len(r.PartitionKey)))
	b = append(b, r.PartitionKey...)
	return append(b, r.Data...)
}

func decodeStored(b []byte) (stored, error) {
	if len(b) < 10 || b[0] != recordFormat {
		return stored{}, fmt.Errorf("kinesis: stored record of format %d", b[0])
	}
	r := stored{Arrival: time.UnixMilli(int64(binary.BigEndian.Uint64(b[1:9]))).UTC()}
	n, w := binary.Uvarint(b[9:])
	if w <= 0 || uint64(len(b)-9-w) < n {
		return stored{}, errors.New("kinesis: malformed stored record")
	}
	rest := b[9+w:]
	r.PartitionKey = string(rest[:n])
	r.Data = rest[n:]
	return r, nil
}

// hashKey is the 128-bit hash key of a record: its ExplicitHashKey, or the
// MD5 of its partition key read as a big-endian integer.
func hashKey(partitionKey, explicit string) (*big.Int, error) {
	if explicit != "" {
		h, ok := new(big.Int).SetString(explicit, 10)
		if !ok || h.Sign() < 0 || h.Cmp(hashSpace) >= 0 {
			return nil, invalidArgument("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was %s", explicit)
		}
		return h, nil
	}
	sum := md5.Sum([]byte(partitionKey))
	return new(big.Int).SetBytes(sum[:]), nil
}

// entry is one record to append.
type entry struct {
	shard int
	value []byte
	pos   seqlog.Position
}

// appendRecords appends the entries to their shards' logs in one
// transaction, in order within each shard, and sets their positions. The
// stream is read again in the transaction, so records never land in the
// logs of a stream deleted meanwhile.
func (k *Kinesis) appendRecords(c *api.Call, w where, epoch int64, entries []entry) (*stream, error) {
	byShard := map[int][][]byte{}
	var order []int
	for _, e := range entries {
		if _, ok := byShard[e.shard]; !ok {
			order = append(order, e.shard)
		}
		byShard[e.shard] = append(byShard[e.shard], e.value)
	}
	var s *stream
	_, err := k.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		var err error
		if s, err = load(c, tx, w); err != nil {
			return err
		}
		if s.epochMillis() != epoch {
			return streamNotFound(w.name, w.account)
		}
		first := map[int]seqlog.Position{}
		for _, i := range order {
			p, err := seqlog.Append(c.Context, tx, s.logName(i), byShard[i]...)
			if err != nil {
				return err
			}
			first[i] = p
			end := p + seqlog.Position(len(byShard[i]))
			if p/trimEvery != end/trimEvery {
				if err := k.trimExpired(c, tx, s, i); err != nil {
					return err
				}
			}
		}
		for j := range entries {
			entries[j].pos = first[entries[j].shard]
			first[entries[j].shard]++
		}
		return nil
	})
	return s, err
}

// trimExpired trims a shard's records older than the stream's retention
// period, up to trimEvery of them.
func (k *Kinesis) trimExpired(c *api.Call, tx store.Tx, s *stream, i int) error {
	info, err := seqlog.Stat(c.Context, tx, s.logName(i))
	if err != nil {
		return err
	}
	recs, err := seqlog.Read(c.Context, tx, s.logName(i), info.Trimmed, trimEvery)
	if err != nil {
		return err
	}
	horizon := k.horizon(s)
	through := info.Trimmed
	for _, r := range recs {
		st, err := decodeStored(r.Value)
		if err != nil {
			return err
		}
		if !st.Arrival.Before(horizon) {
			break
		}
		through = r.Position
	}
	return seqlog.Trim(c.Context, tx, s.logName(i), through)
}

// horizon is the arrival time before which s's records are past its
// retention period, or past a shorter one it had.
func (k *Kinesis) horizon(s *stream) time.Time {
	h := k.cfg.Now().Add(-time.Duration(s.Retention) * time.Hour)
	if s.Expired.After(h) {
		return s.Expired
	}
	return h
}

// checkData applies Kinesis's per-record size limit.
func checkData(s *stream, data []byte, member string) error {
	if limit := s.RecordKiB * 1024; len(data) > limit {
		return validation("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", member, limit)
	}
	return nil
}

func (k *Kinesis) putRecord(c *api.Call) (any, error) {
	var in putRecordInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	s, err := k.streamOf(c, in.streamRef)
	if err != nil {
		return nil, err
	}
	if err := checkData(s, in.Data, "data"); err != nil {
		return nil, err
	}
	h, err := hashKey(in.PartitionKey, in.ExplicitHashKey)
	if err != nil {
		return nil, err
	}
	// SequenceNumberForOrdering needs nothing more: a shard's sequence
	// numbers grow in commit order, so a record always sorts after every
	// record its producer saw acknowledged.
	now := k.cfg.Now().UTC()
	entries := []entry{{shard: shardFor(h, s.Shards), value: stored{Arrival: now, PartitionKey: in.PartitionKey, Data: in.Data}.encode()}}
	s, err = k.appendRecords(c, where{s.Account, s.Region, s.Name}, s.epochMillis(), entries)
	if err != nil {
		return nil, err
	}
	e := entries[0]
	out := &putRecordOutput{ShardId: shardID(e.shard), SequenceNumber: s.sequence(e.shard, e.pos), EncryptionType: s.Encryption}
	return out, nil
}

func (k *Kinesis) putRecords(c *api.Call) (any, error) {
	var in putRecordsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	s, err := k.streamOf(c, in.streamRef)
	if err != nil {
		return nil, err
	}
	total := 0
	now := k.cfg.Now().UTC()
	entries := make([]entry, len(in.Records))
	for j, r := range in.Records {
		if err := checkData(s, r.Data, fmt.Sprintf("records.%d.member.data", j+1)); err != nil {
			return nil, err
		}
		total += len(r.Data) + len(r.PartitionKey)
		h, err := hashKey(r.PartitionKey, r.ExplicitHashKey)
		if err != nil {
			return nil, err
		}
		entries[j] = entry{shard: shardFor(h, s.Shards), value: stored{Arrival: now, PartitionKey: r.PartitionKey, Data: r.Data}.encode()}
	}
	if total > maxPutRecordsBytes {
		return nil, invalidArgument("Records size exceeds 5 MB limit")
	}
	s, err = k.appendRecords(c, where{s.Account, s.Region, s.Name}, s.epochMillis(), entries)
	if err != nil {
		return nil, err
	}
	out := &putRecordsOutput{Records: make([]putRecordsResult, len(entries)), EncryptionType: s.Encryption}
	for j, e := range entries {
		out.Records[j] = putRecordsResult{ShardId: shardID(e.shard), SequenceNumber: s.sequence(e.shard, e.pos)}
	}
	// The trail keeps the count, not the records.
	c.Trail.ResponseElements = map[string]any{"failedRecordCount": 0}
	return out, nil
}

// Iterators.

// iteratorLife is how long a shard iterator may be used.
const iteratorLife = 5 * time.Minute

// iterator is what a shard iterator holds, sealed.
type iterator struct {
	Account string          `json:"a"`
	Region  string          `json:"r"`
	Stream  string          `json:"s"`
	Epoch   int64           `json:"e"`
	Shard   int             `json:"i"`
	After   seqlog.Position `json:"p"`
	Created int64           `json:"t"` // Unix milliseconds
}

var iteratorAD = []byte("kinesis shard iterator")

func (k *Kinesis) seal(it iterator) string {
	b, _ := jsonMarshal(it)
	return base64Std(k.cfg.Box.Seal(b, iteratorAD))
}

// open returns the iterator a ShardIterator holds. An iterator is good in
// the region of its stream only: read in another, it would reach a stream
// that the call's region (and aws:RequestedRegion) does not name.
func (k *Kinesis) open(c *api.Call, token string) (iterator, error) {
	var it iterator
	b, err := unbase64Std(token)
	if err != nil {
		return it, invalidArgument("Invalid ShardIterator.")
	}
	pt, err := k.cfg.Box.Open(b, iteratorAD)
	if err != nil || jsonUnmarshal(pt, &it) != nil || it.Region != c.Region {
		return it, invalidArgument("Invalid ShardIterator.")
	}
	return it, nil
}

// javaDate is the layout of Java's Date.toString, which Kinesis's
// ExpiredIteratorException message uses.
const javaDate = "Mon Jan 02 15:04:05 MST 2006"

func (k *Kinesis) getShardIterator(c *api.Call) (any, error) {
	var in GetShardIteratorInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	s, err := k.streamOf(c, streamRef{StreamName: in.StreamName, StreamARN: in.StreamARN})
	if err != nil {
		return nil, err
	}
	i, ok := s.shardIndex(in.ShardId)
	if !ok {
		return nil, kinesisError("ResourceNotFoundException", "Shard %s in stream %s under account %s does not exist", in.ShardId, s.Name, s.Account)
	}
	bySequence := in.ShardIteratorType == "AT_SEQUENCE_NUMBER" || in.ShardIteratorType == "AFTER_SEQUENCE_NUMBER"
	if bySequence != (in.StartingSequenceNumber != "") {
		return nil, invalidArgument("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or "+
			"(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified %s and %s.", in.ShardIteratorType, startingText(in.StartingSequenceNumber))
	}
	if (in.ShardIteratorType == "AT_TIMESTAMP") != (in.Timestamp != nil) {
		return nil, invalidArgument("Must specify timestamp if and only if ShardIteratorType is AT_TIMESTAMP. Request specified %s.", in.ShardIteratorType)
	}
	log := s.logName(i)
	info, err := seqlog.Stat(c.Context, k.cfg.Store, log)
	if err != nil {
		return nil, err
	}
	var after seqlog.Position
	switch in.ShardIteratorType {
	case "TRIM_HORIZON":
		after = info.Trimmed
	case "LATEST":
		after = info.Last
	case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
		shard, p, ok := s.parseSequence(in.StartingSequenceNumber)
		if !ok || p > info.Last {
			return nil, invalidArgument("StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s under account %s is invalid because it did not come from this stream.",
				in.StartingSequenceNumber, in.ShardId, s.Name, s.Account)
		}
		if shard != i {
			return nil, invalidArgument("Invalid StartingSequenceNumber. It encodes %s, while it was used in a call to a shard with %s", shardID(shard), in.ShardId)
		}
		after = p
		if in.ShardIteratorType == "AT_SEQUENCE_NUMBER" && p > 0 {
			after = p - 1
		}
	case "AT_TIMESTAMP":
		if after, err = k.atTime(c, log, info, in.Timestamp.Time); err != nil {
			return nil, err
		}
	}
	after = max(after, info.Trimmed)
	it := iterator{Account: s.Account, Region: s.Region, Stream: s.Name, Epoch: s.epochMillis(), Shard: i, After: after, Created: k.cfg.Now().UnixMilli()}
	return &GetShardIteratorOutput{ShardIterator: k.seal(it)}, nil
}

func startingText(seq string) string {
	if seq == "" {
		return "no StartingSequenceNumber"
	}
	return "StartingSequenceNumber " + seq
}

// atTime returns the position before the first record that arrived at or
// after t, by binary search over the log's kept positions (arrival times
// follow positions, as the records' commits do).
func (k *Kinesis) atTime(c *api.Call, log string, info seqlog.Info, t time.Time) (seqlog.Position, error) {
	lo, hi := info.Trimmed, info.Last // the answer is in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo)/2
		recs, err := seqlog.Read(c.Context, k.cfg.Store, log, mid, 1)
		if errors.Is(err, seqlog.ErrTrimmed) {
			lo = mid + 1
			continue
		}
		if err != nil {
			return 0, err
		}
		if len(recs) == 0 {
			hi = mid
			continue
		}
		st, err := decodeStored(recs[0].Value)
		if err != nil {
			return 0, err
		}
		if st.Arrival.Before(t) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// iteratorResource is the stream a GetRecords iterator reads.
func (k *Kinesis) iteratorResource(c *api.Call) (api.Resource, error) {
	var in GetRecordsInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	it, err := k.open(c, in.ShardIterator)
	if err != nil {
		return api.Resource{}, err
	}
	return k.resourceOfStream(c, where{it.Account, it.Region, it.Stream})
}

func (k *Kinesis) getRecords(c *api.Call) (any, error) {
	var in GetRecordsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	it, err := k.open(c, in.ShardIterator)
	if err != nil {
		return nil, err
	}
	now := k.cfg.Now()
	if created := time.UnixMilli(it.Created); now.Sub(created) > iteratorLife {
		return nil, kinesisError("ExpiredIteratorException", "Iterator expired. The iterator was created at time %s while right now it is %s "+
			"which is further in the future than the tolerated delay of %d milliseconds.",
			created.UTC().Format(javaDate), now.UTC().Format(javaDate), iteratorLife.Milliseconds())
	}
	s, err := load(c, k.cfg.Store, where{it.Account, it.Region, it.Stream})
	if err != nil {
		return nil, err
	}
	if s.epochMillis() != it.Epoch {
		return nil, streamNotFound(it.Stream, it.Account)
	}
	if in.StreamARN != "" && in.StreamARN != s.ARN {
		return nil, invalidArgument("StreamARN %s is not the stream of the ShardIterator.", in.StreamARN)
	}
	limit := maxGetRecords
	if in.Limit != nil {
		// The model bounds Limit for requests; an in-process caller's is
		// held to the same bounds (a Limit below 1 would never end a read).
		limit = *in.Limit
		bound := ""
		switch {
		case limit < 1:
			bound = "greater than or equal to 1"
		case limit > maxGetRecords:
			bound = fmt.Sprintf("less than or equal to %d", maxGetRecords)
		}
		if bound != "" {
			return nil, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value %s", limit, bound)
		}
	}
	log := s.logName(it.Shard)
	horizon := k.horizon(s)
	out := &GetRecordsOutput{Records: []Record{}}
	processed, size := 0, 0
	var next *stored // the first record left for the next call
reading:
	for {
		// Pages bound the memory a read takes whatever the Limit.
		want := min(limit-processed+1, readPage)
		recs, err := seqlog.Read(c.Context, k.cfg.Store, log, it.After, want)
		if errors.Is(err, seqlog.ErrTrimmed) {
			// The records the iterator pointed to are past retention:
			// reading goes on from the oldest record kept.
			var info seqlog.Info
			if info, err = seqlog.Stat(c.Context, k.cfg.Store, log); err == nil {
				it.After = info.Trimmed
				recs, err = seqlog.Read(c.Context, k.cfg.Store, log, it.After, want)
			}
		}
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			st, err := decodeStored(r.Value)
			if err != nil {
				return nil, err
			}
			if processed == limit || size+len(st.Data) > maxGetRecordsBytes && len(out.Records) > 0 {
				next = &st
				break reading
			}
			processed++
			it.After = r.Position
			if st.Arrival.Before(horizon) {
				continue // past retention, awaiting its trim
			}
			size += len(st.Data)
			out.Records = append(out.Records, Record{
				SequenceNumber: s.sequence(it.Shard, r.Position), ApproximateArrivalTimestamp: Timestamp{st.Arrival},
				Data: st.Data, PartitionKey: st.PartitionKey, EncryptionType: s.Encryption,
			})
		}
		if len(recs) < want {
			break
		}
	}
	if next != nil {
		out.MillisBehindLatest = max(0, now.Sub(next.Arrival).Milliseconds())
	}
	it.Created = now.UnixMilli()
	out.NextShardIterator = k.seal(it)
	return out, nil
}
