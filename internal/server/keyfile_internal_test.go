package server

import (
	"bytes"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rolecall/rolecall/internal/crypt"
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
			wg.Go(func() { keys[i], _, errs[i] = makeKeyFile(path, crypt.NewKey()) })
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
