package server_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/queue"
)

// asyncQueue opens another handle on the database of the server in
// dataDir, as another process would, and returns the Lambda service's
// queue of asynchronous invocations ("lambda_async") on it.
func asyncQueue(t testing.TB, dataDir string) (*queue.Queue, store.Store) {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dataDir, "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return queue.New(st, "lambda_async", nil), st
}

func queueLen(t testing.TB, q *queue.Queue, st store.Store) int {
	t.Helper()
	n, err := q.Len(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEventInvokeSurvivesShutdown: an Event invocation running when its
// server shuts down is given back to the queue, and the next server on
// the database runs it to the end, under the request id the Invoke
// answered with.
func TestEventInvokeSurvivesShutdown(t *testing.T) {
	ctx := context.Background()
	a := newLambdaSuite(t)
	const name = "survivor"
	role := a.role(t, "survivor-role", lambdaTrust, basicExecRole)
	a.create(t, goFunction(t, name, role))
	q, st := asyncQueue(t, a.srv.DataDir)
	out, err := invoke(a.lambda, name, map[string]any{"action": "sleep", "ms": 1500}, func(in *lambda.InvokeInput) {
		in.InvocationType = lambdatypes.InvocationTypeEvent
	})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("Event: %v %v", out, err)
	}
	requestID, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	if requestID == "" {
		t.Fatal("no request id")
	}
	for deadline := time.Now().Add(pollTimeout); ; time.Sleep(10 * time.Millisecond) {
		at, ok, err := q.NextVisible(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok && at.After(time.Now().Add(10*time.Second)) {
			break // received and running
		}
		if time.Now().After(deadline) {
			t.Fatal("the invocation was not received")
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if n := queueLen(t, q, st); n != 1 {
		t.Fatalf("%d invocations queued after shutdown, want the interrupted one", n)
	}
	at, ok, err := q.NextVisible(ctx)
	if err != nil || !ok || at.After(time.Now()) {
		t.Fatalf("the interrupted invocation is visible at %v (%v %v), want at once", at, ok, err)
	}

	b := servertest.StartWith(t, servertest.Options{DataDir: a.srv.DataDir})
	onB := &lambdaSuite{srv: b, logs: cloudwatchlogs.NewFromConfig(b.RootConfig())}
	for deadline := time.Now().Add(pollTimeout); queueLen(t, q, st) != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the invocation is still queued after it ran")
		}
	}
	onB.waitLogs(t, "/aws/lambda/"+name, "END RequestId: "+requestID)
	if text := onB.logText(t, "/aws/lambda/"+name); !strings.Contains(text, "REPORT RequestId: "+requestID) {
		t.Errorf("no report of %s in the logs:\n%s", requestID, text)
	}
}
