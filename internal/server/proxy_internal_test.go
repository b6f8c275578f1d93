package server

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// DBProxy (for the tests of package server_test too) forwards TCP connections to a database and can cut them:
// refusing (the database is down) or black-holing (the network to it is
// lost: bytes are read and dropped, nothing comes back).
type DBProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	mode  string // "", "refuse", "blackhole"
	conns []net.Conn
}

func NewDBProxy(t *testing.T, target string) *DBProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &DBProxy{ln: ln, target: target}
	t.Cleanup(func() { _ = ln.Close(); p.Set("refuse") })
	go p.serve()
	return p
}

func (p *DBProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode := p.mode
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		switch mode {
		case "refuse":
			_ = c.Close()
			continue
		case "blackhole":
			go func() { _, _ = io.Copy(io.Discard, c) }()
			continue
		}
		d, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, d)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(d, c); _ = d.Close() }()
		go func() { _, _ = io.Copy(c, d); _ = c.Close() }()
	}
}

// Set changes the mode; cutting ("refuse", "blackhole") ends the
// connections open so far, as a restarted database or a lost network does.
func (p *DBProxy) Set(mode string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = mode
	if mode == "refuse" {
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.conns = nil
	}
}

// Blackhole stops every byte, in both directions, on the connections open
// and new ones, without closing them.
func (p *DBProxy) Blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = "blackhole"
	for _, c := range p.conns {
		// A deadline in the past stops the copies; the peer sees nothing.
		_ = c.SetReadDeadline(time.Unix(1, 0))
	}
}

// Addr is the proxy's address, host:port.
func (p *DBProxy) Addr() string { return p.ln.Addr().String() }
