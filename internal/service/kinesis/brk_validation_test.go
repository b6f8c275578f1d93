package kinesis_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/fxamacker/cbor/v2"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

const (
	jsonType = "application/x-amz-json-1.1"
	cborType = "application/x-amz-cbor-1.1"
)

// send posts a Kinesis request body exactly as given, signed by the
// account's root, and returns the status, the error code (the answer's
// __type, "" for a success) and the answer, decoded from JSON or CBOR.
func send(t *testing.T, s *servertest.Server, op, contentType string, body []byte) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.Endpoint()+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	creds, err := s.RootConfig().Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "kinesis", s.Region(), time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if contentType == cborType {
		err = cbor.Unmarshal(b, &out)
	} else {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		t.Fatalf("%s: answer %q: %v", op, b, err)
	}
	code, _ := out["__type"].(string)
	return resp.StatusCode, code, out
}

// cborMap encodes a CBOR map of the given keys and values in order, as
// written (keys of any type, repeated keys kept).
func cborMap(t *testing.T, kv ...any) []byte {
	t.Helper()
	if len(kv) >= 24*2 {
		t.Fatal("cborMap: too many pairs")
	}
	b := []byte{0xa0 | byte(len(kv)/2)}
	for _, v := range kv {
		e, err := cbor.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, e...)
	}
	return b
}

func openShards(t *testing.T, c *kinesis.Client, name string) int32 {
	t.Helper()
	d, err := c.DescribeStreamSummary(context.Background(), &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeStreamSummary %s: %v", name, err)
	}
	return *d.StreamDescriptionSummary.OpenShardCount
}

func trimHorizon(t *testing.T, c *kinesis.Client, name string) string {
	t.Helper()
	it, err := c.GetShardIterator(context.Background(), &kinesis.GetShardIteratorInput{StreamName: aws.String(name),
		ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	return *it.ShardIterator
}

// TestMembersMatchExactly: a key that only case-folds to a member ("limit")
// is no member, in JSON as in CBOR: the handler never reads a value the
// model check did not see (a stream of 0 shards, a Limit of -1 reading a
// whole shard, a partition key over 256 characters).
func TestMembersMatchExactly(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()

	if st, code, out := send(t, s, "CreateStream", jsonType, []byte(`{"StreamName":"j","ShardCount":1,"shardcount":0}`)); st != 200 {
		t.Fatalf("CreateStream: %d %s %v", st, code, out)
	}
	if n := openShards(t, c, "j"); n != 1 {
		t.Fatalf("JSON \"shardcount\" beside ShardCount: %d shards", n)
	}
	body := cborMap(t, "StreamName", "c", "ShardCount", 2, "shardcount", 0)
	if st, code, out := send(t, s, "CreateStream", cborType, body); st != 200 {
		t.Fatalf("CreateStream in CBOR: %d %s %v", st, code, out)
	}
	if n := openShards(t, c, "c"); n != 2 {
		t.Fatalf("CBOR \"shardcount\" beside ShardCount: %d shards", n)
	}

	long := strings.Repeat("z", 300)
	if st, code, out := send(t, s, "PutRecord", jsonType, []byte(`{"StreamName":"j","PartitionKey":"a","partitionkey":"`+long+`","Data":"eA=="}`)); st != 200 {
		t.Fatalf("PutRecord: %d %s %v", st, code, out)
	}
	for range 2 {
		if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("j"), PartitionKey: aws.String("a"), Data: []byte("y")}); err != nil {
			t.Fatal(err)
		}
	}
	it := trimHorizon(t, c, "j")
	st, code, out := send(t, s, "GetRecords", jsonType, []byte(`{"ShardIterator":"`+it+`","Limit":1,"limit":-1}`))
	recs, _ := out["Records"].([]any)
	if st != 200 || len(recs) != 1 {
		t.Fatalf("GetRecords Limit 1 beside \"limit\": %d %s, %d records", st, code, len(recs))
	}
	if pk := recs[0].(map[string]any)["PartitionKey"]; pk != "a" {
		t.Fatalf("stored partition key %.20q…", pk)
	}
}

// TestCBORBodiesCheckedAsRead: a CBOR body the model check cannot read as
// the handler reads it is refused, never passed unchecked: a key that is
// not a string, a key given twice, a Limit written as a negative bignum, a
// NaN beside an invalid Limit.
func TestCBORBodiesCheckedAsRead(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	create(t, c, "s", 1)
	for range 3 {
		if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	it := trimHorizon(t, c, "s")
	negOne := cbor.Tag{Number: 3, Content: big.NewInt(0).Bytes()} // -1 - 0
	for _, tc := range []struct {
		name, op, code string
		body           []byte
	}{
		{"integer key", "CreateStream", "SerializationException", cborMap(t, "StreamName", "bad", "ShardCount", -1, 1, 0)},
		{"repeated key", "GetRecords", "SerializationException", cborMap(t, "ShardIterator", it, "Limit", -1, "Limit", 1)},
		{"negative bignum", "GetRecords", "ValidationException", cborMap(t, "ShardIterator", it, "Limit", negOne)},
		{"NaN elsewhere", "GetRecords", "ValidationException", cborMap(t, "ShardIterator", it, "Limit", 0, "x", math.NaN())},
		{"NaN limit", "GetRecords", "ValidationException", cborMap(t, "ShardIterator", it, "Limit", math.NaN())},
	} {
		st, code, out := send(t, s, tc.op, cborType, tc.body)
		if st != 400 || code != tc.code {
			t.Errorf("%s: %d %s %v, want 400 %s", tc.name, st, code, out, tc.code)
		}
	}
	if _, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("bad")}); err == nil {
		t.Error("a stream was created from a refused body")
	}
}
