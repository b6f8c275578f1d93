package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// workDirPrefix names the work directories a Manager makes under the
// system's temporary directory.
const workDirPrefix = "rolecall-envs-"

// ownerFile, in a work directory, holds the process id of the Manager's
// process, and that process holds an exclusive lock (flock) on it for as
// long as it lives: the kernel drops the lock when the process dies,
// however it dies, so a lock that can be taken means the owner is gone,
// even when its process id has been given to another process since (as
// happens to a server restarted in a container).
const ownerFile = "owner.pid"

// lockMarker, on the owner file's second line, says that its owner locks
// it; files without it come from versions that did not, and are judged by
// their process id alone.
const lockMarker = "flock"

// newWorkDir makes a work directory under the temporary directory and
// records this process as its owner; the returned file holds the owner's
// lock until it is closed. It first removes the work directories whose
// owner is gone: a process killed with SIGKILL never removes its own.
func newWorkDir() (string, *os.File, error) {
	removeOrphanWorkDirs(os.TempDir())
	dir, err := os.MkdirTemp("", workDirPrefix)
	if err != nil {
		return "", nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, ownerFile), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", nil, errors.Join(err, os.RemoveAll(dir))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return "", nil, errors.Join(fmt.Errorf("runtime: locking %s: %w", f.Name(), err), f.Close(), os.RemoveAll(dir))
	}
	if _, err := f.WriteString(strconv.Itoa(os.Getpid()) + "\n" + lockMarker + "\n"); err != nil {
		return "", nil, errors.Join(err, f.Close(), os.RemoveAll(dir))
	}
	return dir, f, nil
}

// removeOrphanWorkDirs removes the work directories under tmp whose owner
// process no longer exists. Directories without an owner file, or whose
// owner cannot be told, are left alone.
func removeOrphanWorkDirs(tmp string) {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), workDirPrefix) {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		if ownerGone(filepath.Join(dir, ownerFile)) {
			_ = os.RemoveAll(dir) // best effort: what is left is tried again at the next start
		}
	}
}

// ownerGone reports whether the process that owns the owner file at path
// is gone.
func ownerGone(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }() // read only; closing drops a lock taken here
	b := make([]byte, 64)
	n, _ := f.Read(b)
	pidText, rest, _ := strings.Cut(string(b[:n]), "\n")
	if strings.TrimSpace(rest) == lockMarker {
		// The owner holds the lock while it lives.
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		return err == nil
	}
	pid, err := strconv.Atoi(strings.TrimSpace(pidText))
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	// Signal 0 tells whether the process exists: ESRCH only when it
	// does not (EPERM means another user's live process).
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
