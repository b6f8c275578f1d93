package runtime

import (
	"errors"
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
// process.
const ownerFile = "owner.pid"

// newWorkDir makes a work directory under the temporary directory and
// records this process as its owner. It first removes the work
// directories whose owner is gone: a process killed with SIGKILL never
// removes its own.
func newWorkDir() (string, error) {
	removeOrphanWorkDirs(os.TempDir())
	dir, err := os.MkdirTemp("", workDirPrefix)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return "", errors.Join(err, os.RemoveAll(dir))
	}
	return dir, nil
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
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		// Signal 0 tells whether the process exists: ESRCH only when it
		// does not (EPERM means another user's live process).
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(dir) // best effort: what is left is tried again at the next start
		}
	}
}
