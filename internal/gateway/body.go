package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/rolecall/rolecall/internal/api"
)

// DefaultBodyMemory is how many bytes of request bodies the gateway holds in
// memory at once, over all requests in flight, unless Config.BodyMemory
// says otherwise. It is larger than any one operation's limit (Lambda's 70
// MB), so that every request can be served alone; with the garbage
// collector's headroom the bodies cost at most about twice that.
const DefaultBodyMemory = 128 << 20

// DefaultBodyIdleTimeout is how long a request body may make no progress
// before the request is answered RequestTimeout, unless
// Config.BodyIdleTimeout says otherwise. S3 closes such connections after
// about 20 seconds.
const DefaultBodyIdleTimeout = 20 * time.Second

// bodyMemory bounds the bytes of request bodies held in memory at once. A
// request reserves what it may hold (its declared Content-Length, or its
// operation's limit when it declares none) before it reads a byte and
// waits while others hold the rest, so that no request ever waits holding
// a part: there is no deadlock, and memory stays within the bound however
// many requests arrive.
type bodyMemory struct {
	sem  *semaphore.Weighted
	size int64
}

func newBodyMemory(size int64) *bodyMemory {
	if size <= 0 {
		size = DefaultBodyMemory
	}
	return &bodyMemory{sem: semaphore.NewWeighted(size), size: size}
}

// held are the reservations a request holds until it is answered.
type held struct {
	m *bodyMemory
	n int64
	// body is the request's body, whose reading a reservation bounds in
	// time (nil for a call from inside rolecall).
	body *progressBody
	// declared is the length of the body still to read whole, -1 when
	// unknown; whole is set once the body is in hand.
	declared int64
	whole    bool
}

func (h *held) release() {
	if h.n > 0 {
		h.m.sem.Release(h.n)
		h.n = 0
	}
}

// read reads body whole, at most limit bytes, holding its bytes in h's
// reservation. declared is the request's Content-Length (-1 when unknown).
// A declared length over limit is refused before anything is read.
func (h *held) read(ctx context.Context, body io.Reader, declared, limit int64) ([]byte, error) {
	if declared > limit {
		return nil, tooLarge(limit)
	}
	n := declared
	if n < 0 {
		n = limit
	}
	n = min(n, h.m.size)
	if n > 0 {
		if err := h.m.sem.Acquire(ctx, n); err != nil {
			return nil, fmt.Errorf("gateway: waiting for body memory: %w", err)
		}
		h.n += n
		if h.body != nil {
			h.body.due(n)
		}
	}
	// One byte past a declared length leaves room to see the end without
	// copying the body.
	var buf []byte
	if declared >= 0 {
		buf = make([]byte, 0, declared+1)
	} else {
		buf = make([]byte, 0, min(limit+1, 64<<10))
	}
	lr := io.LimitReader(body, limit+1)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, cap(buf))
		}
		m, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if int64(len(buf)) > limit {
			return nil, tooLarge(limit)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func tooLarge(limit int64) *api.Error {
	return api.Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request must be smaller than %d bytes.", limit)
}

// minBodyRate is the average rate, in bytes a second, at which a body held
// in the gateway's body memory must arrive once its reservation is taken,
// after the body idle timeout it is given first: 256 KiB/s, a 70 MB Lambda
// zip in under five minutes. A reservation is so held for a bounded time:
// clients trickling bodies just fast enough for the idle rule (which need
// no secret: an access key id is enough for a body to be read before its
// signature is checked) cannot hold the memory, and every request waiting
// for it, for hours.
const minBodyRate = 256 << 10

// minProgress is how many bytes of a body (or all that is left of it)
// must arrive within each body idle timeout: a client trickling a byte at
// a time is cut off, a slow but honest upload is not.
const minProgress = 16 << 10

// progressBody is a request body that must make progress: each window of
// idle must bring minProgress bytes or the rest of the body, else the
// connection's read fails with a timeout. The deadline is lifted at the
// end of the body, so that a long answer (an Invoke of 15 minutes) is not
// cut off while net/http watches the idle connection.
type progressBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	idle   time.Duration
	length int64 // Content-Length, -1 when unknown

	end      time.Time // when the whole body must be in, zero when unbounded
	read     int64     // bytes read so far
	window   int64     // bytes read since the deadline last moved
	armed    bool      // a deadline is set
	ended    bool      // the body reached its end: no deadline any more
	timedOut bool      // a read ran past the deadline, which stays
}

func (b *progressBody) Read(p []byte) (int, error) {
	switch {
	case b.ended || b.timedOut:
		return b.ReadCloser.Read(p)
	case !b.armed:
		b.arm()
	}
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	b.window += int64(n)
	switch {
	case err == io.EOF:
		b.ended = true
		_ = b.rc.SetReadDeadline(time.Time{})
	case isTimeout(err):
		b.timedOut = true // the deadline stays: net/http closes the connection
	case b.window >= minProgress || b.length >= 0 && b.read >= b.length:
		b.arm()
	}
	return n, err
}

// arm gives the body another idle timeout to make progress in, within
// the end set by due.
func (b *progressBody) arm() {
	b.armed, b.window = true, 0
	d := time.Now().Add(b.idle)
	if !b.end.IsZero() && b.end.Before(d) {
		d = b.end
	}
	_ = b.rc.SetReadDeadline(d) // unsupported by a test recorder: then there is no deadline to keep
}

// due bounds the time the rest of the body, n bytes at most, may take:
// an idle timeout and n bytes at minBodyRate.
func (b *progressBody) due(n int64) {
	if b.ended || b.timedOut {
		return
	}
	b.end = time.Now().Add(b.idle + time.Duration(n)*time.Second/minBodyRate)
	if b.armed {
		b.arm()
	}
}

// finish bounds what net/http reads of a body the request left unread (a
// request refused on its headers, or a body that stopped arriving): the
// rest must come within the idle timeout, else the connection closes
// after the answer instead of waiting for it.
func (b *progressBody) finish() {
	switch {
	case b.ended || b.timedOut:
	case b.length-b.read > maxDiscard:
		// net/http will not read so much: it closes the connection.
		_ = b.rc.SetReadDeadline(time.Now())
	default:
		_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	}
}

// unread reports whether some of the body is still to come: it neither
// reached its end nor ran past its deadline.
func (b *progressBody) unread() bool {
	switch {
	case b.ended || b.timedOut:
		return false
	case b.length >= 0:
		return b.read < b.length
	default:
		return true // chunked, and not at its end
	}
}

// maxDiscard is the most of an unread body net/http reads after the answer
// to keep the connection.
const maxDiscard = 256 << 10

// isTimeout reports whether err is a read that ran past its deadline.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// requestTimeout is AWS's answer to a body that stopped arriving: S3's
// RequestTimeout (400); the other services answer the same code with 408.
func requestTimeout(svc *api.Service) *api.Error {
	status := http.StatusRequestTimeout
	if svc != nil && svc.Name == "s3" {
		status = http.StatusBadRequest
	}
	return &api.Error{Code: "RequestTimeout", Status: status,
		Message: "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed."}
}
