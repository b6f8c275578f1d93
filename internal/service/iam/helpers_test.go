package iam

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/api/apitest"
	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/store"
)

const testAccount = "123456789012"

const lambdaTrust = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}`

const basicExecARN = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

type fixture struct {
	t    testing.TB
	iam  *IAM
	svc  *api.Service
	st   store.Store
	root *api.Principal
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := crypt.NewBox(crypt.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	i, err := New(ctx, Config{Account: testAccount, Store: st, Box: box, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{
		t: t, iam: i, svc: i.Service(), st: st,
		root: &api.Principal{Type: api.Root, Account: testAccount, ARN: "arn:aws:iam::" + testAccount + ":root", PrincipalID: testAccount},
	}
}

// params builds a form from alternating names and values.
func params(kv ...string) url.Values {
	v := url.Values{}
	for k := 0; k+1 < len(kv); k += 2 {
		v.Add(kv[k], kv[k+1])
	}
	return v
}

// callAs runs operation op through the table as principal p and returns
// the XML the gateway would put inside <{op}Result>.
func (f *fixture) callAs(p *api.Principal, op string, kv ...string) (string, error) {
	f.t.Helper()
	o, ok := f.svc.Operations[op]
	if !ok {
		f.t.Fatalf("no operation %s", op)
	}
	if o.Action != "iam:"+op {
		f.t.Fatalf("%s: action %q", op, o.Action)
	}
	fx := apitest.New(f.t, f.svc)
	fx.Account = testAccount // a request acts in the caller's account, as the gateway does
	c := fx.Call(op, apitest.Request{Params: params(kv...), Principal: p})
	c.Principal = p
	r := fx.Do(c)
	out, err := r.Output, r.Err
	if err != nil {
		var se *api.Error
		if !errors.As(err, &se) {
			f.t.Fatalf("%s: non-AWS error: %v", op, err)
		}
		return "", err
	}
	if out == nil {
		return "", nil
	}
	var sb strings.Builder
	enc := xml.NewEncoder(&sb)
	if xerr := enc.EncodeElement(out, xml.StartElement{Name: xml.Name{Local: op + "Result"}}); xerr != nil {
		f.t.Fatalf("%s: encode: %v", op, xerr)
	}
	return sb.String(), nil
}

func (f *fixture) call(op string, kv ...string) (string, error) {
	f.t.Helper()
	return f.callAs(f.root, op, kv...)
}

// must runs op and fails the test on error.
func (f *fixture) must(op string, kv ...string) string {
	f.t.Helper()
	out, err := f.call(op, kv...)
	if err != nil {
		f.t.Fatalf("%s: %v", op, err)
	}
	return out
}

// rootOf is the root user of account.
func rootOf(account string) *api.Principal {
	return &api.Principal{Type: api.Root, Account: account, ARN: "arn:aws:iam::" + account + ":root", PrincipalID: account}
}

// failsAs runs op as p and checks the AWS error code.
func (f *fixture) failsAs(p *api.Principal, code string, op string, kv ...string) {
	f.t.Helper()
	_, err := f.callAs(p, op, kv...)
	var se *api.Error
	if !errors.As(err, &se) || se.Code != code {
		f.t.Fatalf("%s as %s: got %v, want %s", op, p.ARN, err, code)
	}
}

// fails runs op and checks the AWS error code, status and message.
func (f *fixture) fails(code string, status int, message string, op string, kv ...string) {
	f.t.Helper()
	_, err := f.call(op, kv...)
	var se *api.Error
	if !errors.As(err, &se) {
		f.t.Fatalf("%s: got %v, want %s", op, err, code)
	}
	if se.Code != code || se.Status != status || (message != "" && se.Message != message) {
		f.t.Fatalf("%s: got %s %d %q,\nwant %s %d %q", op, se.Code, se.Status, se.Message, code, status, message)
	}
}

// decode unmarshals a result into v.
func decode(t testing.TB, out string, v any) {
	t.Helper()
	if err := xml.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
}

func contains(t *testing.T, out string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(out, s) {
			t.Errorf("missing %q in\n%s", s, out)
		}
	}
}

func unescape(t *testing.T, s string) string {
	t.Helper()
	u, err := url.PathUnescape(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// withCounts returns the JSON of p as the layouts before 3 stored it, with
// its attachment count inside.
func (p policyRecord) withCounts(t testing.TB, attachments int) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["attachments"], m["boundaryUses"] = attachments, 0
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	return b
}

// rawStore opens an empty SQLite store and a box for records written by
// hand, as an older layout wrote them; both are closed with the test.
func rawStore(t *testing.T) (store.Store, *crypt.Box) {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	box, err := crypt.NewBox(crypt.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return st, box
}
