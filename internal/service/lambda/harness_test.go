package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/api/apitest"
	"github.com/rolecall/rolecall/internal/runtime"
	"github.com/rolecall/rolecall/internal/service/logs"
	"github.com/rolecall/rolecall/internal/service/sts"
	"github.com/rolecall/rolecall/internal/store"
)

const (
	testAccount = "123456789012"
	testRole    = "arn:aws:iam::123456789012:role/lambda-ex"
)

// fakeCaller stands in for the gateway's internal calls: STS AssumeRole
// and CloudWatch Logs.
type fakeCaller struct {
	mu       sync.Mutex
	assumed  []api.Internal
	logCalls []api.Internal
	events   map[string][]string // stream -> messages
	noAssume map[string]bool     // roles Lambda cannot assume
	noXRay   map[string]bool     // roles that may not send trace segments
	denyLogs bool
}

func newFakeCaller() *fakeCaller {
	return &fakeCaller{events: map[string][]string{}, noAssume: map[string]bool{}, noXRay: map[string]bool{}}
}

func (f *fakeCaller) Invoke(ctx context.Context, in api.Internal) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch in.Service + ":" + in.Operation {
	case "sts:AssumeRole":
		f.assumed = append(f.assumed, in)
		role := in.Params.Get("RoleArn")
		if f.noAssume[role] {
			return nil, api.AccessDenied("User: lambda.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: " + role)
		}
		var r sts.AssumeRoleResult
		r.Credentials = &sts.Credentials{
			AccessKeyID:     "ASIATESTTESTTESTTEST",
			SecretAccessKey: "secret",
			SessionToken:    "token",
			Expiration:      time.Now().Add(time.Hour).UTC().Truncate(time.Second),
		}
		name := role[strings.LastIndexByte(role, '/')+1:]
		session := in.Params.Get("RoleSessionName")
		r.AssumedRoleUser.AssumedRoleID = "AROATESTROLEID:" + session
		r.AssumedRoleUser.ARN = "arn:aws:sts::" + testAccount + ":assumed-role/" + name + "/" + session
		return &r, nil
	case "xray:PutTraceSegments":
		if f.noXRay[in.Principal.RoleARN] {
			return nil, api.AccessDenied("User: " + in.Principal.ARN + " is not authorized to perform: xray:PutTraceSegments")
		}
		return nil, nil
	case "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents":
		f.logCalls = append(f.logCalls, in)
		if f.denyLogs {
			return nil, api.AccessDenied("User: " + in.Principal.ARN + " is not authorized to perform: logs:" + in.Operation)
		}
		if in.Operation == "PutLogEvents" {
			body := in.Input.(*logs.PutLogEventsInput)
			for _, e := range body.LogEvents {
				f.events[body.LogStreamName] = append(f.events[body.LogStreamName], *e.Message)
			}
		}
		return nil, nil
	}
	return nil, errors.New("fakeCaller: unexpected " + in.Service + ":" + in.Operation)
}

// allLogs returns every shipped log message, in order per stream.
func (f *fakeCaller) allLogs() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, ev := range f.events {
		for _, m := range ev {
			b.WriteString(m)
		}
	}
	return b.String()
}

func (f *fakeCaller) assumeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.assumed)
}

type harness struct {
	t      *testing.T
	l      *Lambda
	fc     *fakeCaller
	svc    *api.Service
	deny   map[string]bool // actions Authorize refuses
	revoke map[string]time.Time
	mu     sync.Mutex
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "db", "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, fc: newFakeCaller(), deny: map[string]bool{}, revoke: map[string]time.Time{}}
	h.l, err = New(Config{
		Account: testAccount,
		Region:  "us-east-1",
		Box:     testBox(t),
		Store:   st,
		Invoker: h.fc,
		CodeDir: filepath.Join(t.TempDir(), "code"),
		RuntimeOptions: runtime.Options{
			IdleTimeout: time.Minute,
			// A uid range of this test process's own: environments are
			// killed by uid, so sharing the default range with other test
			// processes on the host would let them kill each other's.
			UIDBase: 1<<21 + os.Getpid()%4096*64, UIDCount: 64,
		},
		Bind: func(b *api.EnvironmentBinding) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
		},
		Revoke: func(id string, until time.Time) {
			h.mu.Lock()
			h.revoke[id] = until
			h.mu.Unlock()
		},
		Endpoint:    func() string { return "http://127.0.0.1:4566" },
		SettleDelay: 150 * time.Millisecond, // long enough that two requests in a row under -race see InProgress
		RetryDelays: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.svc = h.l.Service()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.l.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
		st.Close()
	})
	return h
}

// req describes one call through the operation table.
type req struct {
	path    map[string]string
	query   url.Values
	body    any // marshalled as JSON unless []byte
	headers map[string]string
	account string // the caller's account; "" is testAccount
}

// call builds the call of op as the account's root.
func (h *harness) call(op string, r req) *api.Call {
	h.t.Helper()
	var body []byte
	switch b := r.body.(type) {
	case nil:
	case []byte:
		body = b
	default:
		body = apitest.JSON(b)
	}
	header := http.Header{}
	for k, v := range r.headers {
		header.Set(k, v)
	}
	fx := apitest.New(h.t, h.svc)
	fx.Account = testAccount
	c := fx.Call(op, apitest.Request{Params: r.query, PathParams: r.path, Body: body, Header: header, Account: r.account})
	c.Authorize = func(action string, res api.Resource, keys map[string][]string) error {
		if h.deny[action] {
			return api.AccessDenied("User: arn:aws:iam::" + testAccount + ":root is not authorized to perform: " + action + " on resource: " + res.ARN + " because no identity-based policy allows the " + action + " action")
		}
		return nil
	}
	return c
}

// do runs op as the account's root, with the gateway's resource hooks.
func (h *harness) do(op string, r req) (any, error) {
	h.t.Helper()
	r2 := apitest.New(h.t, h.svc).Do(h.call(op, r))
	return r2.Output, r2.Err
}

// must runs op and fails the test on error.
func (h *harness) must(op string, r req) any {
	h.t.Helper()
	out, err := h.do(op, r)
	if err != nil {
		h.t.Fatalf("%s: %v", op, err)
	}
	return out
}

// wantError checks that err is a *api.Error with code, status and message.
func wantError(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	var se *api.Error
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if se.Code != code || se.Status != status || (msg != "" && se.Message != msg) {
		t.Fatalf("error = %d %s %q, want %d %s %q", se.Status, se.Code, se.Message, status, code, msg)
	}
}

// zipOf returns a zip with the given files.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// nodeZip is the example Node.js function.
func nodeZip(t *testing.T) []byte {
	t.Helper()
	src, err := os.ReadFile("../../../examples/functions/node/index.mjs")
	if err != nil {
		t.Skipf("example function: %v", err)
	}
	return zipOf(t, map[string]string{"index.mjs": string(src)})
}

// create makes a function and waits until it is Active.
func (h *harness) create(name string, extra map[string]any) *FunctionConfiguration {
	h.t.Helper()
	body := map[string]any{
		"FunctionName": name,
		"Runtime":      nodeRT(h.t),
		"Role":         testRole,
		"Handler":      "index.handler",
		"Code":         map[string]any{"ZipFile": nodeZip(h.t)},
	}
	for k, v := range extra {
		body[k] = v
	}
	out := h.must("CreateFunction", req{body: body}).(*FunctionConfiguration)
	h.waitActive(name)
	return out
}

func (h *harness) waitActive(name string) *FunctionConfiguration {
	h.t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // the first use of a runtime may install its SDK
	for {
		cfg := h.must("GetFunctionConfiguration", req{path: fn(name)}).(*FunctionConfiguration)
		if cfg.State == stateActive && cfg.LastUpdateStatus == updateSuccessful {
			return cfg
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s still %s/%s", name, cfg.State, cfg.LastUpdateStatus)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fn(name string) map[string]string { return map[string]string{"FunctionName": name} }

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// nodeRT is the nodejsN.x runtime of the host's node. The test is skipped
// without node, or when AWS no longer lets functions be created with it.
func nodeRT(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("node", "-e", "console.log('nodejs' + process.versions.node.split('.')[0] + '.x')").Output()
	if err != nil {
		t.Skipf("node: %v", err)
	}
	rt := strings.TrimSpace(string(out))
	if err := runtime.CheckLifecycle(rt, runtime.OpCreate, time.Now()); err != nil {
		t.Skipf("the host's node runs %s: %v", rt, err)
	}
	return rt
}

func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
}
