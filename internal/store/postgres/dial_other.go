//go:build !linux

package postgres

import "syscall"

// boundUnacknowledged does nothing where TCP_USER_TIMEOUT is not known:
// keepalive alone bounds a dead connection there.
func boundUnacknowledged(string, string, syscall.RawConn) error { return nil }
