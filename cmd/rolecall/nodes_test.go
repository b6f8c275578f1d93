package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

// TestNodeKilledMidLoadLosesNoAcknowledgedWrite: two nodes on one
// database take a bounded concurrent write load; one is killed with
// SIGKILL in the middle of it. Every write either node acknowledged is
// there afterwards, read through the surviving node, and the survivor
// kept answering.
func TestNodeKilledMidLoadLosesNoAcknowledgedWrite(t *testing.T) {
	bin := build(t)
	u := pgtest.URL(t)
	keyFile := filepath.Join(t.TempDir(), "server.key")
	cmdA, epA := start(t, bin, filepath.Join(t.TempDir(), "a"), "--database-url", u, "--key-file", keyFile)
	_, epB := start(t, bin, filepath.Join(t.TempDir(), "b"), "--database-url", u, "--key-file", keyFile)
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

	const writers, perWriter = 8, 40
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	killed := make(chan struct{})
	for w := range writers {
		ep := epA
		if w%2 == 1 {
			ep = epB
		}
		c := iamClient(ep)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				name := fmt.Sprintf("load-%d-%d", w, i)
				_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)},
					func(o *iam.Options) { o.RetryMaxAttempts = 1 })
				if err == nil {
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
					continue
				}
				select {
				case <-killed:
					if ep == epA {
						return // the killed node's writer stops
					}
				default:
				}
				t.Errorf("CreateRole %s on %s: %v", name, ep, err)
				return
			}
		}()
	}
	// Kill A once the load is well under way.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= writers*perWriter/4 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(killed) // first: a writer on A may see the kill before Signal returns
	if err := cmdA.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmdA.Wait()
	wg.Wait()

	b := iamClient(epB)
	mu.Lock()
	defer mu.Unlock()
	if len(acked) <= writers*perWriter/4 {
		t.Fatalf("only %d writes acknowledged", len(acked))
	}
	for _, name := range acked {
		if _, err := b.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}); err != nil {
			t.Errorf("acknowledged role %s missing on the surviving node: %v", name, err)
		}
	}
	t.Logf("%d writes acknowledged, all present on the surviving node", len(acked))
}
