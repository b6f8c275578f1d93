package runtime

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// uidListener accepts only loopback connections made by sockets owned by
// uid, so that another function cannot take this environment's events.
type uidListener struct {
	net.Listener
	uid  int
	self bool // this process's own user is accepted too
}

func (l *uidListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if uid, ok := peerUID(c); ok && (uid == l.uid || l.self && uid == os.Getuid()) {
			return c, nil
		}
		_ = c.Close() // refused before anything was exchanged
	}
}

// peerUID finds the owner of the other end of a loopback TCP connection:
// by asking the kernel for that one socket (sock_diag), else by looking it
// up in /proc/net/tcp (or tcp6 for a dual-stack socket).
func peerUID(c net.Conn) (int, bool) {
	remote, ok1 := c.RemoteAddr().(*net.TCPAddr)
	local, ok2 := c.LocalAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return 0, false
	}
	if uid, ok := diagUID(remote, local); ok {
		return uid, true
	}
	// The peer's socket has our remote port as its local port and our
	// local port as its remote port.
	self := fmt.Sprintf(":%04X", remote.Port)
	peer := fmt.Sprintf(":%04X", local.Port)
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if uid, ok := findSocketUID(file, self, peer); ok {
			return uid, true
		}
	}
	return 0, false
}

func findSocketUID(file, localPort, remotePort string) (int, bool) {
	f, err := os.Open(file)
	if err != nil {
		return 0, false
	}
	defer func() { _ = f.Close() }() // read only
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid ...
		if len(fields) < 8 || !strings.HasSuffix(fields[1], localPort) || !strings.HasSuffix(fields[2], remotePort) {
			continue
		}
		if !isLoopback(fields[1]) {
			continue
		}
		uid, err := strconv.Atoi(fields[7])
		return uid, err == nil
	}
	return 0, false
}

// isLoopback reports whether a /proc/net/tcp address is 127.0.0.1 or its
// IPv4-mapped IPv6 form.
func isLoopback(addr string) bool {
	host, _, _ := strings.Cut(addr, ":")
	return host == "0100007F" || host == "0000000000000000FFFF00000100007F"
}

// sock_diag (linux/sock_diag.h, linux/inet_diag.h).
const (
	netlinkSockDiag  = 4  // NETLINK_SOCK_DIAG
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	nlmsgHdrLen      = 16
	diagReqLen       = 56 // struct inet_diag_req_v2
	diagMsgUID       = 64 // offset of idiag_uid in struct inet_diag_msg
)

// diagUID returns the owner of the IPv4 TCP socket whose local address is
// src and remote address dst, found by an exact sock_diag lookup.
func diagUID(src, dst *net.TCPAddr) (int, bool) {
	s4, d4 := src.IP.To4(), dst.IP.To4()
	if s4 == nil || d4 == nil {
		return 0, false
	}
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, netlinkSockDiag)
	if err != nil {
		return 0, false
	}
	defer func() { _ = syscall.Close(fd) }()

	var req [nlmsgHdrLen + diagReqLen]byte
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], syscall.NLM_F_REQUEST)
	ne.PutUint32(req[8:], 1) // sequence number
	r := req[nlmsgHdrLen:]
	r[0] = syscall.AF_INET
	r[1] = syscall.IPPROTO_TCP
	ne.PutUint32(r[4:], ^uint32(0)) // every state
	id := r[8:]                     // struct inet_diag_sockid
	binary.BigEndian.PutUint16(id[0:], uint16(src.Port))
	binary.BigEndian.PutUint16(id[2:], uint16(dst.Port))
	copy(id[4:], s4)
	copy(id[20:], d4)
	ne.PutUint32(id[40:], ^uint32(0)) // no cookie
	ne.PutUint32(id[44:], ^uint32(0))
	if err := syscall.Sendto(fd, req[:], 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return 0, false
	}
	// The kernel answers an exact lookup before sendto returns.
	var buf [1024]byte
	n, _, err := syscall.Recvfrom(fd, buf[:], syscall.MSG_DONTWAIT)
	if err != nil || n < nlmsgHdrLen+diagMsgUID+4 {
		return 0, false
	}
	msg := buf[:n]
	if l := ne.Uint32(msg[0:]); l < nlmsgHdrLen+diagMsgUID+4 || int(l) > n || ne.Uint16(msg[4:]) != sockDiagByFamily {
		return 0, false
	}
	body := msg[nlmsgHdrLen:]
	// Check that the answer is the socket asked for.
	if binary.BigEndian.Uint16(body[4:]) != uint16(src.Port) || binary.BigEndian.Uint16(body[6:]) != uint16(dst.Port) {
		return 0, false
	}
	return int(ne.Uint32(body[diagMsgUID:])), true
}
