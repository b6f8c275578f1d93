// Package esm is Lambda's event source mappings: the API that manages
// them (CreateEventSourceMapping and the rest, restJson1, in Lambda's
// operation table) and the pollers that read Amazon SQS queues, Kinesis
// streams and DynamoDB streams and invoke functions with what they read.
//
// Pollers are the Lambda service acting as the function's execution role:
// every read (sqs:ReceiveMessage, kinesis:GetRecords, ...) goes through the
// gateway as the role's session with invokedBy lambda.amazonaws.com, so a
// missing permission fails exactly as it does in AWS and is in the trail.
// Each unit of work (a queue, a shard) is leased in the store by one
// process at a time; a process that dies loses its leases when they end
// and another takes the units over from their stored checkpoints.
package esm

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Tables of the store.
const (
	tableMappings    = "lambda_esm"             // account/uuid -> Mapping
	tableStatus      = "lambda_esm_status"      // uuid -> status (LastProcessingResult)
	tableLeases      = "lambda_esm_leases"      // uuid/unit -> lease
	tableCheckpoints = "lambda_esm_checkpoints" // uuid/unit -> position
)

// Config configures the event source mappings.
type Config struct {
	Account, Region string
	Store           store.Store
	// Feed, when set, tells the pollers of every process sharing Store of
	// the mappings' changes at once; without it they look every
	// ScanInterval.
	Feed *store.Feed
	// Invoker calls the sources' services as the execution roles.
	Invoker   api.Invoker
	Functions Functions
	Now       func() time.Time
	Logger    *slog.Logger
	// SettleDelay is how long a mapping stays in a transitional state
	// (Creating, Enabling, Updating, Disabling, Deleting) before it
	// settles (default 100ms).
	SettleDelay time.Duration
	// LeaseDuration is how long a unit's lease lasts without renewal
	// (default 30s): a process that dies lets another take its units this
	// long after. Leases are renewed at a third of it.
	LeaseDuration time.Duration
	// ScanInterval is the longest wait between two looks at the mappings
	// and the leases (default 5s).
	ScanInterval time.Duration
	// RetryBackoff is the first wait after a failed poll (default 1s); it
	// doubles up to a minute.
	RetryBackoff time.Duration
}

// Manager is the event source mappings of one process.
type Manager struct {
	cfg     Config
	now     func() time.Time
	log     *slog.Logger
	sources map[Kind]Source

	startOnce sync.Once
	closeOnce sync.Once
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	// run is the state of the pollers (runner.go).
	run runner
}

// New returns the event source mappings. They do not poll until Start.
func New(cfg Config) (*Manager, error) {
	if cfg.Store == nil || cfg.Invoker == nil || cfg.Functions == nil {
		return nil, errors.New("esm: Store, Invoker and Functions are required")
	}
	if cfg.Account == "" {
		cfg.Account = "123456789012"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SettleDelay <= 0 {
		cfg.SettleDelay = 100 * time.Millisecond
	}
	if cfg.LeaseDuration <= 0 {
		cfg.LeaseDuration = 30 * time.Second
	}
	if cfg.ScanInterval <= 0 {
		cfg.ScanInterval = 5 * time.Second
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{
		cfg: cfg, now: cfg.Now, log: cfg.Logger,
		sources: map[Kind]Source{
			KindSQS:             sqsSource{},
			KindKinesis:         kinesisSource{},
			KindDynamoDBStreams: dynamodbSource{},
		},
		ctx: ctx, cancel: cancel,
	}
	return m, nil
}

// Start starts polling the enabled mappings, those of earlier runs
// included, and settling mappings left in a transitional state. Call it
// once the Invoker serves. Calls after the first, and after Close, do
// nothing.
func (m *Manager) Start() {
	m.startOnce.Do(func() {
		if m.ctx.Err() != nil {
			return
		}
		m.start()
	})
}

// Close stops the pollers, giving their leases up so that another process
// takes the units over at once, waiting until ctx is done at most.
func (m *Manager) Close(ctx context.Context) error {
	var err error
	m.closeOnce.Do(func() {
		m.cancel()
		done := make(chan struct{})
		go func() { m.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		err = errors.Join(err, m.stop(ctx))
	})
	return err
}
