package esm

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
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
