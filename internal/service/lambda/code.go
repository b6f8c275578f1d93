package lambda

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/runtime"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/blob"
)

// Deployment package limits.
const (
	maxZipSize      = 50 << 20 // ZipFile, after base64 decoding
	codeURLLifetime = 10 * time.Minute
)

// CodePathPrefix is where CodeHandler expects to be mounted on the main
// endpoint. GetFunction's Code.Location points there.
const CodePathPrefix = "/_code/"

// codePackage is a validated deployment package.
type codePackage struct {
	zip    []byte
	hex    string // sha256, hex
	sha256 string // sha256, base64
}

// newCodePackage checks a ZipFile upload.
func newCodePackage(zip []byte, op string) (*codePackage, error) {
	if len(zip) == 0 {
		return nil, errInvalidParam("Please provide a source for function code.")
	}
	if len(zip) > maxZipSize {
		return nil, errRequestEntityTooLarge("Request must be smaller than 70167211 bytes for the %s operation", op)
	}
	sum := sha256.Sum256(zip)
	return &codePackage{zip: zip, hex: hex.EncodeToString(sum[:]), sha256: base64.StdEncoding.EncodeToString(sum[:])}, nil
}

// codeDir is where a package is unpacked.
func (l *Lambda) codeDir(account, fn, hexSum string) string {
	return filepath.Join(l.cfg.CodeDir, account, fn, hexSum)
}

// unpack extracts p into its directory unless it is there already.
func (l *Lambda) unpack(account, fn string, p *codePackage) error {
	dir := l.codeDir(account, fn, p.hex)
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("lambda: code directory: %w", err)
	}
	tmp := dir + ".tmp-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := runtime.Unzip(p.zip, tmp); err != nil {
		_ = os.RemoveAll(tmp) // best effort: the upload is refused either way
		switch {
		case errors.Is(err, runtime.ErrCodeTooLarge):
			return errInvalidParam("Unzipped size must be smaller than 262144000 bytes")
		case errors.Is(err, runtime.ErrBadPackage):
			return errInvalidParam("Could not unzip uploaded file. Please check your file, then try to upload again.")
		}
		return fmt.Errorf("lambda: unpack code of %s: %w", fn, err) // the host's failure (disk full)
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp) // best effort: the rename's outcome decides
		if _, serr := os.Stat(dir); serr == nil {
			return nil // unpacked concurrently
		}
		return fmt.Errorf("lambda: code directory: %w", err)
	}
	return nil
}

// ensureCode makes sure a stored package is unpacked (after a restart, on
// a node that has not run the function yet, or when the directory was
// removed) and returns its directory.
func (l *Lambda) ensureCode(ctx context.Context, account string, c *config) (string, error) {
	dir := l.codeDir(account, c.Name, c.CodeHex)
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	r, size, err := l.openCode(ctx, codeKey(account, c.Name, c.codeName()))
	if err != nil {
		return "", fmt.Errorf("lambda: code of %s: %w", c.Name, err)
	}
	defer r.Close()
	// Unzipping needs the whole archive at hand; the read streams it in,
	// verified against its size and SHA-256.
	zip := bytes.NewBuffer(make([]byte, 0, size))
	if _, err := io.Copy(zip, r); err != nil {
		return "", fmt.Errorf("lambda: code of %s: %w", c.Name, err)
	}
	if err := l.unpack(account, c.Name, &codePackage{zip: zip.Bytes(), hex: c.CodeHex}); err != nil {
		return "", err
	}
	return dir, nil
}

// codeName names a configuration's stored package: its blob, or for code
// stored before blobs, its SHA-256 in hex.
func (c *config) codeName() string {
	if c.CodeBlob != "" {
		return c.CodeBlob
	}
	return c.CodeHex
}

func codeKey(account, fn, name string) string { return account + "/" + fn + "/" + name }

// codeSweepAge is how long a package may stay pending between its upload
// and the commit of the function that refers to it, before New sweeps it:
// far longer than any CreateFunction or UpdateFunctionCode takes.
const codeSweepAge = time.Hour

// storeCode streams a package into a pending blob, which the transaction
// that records the function or version commits (blob.Commit).
func (l *Lambda) storeCode(ctx context.Context, p *codePackage) (blob.Ref, error) {
	ref, err := blob.Put(ctx, l.cfg.Store, bytes.NewReader(p.zip))
	if err != nil {
		return blob.Ref{}, fmt.Errorf("lambda: store code: %w", err)
	}
	return ref, nil
}

// dropCode deletes the pending blob of a package whose transaction
// failed. When that fails too, the blob stays pending and sweepCode
// removes it later.
func (l *Lambda) dropCode(ctx context.Context, id string) {
	ctx = context.WithoutCancel(ctx)
	_, _ = l.cfg.Store.Update(ctx, func(tx store.Tx) error { return blob.Delete(ctx, tx, id) })
}

// sweepCode removes the packages left pending by a process that stopped
// between an upload and its transaction.
func (l *Lambda) sweepCode(ctx context.Context) error {
	if _, err := blob.Sweep(ctx, l.cfg.Store, codeSweepAge); err != nil {
		return fmt.Errorf("lambda: sweep code: %w", err)
	}
	return nil
}

// releaseCode deletes, within tx, those of the blobs ids that neither
// latest ($LATEST as tx is about to store it) nor any version of ref
// stored in tx refers to.
func (l *Lambda) releaseCode(ctx context.Context, tx store.Tx, ref fnRef, latest *config, ids ...string) error {
	unused := map[string]bool{}
	for _, id := range ids {
		if id != "" && id != latest.CodeBlob {
			unused[id] = true
		}
	}
	if len(unused) == 0 {
		return nil
	}
	versions, err := tx.List(ctx, tableVersions, ref.key()+"/", "", 0)
	if err != nil {
		return err
	}
	for _, it := range versions {
		var v config
		if err := decode(it.Value, &v); err != nil {
			return fmt.Errorf("lambda: version %s: %w", it.Key, err)
		}
		delete(unused, v.CodeBlob)
	}
	for id := range unused {
		if err := blob.Delete(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// deleteCode deletes the blobs ids ("" for code stored before blobs),
// each once, within tx.
func deleteCode(ctx context.Context, tx store.Tx, ids ...string) error {
	done := map[string]bool{"": true}
	for _, id := range ids {
		if done[id] {
			continue
		}
		done[id] = true
		if err := blob.Delete(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// openCode opens the package stored under key (account/function/name,
// see codeName) and returns it with its size. It fails with
// store.ErrNotFound when there is none.
func (l *Lambda) openCode(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	id := key[strings.LastIndexByte(key, '/')+1:]
	r, err := blob.Open(ctx, l.cfg.Store, id)
	if err == nil {
		return r, r.Ref().Size, nil
	}
	if !errors.Is(err, blob.ErrNotFound) {
		return nil, 0, err
	}
	// Code stored before blobs is named by its SHA-256 in hex.
	zip, err := getCode(ctx, l.cfg.Store, key)
	if err != nil {
		return nil, 0, err
	}
	return io.NopCloser(bytes.NewReader(zip)), int64(len(zip)), nil
}

// getCode reads a package stored before blobs under key, or
// store.ErrNotFound: numbered chunks of the zip in tableCode, or in
// earlier versions the whole zip under key.
func getCode(ctx context.Context, r store.Reader, key string) ([]byte, error) {
	items, err := r.List(ctx, tableCode, key+"/", "", 0)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return r.Get(ctx, tableCode, key)
	}
	n := 0
	for _, it := range items {
		n += len(it.Value)
	}
	zip := make([]byte, 0, n)
	for _, it := range items {
		zip = append(zip, it.Value...)
	}
	return zip, nil
}

// removeCode deletes the unpacked packages of a function.
func (l *Lambda) removeCode(account, fn string) {
	_ = os.RemoveAll(filepath.Join(l.cfg.CodeDir, account, fn)) // best effort: the function is gone from the store already
}

// codeLocation is a URL on the main endpoint that downloads the package
// for a limited time, like the presigned S3 URL Lambda returns.
func (l *Lambda) codeLocation(account string, c *config) string {
	if l.cfg.Endpoint == nil {
		return ""
	}
	path := codeKey(account, c.Name, c.codeName())
	exp := strconv.FormatInt(l.now().Add(codeURLLifetime).Unix(), 10)
	q := url.Values{"Expires": {exp}, "Signature": {l.codeSignature(path, exp)}}
	return strings.TrimRight(l.cfg.Endpoint(), "/") + CodePathPrefix + path + "?" + q.Encode()
}

func (l *Lambda) codeSignature(path, exp string) string {
	m := hmac.New(sha256.New, l.codeKey)
	m.Write([]byte(path + "\n" + exp))
	return hex.EncodeToString(m.Sum(nil))
}

// CodeHandler serves the Code.Location URLs of GetFunction. It needs no
// signature: the URL carries an expiring token. Mount it at CodePathPrefix
// on the main listener.
func (l *Lambda) CodeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			codeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
			return
		}
		path, ok := strings.CutPrefix(r.URL.Path, CodePathPrefix)
		q := r.URL.Query()
		exp, sig := q.Get("Expires"), q.Get("Signature")
		if !ok || strings.Count(path, "/") != 2 || exp == "" ||
			!hmac.Equal([]byte(sig), []byte(l.codeSignature(path, exp))) {
			codeError(w, http.StatusForbidden, "AccessDenied", "Access Denied")
			return
		}
		if t, err := strconv.ParseInt(exp, 10, 64); err != nil || l.now().Unix() > t {
			codeError(w, http.StatusForbidden, "AccessDenied", "Request has expired")
			return
		}
		zip, size, err := l.openCode(r.Context(), path)
		if errors.Is(err, store.ErrNotFound) {
			codeError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
			return
		}
		if err != nil {
			codeError(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
			return
		}
		defer zip.Close()
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		if r.Method == http.MethodHead {
			return
		}
		// A read that fails midway leaves the response short of its
		// Content-Length, which the client sees as a failed download.
		_, _ = io.Copy(w, zip)
	})
}

func codeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}
