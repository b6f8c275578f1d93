// Package frontdoor holds the connection rules of rolecall's listeners:
// how long a client may take to send its headers, how long an idle
// keep-alive connection stays open, and how many connections one peer may
// hold, so that one client (or one function's execution environment)
// cannot starve the others.
//
// Bodies are the gateway's concern (it bounds their progress, see
// gateway.Config.BodyIdleTimeout); there is no write timeout, because an
// Invoke answers after up to 15 minutes.
package frontdoor

import (
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// Defaults, close to what AWS's front ends do: a request's headers within
// 20 seconds, idle keep-alive connections closed after 60 seconds (the
// default idle timeout of AWS's load balancers).
const (
	DefaultReadHeaderTimeout = 20 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
)

// Timeouts of an HTTP server; zero fields take the defaults.
type Timeouts struct {
	ReadHeader time.Duration // from the connection's first byte of a request to the end of its headers
	Idle       time.Duration // a keep-alive connection with no request
}

// NewServer returns an http.Server serving h with the timeouts t: headers
// must arrive within t.ReadHeader and idle connections close after t.Idle.
// It sets no read or write timeout for the whole request, which would cut
// off slow-but-honest uploads and long answers.
func NewServer(h http.Handler, t Timeouts) *http.Server {
	if t.ReadHeader <= 0 {
		t.ReadHeader = DefaultReadHeaderTimeout
	}
	if t.Idle <= 0 {
		t.Idle = DefaultIdleTimeout
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, IdleTimeout: t.Idle}
}

// Limit returns a listener that holds at most max connections of each
// peer open at once; key names a connection's peer ("" and false for a
// connection that is not limited). A connection past its peer's limit is
// closed at once, before anything is read from it, and Accept goes on to
// the next: the other peers keep being served. max <= 0 limits nothing.
func Limit(ln net.Listener, max int, key func(net.Conn) (string, bool)) net.Listener {
	if max <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, max: max, key: key, open: map[string]int{}}
}

// Whole is the key of Limit for a listener whose connections all count
// against one limit (an execution environment's own listener).
func Whole(net.Conn) (string, bool) { return "", true }

type limitListener struct {
	net.Listener
	max int
	key func(net.Conn) (string, bool)

	mu   sync.Mutex
	open map[string]int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		k, limited := l.key(c)
		if !limited {
			return c, nil
		}
		if !l.take(k) {
			refuse(c)
			continue
		}
		return &limitedConn{Conn: c, release: sync.OnceFunc(func() { l.give(k) })}, nil
	}
}

func (l *limitListener) take(k string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[k] >= l.max {
		return false
	}
	l.open[k]++
	return true
}

func (l *limitListener) give(k string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[k]--; l.open[k] <= 0 {
		delete(l.open, k)
	}
}

// refuse closes a connection at once with a reset, so that its socket is
// not left in TIME_WAIT on the server's side.
func refuse(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // best effort: an ordinary close follows
	}
	_ = c.Close() // refused before anything was exchanged
}

// limitedConn gives its peer's slot back when it closes.
type limitedConn struct {
	net.Conn
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// RaiseFileLimit raises the process's soft limit of open files
// (RLIMIT_NOFILE) to its hard limit, so that many clients' connections do
// not exhaust the server's descriptors, and returns the new limit.
func RaiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, err
		}
	}
	return l.Cur, nil
}
