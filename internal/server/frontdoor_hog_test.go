package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestTrickledBodiesDoNotHoldBodyMemory: clients that know an access key
// id but not its secret (the signature of a query or JSON request is
// checked only once its body is in) fill the gateway's body memory with
// bodies trickled just fast enough for the body idle timeout. Each
// reservation is held for a bounded time, so another client's request is
// served while they go on.
func TestTrickledBodiesDoNotHoldBodyMemory(t *testing.T) {
	const (
		idle     = 500 * time.Millisecond
		declared = 2 << 20 // at the pace below, 40 seconds of body
		step     = 20 << 10
	)
	srv := servertest.StartWith(t, servertest.Options{BodyIdleTimeout: idle, BodyMemory: 2 * declared})
	root := srv.Root()
	date := time.Now().UTC().Format("20060102T150405Z")
	head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Amz-Date: %s\r\n"+
		"Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=%064d\r\n"+
		"Content-Length: %d\r\n\r\n", strings.TrimPrefix(srv.Endpoint(), "http://"), date, root.AccessKeyID, date[:8], 0, declared)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 3 { // two hold the memory, the third waits first in line
		c := dialRaw(t, srv)
		_ = c.SetDeadline(time.Time{})
		if _, err := c.Write([]byte(head)); err != nil {
			t.Fatal(err)
		}
		go func() {
			chunk := make([]byte, step)
			for ctx.Err() == nil {
				// 20 KB every 400 ms: more than the 16 KB each idle
				// timeout asks for, far less than the body needs.
				if _, err := c.Write(chunk); err != nil {
					return
				}
				time.Sleep(idle * 4 / 5)
			}
		}()
	}
	time.Sleep(idle) // the trickles hold the memory

	client := sts.NewFromConfig(srv.RootConfig())
	cctx, ccancel := context.WithTimeout(ctx, guard)
	defer ccancel()
	if _, err := client.GetCallerIdentity(cctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("a request waiting behind trickled bodies: %v", err)
	}
}
