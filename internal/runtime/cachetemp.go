package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// An install is built in a temporary directory of the runtime cache
// (<kind>/.tmp-N) and renamed into place when it is complete. Its builder
// holds an exclusive lock (flock) on the file .tmp-N.lock beside it for as
// long as it builds: the kernel drops the lock when the process dies,
// however it dies (kill -9 in the middle of npm install), so a lock that
// can be taken means the directory is left over, and it is removed, at
// the next start and before every install.

// cacheKinds are the directories of the runtime cache that installs are
// built in.
var cacheKinds = []string{"python", "nodejs", "node", "pythons"}

// unlockedTempAge is how old a temporary directory without a lock file
// (left by a version that did not lock) must be to be removed: older than
// any install's own time limit.
const unlockedTempAge = time.Hour

// tempDir makes a directory in the cache to build an install in, locked
// until done is called.
func (c *sdkCache) tempDir(kind string) (dir string, done func(), err error) {
	parent := filepath.Join(c.root, kind)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", nil, err
	}
	for d := parent; d != filepath.Dir(c.root); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			return "", nil, err
		}
	}
	removeLeftoverTemps(parent)
	lock, err := os.CreateTemp(parent, ".tmp-*.lock")
	if err != nil {
		return "", nil, err
	}
	release := func() {
		_ = os.Remove(lock.Name()) // best effort: an unlocked lock file is removed at the next start
		_ = lock.Close()           // closing drops the lock
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		release()
		return "", nil, fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	dir = strings.TrimSuffix(lock.Name(), ".lock")
	if err := os.Mkdir(dir, 0o700); err != nil {
		release()
		return "", nil, err
	}
	return dir, func() {
		_ = os.RemoveAll(dir) // gone already when the install was published
		release()
	}, nil
}

// removeLeftovers removes the temporary directories of installs whose
// builder is gone from every kind of the cache.
func (c *sdkCache) removeLeftovers() {
	for _, kind := range cacheKinds {
		removeLeftoverTemps(filepath.Join(c.root, kind))
	}
}

// removeLeftoverTemps removes, in parent, the temporary directories whose
// lock nobody holds, and those without a lock file older than
// unlockedTempAge.
func removeLeftoverTemps(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, ".tmp-") {
			continue
		}
		p := filepath.Join(parent, name)
		if lockName, ok := strings.CutSuffix(name, ".lock"); ok {
			if lockFree(p) {
				_ = os.RemoveAll(filepath.Join(parent, lockName)) // best effort: tried again at the next install
				_ = os.Remove(p)
			}
			continue
		}
		if _, err := os.Lstat(p + ".lock"); !errors.Is(err, os.ErrNotExist) {
			continue // judged by its lock file
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > unlockedTempAge {
			_ = os.RemoveAll(p) // best effort, as above
		}
	}
}

// lockFree reports whether the lock file at path can be locked: its
// holder is gone.
func lockFree(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }() // read only; closing drops a lock taken here
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
