package kinesis_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/fxamacker/cbor/v2"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// cborCall sends one Kinesis request in CBOR, as the AWS SDK for Java and
// the KPL do, signed with SigV4, and returns the status and the decoded
// answer's members, undecoded.
func cborCall(t *testing.T, s *servertest.Server, op string, in map[string]any) (int, map[string]cbor.RawMessage) {
	t.Helper()
	body, err := cbor.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.Endpoint()+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-cbor-1.1")
	req.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	sum := sha256.Sum256(body)
	creds, err := s.RootConfig().Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "kinesis", s.Region(), time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-cbor-1.1" {
		t.Fatalf("%s: Content-Type %q: %s", op, ct, b)
	}
	var out map[string]cbor.RawMessage
	if err := cbor.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: answer is not CBOR: %v", op, err)
	}
	return resp.StatusCode, out
}

func str(t *testing.T, m cbor.RawMessage) string {
	t.Helper()
	var s string
	if err := cbor.Unmarshal(m, &s); err != nil {
		t.Fatalf("%x is not a text string: %v", []byte(m), err)
	}
	return s
}

// millis reads a timestamp as the AWS SDK for Java does: tag 1 around
// epoch milliseconds.
func millis(t *testing.T, m cbor.RawMessage) time.Time {
	t.Helper()
	var tag cbor.RawTag
	if err := cbor.Unmarshal(m, &tag); err != nil || tag.Number != 1 {
		t.Fatalf("timestamp %x is not tag 1: %v", []byte(m), err)
	}
	var ms int64
	if err := cbor.Unmarshal(tag.Content, &ms); err != nil {
		t.Fatalf("timestamp content %x: %v", tag.Content, err)
	}
	return time.UnixMilli(ms)
}

func TestCBOR(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	if st, out := cborCall(t, s, "CreateStream", map[string]any{"StreamName": "kpl", "ShardCount": 1}); st != 200 {
		t.Fatalf("CreateStream: %d %v", st, out)
	}
	st, out := cborCall(t, s, "PutRecord", map[string]any{"StreamName": "kpl", "PartitionKey": "k", "Data": []byte{0, 0xff, 'x'}})
	if st != 200 || str(t, out["ShardId"]) != "shardId-000000000000" || len(str(t, out["SequenceNumber"])) != 56 {
		t.Fatalf("PutRecord: %d %v", st, out)
	}
	before := time.Now().Add(-time.Minute)
	st, out = cborCall(t, s, "GetShardIterator", map[string]any{"StreamName": "kpl", "ShardId": "shardId-000000000000",
		"ShardIteratorType": "AT_TIMESTAMP", "Timestamp": cbor.Tag{Number: 1, Content: before.UnixMilli()}})
	if st != 200 {
		t.Fatalf("GetShardIterator: %d %v", st, out)
	}
	st, out = cborCall(t, s, "GetRecords", map[string]any{"ShardIterator": str(t, out["ShardIterator"])})
	if st != 200 {
		t.Fatalf("GetRecords: %d %v", st, out)
	}
	var recs []map[string]cbor.RawMessage
	if err := cbor.Unmarshal(out["Records"], &recs); err != nil || len(recs) != 1 {
		t.Fatalf("Records: %v %d", err, len(recs))
	}
	if recs[0]["Data"][0]>>5 != 2 {
		t.Fatalf("Data is CBOR major type %d, want a byte string", recs[0]["Data"][0]>>5)
	}
	var data []byte
	if err := cbor.Unmarshal(recs[0]["Data"], &data); err != nil || !bytes.Equal(data, []byte{0, 0xff, 'x'}) {
		t.Fatalf("Data %x %v", data, err)
	}
	if at := millis(t, recs[0]["ApproximateArrivalTimestamp"]); at.Before(before) || at.After(time.Now().Add(time.Minute)) {
		t.Fatalf("ApproximateArrivalTimestamp %v", at)
	}
	var behind int64
	if err := cbor.Unmarshal(out["MillisBehindLatest"], &behind); err != nil || behind != 0 {
		t.Fatalf("MillisBehindLatest %d %v", behind, err)
	}
	st, out = cborCall(t, s, "DescribeStreamSummary", map[string]any{"StreamName": "kpl"})
	var sum map[string]cbor.RawMessage
	if err := cbor.Unmarshal(out["StreamDescriptionSummary"], &sum); st != 200 || err != nil {
		t.Fatalf("DescribeStreamSummary: %d %v", st, err)
	}
	if created := millis(t, sum["StreamCreationTimestamp"]); time.Since(created) > time.Minute {
		t.Fatalf("StreamCreationTimestamp %v", created)
	}

	// Errors are CBOR too: the model's validation, and Kinesis's own.
	st, out = cborCall(t, s, "CreateStream", map[string]any{"StreamName": "bad name", "ShardCount": 1})
	if st != 400 || str(t, out["__type"]) != "ValidationException" ||
		str(t, out["message"]) != "1 validation error detected: Value 'bad name' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+" {
		t.Fatalf("bad name: %d %v", st, out)
	}
	st, out = cborCall(t, s, "PutRecord", map[string]any{"StreamName": "nope", "PartitionKey": "k", "Data": []byte("x")})
	if st != 400 || str(t, out["__type"]) != "ResourceNotFoundException" {
		t.Fatalf("missing stream: %d %v", st, out)
	}
}
