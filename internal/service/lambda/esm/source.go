package esm

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

// Function is what a mapping needs of the function it invokes.
type Function struct {
	Account string
	Name    string
	// ARN is the function's unqualified ARN; QualifiedARN is the ARN the
	// mapping invokes (ARN, or ARN:version or ARN:alias).
	ARN, QualifiedARN string
	Role              string // the execution role's ARN
	Timeout           int    // seconds
}

// Result is the outcome of an invocation made by a mapping.
type Result struct {
	Payload         []byte
	FunctionError   string // "" on success, "Unhandled" (a timeout included)
	ExecutedVersion string
	RequestID       string
}

// Functions is what Lambda gives the mappings: its functions and its
// execution roles.
type Functions interface {
	// Resolve finds the function a mapping names (a name, a partial or
	// full ARN, with or without a qualifier) in account. A missing
	// function, version or alias is Lambda's ResourceNotFoundException.
	Resolve(ctx context.Context, account, functionName string) (Function, error)
	// Invoke runs the function synchronously (RequestResponse), as Lambda
	// does for a mapping: no caller is authorized and no Invoke is
	// recorded. A throttle is a *api.Error with status 429; a function
	// error is a Result with FunctionError set.
	Invoke(ctx context.Context, qualifiedARN string, payload []byte) (*Result, error)
	// RoleSession assumes the function's execution role as
	// lambda.amazonaws.com and returns the principal of the session, as
	// Lambda uses it outside execution environments (InvokedBy
	// lambda.amazonaws.com, no lambda:SourceFunctionArn), and when it
	// expires. A role Lambda cannot assume is a *api.Error.
	RoleSession(ctx context.Context, fn Function) (*api.Principal, time.Time, error)
}

// Source reads one kind of event source. Sources are stateless: what a
// poller keeps lives in its Worker.
type Source interface {
	// Check applies the checks of CreateEventSourceMapping and
	// UpdateEventSourceMapping that need the source itself, as role
	// (the function's execution role session): the role may read it,
	// it exists, its settings suit the function (an SQS queue's
	// visibility timeout). Errors are Lambda's (InvalidParameterValueException
	// with AWS's message).
	Check(ctx context.Context, w *Worker, fn Function) error
	// Units lists the units of work of the mapping that pollers lease
	// one by one: a stream's shards, or one unit for a queue.
	Units(ctx context.Context, w *Worker) ([]string, error)
	// Poll reads w.Unit and invokes the function until ctx is done or the
	// unit is finished (a closed shard read to its end: Poll returns
	// ErrUnitDone). A failure returned is reported and Poll is called
	// again after a backoff; Poll reports its own progress through w.
	Poll(ctx context.Context, w *Worker) error
}

// ErrUnitDone is returned by Source.Poll when its unit has no more
// records, ever (a closed shard read to its end).
var ErrUnitDone = errors.New("esm: unit done")

// ErrLeaseLost is returned by Worker.Commit when another node has taken
// the unit over: the poller must stop without invoking again.
var ErrLeaseLost = errors.New("esm: lease lost")

// Worker is what a poller is given: the mapping, the unit it holds, and
// the service's hands. Its funcs are safe for concurrent use.
type Worker struct {
	Mapping  *Mapping
	Function Function
	Unit     string // "" in Source.Check and Source.Units
	Region   string

	// Principal returns the execution role's session, renewed before it
	// expires.
	Principal func(ctx context.Context) (*api.Principal, error)
	// Invoker calls the source's service (as Principal).
	Invoker api.Invoker
	// Invoke runs the function (Functions.Invoke of the mapping's
	// function).
	Invoke func(ctx context.Context, payload []byte) (*Result, error)
	// Checkpoint returns the unit's last committed position ("" before
	// the first commit).
	Checkpoint func(ctx context.Context) (string, error)
	// Commit records the unit's position, only while this worker holds
	// the unit's lease (ErrLeaseLost otherwise).
	Commit func(ctx context.Context, position string) error
	// Report sets the mapping's LastProcessingResult ("OK",
	// "No records processed", "PROBLEM: ...").
	Report func(result string)
	Now    func() time.Time
	Log    *slog.Logger
}
