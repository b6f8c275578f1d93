package runtime

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// uidListener accepts only loopback connections made by sockets owned by
// uid, so that another function cannot take this environment's events.
type uidListener struct {
	net.Listener
	uid int
}

func (l *uidListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if uid, ok := peerUID(c); ok && uid == l.uid {
			return c, nil
		}
		c.Close()
	}
}

// peerUID finds the owner of the other end of a loopback TCP connection in
// /proc/net/tcp (or tcp6 for a dual-stack socket).
func peerUID(c net.Conn) (int, bool) {
	remote, ok1 := c.RemoteAddr().(*net.TCPAddr)
	local, ok2 := c.LocalAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return 0, false
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
	defer f.Close()
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
