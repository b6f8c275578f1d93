package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/runtime"
)

// Invocation limits.
const (
	maxSyncPayload = runtime.MaxRequestPayload
	// maxAsyncPayload is Lambda's limit on the event of an asynchronous
	// (Event) invocation.
	maxAsyncPayload = 1024 * 1024
	logTailSize     = 4096
)

// invocation is one request to run a function.
type invocation struct {
	account    string
	cfg        *config // the version that runs
	invokedARN string  // with the qualifier the caller gave
	payload    []byte
	opts       runtime.InvokeOptions
	received   time.Time // when Lambda received the request; zero for a queued one
}

func (l *Lambda) invoke(c *api.Call) (any, error) {
	ref, err := l.pathRef(c, true)
	if err != nil {
		return nil, err
	}
	header := func(k string) string {
		if c.HTTP == nil {
			return ""
		}
		return c.HTTP.Header.Get(k)
	}
	typ := header("X-Amz-Invocation-Type")
	if typ == "" {
		typ = "RequestResponse"
	}
	if typ != "RequestResponse" && typ != "Event" && typ != "DryRun" {
		return nil, errValidation("1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", typ)
	}
	logType := header("X-Amz-Log-Type")
	if logType != "" && logType != "None" && logType != "Tail" {
		return nil, errValidation("1 validation error detected: Value '%s' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]", logType)
	}
	c.Trail.RequestParameters = map[string]any{"functionName": ref.qualifiedARN(), "invocationType": typ}
	inv, err := l.prepare(c, ref, header)
	if err != nil {
		return nil, err
	}
	body, err := c.Payload()
	if err != nil {
		return nil, err
	}
	switch {
	case typ == "Event" && len(body) > maxAsyncPayload:
		return nil, errRequestEntityTooLarge("%d byte payload is too large for the Event invocation type (limit %d bytes)", len(body), maxAsyncPayload)
	case len(body) > maxSyncPayload:
		return nil, errRequestEntityTooLarge("Request must be smaller than %d bytes for the InvokeFunction operation", maxSyncPayload)
	}
	switch typ {
	case "DryRun":
		return &api.Raw{Status: http.StatusNoContent}, nil
	case "Event":
		// The invocation runs under the request's id, as in Lambda, where
		// an asynchronous Invoke's x-amzn-RequestId is the awsRequestId of
		// the run it queued.
		inv.opts.RequestID = c.RequestID
		// A traced invocation keeps one trace through its attempts.
		if inv.opts.TraceID == "" && inv.cfg.Tracing == "Active" {
			inv.opts.TraceID = "Root=" + newTraceRoot(time.Now()) + ";Sampled=1"
		}
		if err := l.async.send(c.Context, inv); err != nil {
			return nil, err
		}
		return &api.Raw{Status: http.StatusAccepted}, nil
	}
	res, err := l.run(c.Context, inv)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", inv.cfg.Version)
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	if logType == "Tail" {
		tail := res.Log
		if len(tail) > logTailSize {
			tail = tail[len(tail)-logTailSize:]
		}
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(tail))
	}
	return &api.Raw{Status: http.StatusOK, Header: h, Body: res.Payload}, nil
}

// prepare resolves the version to run and checks the payload and headers.
func (l *Lambda) prepare(c *api.Call, ref fnRef, header func(string) string) (*invocation, error) {
	f, cfg, err := l.resolve(c.Context, ref)
	if err != nil {
		return nil, err
	}
	if a := ref.Qualifier; a != "" && a != latest && !reNumeric.MatchString(a) {
		if cfg, err = l.route(c.Context, ref, cfg); err != nil {
			return nil, err
		}
	}
	// Whatever the path to it ($LATEST, a version, an alias or its
	// additional version), a Pending configuration does not run.
	if cfg.State == statePending {
		return nil, errState(cfg.State)
	}
	cfg = f.runnable(cfg)
	payload, err := c.Payload()
	if err != nil {
		return nil, err
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	} else if len(payload) <= maxSyncPayload && !json.Valid(payload) {
		return nil, errRequestContent("Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a valid JSON value")
	}
	inv := &invocation{account: ref.Account, cfg: cfg, invokedARN: ref.qualifiedARN(), payload: payload}
	if cc := header("X-Amz-Client-Context"); cc != "" {
		b, err := base64.StdEncoding.DecodeString(cc)
		if err != nil || !json.Valid(b) {
			return nil, errRequestContent("Client context must be a valid Base64-encoded JSON object.")
		}
		inv.opts.ClientContext = string(b)
	}
	inv.opts.TraceID = header("X-Amzn-Trace-Id")
	inv.received = time.Now()
	return inv, nil
}

// route picks the version an alias sends this invocation to, by the
// alias's additional version weights.
func (l *Lambda) route(ctx context.Context, ref fnRef, primary *config) (*config, error) {
	a, err := l.loadAlias(ctx, l.cfg.Store, ref, ref.Qualifier)
	if err != nil {
		return nil, err
	}
	x := rand.Float64()
	for v, w := range a.Weights {
		if x < w {
			return l.loadVersion(ctx, l.cfg.Store, ref, v)
		}
		x -= w
	}
	return primary, nil
}

// run invokes the function in an execution environment.
func (l *Lambda) run(ctx context.Context, inv *invocation) (*runtime.Result, error) {
	cfg := inv.cfg
	if !supportedRuntime(cfg.Runtime) {
		return nil, api.Errorf(http.StatusBadGateway, "InvalidRuntimeException",
			"The runtime parameter of %s is not supported by this endpoint.", cfg.Runtime)
	}
	dir, err := l.ensureCode(ctx, inv.account, cfg)
	if err != nil {
		return nil, err
	}
	env, err := l.runEnv(ctx, inv.account, cfg, runtimeKey(inv.account, cfg.Name, cfg.Version, cfg.EnvKey))
	if err != nil {
		return nil, err
	}
	arn := functionARN(l.cfg.Region, inv.account, cfg.Name)
	lg := loggingOf(cfg)
	rc := &runtime.Config{
		FunctionName: cfg.Name,
		FunctionARN:  arn,
		Version:      cfg.Version,
		Runtime:      cfg.Runtime,
		Handler:      cfg.Handler,
		CodeDir:      dir,
		Timeout:      time.Duration(cfg.Timeout) * time.Second,
		MemoryMB:     cfg.MemorySize,
		Env:          env,
		LogGroup:     lg.Group,
		Region:       l.cfg.Region,
		AccountID:    inv.account,

		LogFormat:           lg.Format,
		ApplicationLogLevel: lg.AppLevel,
		SystemLogLevel:      lg.SystemLevel,
		EphemeralStorageMB:  cfg.ephemeralMB(),
		ActiveTracing:       cfg.Tracing == "Active",
	}
	key := runtimeKey(inv.account, cfg.Name, cfg.Version, cfg.EnvKey)
	l.envs.setSpec(key, &envSpec{account: inv.account, role: cfg.Role, name: cfg.Name, arn: arn, vpc: cfg.vpcID()})
	opts := inv.opts
	opts.InvokedARN = inv.invokedARN
	if opts.RequestID == "" {
		opts.RequestID = uuid.NewString()
	}
	start := time.Now()
	plan := planTrace(cfg, opts.TraceID, start)
	if plan != nil {
		opts.TraceID = plan.header()
	}
	running := inv.account + "/" + cfg.Name
	concurrent := l.running.start(running)
	res, err := l.rt.Invoke(ctx, rc, key, inv.payload, opts)
	l.running.end(running)
	l.recordMetrics(inv, start, concurrent, res, err)
	if plan != nil {
		received := inv.received
		if received.IsZero() {
			received = start
		}
		l.recordTrace(plan, inv.account, inv.invokedARN, opts.RequestID, received, start, time.Now(), res)
	}
	if err != nil {
		return nil, l.invokeError(ctx, inv, err)
	}
	return res, nil
}

// errRequestEntityTooLarge is Lambda's 413 for a payload over a limit.
// Lambda sends the code RequestEntityTooLargeException on the wire (the
// API model's RequestTooLargeException is never sent), for Invoke,
// InvokeAsync and CreateFunction alike.
func errRequestEntityTooLarge(format string, args ...any) *api.Error {
	return api.Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", format, args...)
}

// invokeError maps the runtime's errors to Lambda's. A failure of the
// host (a file that cannot be made, a process that cannot start) is
// Lambda's ServiceException with a message of the model's, never the
// failure's text, which names the host's paths: that goes to the log.
func (l *Lambda) invokeError(ctx context.Context, inv *invocation, err error) error {
	var te *runtime.ThrottleError
	var re *roleError
	if ke, ok := isKMSEnvError(err); ok {
		return ke
	}
	switch {
	case errors.As(err, &te):
		return &api.Error{Code: "TooManyRequestsException", Status: http.StatusTooManyRequests,
			Message: "Rate Exceeded.", Fields: map[string]any{"Reason": te.Reason},
			Header: map[string]string{"Retry-After": "1"}}
	case errors.Is(err, runtime.ErrRequestTooLarge):
		return errRequestEntityTooLarge("Request must be smaller than %d bytes for the InvokeFunction operation", maxSyncPayload)
	case errors.As(err, &re):
		return &api.Error{Code: "AccessDeniedException", Status: http.StatusForbidden,
			Message: "The role defined for the function cannot be assumed by Lambda."}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, runtime.ErrClosed):
		return errService("The service is shutting down.")
	}
	if ctx.Err() == nil {
		l.cfg.Logger.Error("lambda: invocation failed", "function", inv.invokedARN, "err", err)
	}
	return errInternal()
}

func supportedRuntime(r string) bool {
	return r == "provided.al2023" || r == "provided.al2" || r == "provided" ||
		strings.HasPrefix(r, "python3.") || strings.HasPrefix(r, "nodejs") && strings.HasSuffix(r, ".x")
}
