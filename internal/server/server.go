// Package server assembles rolecall: the store, the server key, the services,
// the gateway and the listener. The binary and the integration tests both
// start rolecall through it.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/console"
	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/frontdoor"
	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/runtime"
	"github.com/rolecall/rolecall/internal/service/accessanalyzer"
	"github.com/rolecall/rolecall/internal/service/cloudtrail"
	"github.com/rolecall/rolecall/internal/service/cloudwatch"
	"github.com/rolecall/rolecall/internal/service/dynamodb"
	"github.com/rolecall/rolecall/internal/service/ec2"
	"github.com/rolecall/rolecall/internal/service/iam"
	"github.com/rolecall/rolecall/internal/service/kinesis"
	"github.com/rolecall/rolecall/internal/service/kms"
	"github.com/rolecall/rolecall/internal/service/lambda"
	"github.com/rolecall/rolecall/internal/service/lambda/esm"
	"github.com/rolecall/rolecall/internal/service/logs"
	"github.com/rolecall/rolecall/internal/service/organizations"
	"github.com/rolecall/rolecall/internal/service/rolecall"
	"github.com/rolecall/rolecall/internal/service/s3"
	"github.com/rolecall/rolecall/internal/service/sqs"
	"github.com/rolecall/rolecall/internal/service/sts"
	"github.com/rolecall/rolecall/internal/service/xray"
	"github.com/rolecall/rolecall/internal/session"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/postgres"
	"github.com/rolecall/rolecall/internal/trail"
)

// Config configures a Server.
type Config struct {
	Addr string // listen address, "127.0.0.1:4566"; "127.0.0.1:0" picks a port
	// DataDir holds the SQLite database (unless DatabaseURL is set) and
	// the node's own files: unpacked function code, execution environments.
	DataDir string
	// DatabaseURL, when set (postgres://…), is a PostgreSQL database that
	// several nodes share; otherwise the database is DataDir/rolecall.db.
	DatabaseURL string
	// KeyFile is a file (mode 0600) holding the server key (base64 of 32
	// bytes); "" is DataDir/server.key. ServerKey is the key itself, given
	// instead of a file. The database never holds the key; nodes sharing a
	// database need the same one. See loadServerKey.
	KeyFile   string
	ServerKey string
	AccountID string
	Region    string
	// RootAccessKeyID and RootSecretAccessKey, when set, are the root
	// credentials; otherwise they are made at first start and kept.
	RootAccessKeyID     string
	RootSecretAccessKey string
	Logger              *slog.Logger
	Now                 func() time.Time
	// RequestLog, when set, receives one line per request answered (see
	// requestLog); with RequestLogErrorsOnly, only for requests answered
	// with an error.
	RequestLog           io.Writer
	RequestLogErrorsOnly bool
	// LambdaSettleDelay is how long a new or updated function stays
	// Pending or InProgress (default 100ms).
	LambdaSettleDelay time.Duration
	// LambdaMappings tunes Lambda's event source mappings: their
	// SettleDelay, LeaseDuration, ScanInterval and RetryBackoff (zero
	// values take the defaults); its other fields are Lambda's own.
	LambdaMappings esm.Config
	// DynamoDBSweepInterval is the time between two passes of DynamoDB's
	// sweeper (expired TTL items, index backfills); 0 means a minute.
	DynamoDBSweepInterval time.Duration
	// Timeouts are the listeners' header and idle timeouts (zero fields:
	// frontdoor's defaults); BodyIdleTimeout and BodyMemory are the
	// gateway's (see gateway.Config).
	Timeouts        frontdoor.Timeouts
	BodyIdleTimeout time.Duration
	BodyMemory      int64
	// MaxConnsPerFunction bounds the connections one execution
	// environment holds open to its own listener, and one function's uid
	// to the main listener; 0 means DefaultMaxConnsPerFunction.
	MaxConnsPerFunction int
}

// DefaultMaxConnsPerFunction is the connections one execution environment
// (or one function's uid) may hold open to rolecall at once: a quarter of
// the 1,024 files Lambda lets a function open.
const DefaultMaxConnsPerFunction = 256

// Server is a running rolecall.
type Server struct {
	cfg   Config
	store store.Store
	// feed hands the store's changes (this process's and others') to the
	// caches; it runs from New to Shutdown.
	feed     *store.Feed
	stopFeed context.CancelFunc
	feedDone chan error
	life     context.Context // the feed's and the revocation retries'; ended by Shutdown (stopFeed)
	recorder *trail.Recorder
	iam      *iam.IAM
	sts      *sts.STS
	lambda   *lambda.Lambda
	sessions *sessions
	gateway  *gateway.Gateway
	listener net.Listener
	http     *http.Server
	root     Credentials
	// rootShown is how the banner shows the root secret: rootMade when
	// this start made the root credentials (the one time it is shown),
	// rootStored when they are kept in the database, rootGiven when the
	// environment gave them.
	rootShown rootShown
	// keySource says where the server key came from.
	keySource keySource

	// metrics publishes the services' CloudWatch metrics (Lambda's).
	metrics *cloudwatch.Publisher

	// serving is true from Serve until Shutdown: the health endpoint's
	// readiness.
	serving atomic.Bool

	shutdownOnce sync.Once
	shutdownErr  error
}

// Credentials are an access key pair.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

// New opens the data directory and assembles the services. It does not listen yet.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:4566"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "123456789012"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("server: data directory: %w", err)
	}
	if err := os.Chmod(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("server: data directory: %w", err)
	}
	if cfg.ServerKey == "" {
		// A key file that will be refused is refused before a database
		// is made beside it.
		if _, err := readKeyFile(keyFilePath(cfg)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// The service catalog backs condition-key types on every request:
	// decode it now rather than on the first request.
	catalog.Load()
	feed, err := store.NewFeed(ctx, st, cfg.Logger)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	s := &Server{cfg: cfg, store: st, feed: feed}
	feedCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.life, s.stopFeed, s.feedDone = feedCtx, stop, make(chan error, 1)
	if err := s.assemble(ctx); err != nil {
		stop()
		if s.keySource.created != "" {
			err = errors.Join(err, os.Remove(s.keySource.created))
		}
		return nil, errors.Join(err, st.Close())
	}
	go func() { s.feedDone <- feed.Run(feedCtx) }()
	return s, nil
}

func (s *Server) assemble(ctx context.Context) error {
	cfg := s.cfg
	key, src, err := loadServerKey(ctx, s.store, cfg)
	if err != nil {
		return err
	}
	s.keySource = src
	if err := bindDatabase(ctx, s.store, "region", cfg.Region, "--region", "ROLECALL_REGION"); err != nil {
		return err
	}
	if err := bindDatabase(ctx, s.store, "account", cfg.AccountID, "--account-id", "ROLECALL_ACCOUNT_ID"); err != nil {
		return err
	}
	box, err := crypt.NewBox(key)
	if err != nil {
		return err
	}
	orgs, err := organizations.New(organizations.Config{Store: s.store, Invoker: lateInvoker{s}, Feed: s.feed, Now: cfg.Now, Logger: cfg.Logger})
	if err != nil {
		return fmt.Errorf("server: organizations: %w", err)
	}
	s.iam, err = iam.New(ctx, iam.Config{Account: cfg.AccountID, Store: s.store, Box: box, Now: cfg.Now, Feed: s.feed, SCPs: orgs.SCPs})
	if err != nil {
		return fmt.Errorf("server: iam: %w", err)
	}
	s.root, s.rootShown, err = rootCredentials(ctx, s.store, box, cfg)
	if err != nil {
		return err
	}
	if err := s.iam.EnsureRootKey(ctx, cfg.AccountID, s.root.AccessKeyID, s.root.SecretAccessKey); err != nil {
		return fmt.Errorf("server: root key (every node on a database needs the same --account-id and root credentials): %w", err)
	}
	sealer := session.NewSealer(box)
	revoked, err := newSharedRevocations(ctx, s.life, s.store, s.feed, cfg.Now, cfg.Logger)
	if err != nil {
		return err
	}
	s.sessions = &sessions{sealer: sealer, revoked: revoked.list, shared: revoked, iam: s.iam}
	s.sessions.subscribe(s.feed)
	s.sts = sts.New(sts.Config{Account: cfg.AccountID, Roles: stsRoles{s.iam}, Sealer: sealer, Now: cfg.Now})
	s.recorder = trail.New(s.store, trail.Options{Logger: cfg.Logger})
	var onRequest func(gateway.Request)
	if cfg.RequestLog != nil {
		onRequest = (&requestLog{w: cfg.RequestLog, errorsOnly: cfg.RequestLogErrorsOnly}).log
	}
	// Two phases: the gateway first, then the services, which call each
	// other through it.
	endpoints := ec2.NewEndpoints(s.store, s.feed)
	gw := gateway.New(gateway.Config{
		Endpoints:  endpoints,
		Account:    cfg.AccountID,
		Region:     cfg.Region,
		Identities: gatewayIdentities{s.iam},
		Sessions:   s.sessions,
		Recorder:   s.recorder,
		Logger:     cfg.Logger,
		Now:        cfg.Now,
		OnRequest:  onRequest,

		BodyMemory:      cfg.BodyMemory,
		BodyIdleTimeout: cfg.BodyIdleTimeout,

		Organizations: orgs,
	})
	s.gateway = gw
	traces := xray.New(s.store, cfg.Now)
	networks := ec2.New(ec2.Config{Account: cfg.AccountID, Region: cfg.Region, Store: s.store, Endpoints: endpoints, Now: cfg.Now, Services: gw.Services})
	metricData, ok := s.store.(store.Metrics)
	if !ok {
		return fmt.Errorf("server: the %T store keeps no metric data", s.store)
	}
	s.metrics = cloudwatch.NewPublisher(metricData, cloudwatch.PublisherOptions{Now: cfg.Now, Logger: cfg.Logger})
	s.lambda, err = lambda.New(lambda.Config{
		Account: cfg.AccountID,
		Region:  cfg.Region,
		Store:   s.store,
		Box:     box,
		Feed:    s.feed,
		Now:     cfg.Now,
		Invoker: gw,
		Bind:    gw.Bound,
		Listen:  s.listenEnvironment,
		Revoke:  s.sessions.Revoke,
		CodeDir: filepath.Join(cfg.DataDir, "code"),
		// Nodes sharing a database count concurrency in it.
		SharedConcurrency: s.Shared(),
		Endpoint:          s.Endpoint,
		Logger:            cfg.Logger,
		PrincipalID:       s.iam.PrincipalID,
		SettleDelay:       cfg.LambdaSettleDelay,
		RecordSegments:    traces.Record,
		Metrics:           s.metrics,
		Networks:          networks,
		Mappings:          cfg.LambdaMappings,
	})
	if err != nil {
		return fmt.Errorf("server: lambda: %w", err)
	}
	sealed, err := s.lambda.SealEnvironments(ctx)
	if err != nil {
		return errors.Join(fmt.Errorf("server: %w", err), s.lambda.Close(ctx))
	}
	if src.moved || sealed > 0 {
		if err := scrub(ctx, s.store); err != nil {
			return errors.Join(err, s.lambda.Close(ctx))
		}
	}
	keys, err := kms.New(kms.Config{Account: cfg.AccountID, Region: cfg.Region, Store: s.store, Box: box, Now: cfg.Now, PrincipalID: s.iam.PrincipalID})
	if err != nil {
		return errors.Join(fmt.Errorf("server: kms: %w", err), s.lambda.Close(ctx))
	}
	gw.Register(
		orgs.Service(),
		keys.Service(),
		s.iam.Service(),
		s.sts.Service(),
		cloudtrail.New(s.recorder, cfg.Region),
		logs.New(s.store, cfg.Now).Service(),
		cloudwatch.New(cloudwatch.Config{Metrics: metricData, Publisher: s.metrics, Now: cfg.Now}).Service(),
		s.lambda.Service(),
		traces.Service(),
		networks.Service(),
	)
	objects, err := s3.New(s3.Config{Account: cfg.AccountID, Region: cfg.Region, Store: s.store, Feed: s.feed, Invoker: gw, Now: cfg.Now})
	if err != nil {
		return errors.Join(fmt.Errorf("server: s3: %w", err), s.lambda.Close(ctx))
	}
	gw.Register(objects.Service())
	tables, err := dynamodb.New(dynamodb.Config{Account: cfg.AccountID, Region: cfg.Region, Store: s.store, Feed: s.feed, Now: cfg.Now,
		TTLInterval: cfg.DynamoDBSweepInterval, Logger: cfg.Logger})
	if err != nil {
		return errors.Join(fmt.Errorf("server: dynamodb: %w", err), s.lambda.Close(ctx))
	}
	tables.Start(s.life)
	queues, err := sqs.New(sqs.Config{Account: cfg.AccountID, Region: cfg.Region, Store: s.store, Feed: s.feed, Endpoint: s.Endpoint, Now: cfg.Now})
	if err != nil {
		return errors.Join(fmt.Errorf("server: sqs: %w", err), s.lambda.Close(ctx))
	}
	streams, err := kinesis.New(kinesis.Config{Account: cfg.AccountID, Region: cfg.Region, Store: s.store, Box: box, Feed: s.feed, Now: cfg.Now})
	if err != nil {
		return errors.Join(fmt.Errorf("server: kinesis: %w", err), s.lambda.Close(ctx))
	}
	gw.Register(tables.Service(), tables.StreamsService(), queues.Service(), streams.Service())
	gw.Register(
		accessanalyzer.New(accessanalyzer.Config{Account: cfg.AccountID, Region: cfg.Region, Store: s.store, Now: cfg.Now, IAM: s.iam, Flush: s.recorder.Flush, Invoker: gw}).Service(),
		rolecall.New(rolecall.Config{Account: cfg.AccountID, Region: cfg.Region, Store: s.store, Invoker: gw, Now: cfg.Now, IAM: s.iam, Flush: s.recorder.Flush}).Service(),
	)
	s.lambda.Start()
	return nil
}

// Listen binds the listener; Addr then reports the real address. It
// raises the process's limit of open files to its hard limit first,
// bounds the connections open at once (see connBudget), and those of each
// function's uid (see functionPeer).
func (s *Server) Listen() error {
	files, err := frontdoor.RaiseFileLimit()
	if err != nil {
		s.cfg.Logger.Warn("could not raise the limit of open files", "err", err)
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: listen %s: %w", s.cfg.Addr, err)
	}
	ln = frontdoor.Limit(ln, connBudget(files), frontdoor.Whole)
	s.listener = frontdoor.Limit(ln, s.maxConnsPerFunction(), functionPeer)
	mux := &front{gateway: s.gateway, code: s.lambda.CodeHandler(), health: s.health, codePrefix: lambda.CodePathPrefix,
		console: console.Handler(console.Config{Region: s.cfg.Region})}
	s.http = frontdoor.NewServer(mux, s.cfg.Timeouts)
	return nil
}

// connBudget is how many connections the main listener holds open at
// once, given the limit of open files (0 when unknown): three quarters of
// it, so that clients holding connections open (idle ones until the
// header timeout, by the thousand) cannot take the descriptors the server
// needs for its database, execution environments and their listeners;
// connections past it are closed at once. 0 (no bound) when the limit is
// unknown.
func connBudget(files uint64) int {
	if files == 0 || files > 1<<30 {
		return 0
	}
	return int(files - files/4)
}

func (s *Server) maxConnsPerFunction() int {
	if s.cfg.MaxConnsPerFunction > 0 {
		return s.cfg.MaxConnsPerFunction
	}
	return DefaultMaxConnsPerFunction
}

// functionPeer names the peer of a connection to the main listener whose
// connections are bounded: a loopback socket owned by another uid than
// rolecall's, which is a function's when rolecall runs functions as their
// own users. Other clients are not limited.
func functionPeer(c net.Conn) (string, bool) {
	a, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok || !a.IP.IsLoopback() {
		return "", false
	}
	uid, ok := runtime.PeerUID(c)
	if !ok || uid == os.Getuid() {
		return "", false
	}
	return strconv.Itoa(uid), true
}

// listenEnvironment serves h, an execution environment's gateway, on a
// listener of its own on 127.0.0.1, with the main listener's timeouts and
// at most maxConnsPerFunction connections open at once, all of sockets
// owned by uid (the environment's) when uid >= 0: another function cannot
// take them.
func (s *Server) listenEnvironment(h http.Handler, uid int) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("server: environment listener: %w", err)
	}
	srv := frontdoor.NewServer(h, s.cfg.Timeouts)
	go func() {
		_ = srv.Serve(frontdoor.Limit(runtime.OwnedBy(ln, uid), s.maxConnsPerFunction(), frontdoor.Whole))
	}() // ends with Close
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// Serve serves until Shutdown. It returns nil after a clean shutdown.
func (s *Server) Serve() error {
	s.serving.Store(true)
	if err := s.http.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: serve: %w", err)
	}
	return nil
}

// Shutdown stops accepting requests, finishes the ones in flight, flushes
// the trail and closes the store.
// Calling it again returns the first call's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.shutdown(ctx) })
	return s.shutdownErr
}

func (s *Server) shutdown(ctx context.Context) error {
	s.serving.Store(false)
	var errs []error
	if s.http != nil {
		errs = append(errs, s.http.Shutdown(ctx))
	}
	// Lambda ships its last logs through the gateway, so it closes before
	// the trail and the store.
	errs = append(errs, s.lambda.Close(ctx))
	errs = append(errs, s.metrics.Close(ctx))
	errs = append(errs, s.recorder.Close(ctx))
	if n := s.recorder.Dropped(); n > 0 {
		s.cfg.Logger.Error("trail: events were lost", "dropped_total", n)
	}
	s.stopFeed()
	errs = append(errs, <-s.feedDone)
	s.sessions.shared.wait()
	errs = append(errs, s.store.Close())
	return errors.Join(errs...)
}

// Endpoint is the URL clients use.
func (s *Server) Endpoint() string { return "http://" + s.listener.Addr().String() }

// Root returns the root credentials of the default account.
func (s *Server) Root() Credentials { return s.root }

// Region is the default region.
func (s *Server) Region() string { return s.cfg.Region }

// Recorder is the trail recorder.
func (s *Server) Recorder() *trail.Recorder { return s.recorder }

// Gateway is the request gateway.
func (s *Server) Gateway() *gateway.Gateway { return s.gateway }

// openStore opens the database cfg names: PostgreSQL at DatabaseURL, or
// the SQLite file in DataDir.
func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.DatabaseURL == "" {
		return store.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "rolecall.db"))
	}
	if !strings.HasPrefix(cfg.DatabaseURL, "postgres://") && !strings.HasPrefix(cfg.DatabaseURL, "postgresql://") {
		return nil, fmt.Errorf("server: database URL %q: want postgres://user:password@host:port/database", postgres.Redact(cfg.DatabaseURL))
	}
	st, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("server: database %s: %w", postgres.Redact(cfg.DatabaseURL), err)
	}
	return st, nil
}

// Shared reports whether the database is shared with other nodes.
func (s *Server) Shared() bool { return s.cfg.DatabaseURL != "" }

// bindDatabase records a setting of the first start in the database, and
// refuses a start with another value: the region, whose Lambda functions
// (and every regional resource) the database holds, and the default
// account, whose root key would otherwise be registered again to another
// account, moving the root user of every node on the database there.
func bindDatabase(ctx context.Context, st store.Store, setting, value, flag, env string) error {
	var stored string
	_, err := st.Update(ctx, func(tx store.Tx) error {
		v, err := tx.Get(ctx, serverTable, setting)
		switch {
		case errors.Is(err, store.ErrNotFound):
			stored = value
			return tx.Put(ctx, serverTable, setting, []byte(value))
		case err != nil:
			return err
		}
		stored = string(v)
		return nil
	})
	if err != nil {
		return fmt.Errorf("server: %s: %w", setting, err)
	}
	if stored != value {
		return fmt.Errorf("server: this database holds %s %s, not %s: every node on it needs the same %s: start it with %s %s (or %s=%s)",
			setting, stored, value, flag, flag, stored, env, stored)
	}
	return nil
}

type storedRoot struct {
	AccessKeyID string `json:"accessKeyId"`
	Secret      []byte `json:"secret"` // sealed
}

// rootShown says how the banner shows the root secret.
type rootShown int

const (
	rootStored rootShown = iota // kept in the database: rolecall credentials prints it
	rootMade                    // made by this start: the banner shows it, this once
	rootGiven                   // given by the environment: the user has it
)

// rootCredentials returns the configured root credentials, or the stored
// ones, making them at first start.
func rootCredentials(ctx context.Context, st store.Store, box *crypt.Box, cfg Config) (Credentials, rootShown, error) {
	if cfg.RootAccessKeyID != "" || cfg.RootSecretAccessKey != "" {
		if cfg.RootAccessKeyID == "" || cfg.RootSecretAccessKey == "" {
			return Credentials{}, 0, errors.New("server: both ROLECALL_ROOT_ACCESS_KEY_ID and ROLECALL_ROOT_SECRET_ACCESS_KEY must be set")
		}
		return Credentials{cfg.RootAccessKeyID, cfg.RootSecretAccessKey}, rootGiven, nil
	}
	var (
		c     Credentials
		shown rootShown
	)
	_, err := st.Update(ctx, func(tx store.Tx) error {
		found, err := storedRootCredentials(ctx, tx, box)
		if err == nil {
			c, shown = found, rootStored
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		c, shown = Credentials{session.NewAccessKeyID("AKIA", cfg.AccountID), session.NewSecret()}, rootMade
		r := storedRoot{AccessKeyID: c.AccessKeyID, Secret: box.Seal([]byte(c.SecretAccessKey), []byte(c.AccessKeyID))}
		return store.PutJSON(ctx, tx, serverTable, "root", r)
	})
	if err != nil {
		return Credentials{}, 0, fmt.Errorf("server: root credentials: %w", err)
	}
	return c, shown, nil
}

// storedRootCredentials reads the root credentials made at first start;
// store.ErrNotFound when there are none.
func storedRootCredentials(ctx context.Context, r store.Reader, box *crypt.Box) (Credentials, error) {
	var sr storedRoot
	if err := store.GetJSON(ctx, r, serverTable, "root", &sr); err != nil {
		return Credentials{}, err
	}
	secret, err := box.Open(sr.Secret, []byte(sr.AccessKeyID))
	if err != nil {
		return Credentials{}, fmt.Errorf("the server key does not open the root secret kept in the database (every node on a database needs the same key): %w", err)
	}
	return Credentials{sr.AccessKeyID, string(secret)}, nil
}
