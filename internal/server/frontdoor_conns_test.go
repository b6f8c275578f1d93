package server_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// connsServerEnv makes the test binary, run as a child of
// TestConnectionFloodLeavesTheServerItsFiles, serve rolecall with at most
// 256 open files until its standard input closes.
const connsServerEnv = "ROLECALL_TEST_CONNS_SERVER"

// TestConnsServer is the child server of
// TestConnectionFloodLeavesTheServerItsFiles; run alone it does nothing.
func TestConnsServer(t *testing.T) {
	if os.Getenv(connsServerEnv) == "" {
		t.Skip("the child server of TestConnectionFloodLeavesTheServerItsFiles")
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: 256, Max: 256}); err != nil {
		t.Fatal(err)
	}
	serveChild(t)
}

// TestConnectionFloodLeavesTheServerItsFiles: a client opening more idle
// connections than the server may open files does not take the
// descriptors the server needs: a client on a connection opened before
// the flood creates a function (its code written to disk) while the
// flood is held open.
func TestConnectionFloodLeavesTheServerItsFiles(t *testing.T) {
	child := startChildServer(t, "TestConnsServer", connsServerEnv)
	endpoint, akid, secret := child.endpoint, child.akid, child.secret
	// One HTTP client for IAM and Lambda: one connection, kept alive.
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
		Credentials: awscreds.NewStaticCredentialsProvider(akid, secret, ""),
		HTTPClient:  &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The client's connection is opened, and kept alive, before the flood.
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}

	addr := strings.TrimPrefix(endpoint, "http://")
	for range 400 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			continue
		}
		t.Cleanup(func() { _ = c.Close() })
		_, _ = c.Write([]byte("G")) // a request that never ends its headers
	}
	time.Sleep(200 * time.Millisecond) // the server accepts what it takes

	// Well within the header timeout (20 s), after which the flood's
	// connections close and the server gets its files back.
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	_, err = lambda.NewFromConfig(cfg).CreateFunction(cctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("f"), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("h"), Code: &lambdatypes.FunctionCode{ZipFile: tinyZip(t)},
	})
	if err != nil {
		t.Fatalf("a function created during the flood: %v", err)
	}
}
