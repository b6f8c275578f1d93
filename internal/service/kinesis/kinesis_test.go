package kinesis

import (
	"context"
	"encoding/json"
	"math/big"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/rolecall/rolecall/internal/api/apitest"
	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/seqlog"
)

func TestSequenceNumbers(t *testing.T) {
	s := &stream{Created: time.UnixMilli(1764489600123), Shards: 12}
	prev := ""
	for _, p := range []seqlog.Position{0, 1, 2, 99, 1 << 40} {
		for _, i := range []int{0, 7, 11} {
			seq := s.sequence(i, p)
			if len(seq) != sequenceDigits || seq[:2] != "49" {
				t.Fatalf("sequence(%d, %d) = %q", i, p, seq)
			}
			gi, gp, ok := s.parseSequence(seq)
			if !ok || gi != i || gp != p {
				t.Fatalf("parseSequence(%q) = %d, %d, %v", seq, gi, gp, ok)
			}
		}
		// Within a shard the numbers grow with the position, as strings
		// and as numbers.
		seq := s.sequence(7, p)
		if seq <= prev {
			t.Fatalf("%q after %q", seq, prev)
		}
		prev = seq
	}
	other := &stream{Created: s.Created.Add(time.Millisecond), Shards: 12}
	if _, _, ok := other.parseSequence(s.sequence(0, 1)); ok {
		t.Fatal("a sequence number of an earlier stream of the same name parsed")
	}
	if _, _, ok := (&stream{Created: s.Created, Shards: 2}).parseSequence(s.sequence(7, 1)); ok {
		t.Fatal("a sequence number of a shard the stream lacks parsed")
	}
}

func TestHashRanges(t *testing.T) {
	for _, n := range []int{1, 3, 4, 7, 200} {
		next := big.NewInt(0)
		for i := range n {
			lo, hi := hashRange(i, n)
			if lo.Cmp(next) != 0 || hi.Cmp(lo) < 0 {
				t.Fatalf("n=%d shard %d: [%s, %s] after %s", n, i, lo, hi, next)
			}
			if shardFor(lo, n) != i || shardFor(hi, n) != i {
				t.Fatalf("n=%d: the ends of shard %d map to %d and %d", n, i, shardFor(lo, n), shardFor(hi, n))
			}
			next = new(big.Int).Add(hi, big.NewInt(1))
		}
		if next.Cmp(hashSpace) != 0 {
			t.Fatalf("n=%d: ranges end at %s", n, next)
		}
	}
}

func TestStoredRecord(t *testing.T) {
	r := stored{Arrival: time.UnixMilli(1764489600123).UTC(), PartitionKey: "ключ", Data: []byte{0, 1, 2}}
	got, err := decodeStored(r.encode())
	if err != nil || !got.Arrival.Equal(r.Arrival) || got.PartitionKey != r.PartitionKey || string(got.Data) != string(r.Data) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if _, err := decodeStored([]byte{9, 0, 0, 0, 0, 0, 0, 0, 0, 0}); err == nil {
		t.Fatal("unknown format decoded")
	}
}

func TestTimestamp(t *testing.T) {
	at := Timestamp{time.UnixMilli(1764489600123).UTC()}
	js, _ := json.Marshal(at)
	if string(js) != "1764489600.123" {
		t.Fatalf("JSON %s", js)
	}
	var back Timestamp
	if err := json.Unmarshal(js, &back); err != nil || !back.Equal(at.Time) {
		t.Fatalf("JSON back %v %v", back, err)
	}
	cb, err := cbor.Marshal(at)
	if err != nil {
		t.Fatal(err)
	}
	var tag cbor.Tag
	if err := cbor.Unmarshal(cb, &tag); err != nil || tag.Number != 1 || tag.Content != uint64(1764489600123) {
		t.Fatalf("CBOR %x: %+v %v", cb, tag, err)
	}
	var fromJava Timestamp
	if err := cbor.Unmarshal(cb, &fromJava); err != nil || !fromJava.Equal(at.Time) {
		t.Fatalf("CBOR back %v %v", fromJava, err)
	}
	if err := cbor.Unmarshal([]byte{0xc2, 0x41, 0x01}, &fromJava); err == nil {
		t.Fatal("a timestamp under tag 2 decoded")
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func fixture(t *testing.T, createDelay time.Duration) (*apitest.Fixture, *clock, store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := crypt.NewBox(crypt.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	k, err := New(Config{Account: apitest.DefaultAccount, Region: apitest.DefaultRegion, Store: st, Box: box, Now: clk.Now, CreateDelay: createDelay})
	if err != nil {
		t.Fatal(err)
	}
	f := apitest.New(t, k.Service())
	f.Now = clk.Now
	return f, clk, st
}

func must(t *testing.T, r apitest.Result) any {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("%s: %v", r.Call.OperationName, r.Err)
	}
	return r.Output
}

// TestInProcess: the typed inputs event source mappings use, and the
// retention period: records older than it are trimmed, and TRIM_HORIZON
// starts after them.
func TestInProcess(t *testing.T) {
	f, clk, st := fixture(t, 0)
	must(t, f.Run("CreateStream", apitest.Request{Body: []byte(`{"StreamName":"s","ShardCount":2}`)}))
	put := func(n int) {
		for i := range n {
			must(t, f.Run("PutRecord", apitest.Request{Body: apitest.JSON(map[string]any{"StreamName": "s", "PartitionKey": "k", "Data": []byte{byte(i)}})}))
		}
	}
	put(3)
	sd := must(t, f.Run("DescribeStream", apitest.Request{Input: &DescribeStreamInput{StreamName: "s"}})).(*DescribeStreamOutput)
	if len(sd.StreamDescription.Shards) != 2 {
		t.Fatalf("DescribeStream %+v", sd)
	}
	sum := must(t, f.Run("DescribeStreamSummary", apitest.Request{Input: &DescribeStreamSummaryInput{StreamARN: sd.StreamDescription.StreamARN}})).(*DescribeStreamSummaryOutput)
	if sum.StreamDescriptionSummary.OpenShardCount != 2 {
		t.Fatalf("DescribeStreamSummary %+v", sum)
	}
	shards := must(t, f.Run("ListShards", apitest.Request{Input: &ListShardsInput{StreamName: "s"}})).(*ListShardsOutput)
	var shard string
	for _, sh := range shards.Shards {
		lo, _ := new(big.Int).SetString(sh.HashKeyRange.StartingHashKey, 10)
		hi, _ := new(big.Int).SetString(sh.HashKeyRange.EndingHashKey, 10)
		if h, _ := hashKey("k", ""); h.Cmp(lo) >= 0 && h.Cmp(hi) <= 0 {
			shard = sh.ShardId
		}
	}
	read := func() []Record {
		it := must(t, f.Run("GetShardIterator", apitest.Request{Input: &GetShardIteratorInput{StreamName: "s", ShardId: shard, ShardIteratorType: "TRIM_HORIZON"}})).(*GetShardIteratorOutput)
		r := must(t, f.Run("GetRecords", apitest.Request{Input: &GetRecordsInput{ShardIterator: it.ShardIterator}})).(*GetRecordsOutput)
		return r.Records
	}
	if n := len(read()); n != 3 {
		t.Fatalf("read %d records", n)
	}
	// A day later the three are past retention; new ones are not.
	clk.add(24*time.Hour + time.Minute)
	put(trimEvery)
	recs := read()
	if len(recs) != trimEvery || recs[0].Data[0] != 0 {
		t.Fatalf("after retention: %d records", len(recs))
	}
	// The expired records were trimmed from the log by the appends.
	r := f.Run("DescribeStream", apitest.Request{Input: &DescribeStreamInput{StreamName: "s"}})
	s := &stream{Name: "s", Account: apitest.DefaultAccount, Region: apitest.DefaultRegion, Shards: 2,
		Created: must(t, r).(*DescribeStreamOutput).StreamDescription.StreamCreationTimestamp.Time}
	i, _ := s.shardIndex(shard)
	info, err := seqlog.Stat(context.Background(), st, s.logName(i))
	if err != nil || info.Trimmed != 3 {
		t.Fatalf("log %+v %v", info, err)
	}
	// A typed input of the wrong operation is refused, not misread.
	if r := f.Run("GetRecords", apitest.Request{Input: &ListShardsInput{StreamName: "s"}}); r.Err == nil {
		t.Fatal("GetRecords took a ListShardsInput")
	}
}

// TestCreating: a new stream and a new consumer are CREATING for
// CreateDelay, then ACTIVE.
func TestCreating(t *testing.T) {
	f, clk, _ := fixture(t, 2*time.Second)
	must(t, f.Run("CreateStream", apitest.Request{Body: []byte(`{"StreamName":"s","ShardCount":1}`)}))
	status := func() string {
		return must(t, f.Run("DescribeStream", apitest.Request{Input: &DescribeStreamInput{StreamName: "s"}})).(*DescribeStreamOutput).StreamDescription.StreamStatus
	}
	arn := streamARN(apitest.DefaultRegion, apitest.DefaultAccount, "s")
	c := must(t, f.Run("RegisterStreamConsumer", apitest.Request{Body: apitest.JSON(map[string]string{"StreamARN": arn, "ConsumerName": "app"})})).(map[string]consumerOut)["Consumer"]
	if got := status(); got != statusCreating || c.ConsumerStatus != statusCreating {
		t.Fatalf("just created: stream %s, consumer %s", got, c.ConsumerStatus)
	}
	clk.add(2 * time.Second)
	d := must(t, f.Run("DescribeStreamConsumer", apitest.Request{Body: apitest.JSON(map[string]string{"ConsumerARN": c.ConsumerARN})})).(map[string]consumerOut)["ConsumerDescription"]
	if got := status(); got != statusActive || d.ConsumerStatus != statusActive {
		t.Fatalf("after the delay: stream %s, consumer %s", got, d.ConsumerStatus)
	}
}

// TestCBORValidation: a CBOR body is checked against the model like a
// JSON one, timestamps (tag 1 around milliseconds) included.
func TestCBORValidation(t *testing.T) {
	f, _, _ := fixture(t, 0)
	must(t, f.Run("CreateStream", apitest.Request{Body: []byte(`{"StreamName":"s","ShardCount":1}`)}))
	body, err := cbor.Marshal(map[string]any{"StreamName": "s", "ShardId": "shardId-000000000000", "ShardIteratorType": "SOMETIME",
		"Timestamp": cbor.Tag{Number: 1, Content: int64(1764489600123)}})
	if err != nil {
		t.Fatal(err)
	}
	hdr := map[string][]string{"Content-Type": {"application/x-amz-cbor-1.1"}}
	c := f.Call("GetShardIterator", apitest.Request{Body: body, Header: hdr})
	c.Protocol = nil // the fixture's protocol is JSON; only the validator reads the body here
	e := f.Service.Validate(c)
	if e == nil || e.Code != "ValidationException" ||
		e.Message != "1 validation error detected: Value 'SOMETIME' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]" {
		t.Fatalf("Validate = %v", e)
	}
}

// TestReadPages: GetRecords reads the store in pages, up to its Limit,
// and says how far behind the rest of the shard is.
func TestReadPages(t *testing.T) {
	f, clk, _ := fixture(t, 0)
	must(t, f.Run("CreateStream", apitest.Request{Body: []byte(`{"StreamName":"s","ShardCount":1}`)}))
	for range 3 {
		recs := make([]map[string]any, 400)
		for i := range recs {
			recs[i] = map[string]any{"PartitionKey": "k", "Data": []byte{byte(i)}}
		}
		must(t, f.Run("PutRecords", apitest.Request{Body: apitest.JSON(map[string]any{"StreamName": "s", "Records": recs})}))
	}
	clk.add(3 * time.Second)
	it := must(t, f.Run("GetShardIterator", apitest.Request{Input: &GetShardIteratorInput{StreamName: "s", ShardId: "shardId-000000000000", ShardIteratorType: "TRIM_HORIZON"}})).(*GetShardIteratorOutput)
	limit := 1100
	r := must(t, f.Run("GetRecords", apitest.Request{Input: &GetRecordsInput{ShardIterator: it.ShardIterator, Limit: &limit}})).(*GetRecordsOutput)
	if len(r.Records) != 1100 || r.MillisBehindLatest != 3000 {
		t.Fatalf("first read: %d records, %d ms behind", len(r.Records), r.MillisBehindLatest)
	}
	r = must(t, f.Run("GetRecords", apitest.Request{Input: &GetRecordsInput{ShardIterator: r.NextShardIterator, Limit: &limit}})).(*GetRecordsOutput)
	if len(r.Records) != 100 || r.MillisBehindLatest != 0 || r.Records[99].Data[0] != byte(399%256) {
		t.Fatalf("second read: %d records, %d ms behind", len(r.Records), r.MillisBehindLatest)
	}
}

func TestShardsThrough(t *testing.T) {
	s := &stream{Shards: 3}
	for id, want := range map[string]int{"": 0, "a": 0, "shardId-000000000000": 1, "shardId-000000000001": 2, "shardId-0000000000015": 2,
		"shardId-000000000002": 3, "shardId-999999999999": 3, "zzz": 3} {
		if got := s.shardsThrough(id); got != want {
			t.Errorf("shardsThrough(%q) = %d, want %d", id, got, want)
		}
	}
}
