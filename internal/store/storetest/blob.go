package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/blob"
)

func putBlob(t *testing.T, st store.Store, data []byte) blob.Ref {
	t.Helper()
	ref, err := blob.Put(context.Background(), st, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if ref.Size != int64(len(data)) || ref.SHA256 != hex.EncodeToString(sum[:]) || ref.ID == "" {
		t.Fatalf("Put of %d bytes: %+v", len(data), ref)
	}
	return ref
}

func commitBlob(t *testing.T, st store.Store, id string) {
	t.Helper()
	if _, err := st.Update(context.Background(), func(tx store.Tx) error {
		return blob.Commit(context.Background(), tx, id)
	}); err != nil {
		t.Fatal(err)
	}
}

// readBlob reads a blob through a small buffer, so that reads end inside
// chunks and across them.
func readBlob(st store.Reader, ref blob.Ref) ([]byte, error) {
	r, err := blob.Open(context.Background(), st, ref.ID)
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }() // releases buffers only
	if r.Ref() != ref {
		return nil, errors.New("the Ref of Open differs from that of Put")
	}
	var out bytes.Buffer
	_, err = io.CopyBuffer(&out, struct{ io.Reader }{r}, make([]byte, 10_000))
	return out.Bytes(), err
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// blobKeys counts the keys a blob holds in the blob tables.
func blobKeys(t *testing.T, st store.Store, id string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	chunks, err := st.List(ctx, blob.ChunkTable, id+"/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	n += len(chunks)
	if _, err := st.Get(ctx, blob.MetaTable, id); err == nil {
		n++
	}
	pending, err := st.List(ctx, blob.PendingTable, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range pending {
		if bytes.HasSuffix([]byte(it.Key), []byte("/"+id)) {
			n++
		}
	}
	return n
}

// testBlobRoundTrip writes blobs of several sizes, around the chunk and
// transaction boundaries, and reads them back.
func testBlobRoundTrip(t *testing.T, st store.Store) {
	for _, n := range []int{0, 1, blob.ChunkSize, 4*blob.ChunkSize + 1, 9*blob.ChunkSize + 12_345} {
		data := randomBytes(n)
		ref := putBlob(t, st, data)
		if _, err := blob.Open(context.Background(), st, ref.ID); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("%d bytes: pending blob opened: %v", n, err)
		}
		commitBlob(t, st, ref.ID)
		got, err := readBlob(st, ref)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read %d bytes, %v", n, len(got), err)
		}
		chunks, err := st.List(context.Background(), blob.ChunkTable, ref.ID+"/", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := (n + blob.ChunkSize - 1) / blob.ChunkSize; len(chunks) != want {
			t.Errorf("%d bytes in %d chunks, want %d", n, len(chunks), want)
		}
	}
	if _, err := blob.Open(context.Background(), st, "NOSUCHBLOB"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("missing blob: %v", err)
	}
	// A blob is committed once.
	ref := putBlob(t, st, []byte("once"))
	commitBlob(t, st, ref.ID)
	if _, err := st.Update(context.Background(), func(tx store.Tx) error {
		return blob.Commit(context.Background(), tx, ref.ID)
	}); err == nil {
		t.Error("second commit accepted")
	}
}

// testBlobPending checks that a blob nobody committed, or whose committing
// transaction failed, stays invisible and is swept, while committed blobs
// and young pending ones stay.
func testBlobPending(t *testing.T, st store.Store) {
	ctx := context.Background()
	abandoned := putBlob(t, st, randomBytes(2*blob.ChunkSize+5))
	failed := putBlob(t, st, []byte("the transaction that refers to me fails"))
	boom := errors.New("boom")
	if _, err := st.Update(ctx, func(tx store.Tx) error {
		if err := blob.Commit(ctx, tx, failed.ID); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	kept := putBlob(t, st, []byte("committed"))
	commitBlob(t, st, kept.ID)
	for _, ref := range []blob.Ref{abandoned, failed} {
		if _, err := blob.Open(ctx, st, ref.ID); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("pending blob opened: %v", err)
		}
	}
	if n, err := blob.Sweep(ctx, st, time.Hour); err != nil || n != 0 {
		t.Fatalf("sweep of young blobs removed %d, %v", n, err)
	}
	if n, err := blob.Sweep(ctx, st, 0); err != nil || n != 2 {
		t.Fatalf("sweep removed %d, %v; want 2", n, err)
	}
	for _, ref := range []blob.Ref{abandoned, failed} {
		if k := blobKeys(t, st, ref.ID); k != 0 {
			t.Errorf("swept blob keeps %d keys", k)
		}
		if _, err := st.Update(ctx, func(tx store.Tx) error { return blob.Commit(ctx, tx, ref.ID) }); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("commit of a swept blob: %v, want ErrNotFound", err)
		}
	}
	if got, err := readBlob(st, kept); err != nil || string(got) != "committed" {
		t.Errorf("committed blob after sweep: %q %v", got, err)
	}
	if _, err := blob.Sweep(ctx, st, -time.Second); err == nil {
		t.Error("negative sweep age accepted")
	}

	// A blob swept while it is written makes its Put fail, and leaves
	// nothing behind.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := blob.Put(ctx, st, pr)
		pr.CloseWithError(errors.New("blob.Put returned")) // the writes below end
		done <- err
	}()
	first := randomBytes(5 * blob.ChunkSize) // more than one transaction
	if _, err := pw.Write(first); err != nil {
		t.Fatal(err)
	}
	// The writer has committed its first transaction once it reads on.
	if _, err := pw.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if n, err := blob.Sweep(ctx, st, 0); err != nil || n != 1 {
		t.Fatalf("sweep under a writer removed %d, %v", n, err)
	}
	_, _ = pw.Write(randomBytes(4 * blob.ChunkSize)) // fails when Put has given up
	_ = pw.Close()                                   // a pipe closes without error
	if err := <-done; err == nil {
		t.Fatal("Put of a swept blob succeeded")
	}
	for _, table := range []string{blob.MetaTable, blob.ChunkTable, blob.PendingTable} {
		items, err := st.List(ctx, table, "", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if !bytes.HasPrefix([]byte(it.Key), []byte(kept.ID)) {
				t.Errorf("%s keeps %s after a failed Put", table, it.Key)
			}
		}
	}
	// A reader that fails makes Put fail and leaves nothing pending.
	if _, err := blob.Put(ctx, st, io.MultiReader(bytes.NewReader(first), iotestErr{})); err == nil {
		t.Error("Put of a failing reader succeeded")
	}
	if items, _ := st.List(ctx, blob.PendingTable, "", "", 0); len(items) != 0 {
		t.Errorf("a failed Put left %d pending blobs", len(items))
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("the upload broke") }

// testBlobDelete deletes blobs, one of them while it is read.
func testBlobDelete(t *testing.T, st store.Store) {
	ctx := context.Background()
	data := randomBytes(9 * blob.ChunkSize)
	ref := putBlob(t, st, data)
	commitBlob(t, st, ref.ID)
	r, err := blob.Open(ctx, st, ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 100)
	if _, err := io.ReadFull(r, head); err != nil || !bytes.Equal(head, data[:100]) {
		t.Fatal(err)
	}
	if _, err := st.Update(ctx, func(tx store.Tx) error { return blob.Delete(ctx, tx, ref.ID) }); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(r); err == nil {
		t.Errorf("reading a deleted blob ended cleanly after %d bytes", 100+len(rest))
	}
	if _, err := blob.Open(ctx, st, ref.ID); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("deleted blob opened: %v", err)
	}
	if k := blobKeys(t, st, ref.ID); k != 0 {
		t.Errorf("deleted blob keeps %d keys", k)
	}
	// Deleting a pending blob, and a missing one.
	pending := putBlob(t, st, []byte("pending"))
	if _, err := st.Update(ctx, func(tx store.Tx) error {
		return errors.Join(blob.Delete(ctx, tx, pending.ID), blob.Delete(ctx, tx, "NOSUCHBLOB"))
	}); err != nil {
		t.Fatal(err)
	}
	if k := blobKeys(t, st, pending.ID); k != 0 {
		t.Errorf("deleted pending blob keeps %d keys", k)
	}
}

// testBlobOtherHandle writes a blob on one handle, commits it on another
// and reads it on both.
func testBlobOtherHandle(t *testing.T, e Engine) {
	a := e.Open(t)
	b := e.Reopen(t, a)
	data := randomBytes(5*blob.ChunkSize + 77)
	ref := putBlob(t, a, data)
	commitBlob(t, b, ref.ID)
	for _, st := range []store.Store{a, b} {
		if got, err := readBlob(st, ref); err != nil || !bytes.Equal(got, data) {
			t.Errorf("read %d bytes, %v", len(got), err)
		}
	}
}
