package server_test

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/frontdoor"
	"github.com/rolecall/rolecall/internal/server/servertest"
)

// guard bounds how long a test waits for an answer it expects at once: a
// server that waited for the body (or for ever) fails instead of hanging.
const guard = 20 * time.Second

// dialRaw opens a raw connection to the server.
func dialRaw(t *testing.T, srv *servertest.Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.Endpoint(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(guard))
	return c
}

// writeHead writes r's request line and headers, declaring length bytes
// of body, and none of the body.
func writeHead(t *testing.T, c net.Conn, r *http.Request, length int64) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", r.Method, r.URL.RequestURI(), r.URL.Host, length)
	for k, vs := range r.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		t.Fatal(err)
	}
}

func readAnswer(t *testing.T, c net.Conn) (int, string) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, html.UnescapeString(string(b))
}

// signedHead returns a request signed with the given credentials at t0 by
// aws-sdk-go-v2's signer, for a body with hash payload.
func signedHead(t *testing.T, srv *servertest.Server, method, path, service string, h http.Header, akid, secret, payload string, t0 time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, srv.Endpoint()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		r.Header[k] = vs
	}
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, payload, service, "us-east-1", t0); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestUnauthenticatedRequestAnsweredBeforeItsBody: a request that can be
// refused on its headers (no signature, an unknown key, a request time out
// of the window, an unsigned X-Amz-Target, a session token that does not
// open, a body over the operation's limit) is answered before a byte of
// its body is sent, whether the body is large (90 MB) or small enough
// (100 KB) for net/http to wait for it to keep the connection. The body
// idle timeout is longer than the test waits, so a server that waits for
// the body fails the test.
func TestUnauthenticatedRequestAnsweredBeforeItsBody(t *testing.T) {
	srv := servertest.StartWith(t, servertest.Options{BodyIdleTimeout: 2 * guard})
	root := srv.Root()
	const size, small = 90 << 20, 100 << 10
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	json11 := http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {"Logs_20140328.DescribeLogGroups"}}
	anyHash := payloadHash([]byte("the body that is never sent"))
	for _, c := range []struct {
		name   string
		r      *http.Request
		status int
		want   string
	}{
		{"no signature", func() *http.Request {
			r, _ := http.NewRequest("POST", srv.Endpoint()+"/", nil)
			r.Header = form.Clone()
			return r
		}(), 403, "<Code>MissingAuthenticationToken</Code>"},
		{"unknown key", signedHead(t, srv, "POST", "/", "sts", form, "AKIAIOSFODNN7EXAMPLE", "x", anyHash, time.Now()),
			403, "<Code>InvalidClientTokenId</Code>"},
		{"unknown key, JSON", signedHead(t, srv, "POST", "/", "logs", json11, "AKIAIOSFODNN7EXAMPLE", "x", anyHash, time.Now()),
			403, "UnrecognizedClientException"},
		{"session token that does not open", func() *http.Request {
			h := form.Clone()
			h.Set("X-Amz-Security-Token", "bm90IGEgdG9rZW4=")
			return signedHead(t, srv, "POST", "/", "sts", h, "ASIAIOSFODNN7EXAMPLE", "x", anyHash, time.Now())
		}(), 403, "<Code>InvalidClientTokenId</Code>"},
		{"signed an hour ago", signedHead(t, srv, "POST", "/", "sts", form, root.AccessKeyID, root.SecretAccessKey, anyHash, time.Now().Add(-time.Hour)),
			403, "Signature expired"},
		{"unsigned target", func() *http.Request {
			r := signedHead(t, srv, "POST", "/", "logs", http.Header{"Content-Type": {"application/x-amz-json-1.1"}}, root.AccessKeyID, root.SecretAccessKey, anyHash, time.Now())
			r.Header.Set("X-Amz-Target", "Logs_20140328.DeleteLogGroup")
			return r
		}(), 400, "'X-Amz-Target' must be a 'SignedHeader'"},
		{"scoped to another service", signedHead(t, srv, "POST", "/", "iam", json11, root.AccessKeyID, root.SecretAccessKey, anyHash, time.Now()),
			403, "Credential should be scoped to correct service: 'logs'"},
		{"over the operation's limit", signedHead(t, srv, "POST", "/2015-03-31/functions", "lambda", http.Header{"Content-Type": {"application/json"}}, root.AccessKeyID, root.SecretAccessKey, anyHash, time.Now()),
			413, "Request must be smaller than 73400320 bytes."},
		{"unsigned, REST-JSON", func() *http.Request {
			r, _ := http.NewRequest("POST", srv.Endpoint()+"/2015-03-31/functions", nil)
			r.Header.Set("Content-Type", "application/json")
			return r
		}(), 403, "Missing Authentication Token"},
		{"unsigned, JSON", func() *http.Request {
			r, _ := http.NewRequest("POST", srv.Endpoint()+"/", nil)
			r.Header = json11.Clone()
			return r
		}(), 403, "MissingAuthenticationTokenException"},
	} {
		for _, n := range []int64{size, small} {
			if n == small && c.status == 413 {
				continue // within the limit
			}
			t.Run(fmt.Sprintf("%s/%d", c.name, n), func(t *testing.T) {
				conn := dialRaw(t, srv)
				writeHead(t, conn, c.r, n)
				status, body := readAnswer(t, conn)
				if status != c.status || !strings.Contains(body, c.want) {
					t.Errorf("%d %s; want %d %s", status, body, c.status, c.want)
				}
			})
		}
	}
}

// TestSlowClients: headers that trickle in and bodies that stop arriving
// are cut off (the body with AWS's RequestTimeout), idle keep-alive
// connections are closed, and a slow but steady upload is served.
func TestSlowClients(t *testing.T) {
	const tick = 100 * time.Millisecond
	srv := servertest.StartWith(t, servertest.Options{
		Timeouts:        frontdoor.Timeouts{ReadHeader: 5 * tick, Idle: 5 * tick},
		BodyIdleTimeout: 5 * tick,
	})
	root := srv.Root()
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

	t.Run("headers a byte at a time", func(t *testing.T) {
		c := dialRaw(t, srv)
		head := "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Padding: " + strings.Repeat("a", 200)
		closed := false
		for i := 0; i < len(head) && !closed; i++ {
			if _, err := c.Write([]byte{head[i]}); err != nil {
				closed = true
			}
			time.Sleep(tick)
		}
		if !closed {
			// The server closed it; the next read says so.
			_ = c.SetReadDeadline(time.Now().Add(guard))
			_, err := c.Read(make([]byte, 1))
			closed = err != nil
		}
		if !closed {
			t.Error("a connection trickling its headers is still open")
		}
	})

	t.Run("body that stops arriving", func(t *testing.T) {
		c := dialRaw(t, srv)
		r := signedHead(t, srv, "POST", "/", "sts", form, root.AccessKeyID, root.SecretAccessKey, payloadHash(body), time.Now())
		writeHead(t, c, r, int64(len(body)))
		if _, err := c.Write(body[:5]); err != nil {
			t.Fatal(err)
		}
		status, answer := readAnswer(t, c) // the rest never comes
		if status != 408 || !strings.Contains(answer, "<Code>RequestTimeout</Code>") ||
			!strings.Contains(answer, "Your socket connection to the server was not read from or written to within the timeout period.") {
			t.Errorf("%d %s", status, answer)
		}
	})

	t.Run("slow but steady body", func(t *testing.T) {
		// 32 KB a tick: the body takes four times the idle timeout, and
		// each timeout sees more than the 16 KB it asks for.
		long := []byte(string(body) + "&Padding=" + strings.Repeat("a", 20*32<<10))
		c := dialRaw(t, srv)
		r := signedHead(t, srv, "POST", "/", "sts", form, root.AccessKeyID, root.SecretAccessKey, payloadHash(long), time.Now())
		writeHead(t, c, r, int64(len(long)))
		for i := 0; i < len(long); i += 32 << 10 {
			if _, err := c.Write(long[i:min(i+32<<10, len(long))]); err != nil {
				t.Fatal(err)
			}
			time.Sleep(tick)
		}
		if status, answer := readAnswer(t, c); status != 200 || !strings.Contains(answer, "<GetCallerIdentityResult>") {
			t.Errorf("%d %s", status, answer)
		}
	})

	t.Run("body a byte at a time", func(t *testing.T) {
		long := []byte(string(body) + "&Padding=" + strings.Repeat("a", 64<<10))
		c := dialRaw(t, srv)
		r := signedHead(t, srv, "POST", "/", "sts", form, root.AccessKeyID, root.SecretAccessKey, payloadHash(long), time.Now())
		writeHead(t, c, r, int64(len(long)))
		// A byte a tenth of the idle timeout: each read makes progress,
		// the body does not.
		go func() {
			for i := range long {
				if _, err := c.Write(long[i : i+1]); err != nil {
					return
				}
				time.Sleep(tick / 2)
			}
		}()
		status, answer := readAnswer(t, c)
		if status != 408 || !strings.Contains(answer, "<Code>RequestTimeout</Code>") {
			t.Errorf("%d %s", status, answer)
		}
	})

	t.Run("idle keep-alive connection", func(t *testing.T) {
		c := dialRaw(t, srv)
		r := signedHead(t, srv, "POST", "/", "sts", form, root.AccessKeyID, root.SecretAccessKey, payloadHash(body), time.Now())
		writeHead(t, c, r, int64(len(body)))
		if _, err := c.Write(body); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("first request: %d, close %v", resp.StatusCode, resp.Close)
		}
		// Nothing more is sent: the server closes the connection.
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("idle connection: read %v, want EOF", err)
		}
	})

	// Clients on keep-alive connections are not disturbed.
	client := sts.NewFromConfig(srv.RootConfig())
	for range 3 {
		if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * tick)
	}
}

// dialAs opens a connection whose socket is owned by uid, as a function
// running as its own user would: the socket is made on a thread whose
// file-system uid is uid (Linux gives a socket its maker's fsuid).
func dialAs(t *testing.T, uid int, addr string) (net.Conn, error) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	syscall.Setfsuid(uid)
	defer syscall.Setfsuid(0)
	return net.Dial("tcp", addr)
}

// TestFunctionUIDCannotStarveTheServer: connections to the main listener
// from another uid than rolecall's (a function's, when rolecall runs
// functions as their own users) are bounded per uid; one that opens
// thousands keeps only its share, and every other client is served.
func TestFunctionUIDCannotStarveTheServer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to make sockets owned by another uid")
	}
	const limit, flood = 32, 2000
	srv := servertest.StartWith(t, servertest.Options{MaxConnsPerFunction: limit})
	addr := strings.TrimPrefix(srv.Endpoint(), "http://")
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	for range flood {
		c, err := dialAs(t, 65534, addr)
		if err == nil {
			conns = append(conns, c)
		}
	}
	client := sts.NewFromConfig(srv.RootConfig())
	for i := range 20 {
		if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("request %d of rolecall's own uid during the flood: %v", i, err)
		}
	}
	served := 0
	for _, c := range conns {
		_ = c.SetDeadline(time.Now().Add(guard))
		if _, err := io.WriteString(c, "GET /_rolecall/health HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			continue
		}
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
			_ = resp.Body.Close()
			served++
		}
	}
	if served != limit {
		t.Errorf("%d of uid 65534's %d connections served, want %d", served, flood, limit)
	}
}
