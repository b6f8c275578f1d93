package lambda

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

func TestCodeChunks(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, n := range []int{1, codeChunkSize - 1, codeChunkSize, 5*codeChunkSize + 7} {
		zip := make([]byte, n)
		rand.Read(zip)
		key := codeKey(testAccount, "fn", "sum"+string(rune('a'+n%26)))
		if _, err := st.Update(ctx, func(tx store.Tx) error { return putCode(ctx, tx, key, zip) }); err != nil {
			t.Fatal(err)
		}
		got, err := getCode(ctx, st, key)
		if err != nil || !bytes.Equal(got, zip) {
			t.Errorf("%d bytes: read back %d bytes, %v", n, len(got), err)
		}
		items, _ := st.List(ctx, tableCode, key+"/", "", 0)
		for _, it := range items {
			if len(it.Value) > codeChunkSize {
				t.Errorf("chunk %s holds %d bytes", it.Key, len(it.Value))
			}
		}
	}
	// A package stored whole is still read.
	whole := []byte("PK whole")
	if _, err := st.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, tableCode, "acct/old/sum", whole) }); err != nil {
		t.Fatal(err)
	}
	if got, err := getCode(ctx, st, "acct/old/sum"); err != nil || !bytes.Equal(got, whole) {
		t.Errorf("whole package: %q, %v", got, err)
	}
	if _, err := getCode(ctx, st, "acct/none/sum"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing package: %v", err)
	}
}
