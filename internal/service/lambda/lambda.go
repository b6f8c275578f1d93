// Package lambda is the AWS Lambda service: the control plane (functions,
// versions, aliases, permissions, tags, concurrency) over restJson1, and the
// data plane that runs functions in execution environments as their
// execution role.
//
// Lambda assumes a function's role as lambda.amazonaws.com through the
// gateway, like any caller: at CreateFunction and UpdateFunctionConfiguration
// to check that the role trusts Lambda, and once per execution environment to
// issue the credentials the function runs with. Each environment gets a
// loopback listener bound to it (AWS_ENDPOINT_URL), so the calls it makes
// carry lambda:SourceFunctionArn and aws:SourceVpc. Function logs are written
// to CloudWatch Logs as the execution role, off the invoke path.
package lambda

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/runtime"
	"github.com/rolecall/rolecall/internal/service/lambda/esm"
	"github.com/rolecall/rolecall/internal/store"
)

// Config configures the Lambda service.
type Config struct {
	Account, Region string
	Store           store.Store
	// Box seals the functions' environment variables at rest with the
	// server key. Required.
	Box *crypt.Box
	// Feed, when set, feeds the caches of function configurations and
	// resource policies with the changes of every process sharing Store.
	// A process's own changes reach its caches at once either way.
	Feed *store.Feed
	// Runtime runs the execution environments. When nil, New creates one
	// from RuntimeOptions with this service's hooks and log sink, and Close
	// closes it. A Manager passed here must have been created with Hooks()
	// and LogSink() of this service for credentials and logs to work.
	Runtime        *runtime.Manager
	RuntimeOptions runtime.Options
	// Invoker makes in-process calls to other services (STS AssumeRole,
	// CloudWatch Logs) through the gateway's authorization and trail.
	Invoker api.Invoker
	// Listen opens a loopback listener serving h and returns its URL and a
	// function that closes it; with uid >= 0 (the environment's, see
	// runtime.EnvInfo.UID) it accepts only connections of sockets that uid
	// owns (runtime.OwnedBy). Nil uses an HTTP server on 127.0.0.1:0.
	Listen func(h http.Handler, uid int) (endpointURL string, closeFn func(), err error)
	// Bind returns the gateway handler for a listener bound to an execution
	// environment (gateway.Gateway.Bound). Nil leaves AWS_ENDPOINT_URL unset.
	Bind func(b *api.EnvironmentBinding) http.Handler
	// Revoke revokes the sessions of an execution environment until the
	// given time. Nil does nothing.
	Revoke func(environmentID string, until time.Time)
	// CodeDir holds unpacked deployment packages, as
	// CodeDir/<account>/<function>/<sha256 hex>.
	CodeDir string
	// RecordSegments stores the X-Ray segments Lambda records of the
	// invocations of functions with active tracing (xray.XRay.Record),
	// in the function's account and region. Nil records none.
	RecordSegments func(ctx context.Context, account, region string, documents []string) error
	// Endpoint returns the main endpoint URL, for GetFunction's Code.Location
	// (served by CodeHandler under CodePathPrefix). Nil omits the location.
	Endpoint func() string
	Now      func() time.Time
	// PrincipalID returns the unique ID of the IAM user or role an ARN
	// names ("" when it does not exist) and whether that is known (IAM's
	// PrincipalID). AddPermission refuses a principal that is known not to
	// exist. Nil checks nothing.
	PrincipalID func(ctx context.Context, arn string) (id string, known bool, err error)
	// Metrics receives the AWS/Lambda metrics of each invocation
	// (recordMetrics). Nil publishes none.
	Metrics Metrics
	// Networks checks the subnets and security groups of VpcConfig and
	// keeps the functions' network interfaces (EC2). Nil checks nothing:
	// the VPC ID is then derived from the subnet IDs.
	Networks Networks

	// SettleDelay is how long a new or updated function stays Pending or
	// InProgress (default 100ms).
	SettleDelay time.Duration
	// RetryDelays are the waits before the retries of a failed asynchronous
	// invocation (default 1m and 2m, as Lambda).
	RetryDelays []time.Duration
	// AsyncWorkers bounds the asynchronous invocations running at once
	// (default 16).
	AsyncWorkers int
	// Logger receives the failures of background work: asynchronous
	// invocations (default slog.Default()).
	Logger *slog.Logger
	// Mappings configures the event source mappings' pollers; Account,
	// Region, Store, Feed, Invoker, Functions, Now and Logger are this
	// service's.
	Mappings esm.Config
	// ConcurrentExecutions is the account's concurrency limit reported by
	// GetAccountSettings (default 1000); it should match the runtime's.
	ConcurrentExecutions int
	// SharedConcurrency counts running invocations in Store instead of in
	// this process's memory, so that the account's concurrency limit and
	// the functions' reserved concurrency hold across every process that
	// runs functions on Store (nodes sharing one PostgreSQL database). Each
	// invocation then writes a slot to Store and deletes it when it ends;
	// the slot of a process that dies mid-invocation stops counting after
	// the function's timeout, the init timeout and a minute, so the
	// processes' clocks must agree to within seconds. The account's limit
	// is ConcurrentExecutions. New must create the runtime: Runtime and
	// RuntimeOptions.Admission must be unset.
	SharedConcurrency bool
}

// Lambda is the Lambda service.
type Lambda struct {
	cfg     Config
	rt      *runtime.Manager
	ownRT   bool
	now     func() time.Time
	codeKey []byte
	async   *asyncQueue
	// mappings are the event source mappings and their pollers.
	mappings *esm.Manager
	logs     *logShipper
	envs     *environments
	// running counts each function's running invocations
	// (ConcurrentExecutions).
	running inflight
	// kmsEnvs holds KMS-encrypted variables decrypted per runtime key.
	kmsEnvs kmsEnvs
	// policies holds the parsed resource-based policies by store key; a
	// nil value records that there is none.
	policies  *store.Memo[*policy.Policy]
	functions *store.Cache
	// unsubscribe ends the caches' subscription to the change feed.
	unsubscribe func()
	done        chan struct{}
	bg          sync.WaitGroup
	closeOnce   sync.Once

	mu     sync.Mutex
	closed bool
}

// Tables of the store.
const (
	tableFunctions = "lambda_functions" // account/name -> function
	tableVersions  = "lambda_versions"  // account/name/0000000001 -> version
	tableAliases   = "lambda_aliases"   // account/name/alias -> alias
	tablePolicies  = "lambda_policies"  // account/name[:qualifier] -> resource policy
	tableCode      = "lambda_code"      // account/name/sha256hex/NNNNNN -> a chunk of a zip stored before blobs (read only)
	tableMeta      = "lambda_meta"
)

// New returns the Lambda service.
func New(cfg Config) (*Lambda, error) {
	if cfg.Store == nil || cfg.Invoker == nil {
		return nil, errors.New("lambda: Store and Invoker are required")
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
	if cfg.CodeDir == "" {
		return nil, errors.New("lambda: CodeDir is required")
	}
	if cfg.SettleDelay <= 0 {
		cfg.SettleDelay = 100 * time.Millisecond
	}
	if cfg.RetryDelays == nil {
		cfg.RetryDelays = []time.Duration{time.Minute, 2 * time.Minute}
	}
	if cfg.AsyncWorkers <= 0 {
		cfg.AsyncWorkers = 16
	}
	if cfg.ConcurrentExecutions <= 0 {
		cfg.ConcurrentExecutions = 1000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Listen == nil {
		cfg.Listen = listenLoopback
	}
	if cfg.Box == nil {
		return nil, errors.New("lambda: Config.Box is required: it seals environment variables at rest")
	}
	if cfg.SharedConcurrency && (cfg.Runtime != nil || cfg.RuntimeOptions.Admission != nil) {
		return nil, errors.New("lambda: SharedConcurrency admits invocations itself: Runtime and RuntimeOptions.Admission must be unset")
	}
	dir, err := filepath.Abs(cfg.CodeDir)
	if err != nil {
		return nil, fmt.Errorf("lambda: code directory: %w", err)
	}
	cfg.CodeDir = dir
	functions := store.NewCache(cfg.Store, tableFunctions)
	cfg.Store = functions
	l := &Lambda{
		cfg:         cfg,
		now:         cfg.Now,
		done:        make(chan struct{}),
		envs:        newEnvironments(),
		policies:    &store.Memo[*policy.Policy]{},
		functions:   functions,
		unsubscribe: func() {},
	}
	ctx := context.Background()
	if l.codeKey, err = l.loadCodeKey(ctx); err != nil {
		return nil, err
	}
	if err := l.sweepCode(ctx); err != nil {
		return nil, err
	}
	l.logs = newLogShipper(l)
	l.rt = cfg.Runtime
	if l.rt == nil {
		opts := cfg.RuntimeOptions
		opts.Hooks = l.Hooks()
		opts.LogSink = l.LogSink()
		if opts.AccountConcurrency <= 0 {
			opts.AccountConcurrency = cfg.ConcurrentExecutions
		}
		if cfg.SharedConcurrency {
			opts.Admission = newStoreAdmission(l, opts.InitTimeout)
		}
		if l.rt, err = runtime.New(opts); err != nil {
			return nil, fmt.Errorf("lambda: runtime: %w", err)
		}
		l.ownRT = true
	}
	l.async = newAsyncQueue(l, cfg.AsyncWorkers, cfg.Logger)
	mc := cfg.Mappings
	mc.Account, mc.Region, mc.Store, mc.Feed = cfg.Account, cfg.Region, cfg.Store, cfg.Feed
	mc.Invoker, mc.Functions, mc.Now, mc.Logger = cfg.Invoker, mappingFunctions{l}, cfg.Now, cfg.Logger
	if l.mappings, err = esm.New(mc); err != nil {
		err = errors.Join(err, l.async.close(ctx))
		if l.ownRT {
			err = errors.Join(err, l.rt.Close(ctx))
		}
		return nil, err
	}
	// Subscribed once the runtime is there: follow drains its pools.
	if cfg.Feed != nil {
		l.unsubscribe = cfg.Feed.Subscribe([]string{tableFunctions, tablePolicies}, func(c store.Change) {
			l.changed(c)
			if c.Table == tableFunctions {
				l.follow(c.Key)
			}
		}, l.reset)
	}
	if err := errors.Join(l.indexReserved(ctx), l.recover(ctx)); err != nil {
		l.unsubscribe()
		err = errors.Join(err, l.async.close(ctx))
		if l.ownRT {
			err = errors.Join(err, l.rt.Close(ctx))
		}
		return nil, err
	}
	return l, nil
}

// Start starts running the asynchronous (Event) invocations queued in the
// store by any process, those left by earlier runs included, and the
// pollers of the event source mappings. Call it once
// Invoker serves (the gateway has every service): New does not, since an
// invocation's first need is to assume its role through Invoker. The
// first Event invocation this service accepts starts them too. Calls after
// the first, and after Close, do nothing.
func (l *Lambda) Start() {
	l.async.start()
	l.mappings.Start()
}

// Runtime returns the execution-environment manager in use.
func (l *Lambda) Runtime() *runtime.Manager { return l.rt }

// Close stops the asynchronous invocations, the runtime when New created
// it, and ships the logs still queued, waiting until ctx is done at most.
func (l *Lambda) Close(ctx context.Context) error {
	var err error
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		l.unsubscribe()
		close(l.done)
		err = errors.Join(l.mappings.Close(ctx), l.async.close(ctx))
		if l.ownRT {
			err = errors.Join(err, l.rt.Close(ctx))
		}
		waited := make(chan struct{})
		go func() { l.bg.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-ctx.Done():
			err = errors.Join(err, ctx.Err())
		}
		l.logs.close(ctx)
		l.envs.closeAll()
	})
	return err
}

// go runs f in the background until Close; it reports false after Close.
func (l *Lambda) goBackground(f func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		f()
	}()
	return true
}

// loadCodeKey returns the key of Code.Location tokens, made at first start.
func (l *Lambda) loadCodeKey(ctx context.Context) ([]byte, error) {
	var key []byte
	_, err := l.cfg.Store.Update(ctx, func(tx store.Tx) error {
		k, err := tx.Get(ctx, tableMeta, "code-key")
		if err == nil {
			key = k
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		key = make([]byte, 32)
		rand.Read(key)
		return tx.Put(ctx, tableMeta, "code-key", key)
	})
	if err != nil {
		return nil, fmt.Errorf("lambda: code key: %w", err)
	}
	return key, nil
}

// recover settles, in the background, functions left Pending or InProgress by a previous run
// and restores reserved concurrency.
func (l *Lambda) recover(ctx context.Context) error {
	items, err := l.cfg.Store.List(ctx, tableFunctions, "", "", 0)
	if err != nil {
		return fmt.Errorf("lambda: recover: %w", err)
	}
	for _, it := range items {
		var f function
		if err := decode(it.Value, &f); err != nil {
			return fmt.Errorf("lambda: recover %s: %w", it.Key, err)
		}
		acct, _, _ := cutKey(it.Key)
		if f.Reserved != nil {
			l.rt.SetReservedConcurrency(functionARN(l.cfg.Region, acct, f.Config.Name), *f.Reserved)
		}
		if f.Config.State == statePending || f.Config.LastUpdateStatus == updateInProgress {
			// Prepared (its runtime's SDK installed) and then settled, as
			// a change that had not been settled when the run ended.
			l.settleLater(acct, f.Config.Name)
		}
	}
	return nil
}

// changed drops what the caches hold of a changed record.
func (l *Lambda) changed(c store.Change) {
	switch c.Table {
	case tableFunctions:
		l.functions.Forget(c.Table, c.Key)
	case tablePolicies:
		l.policies.Forget(c.Key)
	}
}

// reset drops every cached record: changes may have been missed.
func (l *Lambda) reset() {
	l.functions.ForgetAll()
	l.policies.ForgetAll()
}
