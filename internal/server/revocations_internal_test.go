package server

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/session"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/postgres"
	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

// TestRevocationStoredOnceDatabaseIsBack: a revocation made while the
// node cannot reach the shared database reaches the other nodes once it
// can, rather than never (they would accept the revoked sessions until
// they expire).
func TestRevocationStoredOnceDatabaseIsBack(t *testing.T) {
	ctx := context.Background()
	raw := pgtest.URL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p := NewDBProxy(t, u.Host)
	u.Host = p.Addr()
	direct, err := postgres.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = direct.Close() })
	proxied, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxied.Close() })
	feed, err := store.NewFeed(ctx, proxied, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	life, stop := context.WithCancel(ctx)
	r, err := newSharedRevocations(ctx, life, proxied, feed, time.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); r.wait() })

	p.Set("refuse")
	r.Revoke("env-1", time.Now().Add(time.Hour))
	if !r.list.IsRevoked(&session.Claims{Environment: "env-1"}) {
		t.Fatal("not revoked on this node")
	}
	p.Set("")
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := direct.Get(ctx, revocationsTable, "env-1")
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the revocation never reached the database")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
