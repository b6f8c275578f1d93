package server_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/postgres"
	"github.com/rolecall/rolecall/internal/store/queue"
)

// BenchmarkEventInvoke is Event invocations through the API, with the SDK
// from 8 clients at once, of a warm Go bootstrap: accepted (stored in the
// queue of asynchronous invocations, SQLite) and run until the queue is
// empty. events/s counts the invocations run per second, accepted/s those
// accepted while the clients were sending.
func BenchmarkEventInvoke(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchEventInvoke(b, newLambdaSuite(b)) })
	// One node of a shared PostgreSQL (skipped without a test database).
	b.Run("postgres", func(b *testing.B) { benchEventInvoke(b, lambdaSuiteOn(servertest.Nodes(b, 1)[0])) })
}

func benchEventInvoke(b *testing.B, s *lambdaSuite) {
	const name, clients = "bench-event", 8
	benchFunctionOn(b, s, name)
	// A second handle on the server's database, as another process would
	// open it, to watch the queue drain ("lambda_async" is the Lambda
	// service's queue).
	ctx := context.Background()
	var st store.Store
	var err error
	if s.srv.DatabaseURL != "" {
		st, err = postgres.Open(ctx, s.srv.DatabaseURL)
	} else {
		st, err = store.OpenSQLite(ctx, filepath.Join(s.srv.DataDir, "rolecall.db"))
	}
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	q := queue.New(st, "lambda_async", nil)
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"action":"echo"}`),
		InvocationType: lambdatypes.InvocationTypeEvent}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan struct{})
	for range clients {
		wg.Go(func() {
			for range next {
				out, err := s.lambda.Invoke(ctx, in)
				if err != nil {
					b.Error(err)
					return
				}
				if out.StatusCode != 202 {
					b.Errorf("Event: status %d", out.StatusCode)
					return
				}
			}
		})
	}
	for range b.N {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	accepted := time.Since(start)
	for {
		n, err := q.Len(ctx, st)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ran := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/accepted.Seconds(), "accepted/s")
	b.ReportMetric(float64(b.N)/ran.Seconds(), "events/s")
}
