package runtime

import "net"

// PeerUID returns the uid owning the other end of a loopback TCP
// connection accepted by this process (see peerUID); false when it cannot
// be found (a peer on another host, or gone).
func PeerUID(c net.Conn) (int, bool) { return peerUID(c) }
