package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/sigv4"
)

// The example of AWS's "Signature calculations for the Authorization header:
// transferring payload in multiple chunks" page.
var (
	exampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	exampleKey  = "AKIAIOSFODNN7EXAMPLE"
	exampleSigs = []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
)

func exampleChunkedRequest(sigs []string) *http.Request {
	var b bytes.Buffer
	for i, n := range []int{65536, 1024, 0} {
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", n, sigs[i])
		b.Write(bytes.Repeat([]byte{'a'}, n))
		if n > 0 {
			b.WriteString("\r\n")
		}
	}
	b.WriteString("\r\n")
	r := httptest.NewRequest("PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", bytes.NewReader(b.Bytes()))
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	r.Header.Set("Content-Length", "66824")
	r.ContentLength = 66824
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
	return r
}

// rootIdentities knows one root key.
type rootIdentities struct{ secret string }

func (r rootIdentities) LookupAccessKey(_ context.Context, id string) (*api.Principal, string, error) {
	if id != exampleKey {
		return nil, "", ErrUnknownAccessKey
	}
	return &api.Principal{Type: api.Root, Account: "123456789012", ARN: "arn:aws:iam::123456789012:root", AccessKeyID: id}, r.secret, nil
}

func (rootIdentities) PolicySet(context.Context, *api.Principal, []policy.Named) (*policy.PolicySet, error) {
	return nil, nil
}

// objectStore is a REST-XML test service with S3's addressing: a streaming
// PUT that stores an object only once its body has been read and verified,
// and an anonymous GET allowed only by a public bucket policy.
type objectStore struct {
	mu      sync.Mutex
	objects map[string][]byte
	public  *policy.Policy
}

func (s *objectStore) service() *api.Service {
	resource := func(c *api.Call) (api.Resource, error) {
		return api.Resource{ARN: "arn:aws:s3:::" + c.PathParams["Bucket"] + "/" + c.PathParams["Key"], Policy: s.public}, nil
	}
	return &api.Service{
		Name: "s3", EventSource: "s3.amazonaws.com", Protocols: []string{"restXml"},
		Anonymous: true, Hosts: []string{"localhost"}, MaxBody: 5 << 30,
		Operations: map[string]*api.Operation{
			"PutObject": {Name: "PutObject", Action: "s3:PutObject", Streaming: true, Category: api.Data, Resource: resource,
				Handle: func(c *api.Call) (any, error) {
					b, err := io.ReadAll(c.Body)
					if err != nil {
						return nil, err
					}
					s.mu.Lock()
					defer s.mu.Unlock()
					s.objects[c.PathParams["Key"]] = b
					return nil, nil
				}},
			"GetObject": {Name: "GetObject", Action: "s3:GetObject", ReadOnly: true, Category: api.Data, Resource: resource,
				Handle: func(c *api.Call) (any, error) {
					s.mu.Lock()
					defer s.mu.Unlock()
					return &api.Raw{Body: s.objects[c.PathParams["Key"]]}, nil
				}},
			"GetBucketPolicy": {Name: "GetBucketPolicy", Action: "s3:GetBucketPolicy", ReadOnly: true,
				Handle: func(*api.Call) (any, error) { return &api.Raw{Body: []byte("policy")}, nil }},
		},
		Routes: []api.Route{
			{Method: "PUT", Path: "/{Bucket}/{Key+}", Operation: "PutObject"},
			{Method: "GET", Path: "/{Bucket}/{Key+}", Operation: "GetObject"},
			{Method: "GET", Path: "/{Bucket}", Query: []string{"policy"}, Operation: "GetBucketPolicy"},
		},
	}
}

func newTestGateway(t *testing.T) (*Gateway, *objectStore) {
	t.Helper()
	g := New(Config{
		Account:    "123456789012",
		Region:     "us-east-1",
		Identities: rootIdentities{secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		Now:        func() time.Time { return exampleTime },
	})
	s := &objectStore{objects: map[string][]byte{}}
	g.Register(s.service())
	return g, s
}

func TestStreamedUploadCommitsOnlyWhenVerified(t *testing.T) {
	g, s := newTestGateway(t)

	bad := append([]string(nil), exampleSigs...)
	bad[2] = strings.Repeat("0", 64) // the final, empty chunk's signature
	w := httptest.NewRecorder()
	g.ServeHTTP(w, exampleChunkedRequest(bad))
	if w.Code != 403 || !strings.Contains(w.Body.String(), "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("wrong last chunk signature: %d %s", w.Code, w.Body)
	}
	if len(s.objects) != 0 {
		t.Fatalf("a refused upload was stored: %d objects", len(s.objects))
	}

	w = httptest.NewRecorder()
	g.ServeHTTP(w, exampleChunkedRequest(exampleSigs))
	if w.Code != 200 {
		t.Fatalf("good upload: %d %s", w.Code, w.Body)
	}
	if got := len(s.objects["chunkObject.txt"]); got != 66560 {
		t.Errorf("stored %d bytes, want 66560", got)
	}
}

func TestAnonymousRequests(t *testing.T) {
	g, s := newTestGateway(t)
	s.objects["k"] = []byte("hello")

	get := func(target, host string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", target, nil)
		if host != "" {
			r.Host = host
		}
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		return w
	}
	// No policy allows anyone: AccessDenied, in S3's form, which tells an
	// unsigned request no reason.
	w := get("http://localhost/b/k", "")
	if w.Code != 403 || !strings.Contains(w.Body.String(), "<Code>AccessDenied</Code><Message>Access Denied</Message>") {
		t.Errorf("anonymous GET without a public policy: %d %s", w.Code, w.Body)
	}

	public, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, policy.Resource)
	if err != nil {
		t.Fatal(err)
	}
	s.public = public
	for _, tc := range []struct{ target, host string }{
		{"http://localhost/b/k", ""},
		{"http://b.localhost/k", "b.localhost:4566"}, // virtual-host style
	} {
		if w := get(tc.target, tc.host); w.Code != 200 || w.Body.String() != "hello" {
			t.Errorf("anonymous GET %s with a public policy: %d %s", tc.target, w.Code, w.Body)
		}
	}
	// An operation nobody is granted stays closed; query-key routing picks it.
	if w := get("http://localhost/b?policy", ""); w.Code != 403 || !strings.Contains(w.Body.String(), "AccessDenied") {
		t.Errorf("anonymous GetBucketPolicy: %d %s", w.Code, w.Body)
	}
}

func TestUnsignedRequestToSignedService(t *testing.T) {
	g, _ := newTestGateway(t)
	g.Register(&api.Service{Name: "sts", Protocols: []string{"awsQuery"}, APIVersion: "2011-06-15",
		Operations: map[string]*api.Operation{"GetCallerIdentity": {Name: "GetCallerIdentity", Handle: func(*api.Call) (any, error) { return nil, nil }}}})
	r := httptest.NewRequest("POST", "http://localhost/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	if w.Code != 403 || !strings.Contains(w.Body.String(), "<Code>MissingAuthenticationToken</Code>") {
		t.Errorf("unsigned query request: %d %s", w.Code, w.Body)
	}
}

func TestUnservedOperationsNameThemselves(t *testing.T) {
	g, _ := newTestGateway(t)
	g.Register(&api.Service{Name: "iam", Protocols: []string{"awsQuery"}, APIVersion: "2010-05-08", Operations: map[string]*api.Operation{}},
		&api.Service{Name: "lambda", Protocols: []string{"restJson1"}, Operations: map[string]*api.Operation{}})
	for _, tc := range []struct {
		name, service, method, path, target, contentType, body string
		status                                                 int
		contentTypeOut, want                                   string
	}{
		{"query", "iam", "POST", "/", "", "application/x-www-form-urlencoded", "Action=CreateGroup&Version=2010-05-08&GroupName=g",
			400, "text/xml", "<Code>InvalidAction</Code><Message>Could not find operation CreateGroup for version 2010-05-08</Message>"},
		{"REST JSON", "lambda", "POST", "/2021-10-31/functions/f/url", "", "application/json", "{}",
			404, "application/json", `"message":"Unknown operation CreateFunctionUrlConfig"`},
		{"JSON 1.0 service not served", "dynamodb", "POST", "/", "DynamoDB_20120810.ListTables", "application/x-amz-json-1.0", "{}",
			400, "application/x-amz-json-1.0", `{"__type":"UnknownOperationException","message":"Unknown operation ListTables"}`},
		{"CBOR", "kinesis", "POST", "/", "Kinesis_20131202.ListStreams", "application/x-amz-cbor-1.1", "\xa0",
			400, "application/x-amz-cbor-1.1", "UnknownOperationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serveSigned(t, g, tc.service, tc.method, tc.path, tc.target, tc.contentType, tc.body)
			if w.Code != tc.status || w.Header().Get("Content-Type") != tc.contentTypeOut || !strings.Contains(w.Body.String(), tc.want) {
				t.Errorf("%d %s %q", w.Code, w.Header().Get("Content-Type"), w.Body)
			}
		})
	}
}

// One service answers each request in the protocol it was written in: SQS's
// JSON 1.0 and query protocols, Kinesis's JSON 1.1 and CBOR.
func TestProtocolPerRequest(t *testing.T) {
	g, _ := newTestGateway(t)
	type listInput struct {
		QueueNamePrefix string `json:"QueueNamePrefix"`
	}
	type listOutput struct {
		QueueUrls []string `json:"QueueUrls" xml:"QueueUrl"`
	}
	list := &api.Operation{Name: "ListQueues", Handle: func(c *api.Call) (any, error) {
		var in listInput
		if err := c.Decode(&in); err != nil {
			return nil, err
		}
		return &listOutput{QueueUrls: []string{"http://localhost/123456789012/" + in.QueueNamePrefix + "-1"}}, nil
	}}
	g.Register(&api.Service{Name: "sqs", Protocols: []string{"awsJson1_0", "awsQuery"}, TargetPrefix: "AmazonSQS",
		APIVersion: "2012-11-05", XMLNamespace: "http://queue.amazonaws.com/doc/2012-11-05/",
		Operations: map[string]*api.Operation{"ListQueues": list}})
	g.Register(&api.Service{Name: "kinesis", Protocols: []string{"awsJson1_1", "awsCbor1_1"}, TargetPrefix: "Kinesis_20131202",
		Operations: map[string]*api.Operation{"ListQueues": list}})
	for _, tc := range []struct {
		name, service, target, contentType, body string
		wantType, want                           string
	}{
		{"JSON 1.0", "sqs", "AmazonSQS.ListQueues", "application/x-amz-json-1.0", `{"QueueNamePrefix":"jobs"}`,
			"application/x-amz-json-1.0", `{"QueueUrls":["http://localhost/123456789012/jobs-1"]}`},
		{"query", "sqs", "", "application/x-www-form-urlencoded", "Action=ListQueues&Version=2012-11-05&QueueNamePrefix=jobs",
			"text/xml", `<ListQueuesResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><ListQueuesResult><QueueUrl>http://localhost/123456789012/jobs-1</QueueUrl></ListQueuesResult>`},
		// {"QueueNamePrefix": "jobs"} and its answer, in CBOR.
		{"CBOR", "kinesis", "Kinesis_20131202.ListQueues", "application/x-amz-cbor-1.1", "\xa1\x6fQueueNamePrefix\x64jobs",
			"application/x-amz-cbor-1.1", "\xa1\x69QueueUrls\x81\x78\x24http://localhost/123456789012/jobs-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serveSigned(t, g, tc.service, "POST", "/", tc.target, tc.contentType, tc.body)
			if w.Code != 200 || w.Header().Get("Content-Type") != tc.wantType || !strings.Contains(w.Body.String(), tc.want) {
				t.Errorf("%d %s %q", w.Code, w.Header().Get("Content-Type"), w.Body)
			}
		})
	}
}

// serveSigned signs a request with the example root key for service and
// serves it.
func serveSigned(t *testing.T, g *Gateway, service, method, path, target, contentType, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	if target != "" {
		r.Header.Set("X-Amz-Target", target)
	}
	creds := sigv4.Credentials{AccessKeyID: exampleKey, SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	if err := sigv4.Sign(r, []byte(body), creds, "us-east-1", service, exampleTime); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	return w
}

// An unsigned REST body is bounded by the service's MaxBody as a signed
// one is: an anonymous upload cannot make a handler read without limit.
func TestAnonymousBodyIsBounded(t *testing.T) {
	g := New(Config{Account: "123456789012", Region: "us-east-1", Identities: rootIdentities{}, Now: func() time.Time { return exampleTime }})
	s := &objectStore{objects: map[string][]byte{}}
	public, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}`, policy.Resource)
	if err != nil {
		t.Fatal(err)
	}
	s.public = public
	svc := s.service()
	svc.MaxBody = 1024
	g.Register(svc)

	put := func(n int) *httptest.ResponseRecorder {
		r := httptest.NewRequest("PUT", "http://localhost/b/k", bytes.NewReader(make([]byte, n)))
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		return w
	}
	if w := put(1024); w.Code != 200 {
		t.Fatalf("anonymous PUT within the bound: %d %s", w.Code, w.Body)
	}
	if w := put(1025); w.Code != 413 || !strings.Contains(w.Body.String(), "RequestEntityTooLarge") {
		t.Errorf("anonymous PUT over the bound: %d %s", w.Code, w.Body)
	}
	if got := len(s.objects["k"]); got != 1024 {
		t.Errorf("stored %d bytes, want the 1024 of the upload within the bound", got)
	}
}

// A handler that panics fails its call with AWS's internal error, answered
// and recorded, and the gateway goes on serving.
func TestHandlerPanicIsAnInternalError(t *testing.T) {
	g, _ := newTestGateway(t)
	g.Register(&api.Service{Name: "iam", Protocols: []string{"awsQuery"}, APIVersion: "2010-05-08",
		Operations: map[string]*api.Operation{"ListRoles": {Name: "ListRoles", Handle: func(*api.Call) (any, error) {
			panic("handler fault")
		}}}})
	for range 2 {
		w := serveSigned(t, g, "iam", "POST", "/", "", "application/x-www-form-urlencoded", "Action=ListRoles&Version=2010-05-08")
		if w.Code != 500 || !strings.Contains(w.Body.String(), "<Code>InternalFailure</Code>") {
			t.Fatalf("panicking handler: %d %s", w.Code, w.Body)
		}
	}
}
