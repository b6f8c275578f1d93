package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"path/filepath"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/blob"
	"github.com/rolecall/rolecall/internal/store/postgres"
	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

// BenchmarkBlob writes, commits, reads back and deletes a 50 MiB blob, the
// largest deployment package Lambda takes, on each engine.
func BenchmarkBlob(b *testing.B) {
	data := make([]byte, 50<<20)
	rand.Read(data)
	b.Run("SQLite", func(b *testing.B) {
		st, err := store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		benchmarkBlob(b, st, data)
	})
	b.Run("PostgreSQL", func(b *testing.B) {
		st, err := postgres.Open(context.Background(), pgtest.URL(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		benchmarkBlob(b, st, data)
	})
}

func benchmarkBlob(b *testing.B, st store.Store, data []byte) {
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		ref, err := blob.Put(ctx, st, bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Update(ctx, func(tx store.Tx) error { return blob.Commit(ctx, tx, ref.ID) }); err != nil {
			b.Fatal(err)
		}
		r, err := blob.Open(ctx, st, ref.ID)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
			b.Fatalf("read %d bytes, %v", n, err)
		}
		if _, err := st.Update(ctx, func(tx store.Tx) error { return blob.Delete(ctx, tx, ref.ID) }); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOpenAt: a Reader opened at an offset returns the blob from there
// on, whichever chunk the offset falls in.
func TestOpenAt(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	data := make([]byte, 3*blob.ChunkSize+123)
	for i := range data {
		data[i] = byte(i * 31 % 253)
	}
	ref, err := blob.Put(ctx, st, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(ctx, func(tx store.Tx) error { return blob.Commit(ctx, tx, ref.ID) }); err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{0, 1, blob.ChunkSize - 1, blob.ChunkSize, 2*blob.ChunkSize + 7, int64(len(data)) - 1, int64(len(data))} {
		r, err := blob.OpenAt(ctx, st, ref.ID, off)
		if err != nil {
			t.Fatalf("OpenAt %d: %v", off, err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data[off:]) {
			t.Fatalf("OpenAt %d: %d bytes, %v", off, len(got), err)
		}
	}
	if _, err := blob.OpenAt(ctx, st, ref.ID, int64(len(data))+1); err == nil {
		t.Fatal("OpenAt past the end succeeded")
	}
}
