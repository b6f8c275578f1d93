package lambda

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/blob"
)

// legacyChunkSize is the chunk size of packages stored before blobs.
const legacyChunkSize = 768

// putLegacyCode stores a package as builds before blobs did: numbered
// chunks in tableCode under account/function/sha256hex.
func putLegacyCode(ctx context.Context, tx store.Tx, key string, zip []byte) error {
	for i := 0; i*legacyChunkSize < len(zip); i++ {
		chunk := zip[i*legacyChunkSize : min((i+1)*legacyChunkSize, len(zip))]
		if err := tx.Put(ctx, tableCode, fmt.Sprintf("%s/%06d", key, i), chunk); err != nil {
			return err
		}
	}
	return nil
}

func TestLegacyCodeChunks(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, n := range []int{1, legacyChunkSize, 5*legacyChunkSize + 7} {
		zip := make([]byte, n)
		rand.Read(zip)
		key := codeKey(testAccount, "fn", fmt.Sprint("sum", n))
		if _, err := st.Update(ctx, func(tx store.Tx) error { return putLegacyCode(ctx, tx, key, zip) }); err != nil {
			t.Fatal(err)
		}
		got, err := getCode(ctx, st, key)
		if err != nil || !bytes.Equal(got, zip) {
			t.Errorf("%d bytes: read back %d bytes, %v", n, len(got), err)
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

// download fetches a function's Code.Location through CodeHandler.
func (h *harness) download(name string) (int, []byte) {
	h.t.Helper()
	out := h.must("GetFunction", req{path: fn(name)}).(*GetFunctionOutput)
	srv := httptest.NewServer(h.l.CodeHandler())
	defer srv.Close()
	loc := srv.URL + out.Code.Location[len("http://127.0.0.1:4566"):]
	resp, err := http.Get(loc)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// blobIDs returns the blobs in the store, committed or pending.
func (h *harness) blobIDs() map[string]bool {
	h.t.Helper()
	items, err := h.l.cfg.Store.List(context.Background(), blob.MetaTable, "", "", 0)
	if err != nil {
		h.t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, it := range items {
		ids[it.Key] = true
	}
	return ids
}

func (h *harness) config(name string) config {
	h.t.Helper()
	var f function
	if err := store.GetJSON(context.Background(), h.l.cfg.Store, tableFunctions, testAccount+"/"+name, &f); err != nil {
		h.t.Fatal(err)
	}
	return f.Config
}

// TestCodeBlobs follows a function's packages through their blobs: each
// upload is a blob, kept while $LATEST or a version refers to it, deleted
// with the last reference; a node without the unpacked code unpacks it
// from its blob.
func TestCodeBlobs(t *testing.T) {
	needNode(t)
	h := newHarness(t)
	h.create("blobs", nil)
	a := h.config("blobs").CodeBlob
	if ids := h.blobIDs(); a == "" || len(ids) != 1 || !ids[a] {
		t.Fatalf("after CreateFunction: blob %q, blobs %v", a, ids)
	}
	if status, body := h.download("blobs"); status != 200 || !bytes.Equal(body, nodeZip(t)) {
		t.Fatalf("download = %d, %d bytes", status, len(body))
	}
	h.must("PublishVersion", req{path: fn("blobs"), body: map[string]any{}})

	// Version 1 keeps the first package; the second is released when the
	// third replaces it.
	second := zipOf(t, map[string]string{"index.mjs": "export const handler = async () => 2;"})
	h.must("UpdateFunctionCode", req{path: fn("blobs"), body: map[string]any{"ZipFile": second}})
	h.waitActive("blobs")
	b := h.config("blobs").CodeBlob
	if ids := h.blobIDs(); len(ids) != 2 || !ids[a] || !ids[b] {
		t.Fatalf("after the second package: %v, want %s and %s", ids, a, b)
	}
	third := zipOf(t, map[string]string{"index.mjs": "export const handler = async () => 3;"})
	h.must("UpdateFunctionCode", req{path: fn("blobs"), body: map[string]any{"ZipFile": third}})
	h.waitActive("blobs")
	c := h.config("blobs").CodeBlob
	if ids := h.blobIDs(); len(ids) != 2 || !ids[a] || !ids[c] {
		t.Fatalf("after the third package: %v, want %s and %s", ids, a, c)
	}
	if status, body := h.download("blobs"); status != 200 || !bytes.Equal(body, third) {
		t.Fatalf("download = %d, %d bytes", status, len(body))
	}

	// A node that never unpacked the code (here: the directory is gone)
	// unpacks it from the blob.
	h.l.removeCode(testAccount, "blobs")
	for _, q := range []string{"", "1"} {
		name := "blobs"
		if q != "" {
			name += ":" + q
		}
		raw, err := h.invoke(name, `{"action":"echo"}`, nil)
		if err != nil || raw.Status != 200 {
			t.Fatalf("invoke %s: %v %v", name, raw, err)
		}
	}
	want := map[string]string{"blobs": "3", "blobs:1": `{"action":"echo"}`}
	for name, body := range want {
		raw, err := h.invoke(name, `{"action":"echo"}`, nil)
		if err != nil || string(raw.Body) != body {
			t.Errorf("invoke %s = %v %v, want %s", name, raw, err, body)
		}
	}

	// A failed update leaves no blob behind.
	_, err := h.do("UpdateFunctionCode", req{path: fn("blobs"), body: map[string]any{"ZipFile": second, "RevisionId": "stale"}})
	wantError(t, err, "PreconditionFailedException", 412, "")
	if ids := h.blobIDs(); len(ids) != 2 {
		t.Fatalf("after a failed update: %v", ids)
	}

	h.must("DeleteFunction", req{path: fn("blobs"), query: map[string][]string{"Qualifier": {"1"}}})
	if ids := h.blobIDs(); len(ids) != 1 || !ids[c] {
		t.Fatalf("after deleting version 1: %v, want %s", ids, c)
	}
	h.must("DeleteFunction", req{path: fn("blobs")})
	if ids := h.blobIDs(); len(ids) != 0 {
		t.Fatalf("after DeleteFunction: %v", ids)
	}
}

// TestCodeStoredBeforeBlobs runs a function whose code a build before
// blobs stored, as an upgraded data directory holds it.
func TestCodeStoredBeforeBlobs(t *testing.T) {
	needNode(t)
	h := newHarness(t)
	ctx := context.Background()
	h.create("old", nil)
	h.must("PublishVersion", req{path: fn("old"), body: map[string]any{}})
	zip := nodeZip(t)
	// Rewrite the function and its version as they were stored then.
	_, err := h.l.cfg.Store.Update(ctx, func(tx store.Tx) error {
		var f function
		if err := store.GetJSON(ctx, tx, tableFunctions, testAccount+"/old", &f); err != nil {
			return err
		}
		if err := blob.Delete(ctx, tx, f.Config.CodeBlob); err != nil {
			return err
		}
		f.Config.CodeBlob = ""
		var v config
		if err := store.GetJSON(ctx, tx, tableVersions, versionKey(fnRef{Account: testAccount, Name: "old"}, 1), &v); err != nil {
			return err
		}
		v.CodeBlob = ""
		if err := store.PutJSON(ctx, tx, tableVersions, versionKey(fnRef{Account: testAccount, Name: "old"}, 1), &v); err != nil {
			return err
		}
		if err := putLegacyCode(ctx, tx, codeKey(testAccount, "old", f.Config.CodeHex), zip); err != nil {
			return err
		}
		return store.PutJSON(ctx, tx, tableFunctions, testAccount+"/old", &f)
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids := h.blobIDs(); len(ids) != 0 {
		t.Fatalf("blobs left: %v", ids)
	}
	h.l.removeCode(testAccount, "old")
	for _, name := range []string{"old", "old:1"} {
		raw, err := h.invoke(name, `{"action":"echo"}`, nil)
		if err != nil || raw.Status != 200 || string(raw.Body) != `{"action":"echo"}` {
			t.Fatalf("invoke %s: %v %v", name, raw, err)
		}
	}
	if status, body := h.download("old"); status != 200 || !bytes.Equal(body, zip) {
		t.Fatalf("download = %d, %d bytes", status, len(body))
	}
	// New code goes to a blob; the old chunks stay for version 1 until the
	// function is deleted.
	third := zipOf(t, map[string]string{"index.mjs": "export const handler = async () => 3;"})
	h.must("UpdateFunctionCode", req{path: fn("old"), body: map[string]any{"ZipFile": third}})
	h.waitActive("old")
	if raw, err := h.invoke("old", `{}`, nil); err != nil || string(raw.Body) != "3" {
		t.Fatalf("invoke after update: %v %v", raw, err)
	}
	h.must("DeleteFunction", req{path: fn("old")})
	items, err := h.l.cfg.Store.List(ctx, tableCode, "", "", 0)
	if err != nil || len(items) != 0 {
		t.Errorf("old chunks left after DeleteFunction: %d, %v", len(items), err)
	}
	if ids := h.blobIDs(); len(ids) != 0 {
		t.Errorf("blobs left after DeleteFunction: %v", ids)
	}
}
