// Package blob stores immutable byte streams (deployment packages, object
// bodies) in the store's key-value space, written and read as streams: a
// blob is kept as numbered chunks of ChunkSize bytes, written a few chunks
// per transaction and read back a few chunks at a time, so that neither a
// large blob nor its transaction is ever held whole. Because it is built on
// store.Store and store.Tx alone, it works on every engine.
//
// A blob is written in two steps, as an S3 multipart upload is:
//
//  1. Put streams the bytes into a new blob, which stays pending.
//  2. The caller commits the blob (Commit) in the transaction that records
//     what refers to it, so the blob and its reference land together.
//
// A pending blob cannot be opened. One whose writer died, or whose
// referencing transaction failed, is left pending and removed by Sweep,
// as S3 lifecycle rules abort incomplete multipart uploads.
//
// Blobs live in the tables MetaTable (a blob's state, size and SHA-256),
// ChunkTable (its bytes) and PendingTable (pending blobs by age).
package blob

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// Tables of the store.
const (
	// MetaTable holds each blob's record: <id> -> meta (JSON).
	MetaTable = "blob_meta"
	// ChunkTable holds the bytes: <id>/<chunk index, 10 digits> -> chunk.
	ChunkTable = "blob_chunks"
	// PendingTable indexes pending blobs by the time their writing
	// began: <unix nanoseconds, 20 digits>/<id> -> empty.
	PendingTable = "blob_pending"
)

// ChunkSize is the size of every chunk of a blob but its last, in bytes.
const ChunkSize = 256 << 10

// chunkBuffers recycles Put's read buffers of ChunkSize bytes.
var chunkBuffers = sync.Pool{New: func() any { return new([ChunkSize]byte) }}

// Chunks written by one transaction of Put, and read at once by a Reader:
// a transaction and a read buffer hold at most a MiB.
const (
	chunksPerWrite = 4
	chunksPerRead  = 4
)

// ErrNotFound is returned for a blob that does not exist or is not
// committed (Open, Commit of a missing blob).
var ErrNotFound = errors.New("blob: not found")

// Ref describes a stored blob.
type Ref struct {
	// ID names the blob: 26 characters of base32.
	ID string
	// Size is the blob's length in bytes.
	Size int64
	// SHA256 is the SHA-256 digest of the blob, in hex.
	SHA256 string
}

// States of a blob.
const (
	stateWriting   = "writing"   // Put is under way (or died)
	stateWritten   = "written"   // every chunk is stored; pending until committed
	stateCommitted = "committed" // visible to Open
)

// metaVersion is the format version of meta records.
const metaVersion = 1

// meta is a blob's stored record.
type meta struct {
	Version int    `json:"v"`
	State   string `json:"state"`
	Created int64  `json:"created"` // unix nanoseconds, when Put began
	Chunks  int    `json:"chunks"`  // chunks stored so far
	Size    int64  `json:"size"`    // bytes stored so far
	SHA256  string `json:"sha256,omitempty"`
}

func chunkKey(id string, i int) string { return fmt.Sprintf("%s/%010d", id, i) }

func pendingKey(created int64, id string) string { return fmt.Sprintf("%020d/%s", created, id) }

func getMeta(ctx context.Context, r store.Reader, id string) (meta, error) {
	var m meta
	b, err := r.Get(ctx, MetaTable, id)
	if errors.Is(err, store.ErrNotFound) {
		return m, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return m, fmt.Errorf("blob: %s: %w", id, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("blob: %s: %w", id, err)
	}
	if m.Version != metaVersion {
		return m, fmt.Errorf("blob: %s has format version %d, this build reads %d", id, m.Version, metaVersion)
	}
	return m, nil
}

func putMeta(ctx context.Context, tx store.Tx, id string, m meta) error {
	m.Version = metaVersion
	if err := store.PutJSON(ctx, tx, MetaTable, id, m); err != nil {
		return fmt.Errorf("blob: %s: %w", id, err)
	}
	return nil
}

// Put reads r to its end into a new pending blob and returns its Ref. It
// writes ChunkSize chunks a few per transaction, holding about a MiB of r
// at a time. The blob is visible to Open only once Commit has committed
// it; until then Sweep may remove it. When r or the store fails, Put
// removes what it wrote (or leaves it to Sweep when that fails too) and
// returns the error.
func Put(ctx context.Context, st store.Store, r io.Reader) (Ref, error) {
	id := rand.Text()
	created := time.Now().UnixNano()
	ref, err := put(ctx, st, id, created, r)
	if err != nil {
		// The blob is pending: removing it now spares Sweep the work, and
		// Sweep removes it when this fails too.
		cctx := context.WithoutCancel(ctx)
		_, _ = st.Update(cctx, func(tx store.Tx) error { return Delete(cctx, tx, id) })
		return Ref{}, err
	}
	return ref, nil
}

func put(ctx context.Context, st store.Store, id string, created int64, r io.Reader) (Ref, error) {
	h := sha256.New()
	// Chunk buffers are taken as the body needs them and given back when
	// Put returns: a small body costs one buffer, and none is cleared anew.
	var bufs []*[ChunkSize]byte
	defer func() {
		for _, b := range bufs {
			chunkBuffers.Put(b)
		}
	}()
	var size int64
	chunks := 0
	for first := true; ; first = false {
		// Fill up to chunksPerWrite chunks; a short chunk is the last.
		var batch [][]byte
		end := false
		for i := range chunksPerWrite {
			if i == len(bufs) {
				bufs = append(bufs, chunkBuffers.Get().(*[ChunkSize]byte))
			}
			buf := bufs[i][:]
			n, err := io.ReadFull(r, buf)
			if n > 0 {
				batch = append(batch, buf[:n])
				h.Write(buf[:n])
				size += int64(n)
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				end = true
				break
			}
			if err != nil {
				return Ref{}, fmt.Errorf("blob: read: %w", err)
			}
		}
		var sum string
		if end {
			sum = hex.EncodeToString(h.Sum(nil))
		}
		_, err := st.Update(ctx, func(tx store.Tx) error {
			m := meta{State: stateWriting, Created: created}
			if first {
				if err := tx.Put(ctx, PendingTable, pendingKey(created, id), []byte{}); err != nil {
					return fmt.Errorf("blob: %s: %w", id, err)
				}
			} else {
				var err error
				if m, err = getMeta(ctx, tx, id); errors.Is(err, ErrNotFound) {
					return fmt.Errorf("blob: %s was swept while it was written", id)
				} else if err != nil {
					return err
				}
				if m.State != stateWriting || m.Chunks != chunks {
					return fmt.Errorf("blob: %s changed while it was written (%s, %d chunks; want %d)", id, m.State, m.Chunks, chunks)
				}
			}
			for i, c := range batch {
				if err := tx.Put(ctx, ChunkTable, chunkKey(id, chunks+i), c); err != nil {
					return fmt.Errorf("blob: %s: %w", id, err)
				}
			}
			m.Chunks, m.Size = chunks+len(batch), size
			if end {
				m.State, m.SHA256 = stateWritten, sum
			}
			return putMeta(ctx, tx, id, m)
		})
		if err != nil {
			return Ref{}, err
		}
		chunks += len(batch)
		if end {
			return Ref{ID: id, Size: size, SHA256: sum}, nil
		}
	}
}

// Commit makes the pending blob id visible to Open, within tx: it lands
// with the rest of tx or not at all. It fails with ErrNotFound when the
// blob does not exist (it was swept, or never written), and with an error
// when it is still being written or committed already.
func Commit(ctx context.Context, tx store.Tx, id string) error {
	m, err := getMeta(ctx, tx, id)
	if err != nil {
		return err
	}
	switch m.State {
	case stateWritten:
	case stateCommitted:
		return fmt.Errorf("blob: %s is committed already", id)
	default:
		return fmt.Errorf("blob: %s is still being written", id)
	}
	if err := tx.Delete(ctx, PendingTable, pendingKey(m.Created, id)); err != nil {
		return fmt.Errorf("blob: %s: %w", id, err)
	}
	m.State = stateCommitted
	return putMeta(ctx, tx, id, m)
}

// Delete removes the blob id, committed or pending, within tx. Deleting a
// missing blob is not an error. Its chunks are deleted by key, without
// being read. A Reader still reading the blob fails once it reaches chunks
// that are gone.
func Delete(ctx context.Context, tx store.Tx, id string) error {
	m, err := getMeta(ctx, tx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for i := range m.Chunks {
		if err := tx.Delete(ctx, ChunkTable, chunkKey(id, i)); err != nil {
			return fmt.Errorf("blob: delete %s: %w", id, err)
		}
	}
	if m.State != stateCommitted {
		if err := tx.Delete(ctx, PendingTable, pendingKey(m.Created, id)); err != nil {
			return fmt.Errorf("blob: delete %s: %w", id, err)
		}
	}
	if err := tx.Delete(ctx, MetaTable, id); err != nil {
		return fmt.Errorf("blob: delete %s: %w", id, err)
	}
	return nil
}

// sweepBatch bounds the pending blobs Sweep lists at once.
const sweepBatch = 64

// Sweep removes the blobs that are still pending olderThan after their
// writing began, one transaction each, and returns how many it removed. A
// blob committed meanwhile is kept. olderThan must exceed the longest
// time a Put and the transaction that commits its blob may take, plus
// the clock difference between the processes sharing the store: a blob
// swept under a running Put makes that Put fail.
func Sweep(ctx context.Context, st store.Store, olderThan time.Duration) (int, error) {
	if olderThan < 0 {
		return 0, fmt.Errorf("blob: sweep: negative age %v", olderThan)
	}
	cutoff := time.Now().Add(-olderThan).UnixNano()
	swept := 0
	after := ""
	for {
		items, err := st.List(ctx, PendingTable, "", after, sweepBatch)
		if err != nil {
			return swept, fmt.Errorf("blob: sweep: %w", err)
		}
		for _, it := range items {
			ts, id, ok := cutPendingKey(it.Key)
			if !ok {
				return swept, fmt.Errorf("blob: sweep: malformed pending key %q", it.Key)
			}
			if ts >= cutoff {
				return swept, nil
			}
			removed := false
			_, err := st.Update(ctx, func(tx store.Tx) error {
				removed = false
				if _, err := tx.Get(ctx, PendingTable, it.Key); errors.Is(err, store.ErrNotFound) {
					return nil // committed or deleted meanwhile
				} else if err != nil {
					return err
				}
				if err := Delete(ctx, tx, id); err != nil {
					return err
				}
				// A pending key whose blob record is gone goes too.
				removed = true
				return tx.Delete(ctx, PendingTable, it.Key)
			})
			if err != nil {
				return swept, fmt.Errorf("blob: sweep %s: %w", id, err)
			}
			if removed {
				swept++
			}
			after = it.Key
		}
		if len(items) < sweepBatch {
			return swept, nil
		}
	}
}

func cutPendingKey(key string) (int64, string, bool) {
	if len(key) < 22 || key[20] != '/' {
		return 0, "", false
	}
	ts, err := strconv.ParseInt(key[:20], 10, 64)
	if err != nil {
		return 0, "", false
	}
	return ts, key[21:], true
}

// Reader streams a committed blob. It reads a few chunks at a time, each
// read seeing the store as it is then: when the blob is deleted while it
// is read, Read fails instead of ending early. At the end, Read checks the
// length and SHA-256 of what it returned against the blob's Ref and fails
// on a mismatch, so a Reader never returns a truncated or altered blob as
// whole.
type Reader struct {
	ctx  context.Context
	r    store.Reader
	ref  Ref
	m    meta
	next int      // index of the next chunk to fetch
	buf  [][]byte // fetched chunks not yet returned
	read int64
	hash hash.Hash
	err  error // sticky
	// partial marks a Reader opened past the blob's start (OpenAt): it
	// checks the length of what it returns, not the SHA-256.
	partial bool
}

// Open returns a Reader of the committed blob id, reading through r. ctx
// bounds every read. It fails with ErrNotFound when the blob is missing or
// pending.
func Open(ctx context.Context, r store.Reader, id string) (*Reader, error) {
	m, err := getMeta(ctx, r, id)
	if err != nil {
		return nil, err
	}
	if m.State != stateCommitted {
		return nil, fmt.Errorf("%w: %s is pending", ErrNotFound, id)
	}
	return &Reader{
		ctx: ctx, r: r, m: m, hash: sha256.New(),
		ref: Ref{ID: id, Size: m.Size, SHA256: m.SHA256},
	}, nil
}

// OpenAt returns a Reader of the committed blob id from byte off on,
// reading through r: it starts at the chunk holding off without fetching
// the chunks before it (a ranged read of a large blob costs what it
// returns). At the end it checks the length of what it returned; the
// blob's SHA-256, which covers the whole blob, is not checked.
func OpenAt(ctx context.Context, r store.Reader, id string, off int64) (*Reader, error) {
	b, err := Open(ctx, r, id)
	if err != nil || off == 0 {
		return b, err
	}
	if off < 0 || off > b.ref.Size {
		return nil, fmt.Errorf("blob: %s: offset %d outside its %d bytes", id, off, b.ref.Size)
	}
	b.partial = true
	b.next = int(off / ChunkSize)
	b.read = int64(b.next) * ChunkSize
	if skip := off - b.read; skip > 0 {
		if _, err := io.CopyN(io.Discard, b, skip); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Ref returns the blob's Ref.
func (b *Reader) Ref() Ref { return b.ref }

// Read implements io.Reader.
func (b *Reader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	for len(b.buf) > 0 && len(b.buf[0]) == 0 {
		b.buf = b.buf[1:]
	}
	if len(b.buf) == 0 {
		if b.next == b.m.Chunks {
			b.err = b.finish()
			return 0, b.err
		}
		if err := b.fetch(); err != nil {
			b.err = err
			return 0, err
		}
	}
	n := copy(p, b.buf[0])
	b.hash.Write(b.buf[0][:n])
	b.buf[0] = b.buf[0][n:]
	b.read += int64(n)
	return n, nil
}

// fetch reads the next few chunks.
func (b *Reader) fetch() error {
	after := ""
	if b.next > 0 {
		after = chunkKey(b.ref.ID, b.next-1)
	}
	want := min(chunksPerRead, b.m.Chunks-b.next)
	items, err := b.r.List(b.ctx, ChunkTable, b.ref.ID+"/", after, want)
	if err != nil {
		return fmt.Errorf("blob: read %s: %w", b.ref.ID, err)
	}
	if len(items) == 0 {
		return fmt.Errorf("blob: read %s: chunk %d of %d is gone: the blob was deleted while read", b.ref.ID, b.next, b.m.Chunks)
	}
	for _, it := range items {
		if it.Key != chunkKey(b.ref.ID, b.next) {
			return fmt.Errorf("blob: read %s: found chunk %s where chunk %d belongs", b.ref.ID, it.Key, b.next)
		}
		b.buf = append(b.buf, it.Value)
		b.next++
	}
	return nil
}

// finish checks what was read against the blob's record.
func (b *Reader) finish() error {
	if b.read != b.ref.Size {
		return fmt.Errorf("blob: read %s: %d bytes, want %d", b.ref.ID, b.read, b.ref.Size)
	}
	if b.partial {
		return io.EOF
	}
	if sum := hex.EncodeToString(b.hash.Sum(nil)); sum != b.ref.SHA256 {
		return fmt.Errorf("blob: read %s: SHA-256 %s, want %s", b.ref.ID, sum, b.ref.SHA256)
	}
	return io.EOF
}

// Close releases the chunks held; Read fails after it.
func (b *Reader) Close() error {
	b.buf = nil
	if b.err == nil {
		b.err = errors.New("blob: read after Close")
	}
	return nil
}
