package main

import (
	"context"
	"errors"
	"testing"

	"github.com/rolecall/rolecall/internal/store/postgres"
	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

// TestTrailVerbEmptyDatabase: the trail verb pointed at a PostgreSQL
// database holding no rolecall store (a mistyped URL) says so, and leaves
// it as it was, rather than making a store there and printing nothing.
func TestTrailVerbEmptyDatabase(t *testing.T) {
	u := pgtest.URL(t)
	for range 2 { // the first must not have made a store for the second
		if _, err := runTrailVerb(t, "--database-url", u); !errors.Is(err, postgres.ErrNoDatabase) {
			t.Fatalf("trail on an empty database: %v, want %v", err, postgres.ErrNoDatabase)
		}
	}
	st, err := postgres.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if lines, err := runTrailVerb(t, "--database-url", u); err != nil || len(lines) != 0 {
		t.Fatalf("trail on a store without events: %d lines, %v", len(lines), err)
	}
}
