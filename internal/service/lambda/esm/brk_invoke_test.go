package esm

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

// TestInvokeErrorNotCountedAsRetry: a batch Lambda could not invoke the
// function with (a service error, not a function error) is retried until
// the records expire or exceed their maximum age: such failures neither
// count against MaximumRetryAttempts nor bisect the batch, so that a
// mapping with MaximumRetryAttempts 0 loses no record while the function
// cannot run ("Before invocation", Lambda Developer Guide,
// kinesis-on-failure-destination).
func TestInvokeErrorNotCountedAsRetry(t *testing.T) {
	for _, bisect := range []bool{false, true} {
		var mu sync.Mutex
		var sizes []int
		w := &Worker{
			Mapping: &Mapping{UUID: "u"}, Unit: "shardId-000000000000",
			Invoke: func(_ context.Context, payload []byte) (*Result, error) {
				var ev struct{ Records []json.RawMessage }
				if err := json.Unmarshal(payload, &ev); err != nil {
					t.Errorf("event: %v", err)
				}
				mu.Lock()
				defer mu.Unlock()
				sizes = append(sizes, len(ev.Records))
				if len(sizes) <= 2 {
					return nil, api.Errorf(http.StatusInternalServerError, "ServiceException", "the function could not be run")
				}
				return &Result{Payload: []byte("null")}, nil
			},
			Report: func(string) {},
			Now:    time.Now,
			Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		}
		sp := &shardPoller{w: w, set: streamSettings{batchSize: 4, parallel: 1, maxRetries: 0, bisect: bisect}}
		if err := sp.deliver(context.Background(), records(4), 0); err != nil {
			t.Fatalf("bisect %v: deliver: %v", bisect, err)
		}
		if len(sizes) != 3 {
			t.Fatalf("bisect %v: %d invocations %v, want 3 (two service errors retried, then success)", bisect, len(sizes), sizes)
		}
		for i, n := range sizes {
			if n != 4 {
				t.Errorf("bisect %v: invocation %d had %d records, want the whole batch of 4", bisect, i, n)
			}
		}
	}
}

// TestPartialSuccessBisectedAtReportedRecord: with ReportBatchItemFailures
// and BisectBatchOnFunctionError, a batch the function partly processed
// is split at the record it reported and only the remaining records are
// retried, as one batch ("Reporting batch item failures for Kinesis and
// DynamoDB": "the batch is bisected at the returned sequence number and
// Lambda retries only the remaining records"), not halved again.
func TestPartialSuccessBisectedAtReportedRecord(t *testing.T) {
	var mu sync.Mutex
	var got [][]string
	w := &Worker{
		Mapping: &Mapping{UUID: "u"}, Unit: "shardId-000000000000",
		Invoke: func(_ context.Context, payload []byte) (*Result, error) {
			var ev struct {
				Records []struct{ Seq string }
			}
			if err := json.Unmarshal(payload, &ev); err != nil {
				t.Errorf("event: %v", err)
			}
			var seqs []string
			for _, r := range ev.Records {
				seqs = append(seqs, r.Seq)
			}
			mu.Lock()
			defer mu.Unlock()
			got = append(got, seqs)
			if len(got) == 1 {
				return &Result{Payload: []byte(`{"batchItemFailures":[{"itemIdentifier":"002"}]}`)}, nil
			}
			return &Result{Payload: []byte(`{}`)}, nil
		},
		Report: func(string) {},
		Now:    time.Now,
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	batch := records(6)
	for i := range batch {
		batch[i].event = []byte(`{"Seq":"` + batch[i].seq + `"}`)
	}
	sp := &shardPoller{w: w, set: streamSettings{batchSize: 6, parallel: 1, maxRetries: 0, bisect: true, itemReports: true}}
	if err := sp.deliver(context.Background(), batch, 0); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"000", "001", "002", "003", "004", "005"}, {"002", "003", "004", "005"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("invocations %v, want %v", got, want)
	}
}
