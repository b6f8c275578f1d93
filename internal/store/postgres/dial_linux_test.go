package postgres

import (
	"context"
	"crypto/tls"
	"net"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

// TestConnectionsBoundUnacknowledgedData: the store's connections carry
// TCP_USER_TIMEOUT, so a database that stops acknowledging mid-query ends
// the request with an error within tcpUserTimeout.
func TestConnectionsBoundUnacknowledgedData(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	conn, err := st.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	nc := conn.Conn().PgConn().Conn()
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	tcp, ok := nc.(*net.TCPConn)
	if !ok {
		t.Skipf("the test database is reached over %T, not TCP", nc)
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		got, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT)
	}); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	if want := int(tcpUserTimeout.Milliseconds()); got != want {
		t.Fatalf("TCP_USER_TIMEOUT = %d ms, want %d", got, want)
	}
}
