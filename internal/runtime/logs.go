package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
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

// writeEvents writes the message of each event, in order.
func writeEvents(b *bytes.Buffer, events []LogEvent) {
	for _, e := range events {
		b.WriteString(e.Message)
	}
}

// logLevels are Lambda's log levels, from the most to the least detailed.
var logLevels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}

// levelRank is the place of level in logLevels; a level Lambda does not
// know is INFO. Python's WARNING and CRITICAL are WARN and FATAL.
func levelRank(level string) int {
	switch l := strings.ToUpper(level); l {
	case "WARNING":
		return 3
	case "CRITICAL":
		return 5
	default:
		if i := slices.Index(logLevels, l); i >= 0 {
			return i
		}
		return 2
	}
}

// jsonFormat reports whether cfg's logs are JSON.
func jsonFormat(cfg *Config) bool { return cfg.LogFormat == LogFormatJSON }

// logEnviron is the environment that tells the runtime the log format
// and, with JSON, the application log level.
func logEnviron(cfg *Config) map[string]string {
	if !jsonFormat(cfg) {
		return map[string]string{"AWS_LAMBDA_LOG_FORMAT": LogFormatText}
	}
	level := cfg.ApplicationLogLevel
	if level == "" {
		level = "INFO"
	}
	return map[string]string{"AWS_LAMBDA_LOG_FORMAT": LogFormatJSON, "AWS_LAMBDA_LOG_LEVEL": level}
}

// appLines keeps the function's lines that pass the application log
// level: with JSON, a line that is a JSON object is at the level of its
// "level" member, any other at INFO, as Lambda reads them.
func appLines(cfg *Config, events []LogEvent) []LogEvent {
	if !jsonFormat(cfg) || len(events) == 0 {
		return events
	}
	min := levelRank(cfg.ApplicationLogLevel)
	if cfg.ApplicationLogLevel == "" {
		min = levelRank("INFO")
	}
	out := events[:0:0]
	for _, e := range events {
		var rec struct {
			Level any `json:"level"`
		}
		level := "INFO"
		if json.Unmarshal([]byte(e.Message), &rec) == nil {
			if s, ok := rec.Level.(string); ok {
				level = s
			}
		}
		if levelRank(level) >= min {
			out = append(out, e)
		}
	}
	return out
}

// invocationLog is what the platform reports of one invocation.
type invocationLog struct {
	id, version     string
	d, initD        time.Duration
	memMB, maxMemMB int
	// trace is the invocation's X-Amzn-Trace-Id when active tracing
	// records it (sampled), else "".
	trace string
	// status is Lambda's outcome: "success", "error" or "timeout";
	// errType the error's type when not "success".
	status, errType string
}

// billedMs is Lambda's billed duration: the duration rounded up to the
// millisecond, at least 1.
func billedMs(d time.Duration) int64 {
	return max(int64(math.Ceil(float64(d)/float64(time.Millisecond))), 1)
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)) / 1e3 }

// ParseTraceHeader splits an X-Amzn-Trace-Id header
// ("Root=1-...;Parent=...;Sampled=1") into its root (the trace id), parent
// (a segment id) and sampling decision ("1", "0", or "" when undecided);
// absent parts are "".
func ParseTraceHeader(h string) (root, parent, sampled string) {
	for part := range strings.SplitSeq(h, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			root = v
		case "Parent":
			parent = v
		case "Sampled":
			sampled = v
		}
	}
	return root, parent, sampled
}

// startLine is Lambda's START line, or its platform.start record.
func (il *invocationLog) startLine(cfg *Config, at time.Time) (string, bool) {
	if !jsonFormat(cfg) {
		return "START RequestId: " + il.id + " Version: " + il.version + "\n", true
	}
	if !systemLevelShows(cfg, "INFO") {
		return "", false
	}
	rec := map[string]any{"requestId": il.id, "version": il.version}
	if il.trace != "" {
		rec["tracing"] = il.tracing()
	}
	return platformRecord(at, "platform.start", rec), true
}

// endLine is Lambda's END line; the JSON format has none.
func (il *invocationLog) endLine(cfg *Config) (string, bool) {
	if jsonFormat(cfg) {
		return "", false
	}
	return "END RequestId: " + il.id + "\n", true
}

// reportLine is Lambda's REPORT line (tab separated, with a trailing tab;
// Init Duration last, on a cold start only; the trace on a line of its
// own when active tracing recorded the invocation), or its
// platform.report record.
func (il *invocationLog) reportLine(cfg *Config, at time.Time) (string, bool) {
	if jsonFormat(cfg) {
		if !systemLevelShows(cfg, "INFO") {
			return "", false
		}
		metrics := map[string]any{"durationMs": ms(il.d), "billedDurationMs": billedMs(il.d),
			"memorySizeMB": il.memMB, "maxMemoryUsedMB": il.maxMemMB}
		if il.initD > 0 {
			metrics["initDurationMs"] = ms(il.initD)
		}
		rec := map[string]any{"requestId": il.id, "metrics": metrics, "status": il.status}
		if il.errType != "" {
			rec["errorType"] = il.errType
		}
		if il.trace != "" {
			rec["tracing"] = il.tracing()
		}
		return platformRecord(at, "platform.report", rec), true
	}
	init := ""
	if il.initD > 0 {
		init = fmt.Sprintf("Init Duration: %.2f ms\t", float64(il.initD)/float64(time.Millisecond))
	}
	xray := ""
	if root, parent, sampled := ParseTraceHeader(il.trace); root != "" {
		xray = fmt.Sprintf("\nXRAY TraceId: %s\tSegmentId: %s\tSampled: %t\t", root, parent, sampled == "1")
	}
	return fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t%s%s\n",
		il.id, float64(il.d)/float64(time.Millisecond), billedMs(il.d), il.memMB, il.maxMemMB, init, xray), true
}

// tracing is the tracing member of platform records.
func (il *invocationLog) tracing() map[string]any {
	_, parent, _ := ParseTraceHeader(il.trace)
	return map[string]any{"spanId": parent, "type": "X-Amzn-Trace-Id", "value": il.trace}
}

// systemLevelShows reports whether platform records of level pass the
// function's system log level.
func systemLevelShows(cfg *Config, level string) bool {
	min := "INFO"
	if cfg.SystemLogLevel != "" {
		min = cfg.SystemLogLevel
	}
	return levelRank(level) >= levelRank(min)
}

// platformRecord is one JSON record of the platform, as Lambda writes
// them to CloudWatch Logs with the JSON format.
func platformRecord(at time.Time, typ string, record map[string]any) string {
	b, _ := json.Marshal(struct {
		Time   string         `json:"time"`
		Type   string         `json:"type"`
		Record map[string]any `json:"record"`
	}{at.UTC().Format("2006-01-02T15:04:05.000Z"), typ, record})
	return string(b) + "\n"
}
