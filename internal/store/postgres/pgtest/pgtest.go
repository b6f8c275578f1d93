// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema in the database ROLECALL_TEST_DATABASE_URL names, dropped when the
// test ends. Without that variable the test is skipped with a message, or
// fails when ROLECALL_POSTGRES=required (as in CI).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// BaseURL returns the test database's URL, or skips t when there is none
// (fails it when PostgreSQL is required).
func BaseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("ROLECALL_TEST_DATABASE_URL")
	if u == "" {
		msg := "PostgreSQL tests need a database: set ROLECALL_TEST_DATABASE_URL=postgres://user:password@localhost:5432/db " +
			"(each test makes and drops its own schema in it); scripts/test-database starts one and prints its URL"
		if os.Getenv("ROLECALL_POSTGRES") == "required" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return u
}

// URL returns the URL of a new, empty schema in the test database, dropped
// when t ends; it skips t as BaseURL does.
func URL(t testing.TB) string {
	t.Helper()
	return FreshSchema(t, BaseURL(t))
}

// FreshSchema makes a new, empty schema in the database at base, dropped
// when t ends, and returns base's URL with it as the search path.
func FreshSchema(t testing.TB, base string) string {
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
	defer func() {
		if err := conn.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
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
		defer func() {
			if err := conn.Close(ctx); err != nil {
				t.Error(err)
			}
		}()
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+ident+" CASCADE"); err != nil {
			t.Error(err)
		}
	})
	return WithSearchPath(t, base, schema)
}

// WithSearchPath sets search_path in a postgres:// URL or a key=value
// connection string.
func WithSearchPath(t testing.TB, base, schema string) string {
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
