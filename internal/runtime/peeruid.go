package runtime

import "net"

// PeerUID returns the uid owning the other end of a loopback TCP
// connection accepted by this process (see peerUID); false when it cannot
// be found (a peer on another host, or gone).
func PeerUID(c net.Conn) (int, bool) { return peerUID(c) }

// OwnedBy returns a listener that accepts only loopback connections made
// by sockets owned by uid or by this process's own user (who may do
// anything an environment may), closing the others at once: a listener of
// one environment then serves no other function, which could otherwise
// take up its connections. A negative uid accepts every connection.
func OwnedBy(ln net.Listener, uid int) net.Listener {
	if uid < 0 {
		return ln
	}
	return &uidListener{Listener: ln, uid: uid, self: true}
}
