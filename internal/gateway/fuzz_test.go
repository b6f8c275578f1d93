package gateway

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/sigv4"
)

// fuzzGateway is the test gateway with an RPC service of each kind beside
// the REST object store.
func fuzzGateway(t testing.TB) *Gateway {
	g := New(Config{
		Account:    "123456789012",
		Region:     "us-east-1",
		Identities: rootIdentities{secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		Now:        func() time.Time { return exampleTime },
	})
	s := &objectStore{objects: map[string][]byte{}}
	public, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`, policy.Resource)
	if err != nil {
		t.Fatal(err)
	}
	s.public = public
	echo := func(c *api.Call) (any, error) {
		var v map[string]any
		if err := c.Decode(&v); err != nil {
			return nil, err
		}
		return v, nil
	}
	g.Register(s.service(),
		&api.Service{Name: "sts", Protocols: []string{"awsQuery"}, APIVersion: "2011-06-15", XMLNamespace: "https://sts.amazonaws.com/doc/2011-06-15/",
			Operations: map[string]*api.Operation{"GetCallerIdentity": {Name: "GetCallerIdentity", Action: "sts:GetCallerIdentity",
				Handle: func(*api.Call) (any, error) { return nil, nil }}}},
		&api.Service{Name: "logs", Protocols: []string{"awsJson1_1"}, TargetPrefix: "Logs_20140328",
			Operations: map[string]*api.Operation{"Echo": {Name: "Echo", Action: "logs:Echo", Handle: echo}}},
	)
	return g
}

// FuzzGateway sends arbitrary requests, unsigned or signed with the test
// key for an arbitrary scope, through the whole gateway: nothing panics and
// every answer has a status.
func FuzzGateway(f *testing.F) {
	f.Add("POST", "/", "Content-Type: application/x-www-form-urlencoded", "Action=GetCallerIdentity&Version=2011-06-15", "sts", true)
	f.Add("POST", "/", "Content-Type: application/x-amz-json-1.1\nX-Amz-Target: Logs_20140328.Echo", `{"a":[1,{"b":null}]}`, "logs", true)
	f.Add("POST", "/", "Content-Type: application/x-amz-cbor-1.1\nX-Amz-Target: Logs_20140328.Echo", "\xbf\x61a\x01\xff", "logs", true)
	f.Add("PUT", "/b/k", "Content-Encoding: aws-chunked\nX-Amz-Content-Sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER", "3\r\nabc\r\n0\r\n\r\n", "s3", false)
	f.Add("GET", "/b?policy", "Host: b.localhost", "", "", false)
	f.Add("GET", "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Credential=x", "", "", "sts", false)
	f.Add("POST", "/2015-03-31/functions/x%2F..%2Fy/invocations", "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD", "{}", "lambda", true)
	g := fuzzGateway(f)
	f.Fuzz(func(t *testing.T, method, target, headers, body, scope string, sign bool) {
		if len(body) > 1<<16 {
			return
		}
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		r, err := http.NewRequest(method, "http://localhost"+target, bytes.NewReader([]byte(body)))
		if err != nil {
			return
		}
		r.RemoteAddr = "127.0.0.1:1234"
		h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(headers + "\n\n"))).ReadMIMEHeader()
		if err == nil {
			for k, vs := range h {
				r.Header[k] = vs
			}
		}
		if host := r.Header.Get("Host"); host != "" {
			r.Host = host
		}
		if sign && scope != "" {
			_ = sigv4.Sign(r, []byte(body), sigv4.Credentials{AccessKeyID: exampleKey, SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, "us-east-1", scope, exampleTime)
		}
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if w.Code < 200 || w.Code > 599 {
			t.Fatalf("status %d", w.Code)
		}
	})
}
