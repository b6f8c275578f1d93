package postgres

import (
	"context"
	"net"
	"time"
)

// Bounds on a connection whose database stops answering mid-query (a
// network that drops everything, a host that died): keepalive probes find
// an idle peer gone, and on Linux TCP_USER_TIMEOUT ends a connection whose
// sent data stays unacknowledged, so that a request fails with an error
// rather than waiting for TCP's own give-up, about 15 minutes.
const (
	keepAlive      = 15 * time.Second
	tcpUserTimeout = 30 * time.Second
)

// dial connects to the database with those bounds.
func dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{KeepAlive: keepAlive, Control: boundUnacknowledged}
	return d.DialContext(ctx, network, addr)
}
