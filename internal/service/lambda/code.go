package lambda

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/runtime"
	"github.com/rolecall/rolecall/internal/store"
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
		return nil, api.Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
			"Request must be smaller than 70167211 bytes for the %s operation", op)
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
		if errors.Is(err, runtime.ErrCodeTooLarge) {
			return errInvalidParam("Unzipped size must be smaller than 262144000 bytes")
		}
		return errInvalidParam("Could not unzip uploaded file. Please check your file, then try to upload again.")
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

// ensureCode makes sure a stored package is unpacked (after a restart, or
// when the directory was removed) and returns its directory.
func (l *Lambda) ensureCode(ctx context.Context, account string, c *config) (string, error) {
	dir := l.codeDir(account, c.Name, c.CodeHex)
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	zip, err := getCode(ctx, l.cfg.Store, codeKey(account, c.Name, c.CodeHex))
	if err != nil {
		return "", fmt.Errorf("lambda: code of %s: %w", c.Name, err)
	}
	if err := l.unpack(account, c.Name, &codePackage{zip: zip, hex: c.CodeHex}); err != nil {
		return "", err
	}
	return dir, nil
}

func codeKey(account, fn, hexSum string) string { return account + "/" + fn + "/" + hexSum }

// codeChunkSize is the size of the pieces a package is stored in. An
// engine that keeps whole rows in its key order (SQLite's WITHOUT ROWID
// tables) reads a row that overflows its page in full whenever a lookup
// passes it, so a large value there slows every read and write of the
// keys around it. Pieces this small stay within a 4 KiB page's inline
// limit, with a key of up to 200 bytes.
const codeChunkSize = 768

// putCode stores a package under key, as numbered chunks.
func putCode(ctx context.Context, tx store.Tx, key string, zip []byte) error {
	for i := 0; i*codeChunkSize < len(zip); i++ {
		chunk := zip[i*codeChunkSize : min((i+1)*codeChunkSize, len(zip))]
		if err := tx.Put(ctx, tableCode, fmt.Sprintf("%s/%06d", key, i), chunk); err != nil {
			return err
		}
	}
	return nil
}

// getCode reads the package stored under key, or store.ErrNotFound.
func getCode(ctx context.Context, r store.Reader, key string) ([]byte, error) {
	items, err := r.List(ctx, tableCode, key+"/", "", 0)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		// A package stored whole, as earlier versions did.
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
	path := account + "/" + c.Name + "/" + c.CodeHex
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
		zip, err := getCode(r.Context(), l.cfg.Store, path)
		if errors.Is(err, store.ErrNotFound) {
			codeError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
			return
		}
		if err != nil {
			codeError(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
			return
		}
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Length", strconv.Itoa(len(zip)))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(zip)
	})
}

func codeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}
