package kms

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/store"
)

// TestScheduledDeletion: a key pending deletion is refused for use during
// its waiting period and is gone once the period is over.
func TestScheduledDeletion(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "kms.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	box, err := crypt.NewBox(crypt.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	k, err := New(Config{Account: "123456789012", Region: "us-east-1", Store: st, Box: box, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	root := &api.Principal{Type: api.Root, Account: "123456789012", ARN: "arn:aws:iam::123456789012:root"}
	call := func(op string, input any) (any, error) {
		svc := k.Service()
		c := &api.Call{Context: ctx, Service: svc, Operation: svc.Operations[op], OperationName: op, Input: input,
			Principal: root, Account: "123456789012", Region: "us-east-1"}
		return c.Operation.Handle(c)
	}
	out, err := call("CreateKey", &createKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	md := out.(map[string]any)["KeyMetadata"].(keyMetadata)
	days := 7
	if _, err := call("ScheduleKeyDeletion", &struct {
		KeyId               string `json:"KeyId"`
		PendingWindowInDays *int   `json:"PendingWindowInDays"`
	}{md.KeyId, &days}); err != nil {
		t.Fatal(err)
	}
	code := func(err error) string {
		var ae *api.Error
		if errors.As(err, &ae) {
			return ae.Code
		}
		return ""
	}
	_, err = call("Encrypt", &EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x")})
	if code(err) != "KMSInvalidStateException" {
		t.Fatalf("Encrypt during the waiting period: %v", err)
	}
	offset.Store(int64(7*24*time.Hour - time.Minute))
	if _, err := call("DescribeKey", &keyInput{KeyId: md.KeyId}); err != nil {
		t.Fatalf("DescribeKey a minute before deletion: %v", err)
	}
	offset.Store(int64(7 * 24 * time.Hour))
	if _, err := call("DescribeKey", &keyInput{KeyId: md.KeyId}); code(err) != "NotFoundException" {
		t.Fatalf("DescribeKey after the waiting period: %v", err)
	}
}
