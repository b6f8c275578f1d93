package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/postgres"
	"github.com/rolecall/rolecall/internal/store/storetest"
)

// databaseURL returns the test database's URL, or skips the test when
// there is none (fails it when PostgreSQL is required).
func databaseURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("ROLECALL_TEST_DATABASE_URL")
	if u == "" {
		msg := "PostgreSQL tests need a database: set ROLECALL_TEST_DATABASE_URL=postgres://user:password@localhost:5432/db " +
			"(each test makes and drops its own schema in it); .ci/run sets one up"
		if os.Getenv("ROLECALL_POSTGRES") == "required" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return u
}

// freshSchema makes a new, empty schema in the database at base, dropped
// when the test ends, and returns base's URL with it as the search path.
func freshSchema(t *testing.T, base string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "rolecall_test_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+ident+" CASCADE"); err != nil {
			t.Error(err)
		}
	})
	return withSearchPath(t, base, schema)
}

// withSearchPath sets search_path in a postgres:// URL or a key=value
// connection string.
func withSearchPath(t *testing.T, base, schema string) string {
	t.Helper()
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + schema
}

func open(t *testing.T, u string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestPostgres(t *testing.T) {
	base := databaseURL(t)
	var mu sync.Mutex
	urls := map[store.Store]string{}
	openAt := func(t *testing.T, u string) store.Store {
		st := open(t, u)
		mu.Lock()
		urls[st] = u
		mu.Unlock()
		return st
	}
	storetest.Run(t, storetest.Engine{
		Open: func(t *testing.T) store.Store { return openAt(t, freshSchema(t, base)) },
		Reopen: func(t *testing.T, st store.Store) store.Store {
			mu.Lock()
			u := urls[st]
			mu.Unlock()
			return openAt(t, u)
		},
		Trim: func(ctx context.Context, st store.Store, through store.Revision) error {
			return st.(*postgres.Store).TrimChanges(ctx, through)
		},
	})
}
