package server

import (
	"bytes"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestKeyFileConcurrentStart: nodes starting together on one missing key
// file all read the key one of them made, never a file still empty or
// half written.
func TestKeyFileConcurrentStart(t *testing.T) {
	const nodes = 16
	for round := range 50 {
		path := filepath.Join(t.TempDir(), "server.key")
		keys := make([][]byte, nodes)
		errs := make([]error, nodes)
		var wg sync.WaitGroup
		for i := range nodes {
			wg.Go(func() { keys[i], _, errs[i] = keyFile(path) })
		}
		wg.Wait()
		for i := range nodes {
			if errs[i] != nil {
				t.Fatalf("round %d, node %d: %v", round, i, errs[i])
			}
			if !bytes.Equal(keys[i], keys[0]) {
				t.Fatalf("round %d: nodes %d and 0 got different keys", round, i)
			}
		}
		matches, err := filepath.Glob(filepath.Join(filepath.Dir(path), "*"))
		if err != nil {
			t.Fatal(err)
		}
		if len(matches) != 1 {
			t.Fatalf("round %d: files left beside the key: %v", round, matches)
		}
	}
}

// TestRedactURL: the database's password never shows, whether in the
// URL's user information, in its query or in a URL that does not parse.
func TestRedactURL(t *testing.T) {
	for _, raw := range []string{
		"postgres://rolecall:s3cret@db:5432/rolecall",
		"postgres://rolecall@db:5432/rolecall?password=s3cret&sslmode=disable",
		"postgres://rolecall:s3cret@db:5432/rolecall?PASSWORD=s3cret",
		"postgres://rolecall:s3#cret@db:5432/rolecall",
		"postgres://rolecall:s3%zzcret@db:5432/rolecall",
		"postgres://rolecall:s3cret@db:port/rolecall",
		"host=db user=rolecall password=s3cret",
	} {
		got := redactURL(raw)
		if strings.Contains(got, "s3") || strings.Contains(got, "cret") {
			t.Errorf("redactURL(%q) = %q, shows the password", raw, got)
		}
	}
	if got, want := redactURL("postgres://rolecall:s3cret@db:5432/rolecall?sslmode=disable"), "postgres://rolecall:xxxxx@db:5432/rolecall?sslmode=disable"; got != want {
		t.Errorf("redactURL = %q, want %q", got, want)
	}
}
