package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/sigv4"
)

// benchGateway signs one query request and replays it through the whole
// gateway in-process (route, SigV4, authenticate, authorize, handle, record),
// reporting CPU per request.
func benchGateway(b *testing.B, service, body string, setup func(srv *servertest.Server) sigv4.Credentials) {
	b.Run("sqlite", func(b *testing.B) { benchGatewayOn(b, servertest.Start(b), service, body, setup) })
	// On PostgreSQL (skipped without a test database): one node of a shared database.
	b.Run("postgres", func(b *testing.B) { benchGatewayOn(b, servertest.Nodes(b, 1)[0], service, body, setup) })
}

func benchGatewayOn(b *testing.B, srv *servertest.Server, service, body string, setup func(srv *servertest.Server) sigv4.Credentials) {
	creds := setup(srv)
	h := srv.Gateway()
	newReq := func() *http.Request {
		r := httptest.NewRequest("POST", "http://"+srv.Endpoint()[len("http://"):]+"/", bytes.NewReader([]byte(body)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return r
	}
	signed := newReq()
	if err := sigv4.Sign(signed, []byte(body), creds, "us-east-1", service, time.Now()); err != nil {
		b.Fatal(err)
	}
	hdr := signed.Header.Clone()
	// One request to warm caches, and to check it succeeds.
	w := httptest.NewRecorder()
	r := newReq()
	r.Header = hdr.Clone()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		r := newReq()
		r.Header = hdr
		h.ServeHTTP(discard{}, r)
	}
	// The trail writes behind the requests: its work is part of a request's
	// cost, so the events are flushed before the clock stops.
	if err := srv.Recorder().Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}

func BenchmarkGatewayGetCallerIdentity(b *testing.B) {
	benchGateway(b, "sts", "Action=GetCallerIdentity&Version=2011-06-15", func(srv *servertest.Server) sigv4.Credentials {
		r := srv.Root()
		return sigv4.Credentials{AccessKeyID: r.AccessKeyID, SecretAccessKey: r.SecretAccessKey}
	})
}

// BenchmarkGatewayGetRole is GetRole by an IAM user whose inline policy
// allows it: the full authorization path with a compiled policy set.
func BenchmarkGatewayGetRole(b *testing.B) {
	benchGateway(b, "iam", "Action=GetRole&Version=2010-05-08&RoleName=lambda-ex", func(srv *servertest.Server) sigv4.Credentials {
		ctx := context.Background()
		admin := iam.NewFromConfig(srv.RootConfig())
		must := func(_ any, err error) {
			if err != nil {
				b.Fatal(err)
			}
		}
		must(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("lambda-ex"), AssumeRolePolicyDocument: aws.String(lambdaTrust)}))
		must(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("reader")}))
		must(admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("reader"), PolicyName: aws.String("read"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"arn:aws:iam::123456789012:role/*"}]}`)}))
		k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("reader")})
		if err != nil {
			b.Fatal(err)
		}
		return sigv4.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}
	})
}
