package runtime

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/frontdoor"
)

const apiPrefix = "/2018-06-01/runtime/"

// invocation is one event handed to the runtime and its outcome.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	opts     InvokeOptions
	arn      string

	once    sync.Once
	done    chan struct{}
	resp    []byte
	errType string // set when the runtime posted to /error
	tooBig  bool
}

func newInvocation(id string, payload []byte, deadline time.Time, arn string, opts InvokeOptions) *invocation {
	return &invocation{id: id, payload: payload, deadline: deadline, arn: arn, opts: opts, done: make(chan struct{})}
}

// finish records the outcome once; it reports false if already finished.
func (inv *invocation) finish(f func()) bool {
	ok := false
	inv.once.Do(func() {
		f()
		ok = true
		close(inv.done)
	})
	return ok
}

// initError is what a runtime posted to /runtime/init/error.
type initError struct {
	body    []byte
	errType string
}

// runtimeAPI is the Runtime API endpoint of one environment.
type runtimeAPI struct {
	ln      net.Listener
	srv     *http.Server
	next    chan *invocation // unbuffered: a send succeeds when the runtime takes it
	ready   chan struct{}    // closed at the first /next: init is over
	initErr chan initError   // buffered 1
	dead    <-chan struct{}  // the process exited

	// waits, when set, is told when the runtime starts (true) and stops
	// (false) waiting in GET /next with no event pending.
	waits func(bool)

	readyOnce sync.Once
	mu        sync.Mutex
	cur       *invocation
}

// maxRuntimeAPIConns bounds the connections an environment holds open to
// its Runtime API at once. A runtime needs one (the bootstraps here keep
// a single keep-alive connection; Lambda's Go and custom runtimes a few);
// each is one of the server's open files, so an environment must not be
// able to open them by the thousand.
const maxRuntimeAPIConns = 32

// newRuntimeAPI listens on 127.0.0.1. With peerUID >= 0 it accepts only
// connections from sockets owned by that uid. It serves at most
// maxRuntimeAPIConns connections at once; one past that is reset at once.
func newRuntimeAPI(dead <-chan struct{}, peerUID int) (*runtimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if peerUID >= 0 {
		ln = &uidListener{Listener: ln, uid: peerUID}
	}
	ln = frontdoor.Limit(ln, maxRuntimeAPIConns, frontdoor.Whole)
	a := &runtimeAPI{
		ln:      ln,
		next:    make(chan *invocation),
		ready:   make(chan struct{}),
		initErr: make(chan initError, 1),
		dead:    dead,
	}
	a.srv = &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	go a.srv.Serve(ln)
	return a, nil
}

// addr is the value of AWS_LAMBDA_RUNTIME_API.
func (a *runtimeAPI) addr() string { return a.ln.Addr().String() }

func (a *runtimeAPI) close() { a.srv.Close() }

func (a *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case p == "invocation/next" && r.Method == http.MethodGet:
		a.handleNext(w, r)
	case p == "init/error" && r.Method == http.MethodPost:
		a.handleInitError(w, r)
	case strings.HasPrefix(p, "invocation/") && r.Method == http.MethodPost:
		id, kind, _ := strings.Cut(strings.TrimPrefix(p, "invocation/"), "/")
		switch kind {
		case "response":
			a.handleResult(w, r, id, false)
		case "error":
			a.handleResult(w, r, id, true)
		default:
			http.NotFound(w, r)
		}
	default:
		http.NotFound(w, r)
	}
}

func (a *runtimeAPI) handleNext(w http.ResponseWriter, r *http.Request) {
	a.readyOnce.Do(func() { close(a.ready) })
	var inv *invocation
	select {
	case inv = <-a.next:
	default:
		if a.waits != nil {
			a.waits(true)
		}
		select {
		case inv = <-a.next:
		case <-r.Context().Done():
		case <-a.dead:
		}
		if a.waits != nil {
			a.waits(false)
		}
		if inv == nil {
			return
		}
	}
	a.mu.Lock()
	a.cur = inv
	a.mu.Unlock()
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.arn)
	setIf(h, "Lambda-Runtime-Trace-Id", inv.opts.TraceID)
	setIf(h, "Lambda-Runtime-Client-Context", inv.opts.ClientContext)
	setIf(h, "Lambda-Runtime-Cognito-Identity", inv.opts.CognitoIdentity)
	ct := inv.opts.ContentType
	if ct == "" {
		ct = "application/json"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(inv.payload)))
	w.WriteHeader(http.StatusOK)
	w.Write(inv.payload)
}

func setIf(h http.Header, k, v string) {
	if v != "" {
		h.Set(k, v)
	}
}

func (a *runtimeAPI) handleResult(w http.ResponseWriter, r *http.Request, id string, isErr bool) {
	a.mu.Lock()
	inv := a.cur
	a.mu.Unlock()
	if inv == nil || inv.id != id {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	body, err := readLimited(r.Body, MaxResponsePayload)
	if errors.Is(err, errTooLarge) {
		inv.finish(func() { inv.tooBig = true })
		apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			"Exceeded maximum allowed payload size (6291556 bytes).")
		return
	}
	if err != nil {
		apiError(w, http.StatusBadRequest, "TruncatedHTTPRequest", "The HTTP request detected as truncated")
		return
	}
	errType := ""
	if isErr {
		errType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
		if errType == "" {
			errType = "Unhandled"
		}
		if len(body) == 0 {
			body, _ = json.Marshal(map[string]string{"errorMessage": errType, "errorType": errType})
		}
	}
	if !inv.finish(func() { inv.resp, inv.errType = body, errType }) {
		apiError(w, http.StatusForbidden, "InvalidStateTransition", "State transition from RuntimeResponseSent to InvocationResponse failed for runtime. Error: State transition is not allowed")
		return
	}
	accepted(w)
}

func (a *runtimeAPI) handleInitError(w http.ResponseWriter, r *http.Request) {
	select {
	case <-a.ready:
		apiError(w, http.StatusForbidden, "InvalidStateTransition", "State transition from Ready to InitError failed for runtime. Error: State transition is not allowed")
		return
	default:
	}
	body, _ := readLimited(r.Body, MaxResponsePayload)
	ie := initError{body: body, errType: r.Header.Get("Lambda-Runtime-Function-Error-Type")}
	select {
	case a.initErr <- ie:
	default:
	}
	accepted(w)
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`+"\n")
}

func apiError(w http.ResponseWriter, code int, typ, msg string) {
	b, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": typ})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
}

var errTooLarge = errors.New("payload too large")

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		_, _ = io.Copy(io.Discard, r) // drained so the connection can be reused; the answer is already known
		return nil, errTooLarge
	}
	return b, nil
}
