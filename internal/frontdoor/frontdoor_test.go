package frontdoor_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/frontdoor"
)

// byAddress keys connections by the peer's address: 127.0.0.2 stands for
// one execution environment, 127.0.0.1 for everyone else.
func byAddress(c net.Conn) (string, bool) {
	a := c.RemoteAddr().(*net.TCPAddr)
	return a.IP.String(), true
}

// TestOnePeerCannotStarveTheOthers: a peer opening thousands of
// connections keeps at most its limit open (the rest are closed at once),
// while another peer's requests keep being answered.
func TestOnePeerCannotStarveTheOthers(t *testing.T) {
	const limit, flood = 64, 3000
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := frontdoor.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}), frontdoor.Timeouts{})
	go func() { _ = srv.Serve(frontdoor.Limit(ln, limit, byAddress)) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := ln.Addr().(*net.TCPAddr)

	greedy := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	conns := make([]net.Conn, 0, flood)
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	for range flood {
		c, err := greedy.Dial("tcp", addr.String())
		if err != nil {
			continue // refused already: reset before the dial returned
		}
		conns = append(conns, c)
	}

	// Another client is served while the flood is held open.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 20 {
		resp, err := client.Get(fmt.Sprintf("http://%s/", addr))
		if err != nil {
			t.Fatalf("request %d of another peer: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, b)
		}
	}

	// Of the greedy peer's connections, only the limit are served.
	served := 0
	for _, c := range conns {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second)) // a guard: a refused connection is closed at once
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			continue
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			continue
		}
		_ = resp.Body.Close()
		served++
	}
	if served != limit {
		t.Errorf("%d of the greedy peer's %d connections (%d dialled) served, want %d", served, flood, len(conns), limit)
	}

	// Closing connections gives their slots back, once the server has seen
	// them close: a connection dialled before that may still be refused, and
	// is dialled again.
	for _, c := range conns {
		_ = c.Close()
	}
	conns = conns[:0]
	for i := range limit {
		var last error
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			c, err := greedy.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, last = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); last == nil {
				if _, last = http.ReadResponse(bufio.NewReader(c), nil); last == nil {
					conns = append(conns, c)
					break
				}
			}
			_ = c.Close()
		}
		if last != nil {
			t.Fatalf("connection %d after the others closed: %v", i, last)
		}
	}
}

// TestRaiseFileLimit: the soft limit of open files ends at the hard limit.
func TestRaiseFileLimit(t *testing.T) {
	n, err := frontdoor.RaiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Fatal(err)
	}
	if n != l.Max || l.Cur != l.Max {
		t.Errorf("limit %d, soft %d, hard %d", n, l.Cur, l.Max)
	}
}

// TestWholeListenerLimit: with Whole, every connection of the listener
// counts against one limit (an execution environment's own listener).
func TestWholeListenerLimit(t *testing.T) {
	const limit = 8
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := frontdoor.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), frontdoor.Timeouts{})
	go func() { _ = srv.Serve(frontdoor.Limit(ln, limit, frontdoor.Whole)) }()
	t.Cleanup(func() { _ = srv.Close() })
	served := 0
	for range 10 * limit {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			continue
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			continue
		}
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
			_ = resp.Body.Close()
			served++
		}
	}
	if served != limit {
		t.Errorf("%d connections served, want %d", served, limit)
	}
}
