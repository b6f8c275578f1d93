package runtime

import (
	"context"
	"errors"
	"time"
)

// Payload limits of synchronous invocations.
const (
	// MaxRequestPayload is the largest event accepted by Invoke.
	MaxRequestPayload = 6 * 1024 * 1024
	// MaxResponsePayload is the largest response the Runtime API accepts.
	MaxResponsePayload = 6*1024*1024 + 100
)

// FunctionErrorUnhandled is the value of Result.FunctionError (and of the
// X-Amz-Function-Error header) when the function failed.
const FunctionErrorUnhandled = "Unhandled"

// Throttle reasons carried by ThrottleError.
const (
	ReasonReservedLimit = "ReservedFunctionConcurrentInvocationLimitExceeded"
	ReasonAccountLimit  = "ConcurrentInvocationLimitExceeded"
)

var (
	// ErrRequestTooLarge is returned by Invoke for an event larger than
	// MaxRequestPayload (Lambda's RequestEntityTooLargeException).
	//lint:ignore ST1005 Lambda's own message, returned to clients as is
	ErrRequestTooLarge = errors.New("Request must be smaller than 6291456 bytes for the InvokeFunction operation")
	// ErrClosed is returned by Invoke after Close.
	ErrClosed = errors.New("runtime: manager closed")
)

// ThrottleError reports a concurrency limit (Lambda's
// TooManyRequestsException with the given Reason).
type ThrottleError struct {
	Reason string // ReasonReservedLimit or ReasonAccountLimit
}

func (e *ThrottleError) Error() string { return "Rate Exceeded." }

// Config is the configuration of one function version.
type Config struct {
	FunctionName string
	FunctionARN  string // unqualified
	Version      string // "$LATEST" or a version number
	Runtime      string // provided.al2023, provided.al2, python3.x, nodejs18.x, nodejs20.x, nodejs22.x
	Handler      string // "file.function" for python and node; ignored for provided
	CodeDir      string // the unpacked deployment package (see Unzip)
	Timeout      time.Duration
	MemoryMB     int
	Env          map[string]string // the function's own variables
	LogGroup     string            // default "/aws/lambda/<FunctionName>"
	Region       string
	AccountID    string
	// LogFormat is Lambda's log format, LogFormatText (the default) or
	// LogFormatJSON. With JSON the platform's lines are JSON records
	// (platform.start, platform.report), the runtime writes JSON, and the
	// function's and the platform's lines are filtered by
	// ApplicationLogLevel and SystemLogLevel (TRACE, DEBUG, INFO, WARN,
	// ERROR, FATAL; "" is INFO), as in Lambda's advanced logging controls.
	LogFormat                           string
	ApplicationLogLevel, SystemLogLevel string
	// EphemeralStorageMB is the size of /tmp Lambda gives the function
	// (512 to 10240; 0 is 512). In a sandbox (root) /tmp is a disk of
	// that size, writing past it fails with ENOSPC; without one it is
	// recorded, not enforced: TMPDIR is a directory of the host's.
	EphemeralStorageMB int
	// ActiveTracing says that the function's invocations are traced
	// (TracingConfig Active): the REPORT line of a sampled invocation
	// ends with its trace, as in Lambda.
	ActiveTracing bool
}

// Log formats of Config.LogFormat.
const (
	LogFormatText = "Text"
	LogFormatJSON = "JSON"
)

// Credentials are the execution role's temporary credentials.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time // zero: never
}

// EnvInfo describes an execution environment to EnvHooks.
type EnvInfo struct {
	ID        string // 32 hex digits, also the tail of the log stream name
	Key       string // the key given to Invoke
	Function  *Config
	LogStream string
	UID       int // uid the process runs as, or -1 when it runs as the host process's user
}

// EnvHooks binds credentials and an AWS endpoint to each environment.
type EnvHooks interface {
	// Start is called before the environment's process starts. It returns
	// the role's credentials for this environment and the URL of an AWS
	// endpoint bound to it (AWS_ENDPOINT_URL; empty leaves it unset).
	Start(ctx context.Context, env EnvInfo) (creds Credentials, endpointURL string, err error)
	// Stop is called once for each successful Start, after the
	// environment's processes are gone, so the session can be revoked and
	// the bound endpoint closed.
	Stop(env EnvInfo)
}

// LogEvent is one line of a function's log, as Lambda ships it to
// CloudWatch Logs (the message ends with a newline).
type LogEvent struct {
	Time    time.Time
	Message string
}

// LogSink receives log events in order, per stream. It is called from the
// environments' goroutines and must not block for long.
type LogSink func(group, stream string, events []LogEvent)

// InvokeOptions are the per-invocation inputs besides the event.
type InvokeOptions struct {
	RequestID       string // generated when empty
	InvokedARN      string // with qualifier when invoked with one; default Config.FunctionARN
	TraceID         string // Lambda-Runtime-Trace-Id; generated when empty
	ClientContext   string // decoded JSON
	CognitoIdentity string // JSON
	ContentType     string // default application/json
}

// Result is the outcome of one invocation.
type Result struct {
	RequestID     string
	Payload       []byte
	FunctionError string // FunctionErrorUnhandled or ""
	Log           []byte // START ... END, REPORT, newline separated
	Duration      time.Duration
	InitDuration  time.Duration // set on a cold start
	ColdStart     bool
	MaxMemoryMB   int
}

// Options configure a Manager.
type Options struct {
	// WorkDir holds the per-environment directories and the runtime
	// bootstraps. Empty: a new directory under os.TempDir, removed by Close.
	WorkDir string
	// Hooks issue credentials and endpoints; nil runs functions without.
	Hooks EnvHooks
	// LogSink receives every log line; nil discards them.
	LogSink LogSink
	// IdleTimeout stops environments idle for that long (default 10m).
	IdleTimeout time.Duration
	// InitTimeout bounds the init phase (default 10s, as in Lambda).
	InitTimeout time.Duration
	// AccountConcurrency is each account's concurrency limit (default 1000)
	// for the default admission.
	AccountConcurrency int
	// Admission admits invocations under the concurrency limits. Nil
	// counts this Manager's invocations in memory, against
	// AccountConcurrency and the reservations of SetReservedConcurrency.
	Admission Admission
	// MemoryPoll is the interval of memory sampling (default 50ms), on
	// hosts without cgroups; with them the kernel holds each environment
	// to its memory size.
	MemoryPoll time.Duration
	// CredentialMargin retires an environment when its credentials would
	// expire within the function timeout plus this margin (default 1m).
	CredentialMargin time.Duration
	// Interpreters overrides the interpreter per runtime, e.g.
	// "python3.12": "/usr/bin/python3.12", "nodejs": "/usr/bin/node".
	// Keys are a runtime name or its family ("python", "nodejs"). A
	// runtime's interpreter is also named by the environment variable
	// EnvName(runtime) (ROLECALL_RUNTIME_PYTHON3_12); this map wins. Either
	// way it must be of the runtime's version, or the runtime is refused.
	Interpreters map[string]string
	// CacheDir holds the SDKs installed for the runtimes whose interpreter
	// lacks them (boto3; @aws-sdk v3 for nodejs18.x and later). Default
	// DefaultCacheDir().
	CacheDir string
	// UIDBase and UIDCount select the uids given to environments when the
	// host process is root, one per environment (default 1<<20 and 4096).
	// A process takes them in blocks (a sixteenth of the range, at most
	// 256 uids), each locked under
	// /run/rolecall/uids for its life, so that rolecall processes on one
	// host never share one. If they are not mapped in this user
	// namespace, nobody is used.
	UIDBase, UIDCount int
}

func (o *Options) setDefaults() {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 10 * time.Minute
	}
	if o.InitTimeout <= 0 {
		o.InitTimeout = 10 * time.Second
	}
	if o.AccountConcurrency <= 0 {
		o.AccountConcurrency = 1000
	}
	if o.MemoryPoll <= 0 {
		o.MemoryPoll = 50 * time.Millisecond
	}
	if o.CredentialMargin <= 0 {
		o.CredentialMargin = time.Minute
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	if o.UIDCount <= 0 {
		o.UIDBase, o.UIDCount = 1<<20, 4096
	}
}
