package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var (
	testCreds = Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	tempCreds = Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", SessionToken: "IQoJb3JpZ2luX2VjEXAMPLETOKEN//////////wEaCXVzLWVhc3QtMSJHMEUCIQ=="}
	testTime  = time.Date(2024, 3, 1, 12, 30, 45, 0, time.UTC)
)

func sdkCreds(c Credentials) aws.Credentials {
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
}

func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// toServer sends a client request through the HTTP/1.1 wire format and
// reads it back as a server sees it.
func toServer(t testing.TB, r *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	return sr
}

type request struct {
	name    string
	service string
	method  string
	url     string
	body    string
	header  map[string]string
	creds   Credentials
}

var requests = []request{
	{name: "sts form", service: "sts", method: "POST", url: "http://127.0.0.1:4566/",
		body:   "Action=GetCallerIdentity&Version=2011-06-15",
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, creds: testCreds},
	{name: "iam with token", service: "iam", method: "POST", url: "http://localhost:4566/",
		body:   "Action=GetRole&RoleName=r&Version=2010-05-08",
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, creds: tempCreds},
	{name: "lambda arn path and query", service: "lambda", method: "GET",
		url:   "http://localhost:4566/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn/policy?Qualifier=%24LATEST&b=x%20y&a=2&a=1&empty",
		creds: tempCreds},
	{name: "lambda invoke", service: "lambda", method: "POST", url: "http://localhost:4566/2015-03-31/functions/fn/invocations",
		body: `{"k":"v"}`, header: map[string]string{"X-Amz-Invocation-Type": "RequestResponse", "X-Amz-Log-Type": "Tail", "X-Custom": "  a   b  "}, creds: testCreds},
	{name: "s3 put key with specials", service: "s3", method: "PUT",
		url:  "http://localhost:4566/bucket/dir/a%20b%2Bc%3D%28d%29.txt?x-id=PutObject",
		body: "hello", header: map[string]string{"X-Amz-Meta-Note": "n", "Content-Type": "text/plain"}, creds: tempCreds},
	{name: "s3 get dot segments", service: "s3", method: "GET", url: "http://localhost:4566/bucket/a/../b//c?list-type=2&prefix=a%2Fb", creds: testCreds},
}

// sdkSigned builds a request signed by aws-sdk-go-v2 and returns it as the
// server receives it.
func sdkSigned(t testing.TB, c request, at time.Time) (*http.Request, []byte) {
	t.Helper()
	body := []byte(c.body)
	r, err := http.NewRequest(c.method, c.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.header {
		r.Header.Set(k, v)
	}
	payload := hashHex(body)
	if c.service == "s3" {
		r.Header.Set("X-Amz-Content-Sha256", payload)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = c.service == "s3" })
	if err := signer.SignHTTP(context.Background(), sdkCreds(c.creds), r, payload, c.service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return toServer(t, r), body
}

func verifier(now time.Time) *Verifier {
	return &Verifier{Keys: NewSigningKeyCache(16), Now: func() time.Time { return now }}
}

func parseVerify(t testing.TB, v *Verifier, r *http.Request, body []byte, secret string) error {
	t.Helper()
	s, err := Parse(r)
	if err != nil {
		return err
	}
	return v.Verify(s, r, body, secret)
}

func wantKind(t *testing.T, err error, k Kind) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *Error of kind %v", err, k)
	}
	if e.Kind != k {
		t.Fatalf("kind = %v (%s), want %v", e.Kind, e.Message, k)
	}
	return e
}

func TestVerifySDKHeader(t *testing.T) {
	for _, c := range requests {
		t.Run(c.name, func(t *testing.T) {
			r, body := sdkSigned(t, c, testTime)
			s, err := Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			if s.AccessKeyID != c.creds.AccessKeyID || s.Service != c.service || s.Region != "us-east-1" ||
				!s.Date.Equal(testTime) || s.SecurityToken != c.creds.SessionToken || s.Presigned {
				t.Fatalf("parsed %+v", s)
			}
			if err := verifier(testTime.Add(time.Minute)).Verify(s, r, body, c.creds.SecretAccessKey); err != nil {
				t.Fatal(err)
			}
			rs, err := verifier(testTime).VerifyStream(s, r, c.creds.SecretAccessKey)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(rs); err != nil || string(got) != c.body {
				t.Fatalf("stream = %q, %v", got, err)
			}
		})
	}
}

// TestSignMatchesSDK checks Sign against aws-sdk-go-v2 on the same request.
func TestSignMatchesSDK(t *testing.T) {
	for _, c := range requests {
		t.Run(c.name, func(t *testing.T) {
			want, _ := sdkSigned(t, c, testTime)
			r, _ := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
			for k, v := range c.header {
				r.Header.Set(k, v)
			}
			if err := Sign(r, []byte(c.body), c.creds, "us-east-1", c.service, testTime); err != nil {
				t.Fatal(err)
			}
			if got, w := r.Header.Get("Authorization"), want.Header.Get("Authorization"); got != w {
				t.Fatalf("Authorization\n got %s\nwant %s", got, w)
			}
			sr := toServer(t, r)
			if err := parseVerify(t, verifier(testTime), sr, []byte(c.body), c.creds.SecretAccessKey); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestTamper(t *testing.T) {
	type tamper struct {
		name string
		req  int // index in requests
		edit func(r *http.Request, body []byte) []byte
		kind Kind
	}
	setAuth := func(r *http.Request, old, new string) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
	}
	cases := []tamper{
		{"signed header", 3, func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Log-Type", "None"); return b }, SignatureDoesNotMatch},
		{"content type", 0, func(r *http.Request, b []byte) []byte { r.Header.Set("Content-Type", "text/plain"); return b }, SignatureDoesNotMatch},
		{"query value", 2, func(r *http.Request, b []byte) []byte {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "a=2", "a=3", 1)
			return b
		}, SignatureDoesNotMatch},
		{"query added", 2, func(r *http.Request, b []byte) []byte { r.URL.RawQuery += "&z=1"; return b }, SignatureDoesNotMatch},
		{"path", 3, func(r *http.Request, b []byte) []byte {
			r.RequestURI = strings.Replace(r.RequestURI, "/fn/", "/fx/", 1)
			return b
		}, SignatureDoesNotMatch},
		{"method", 3, func(r *http.Request, b []byte) []byte { r.Method = "PUT"; return b }, SignatureDoesNotMatch},
		{"host", 0, func(r *http.Request, b []byte) []byte { r.Host = "127.0.0.1:4567"; return b }, SignatureDoesNotMatch},
		{"body", 0, func(r *http.Request, b []byte) []byte { return []byte("Action=GetCallerIdentity&Version=2011-06-16") }, SignatureDoesNotMatch},
		{"date", 0, func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Date", "20240301T123046Z"); return b }, SignatureDoesNotMatch},
		{"scope region", 0, func(r *http.Request, b []byte) []byte { setAuth(r, "/us-east-1/", "/us-west-2/"); return b }, SignatureDoesNotMatch},
		{"scope service", 0, func(r *http.Request, b []byte) []byte { setAuth(r, "/sts/", "/iam/"); return b }, SignatureDoesNotMatch},
		{"scope date", 0, func(r *http.Request, b []byte) []byte { setAuth(r, "/20240301/", "/20240302/"); return b }, SignatureDoesNotMatch},
		{"signature", 0, func(r *http.Request, b []byte) []byte { setAuth(r, "Signature=", "Signature=0"); return b }, SignatureDoesNotMatch},
		{"signed headers", 0, func(r *http.Request, b []byte) []byte { setAuth(r, "content-type;", ""); return b }, SignatureDoesNotMatch},
		{"token", 1, func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Security-Token", "forged"); return b }, SignatureDoesNotMatch},
		{"s3 body", 4, func(r *http.Request, b []byte) []byte { return []byte("HELLO") }, ContentSHA256Mismatch},
		{"s3 unsigned x-amz header", 4, func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Acl", "public-read"); return b }, HeadersNotSigned},
		{"s3 missing content sha", 5, func(r *http.Request, b []byte) []byte { r.Header.Del("X-Amz-Content-Sha256"); return b }, MissingContentSHA256},
		{"s3 bad content sha", 5, func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Content-Sha256", "abc"); return b }, InvalidContentSHA256},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rq := requests[c.req]
			r, body := sdkSigned(t, rq, testTime)
			body = c.edit(r, body)
			err := parseVerify(t, verifier(testTime), r, body, rq.creds.SecretAccessKey)
			e := wantKind(t, err, c.kind)
			if c.kind == SignatureDoesNotMatch && c.name != "scope date" {
				if e.Message != msgSigMismatch && e.Message != msgSigMismatch3 {
					t.Fatalf("message %q", e.Message)
				}
				if e.CanonicalRequest == "" || !strings.HasPrefix(e.StringToSign, "AWS4-HMAC-SHA256\n") {
					t.Fatalf("no canonical request or string to sign: %+v", e)
				}
			}
		})
	}
	t.Run("wrong secret", func(t *testing.T) {
		r, body := sdkSigned(t, requests[0], testTime)
		wantKind(t, parseVerify(t, verifier(testTime), r, body, "wrong"), SignatureDoesNotMatch)
	})
	t.Run("s3 message", func(t *testing.T) {
		r, body := sdkSigned(t, requests[4], testTime)
		e := wantKind(t, parseVerify(t, verifier(testTime), r, body, "wrong"), SignatureDoesNotMatch)
		if e.Message != msgSigMismatch3 {
			t.Fatal(e.Message)
		}
	})
	t.Run("scope date message", func(t *testing.T) {
		r, body := sdkSigned(t, requests[0], testTime)
		setAuth(r, "/20240301/", "/20240302/")
		e := wantKind(t, parseVerify(t, verifier(testTime), r, body, testCreds.SecretAccessKey), SignatureDoesNotMatch)
		const want = "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240302' != '20240301', from '20240301T123045Z'."
		if e.Message != want {
			t.Fatal(e.Message)
		}
	})
}

func TestVerifyStreamHashMismatch(t *testing.T) {
	r, _ := sdkSigned(t, requests[4], testTime)
	r.Body = io.NopCloser(strings.NewReader("HELLO"))
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := verifier(testTime).VerifyStream(s, r, tempCreds.SecretAccessKey)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(pr)
	if e := wantKind(t, err, ContentSHA256Mismatch); e.ClientSHA256 != hashHex([]byte("hello")) || e.ComputedSHA256 != hashHex([]byte("HELLO")) {
		t.Fatalf("%+v", e)
	}
}

func TestClockSkew(t *testing.T) {
	r, body := sdkSigned(t, requests[0], testTime)
	ok := []time.Duration{0, 15 * time.Minute, -15 * time.Minute}
	for _, d := range ok {
		if err := parseVerify(t, verifier(testTime.Add(d)), r, body, testCreds.SecretAccessKey); err != nil {
			t.Fatalf("skew %v: %v", d, err)
		}
	}
	e := wantKind(t, parseVerify(t, verifier(testTime.Add(15*time.Minute+time.Second)), r, body, testCreds.SecretAccessKey), SkewedTime)
	if want := "Signature expired: 20240301T123045Z is now earlier than 20240301T123046Z (20240301T124546Z - 15 min.)"; e.Message != want {
		t.Fatalf("got  %s\nwant %s", e.Message, want)
	}
	e = wantKind(t, parseVerify(t, verifier(testTime.Add(-20*time.Minute)), r, body, testCreds.SecretAccessKey), SkewedTime)
	if want := "Signature not yet current: 20240301T123045Z is still later than 20240301T122545Z (20240301T121045Z + 15 min.)"; e.Message != want {
		t.Fatalf("got  %s\nwant %s", e.Message, want)
	}
	v := verifier(testTime.Add(6 * time.Minute))
	v.MaxSkew = 5 * time.Minute
	e = wantKind(t, parseVerify(t, v, r, body, testCreds.SecretAccessKey), SkewedTime)
	if !strings.HasSuffix(e.Message, "- 5 min.)") {
		t.Fatal(e.Message)
	}

	r, body = sdkSigned(t, requests[4], testTime)
	now := testTime.Add(time.Hour)
	e = wantKind(t, parseVerify(t, verifier(now), r, body, tempCreds.SecretAccessKey), SkewedTime)
	if e.Message != msgTooSkewed3 || !e.RequestTime.Equal(testTime) || !e.ServerTime.Equal(now) || e.MaxSkew != 15*time.Minute {
		t.Fatalf("%+v", e)
	}

	// The Date header stands in for X-Amz-Date.
	r, _ = http.NewRequest("GET", "http://localhost/bucket", nil)
	r.Header.Set("Date", testTime.Format(http.TimeFormat))
	if err := Sign(r, nil, testCreds, "us-east-1", "s3", testTime); err != nil {
		t.Fatal(err)
	}
	r.Header.Del("X-Amz-Date")
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "x-amz-date;", "", 1))
	sr := toServer(t, r)
	s, err := Parse(sr)
	if err != nil || !s.Date.Equal(testTime) {
		t.Fatalf("%v %v", s, err)
	}
}

func sdkPresign(t *testing.T, c request, expires string, payload string, at time.Time) *http.Request {
	t.Helper()
	u := c.url
	if expires != "" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "X-Amz-Expires=" + expires
	}
	r, _ := http.NewRequest(c.method, u, nil)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = c.service == "s3" })
	signed, _, err := signer.PresignHTTP(context.Background(), sdkCreds(c.creds), r, payload, c.service, "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := http.NewRequest(c.method, signed, nil)
	return toServer(t, pr)
}

func TestPresignSDK(t *testing.T) {
	s3get := request{service: "s3", method: "GET", url: "http://localhost:4566/bucket/k%20ey.txt?versionId=3", creds: tempCreds}
	r := sdkPresign(t, s3get, "3600", UnsignedPayload, testTime)
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Presigned || s.Expires != time.Hour || s.SecurityToken != tempCreds.SessionToken {
		t.Fatalf("%+v", s)
	}
	if err := verifier(testTime.Add(59*time.Minute)).Verify(s, r, nil, tempCreds.SecretAccessKey); err != nil {
		t.Fatal(err)
	}
	e := wantKind(t, verifier(testTime.Add(61*time.Minute)).Verify(s, r, nil, tempCreds.SecretAccessKey), Expired)
	if e.Message != "Request has expired" || e.Expires != time.Hour {
		t.Fatalf("%+v", e)
	}
	// Dated more than the clock skew ahead of the server: S3's "not yet valid".
	e = wantKind(t, verifier(testTime.Add(-16*time.Minute)).Verify(s, r, nil, tempCreds.SecretAccessKey), NotYetValid)
	if e.Message != "Request is not yet valid" {
		t.Fatalf("%+v", e)
	}
	if err := verifier(testTime.Add(-14*time.Minute)).Verify(s, r, nil, tempCreds.SecretAccessKey); err != nil {
		t.Fatalf("within the clock skew: %v", err)
	}

	tampered := *r
	tampered.URL = &url.URL{Path: r.URL.Path, RawQuery: strings.Replace(r.URL.RawQuery, "versionId=3", "versionId=4", 1)}
	tampered.RequestURI = ""
	wantKind(t, parseVerify(t, verifier(testTime), &tampered, nil, tempCreds.SecretAccessKey), SignatureDoesNotMatch)
	tampered.URL = &url.URL{Path: r.URL.Path, RawQuery: strings.Replace(r.URL.RawQuery, "X-Amz-Expires=3600", "X-Amz-Expires=7200", 1)}
	wantKind(t, parseVerify(t, verifier(testTime), &tampered, nil, tempCreds.SecretAccessKey), SignatureDoesNotMatch)

	r = sdkPresign(t, s3get, "604801", UnsignedPayload, testTime)
	e = wantKind(t, parseVerify(t, verifier(testTime), r, nil, tempCreds.SecretAccessKey), AuthorizationQueryParameters)
	if e.Message != msgExpiresWeek {
		t.Fatal(e.Message)
	}
	r = sdkPresign(t, s3get, "", UnsignedPayload, testTime)
	e = wantKind(t, parseVerify(t, verifier(testTime), r, nil, tempCreds.SecretAccessKey), AuthorizationQueryParameters)
	if e.Message != msgQueryParams3 {
		t.Fatal(e.Message)
	}

	// A presigned STS call, as tools that hand out identity tokens make.
	sts := request{service: "sts", method: "GET", url: "http://localhost:4566/?Action=GetCallerIdentity&Version=2011-06-15", creds: testCreds}
	// STS does not end it at X-Amz-Expires but with the clock skew: 15
	// minutes after X-Amz-Date, with AWS's "Signature expired" (and 15
	// minutes before it, "Signature not yet current").
	r = sdkPresign(t, sts, "60", emptySHA256, testTime)
	for _, after := range []time.Duration{30 * time.Second, 5 * time.Minute, 14*time.Minute + 59*time.Second, -14 * time.Minute} {
		if err := parseVerify(t, verifier(testTime.Add(after)), r, nil, testCreds.SecretAccessKey); err != nil {
			t.Fatalf("%v after X-Amz-Date: %v", after, err)
		}
	}
	e = wantKind(t, parseVerify(t, verifier(testTime.Add(16*time.Minute)), r, nil, testCreds.SecretAccessKey), SkewedTime)
	if want := "Signature expired: 20240301T123045Z is now earlier than 20240301T123145Z (20240301T124645Z - 15 min.)"; e.Message != want {
		t.Fatalf("%q, want %q", e.Message, want)
	}
	e = wantKind(t, parseVerify(t, verifier(testTime.Add(-16*time.Minute)), r, nil, testCreds.SecretAccessKey), SkewedTime)
	if !strings.HasPrefix(e.Message, "Signature not yet current: 20240301T123045Z is still later than") {
		t.Fatal(e.Message)
	}
	// Without X-Amz-Expires, which STS does not require.
	r = sdkPresign(t, sts, "", emptySHA256, testTime)
	if err := parseVerify(t, verifier(testTime.Add(10*time.Minute)), r, nil, testCreds.SecretAccessKey); err != nil {
		t.Fatal(err)
	}
}

func TestPresign(t *testing.T) {
	u, err := Presign("GET", "http://localhost:4566/bucket/code/fn.zip?x=a%20b", tempCreds, "us-east-1", "s3", 10*time.Minute, testTime)
	if err != nil {
		t.Fatal(err)
	}
	// The same URL from aws-sdk-go-v2.
	want := sdkPresign(t, request{service: "s3", method: "GET", url: "http://localhost:4566/bucket/code/fn.zip?x=a%20b", creds: tempCreds}, "600", UnsignedPayload, testTime)
	pu, _ := url.Parse(u)
	if got, w := pu.Query().Get("X-Amz-Signature"), want.URL.Query().Get("X-Amz-Signature"); got != w {
		t.Fatalf("signature %s, sdk %s\n%s", got, w, u)
	}
	r, _ := http.NewRequest("GET", u, nil)
	if err := parseVerify(t, verifier(testTime.Add(9*time.Minute)), toServer(t, r), nil, tempCreds.SecretAccessKey); err != nil {
		t.Fatal(err)
	}
	wantKind(t, parseVerify(t, verifier(testTime.Add(11*time.Minute)), toServer(t, r), nil, tempCreds.SecretAccessKey), Expired)
	if _, err := Presign("GET", "http://h/", testCreds, "us-east-1", "s3", 8*24*time.Hour, testTime); err == nil {
		t.Fatal("accepted an expiry over a week")
	}
	u, err = Presign("GET", "http://localhost:4566/?Action=GetCallerIdentity&Version=2011-06-15", testCreds, "us-east-1", "sts", time.Minute, testTime)
	if err != nil {
		t.Fatal(err)
	}
	r, _ = http.NewRequest("GET", u, nil)
	if err := parseVerify(t, verifier(testTime), toServer(t, r), nil, testCreds.SecretAccessKey); err != nil {
		t.Fatal(err)
	}
}

func TestParseErrors(t *testing.T) {
	const cred = "Credential=AKIAIOSFODNN7EXAMPLE/20240301/us-east-1/sts/aws4_request"
	const sh = "SignedHeaders=host;x-amz-date"
	const sig = "Signature=" + emptySHA256
	cases := []struct {
		name, auth, query, date string
		kind                    Kind
		msg                     string
	}{
		{name: "none", kind: MissingAuthentication, msg: "Missing Authentication Token"},
		{name: "no credential", auth: "AWS4-HMAC-SHA256 " + sh + ", " + sig, date: "20240301T123045Z", kind: IncompleteSignature,
			msg: "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 " + sh + ", " + sig},
		{name: "no signature", auth: "AWS4-HMAC-SHA256 " + cred + ", " + sh, date: "20240301T123045Z", kind: IncompleteSignature,
			msg: "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 " + cred + ", " + sh},
		{name: "no equal sign", auth: "AWS4-HMAC-SHA256 " + cred + ", foo, " + sh + ", " + sig, kind: IncompleteSignature,
			msg: "'foo' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 " + cred + ", foo, " + sh + ", " + sig + "'."},
		{name: "short credential", auth: "AWS4-HMAC-SHA256 Credential=AKID/20240301/us-east-1, " + sh + ", " + sig, kind: IncompleteSignature,
			msg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20240301/us-east-1'"},
		{name: "terminator", auth: "AWS4-HMAC-SHA256 Credential=AKID/20240301/us-east-1/sts/aws5_request, " + sh + ", " + sig, kind: SignatureDoesNotMatch,
			msg: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "},
		{name: "no date", auth: "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig, kind: MissingDate,
			msg: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig},
		{name: "bad date", auth: "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig, date: "2024-03-01T12:30:45Z", kind: MissingDate},
		{name: "host unsigned", auth: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, " + sig, date: "20240301T123045Z", kind: IncompleteSignature},
		{name: "sigv2", auth: "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", kind: UnsupportedMechanism},
		{name: "both", auth: "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig, query: "X-Amz-Algorithm=AWS4-HMAC-SHA256", kind: AuthorizationQueryParameters},
		{name: "presign missing", query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240301%2Fus-east-1%2Fsts%2Faws4_request", kind: AuthorizationQueryParameters,
			msg: "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters."},
		{name: "presign date", query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240301%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240301&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=ab",
			kind: AuthorizationQueryParameters, msg: "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""},
		{name: "presign expires nan", query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240301%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240301T000000Z&X-Amz-Expires=soon&X-Amz-SignedHeaders=host&X-Amz-Signature=ab",
			kind: AuthorizationQueryParameters, msg: "X-Amz-Expires should be a number"},
		{name: "presign algorithm", query: "X-Amz-Algorithm=AWS4-HMAC-SHA512&X-Amz-Credential=AKID%2F20240301%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240301T000000Z&X-Amz-Expires=6&X-Amz-SignedHeaders=host&X-Amz-Signature=ab",
			kind: AuthorizationQueryParameters},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := http.NewRequest("POST", "http://localhost/?"+c.query, nil)
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			if c.date != "" {
				r.Header.Set("X-Amz-Date", c.date)
			}
			_, err := Parse(r)
			e := wantKind(t, err, c.kind)
			if c.msg != "" && e.Message != c.msg {
				t.Fatalf("got  %s\nwant %s", e.Message, c.msg)
			}
		})
	}
}

func TestCanonicalURI(t *testing.T) {
	cases := []struct {
		path string
		mode uriMode
		want string
	}{
		{"/", uriNormalized, "/"},
		{"", uriNormalized, "/"},
		{"/a/./b/../c//d/", uriNormalized, "/a/c/d/"},
		{"/a%3Ab/c d", uriNormalized, "/a%253Ab/c%20d"},
		{"/..", uriNormalized, "/"},
		{"/a%3Ab/../c", uriRaw, "/a%3Ab/../c"},
		{"/a%3ab/~!x%7E", uriReencoded, "/a%3Ab/~%21x~"},
	}
	for _, c := range cases {
		if got := string(appendURI(nil, c.path, c.mode)); got != c.want {
			t.Errorf("appendURI(%q, %d) = %q, want %q", c.path, c.mode, got, c.want)
		}
	}
	// "x+y" decodes to "x y"; pairs sort by encoded key, then value.
	if got := string(appendQuery(nil, "b=2&a=x+y&a=%7e&c&A=%2f&X-Amz-Signature=1", true)); got != "A=%2F&a=x%20y&a=~&b=2&c=" {
		t.Errorf("appendQuery = %q", got)
	}
}

func TestSigningKeyCache(t *testing.T) {
	c := NewSigningKeyCache(2)
	k := c.Key("secret", "20240301", "us-east-1", "sts")
	if k != deriveKey("secret", "20240301", "us-east-1", "sts") || c.Key("secret", "20240301", "us-east-1", "sts") != k {
		t.Fatal("cached key differs")
	}
	c.Key("secret", "20240302", "us-east-1", "sts")
	c.Key("secret", "20240303", "us-east-1", "sts")
	if c.Len() != 2 {
		t.Fatalf("len %d", c.Len())
	}
	// The signing key example of the AWS General Reference.
	k = deriveKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
	if got := hex.EncodeToString(k[:]); got != "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d" {
		t.Fatalf("derived %s", got)
	}
	done := make(chan bool)
	for i := range 8 {
		go func() {
			for j := range 200 {
				c.Key("s", "2024030"+string(rune('0'+j%8)), "r", string(rune('a'+i)))
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
	var nilCache *SigningKeyCache
	if nilCache.Key("secret", "20240301", "us-east-1", "sts") != deriveKey("secret", "20240301", "us-east-1", "sts") {
		t.Fatal("nil cache")
	}
}

func TestErrorIs(t *testing.T) {
	err := error(newError(Expired, msgExpired))
	if !errors.Is(err, &Error{Kind: Expired}) || errors.Is(err, &Error{Kind: SkewedTime}) {
		t.Fatal("errors.Is by kind")
	}
	if Expired.String() != "Expired" || Kind(99).String() != "Kind(99)" {
		t.Fatal("Kind.String")
	}
}
