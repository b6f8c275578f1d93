package server_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// lockedBuffer is a buffer written by the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// requestLine is one line of the request log: time, principal,
// service:operation, status, error code, duration.
var requestLine = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+) (\S+) (\d{3}) (\S+) (\d+\.\d)ms$`)

// TestRequestLog: one line per request, in order, with the caller's ARN
// (or - when the request was not authenticated), service:operation, the
// HTTP status, AWS's error code (or -) and the duration.
func TestRequestLog(t *testing.T) {
	var log lockedBuffer
	srv := servertest.StartWith(t, servertest.Options{RequestLog: &log})
	ctx := context.Background()
	root := iam.NewFromConfig(srv.RootConfig())
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	dev := iam.NewFromConfig(srv.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, ""))
	_, err = dev.ListRoles(ctx, &iam.ListRolesInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("ListRoles as dev: %v, want AccessDenied", err)
	}
	bad := sts.NewFromConfig(srv.Config(*key.AccessKey.AccessKeyId, "not-the-secret", ""))
	if _, err := bad.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		t.Fatal("GetCallerIdentity with a wrong secret succeeded")
	}
	// An operation rolecall does not serve is named in the log as asked.
	if _, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}); err == nil {
		t.Fatal("CreateGroup succeeded")
	}
	// An unsigned GET / is S3's ListBuckets, refused to the anonymous
	// caller; an unsigned query request is not authenticated at all.
	resp, err := http.Get(srv.Endpoint() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Post(srv.Endpoint()+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=ListUsers&Version=2010-05-08"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The health endpoint is not a request to AWS: it is not logged.
	resp, err = http.Get(srv.Endpoint() + "/_rolecall/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	want := []struct{ principal, op, status, code string }{
		{"arn:aws:iam::123456789012:root", "iam:CreateUser", "200", "-"},
		{"arn:aws:iam::123456789012:root", "iam:CreateAccessKey", "200", "-"},
		{"arn:aws:iam::123456789012:user/dev", "iam:ListRoles", "403", "AccessDenied"},
		{"-", "sts:GetCallerIdentity", "403", "SignatureDoesNotMatch"},
		{"arn:aws:iam::123456789012:root", "iam:CreateGroup", "400", "InvalidAction"},
		{"anonymous", "s3:ListBuckets", "403", "AccessDenied"},
		{"-", "-", "403", "MissingAuthenticationToken"},
	}
	lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), log.String())
	}
	for i, line := range lines {
		m := requestLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %d %q does not have the request log's format", i, line)
			continue
		}
		w := want[i]
		if m[2] != w.principal || m[3] != w.op || m[4] != w.status || m[5] != w.code {
			t.Errorf("line %d: %q, want principal %s, %s, status %s, error %s", i, line, w.principal, w.op, w.status, w.code)
		}
	}
}

// TestRequestLogErrorsOnly: with RequestLogErrorsOnly only the requests
// answered with an error are logged.
func TestRequestLogErrorsOnly(t *testing.T) {
	var log lockedBuffer
	srv := servertest.StartWith(t, servertest.Options{RequestLog: &log, RequestLogErrorsOnly: true})
	ctx := context.Background()
	root := iam.NewFromConfig(srv.RootConfig())
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err == nil {
		t.Fatal("second CreateUser succeeded")
	}
	lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], " iam:CreateUser 409 EntityAlreadyExists ") {
		t.Errorf("errors-only log:\n%s\nwant the one EntityAlreadyExists line", log.String())
	}
}
