package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// maxLine is the longest line kept whole; longer output is split.
const maxLine = 256 << 10

// output captures an environment's stdout and stderr (one pipe for both).
// Lines go to the current collection when one is open, else straight to the
// sink. A sync writes a marker into the pipe after the function is done:
// the pipe keeps order, so all output written before it has been read once
// the reader meets the marker.
type output struct {
	r, w          *os.File
	marker        []byte
	sink          func([]LogEvent)
	synced        chan struct{}
	eof           chan struct{}
	mu            sync.Mutex
	collecting    bool
	events        []LogEvent
	writerClosed  bool
	writerCloseMu sync.Mutex
	// readMu is held by the reader while it reads and splits, and by
	// drained; pending is the partial line it holds.
	readMu  sync.Mutex
	pending []byte
}

func newOutput(sink func([]LogEvent)) (*output, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	var id [16]byte
	rand.Read(id[:])
	o := &output{
		r: r, w: w, sink: sink,
		marker: []byte("\x00rolecall-sync-" + hex.EncodeToString(id[:]) + "\x00\n"),
		synced: make(chan struct{}, 1),
		eof:    make(chan struct{}),
	}
	go o.read()
	return o, nil
}

// read splits the pipe's output into lines. Each read and the splitting of
// what it returned happen under readMu, so that drained can tell, without a
// marker, that nothing written so far is left unsplit.
func (o *output) read() {
	defer close(o.eof)
	defer func() { _ = o.r.Close() }() // the read end; reading is over
	rc, err := o.r.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, 32<<10)
	for {
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			o.readMu.Lock()
			defer o.readMu.Unlock()
			for {
				n, rerr = syscall.Read(int(fd), buf)
				if rerr != syscall.EINTR {
					break
				}
			}
			if rerr == syscall.EAGAIN {
				return false // wait until readable
			}
			if n > 0 {
				o.split(buf[:n])
			}
			return true
		})
		if err == nil && rerr == nil && n <= 0 {
			err = io.EOF
		}
		if err != nil || rerr != nil {
			o.readMu.Lock()
			if len(o.pending) > 0 {
				o.emit(o.pending)
				o.pending = nil
			}
			o.readMu.Unlock()
			return
		}
	}
}

// split adds p to the partial line pending and emits the complete lines;
// a sync marker ends a partial line. Called under readMu.
func (o *output) split(p []byte) {
	pending := append(o.pending, p...)
	for {
		mi := bytes.Index(pending, o.marker)
		ni := bytes.IndexByte(pending, '\n')
		if ni >= 0 && (mi < 0 || ni < mi) {
			o.emit(pending[:ni])
			pending = pending[ni+1:]
			continue
		}
		if mi >= 0 {
			if mi > 0 {
				o.emit(pending[:mi])
			}
			pending = pending[mi+len(o.marker):]
			select {
			case o.synced <- struct{}{}:
			default:
			}
			continue
		}
		break
	}
	if len(pending) > maxLine {
		o.emit(pending)
		pending = nil
	}
	if len(pending) == 0 {
		pending = nil
	}
	o.pending = pending
}

// drained reports whether everything written to the pipe so far has been
// read and split: the pipe is empty and the reader is not splitting. A
// partial last line is emitted then, as a marker would end it. It spares
// a sync the round trip through the reader when the function was quiet.
func (o *output) drained() bool {
	rc, err := o.r.SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	err = rc.Control(func(fd uintptr) {
		o.readMu.Lock()
		defer o.readMu.Unlock()
		var n int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); e != 0 || n != 0 {
			return
		}
		if len(o.pending) > 0 {
			o.emit(o.pending)
			o.pending = nil
		}
		ok = true
	})
	return err == nil && ok
}

func (o *output) emit(line []byte) {
	ev := LogEvent{Time: time.Now(), Message: string(line) + "\n"}
	o.mu.Lock()
	if o.collecting {
		o.events = append(o.events, ev)
		o.mu.Unlock()
		return
	}
	o.mu.Unlock()
	o.sink([]LogEvent{ev})
}

// collect starts collecting lines for an invocation.
func (o *output) collect() {
	o.mu.Lock()
	o.collecting = true
	o.mu.Unlock()
}

// take returns the collected lines; stop ends the collection.
func (o *output) take(stop bool) []LogEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	ev := o.events
	o.events = nil
	if stop {
		o.collecting = false
	}
	return ev
}

// sync waits until everything the process wrote so far has been read, or
// until ctx is done. After the writer is closed it waits for end of file.
func (o *output) sync(ctx context.Context) {
	o.writerCloseMu.Lock()
	if o.writerClosed {
		o.writerCloseMu.Unlock()
		select {
		case <-o.eof:
		case <-ctx.Done():
		}
		return
	}
	if o.drained() {
		o.writerCloseMu.Unlock()
		return
	}
	select {
	case <-o.synced:
	default:
	}
	_, err := o.w.Write(o.marker)
	o.writerCloseMu.Unlock()
	if err != nil {
		return
	}
	select {
	case <-o.synced:
	case <-o.eof:
	case <-ctx.Done():
	}
}

// closeWriter closes the host's copy of the pipe's write end, once the
// process has exited, so the reader reaches end of file.
func (o *output) closeWriter() {
	o.writerCloseMu.Lock()
	defer o.writerCloseMu.Unlock()
	if !o.writerClosed {
		o.writerClosed = true
		_ = o.w.Close() // the write end only signals the reader
	}
}

// writeTo writes the message of each event, in order.
func writeEvents(b *bytes.Buffer, events []LogEvent) {
	for _, e := range events {
		b.WriteString(e.Message)
	}
}

func startLine(id, version string) string {
	return "START RequestId: " + id + " Version: " + version + "\n"
}

func endLine(id string) string { return "END RequestId: " + id + "\n" }

// reportLine formats Lambda's REPORT line: tab separated, trailing tab,
// Init Duration only on a cold start.
func reportLine(id string, d, initD time.Duration, memMB, maxMemMB int) string {
	ms := float64(d) / float64(time.Millisecond)
	billed := int64(math.Ceil(ms))
	if billed < 1 {
		billed = 1
	}
	init := ""
	if initD > 0 {
		init = fmt.Sprintf("Init Duration: %.2f ms\t", float64(initD)/float64(time.Millisecond))
	}
	return fmt.Sprintf("REPORT RequestId: %s\t%sDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t\n",
		id, init, ms, billed, memMB, maxMemMB)
}
