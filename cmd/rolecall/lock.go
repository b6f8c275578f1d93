package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile is the file of the data directory a server holds locked
// (flock(2), exclusive) while it runs.
const lockFile = "rolecall.lock"

// errLocked reports a data directory in use by a running server.
var errLocked = errors.New("a rolecall server is running on this data directory")

// lockDataDir makes dir (mode 0700) when missing and takes its lock,
// refusing with errLocked when a running server holds it. The lock is
// released by unlock, or by the end of the process, however it ends.
func lockDataDir(dir string) (unlock func() error, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close() // the lock error is the one to report
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s is locked): stop it first", errLocked, path)
		}
		return nil, fmt.Errorf("data directory lock %s: %w", path, err)
	}
	return f.Close, nil
}
