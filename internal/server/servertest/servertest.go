// Package servertest starts a real rolecall in-process on 127.0.0.1:0 for
// integration tests, and makes aws-sdk-go-v2 configurations pointed at it.
package servertest

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/frontdoor"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/service/lambda/esm"
	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

// Server is a running rolecall for one test.
type Server struct {
	*server.Server
	DataDir string
	// DatabaseURL is the shared PostgreSQL database; "" for SQLite in DataDir.
	DatabaseURL string
}

// Options adjust the server a test starts.
type Options struct {
	// DataDir reuses a data directory (to test restarts); "" uses a fresh one.
	DataDir string
	// DatabaseURL and ServerKey put the server on a shared PostgreSQL
	// database (see server.Config); nodes on one database need one key.
	DatabaseURL string
	ServerKey   string
	Now         func() time.Time
	// RequestLog receives the request log (server.Config.RequestLog).
	RequestLog io.Writer
	// RequestLogErrorsOnly limits it to requests answered with an error.
	RequestLogErrorsOnly bool
	// SettleDelay is how long functions stay Pending or InProgress.
	SettleDelay time.Duration
	// SweepInterval is the time between two passes of DynamoDB's sweeper.
	SweepInterval time.Duration
	// Timeouts, BodyIdleTimeout, BodyMemory and MaxConnsPerFunction are
	// the front door's (see server.Config); zero values take the defaults.
	Timeouts            frontdoor.Timeouts
	BodyIdleTimeout     time.Duration
	BodyMemory          int64
	MaxConnsPerFunction int
	// Mappings tunes the event source mappings (server.Config.LambdaMappings).
	Mappings esm.Config
}

// Nodes starts n servers sharing a fresh PostgreSQL schema (see pgtest:
// skipped without a test database), each with its own data directory and
// port, and one server key.
func Nodes(t testing.TB, n int) []*Server { return NodesWith(t, n, Options{}) }

// NodesWith starts n servers as Nodes does, each with opts (whose DataDir,
// DatabaseURL and ServerKey are set for each node).
func NodesWith(t testing.TB, n int, opts Options) []*Server {
	t.Helper()
	u := pgtest.URL(t)
	key := base64.StdEncoding.EncodeToString(crypt.NewKey())
	nodes := make([]*Server, n)
	for i := range nodes {
		o := opts
		o.DataDir, o.DatabaseURL, o.ServerKey = "", u, key
		nodes[i] = StartWith(t, o)
	}
	return nodes
}

// Start starts rolecall and stops it when the test ends.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith starts rolecall with options.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	dir := opts.DataDir
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "data")
	}
	ctx := context.Background()
	srv, err := server.New(ctx, server.Config{
		Addr:                 "127.0.0.1:0",
		DataDir:              dir,
		DatabaseURL:          opts.DatabaseURL,
		ServerKey:            opts.ServerKey,
		Logger:               slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:                  opts.Now,
		RequestLog:           opts.RequestLog,
		RequestLogErrorsOnly: opts.RequestLogErrorsOnly,
		LambdaSettleDelay:    opts.SettleDelay,
		LambdaMappings:       opts.Mappings,
		Timeouts:             opts.Timeouts,
		BodyIdleTimeout:      opts.BodyIdleTimeout,
		BodyMemory:           opts.BodyMemory,
		MaxConnsPerFunction:  opts.MaxConnsPerFunction,

		DynamoDBSweepInterval: opts.SweepInterval,
	})
	if err != nil {
		t.Fatalf("start rolecall: %v", err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &Server{Server: srv, DataDir: dir, DatabaseURL: opts.DatabaseURL}
}

// Config returns an aws-sdk-go-v2 configuration with the given credentials
// (sessionToken may be ""), pointed at the server.
func (s *Server) Config(accessKeyID, secret, sessionToken string) aws.Config {
	return aws.Config{
		Region:       s.Region(),
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secret, sessionToken),
		BaseEndpoint: aws.String(s.Endpoint()),
		Retryer:      retryClosedConnection,
	}
}

// retryClosedConnection is the configuration's retryer: AWS's answers,
// throttling included, are never retried, so that a test sees each one;
// only a call that failed with net.ErrClosed is made once more, as the
// SDK's default retryer does. net/http's transport can close a keep-alive
// connection from its request-writing side while the answer is being
// read (aws/aws-sdk-go-v2#2737), a client-side race that thousands of
// calls over loopback meet now and then.
func retryClosedConnection() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 2
		o.RateLimiter = ratelimit.None
		o.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if errors.Is(err, net.ErrClosed) {
				return aws.TrueTernary
			}
			return aws.FalseTernary
		})}
	})
}

// RootConfig returns a configuration with the account's root credentials.
func (s *Server) RootConfig() aws.Config {
	r := s.Root()
	return s.Config(r.AccessKeyID, r.SecretAccessKey, "")
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
