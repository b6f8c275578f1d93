package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// memoryServerEnv makes the test binary, run as a child of
// TestBodyMemoryUnderFlood, serve rolecall until its standard input closes.
const memoryServerEnv = "ROLECALL_TEST_MEMORY_SERVER"

// TestMemoryServer is the child server of TestBodyMemoryUnderFlood; run
// alone it does nothing.
func TestMemoryServer(t *testing.T) {
	if os.Getenv(memoryServerEnv) == "" {
		t.Skip("the child server of TestBodyMemoryUnderFlood")
	}
	serveChild(t)
}

// peakRSS is the child's peak resident set (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// zeros is an endless body.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// post sends head declaring size bytes of body, streams the body until
// it is sent or the server stops reading, and returns the answer's status
// (0 when the server closed the connection first).
func post(addr, head string, size int64) int {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return -1
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Minute)) // a guard against a server that stops answering
	if _, err := io.WriteString(c, head); err != nil {
		return 0
	}
	go func() { _, _ = io.Copy(c, io.LimitReader(zeros{}, size)) }()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestBodyMemoryUnderFlood: eight concurrent 90 MB posts without a
// signature or with an unknown key are refused on their headers, and
// eight 60 MB Lambda posts signed with a valid key but a wrong signature
// (which need the body to be judged) are read within the gateway's body
// memory: the server's peak resident set stays far below the bodies' sum.
func TestBodyMemoryUnderFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 1.2 GB")
	}
	child := startChildServer(t, "TestMemoryServer", memoryServerEnv)
	endpoint, akid := child.endpoint, child.akid
	addr := strings.TrimPrefix(endpoint, "http://")
	start := peakRSS(t, child.pid)

	const n = 8
	flood := func(head string, size int64, want int) {
		t.Helper()
		var wg sync.WaitGroup
		codes := make([]int, n)
		for i := range n {
			wg.Go(func() { codes[i] = post(addr, head, size) })
		}
		wg.Wait()
		for _, c := range codes {
			if c != want && c != 0 {
				t.Errorf("answers %v, want %d", codes, want)
				break
			}
		}
	}
	date := time.Now().UTC().Format("20060102T150405Z")
	auth := func(key string) string {
		return fmt.Sprintf("Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/%%s/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=%064d\r\nX-Amz-Date: %s\r\n", key, date[:8], 0, date)
	}
	head := func(path, ctype, authz string, size int64) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n", path, addr, ctype, size, authz)
	}
	const big = 90 << 20
	form := "application/x-www-form-urlencoded"
	flood(head("/", form, "", big), big, 403)
	flood(head("/", form, fmt.Sprintf(auth("AKIAIOSFODNN7EXAMPLE"), "sts"), big), big, 403)
	flood(head("/2015-03-31/functions", "application/json", fmt.Sprintf(auth("AKIAIOSFODNN7EXAMPLE"), "lambda"), big), big, 403)
	refused := peakRSS(t, child.pid)

	const signed = 60 << 20
	flood(head("/2015-03-31/functions", "application/json", fmt.Sprintf(auth(akid), "lambda"), signed), signed, 403)
	judged := peakRSS(t, child.pid)

	t.Logf("peak RSS: %d MB at start, %d MB after %d×3 posts of %d MB refused on their headers, %d MB after %d posts of %d MB judged on their body",
		start>>20, refused>>20, n, big>>20, judged>>20, n, signed>>20)
	if refused-start > 64<<20 {
		t.Errorf("refusing requests on their headers grew the peak RSS by %d MB", (refused-start)>>20)
	}
	switch {
	case raceDetector:
		// The race detector's shadow memory hides the server's own: the
		// bound of bodies judged is checked without -race only.
	case judged > 400<<20:
		t.Errorf("peak RSS %d MB with %d MB of bodies sent at once", judged>>20, n*signed>>20)
	}
}
