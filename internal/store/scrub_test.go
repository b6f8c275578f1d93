package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// TestSQLiteScrub: a value deleted or overwritten stays in the database's
// files (freed pages, the write-ahead log) until Scrub, and is gone after.
func TestSQLiteScrub(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rolecall.db")
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gone, replaced := "deleted-"+strings.Repeat("d", 64), "replaced-"+strings.Repeat("r", 64)
	put := func(fn func(tx store.Tx) error) {
		t.Helper()
		if _, err := st.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	put(func(tx store.Tx) error {
		for i := range 200 { // enough rows for pages to be freed
			if err := tx.Put(ctx, "t", strings.Repeat("k", 10)+string(rune('a'+i%26))+string(rune('a'+i/26)), bytes.Repeat([]byte("x"), 300)); err != nil {
				return err
			}
		}
		return tx.Put(ctx, "t", "gone", []byte(gone))
	})
	put(func(tx store.Tx) error { return tx.Put(ctx, "t", "kept", []byte(replaced)) })
	put(func(tx store.Tx) error { return tx.Delete(ctx, "t", "gone") })
	put(func(tx store.Tx) error { return tx.Put(ctx, "t", "kept", []byte("sealed")) })
	files := func() []byte {
		var all []byte
		for _, name := range []string{path, path + "-wal"} {
			b, err := os.ReadFile(name)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	if b := files(); !bytes.Contains(b, []byte(gone)) || !bytes.Contains(b, []byte(replaced)) {
		t.Fatal("the old values are not in the files before Scrub: the test would prove nothing")
	}
	if err := st.Scrub(ctx); err != nil {
		t.Fatal(err)
	}
	if b := files(); bytes.Contains(b, []byte(gone)) || bytes.Contains(b, []byte(replaced)) {
		t.Error("old values left in the files after Scrub")
	}
	if v, err := st.Get(ctx, "t", "kept"); err != nil || string(v) != "sealed" {
		t.Errorf("kept: %q, %v", v, err)
	}
}
