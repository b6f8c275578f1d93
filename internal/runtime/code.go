package runtime

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Bounds on the staged copies kept while no environment uses them.
const (
	maxIdleStages      = 16
	maxIdleStagedBytes = 1 << 30 // bytes copied rather than linked
)

// codeStage keeps copies of code directories that unprivileged users
// cannot read in place, one per source directory, shared by its pools.
//
// A copy outlives the pools that use it: a configuration update starts
// new environments of the same code, which find the copy ready. Copies not
// in use are evicted least recently used first beyond maxIdleStages or
// maxIdleStagedBytes, when their source changes or disappears, and all of
// them with the stage's root when the Manager closes.
//
// Files owned by root that nobody else may write are hard-linked rather
// than copied when the file system allows it: the function's user can
// read them but, like the original, cannot modify them.
type codeStage struct {
	root string
	// private keeps the copies in a directory of root's alone (0700):
	// sandboxes mount a copy at /var/task, so no other user, and no other
	// environment, reaches it by its host path.
	private bool
	mu      sync.Mutex
	dirs    map[string]*stagedCode // by source directory
}

type stagedCode struct {
	src  string
	id   dirID
	once sync.Once
	dir  string
	err  error

	// guarded by codeStage.mu
	refs     int
	copied   int64 // bytes copied (not linked)
	lastUsed time.Time
	gone     bool // no longer in dirs: removed after its last use
}

// dirID identifies the contents of a code directory. Code directories are
// written once and not modified in place (the Lambda service names them
// by the digest of their package), so the directory's own identity stands
// for its contents.
type dirID struct {
	dev, ino     uint64
	mtime, ctime syscall.Timespec
}

func statID(dir string) (dirID, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		return dirID{}, &fs.PathError{Op: "stat", Path: dir, Err: err}
	}
	return dirID{dev: st.Dev, ino: st.Ino, mtime: st.Mtim, ctime: st.Ctim}, nil
}

// acquire returns a readable copy of src, making it on first use. The
// caller releases it once no environment runs from it any more.
func (c *codeStage) acquire(src string) (*stagedCode, error) {
	id, err := statID(src)
	if err != nil {
		return nil, fmt.Errorf("runtime: staging code: %w", err)
	}
	c.mu.Lock()
	if c.dirs == nil {
		c.dirs = map[string]*stagedCode{}
	}
	s := c.dirs[src]
	stale := ""
	if s != nil && s.id != id {
		// The source changed: users of the old copy keep it until released.
		c.forgetLocked(s)
		if s.refs == 0 {
			stale = s.dir
		}
		s = nil
	}
	if s == nil {
		s = &stagedCode{src: src, id: id}
		c.dirs[src] = s
	}
	s.refs++
	c.mu.Unlock()
	if stale != "" {
		_ = os.RemoveAll(stale) // best effort: a leftover is removed with the cache
	}
	s.once.Do(func() {
		dir, n, err := c.stage(src)
		c.mu.Lock()
		s.dir, s.copied, s.err = dir, n, err
		c.mu.Unlock()
	})
	if s.err != nil {
		c.mu.Lock()
		c.forgetLocked(s)
		c.mu.Unlock()
		c.release(s)
		return nil, s.err
	}
	return s, nil
}

// stage makes the copy of src in a new directory under the root.
func (c *codeStage) stage(src string) (dir string, copied int64, err error) {
	mode := os.FileMode(0o711)
	if c.private {
		mode = 0o700
	}
	if err := os.MkdirAll(c.root, mode); err != nil {
		return "", 0, fmt.Errorf("runtime: staging code: %w", err)
	}
	if err := os.Chmod(c.root, mode); err != nil {
		return "", 0, fmt.Errorf("runtime: staging code: %w", err)
	}
	if dir, err = os.MkdirTemp(c.root, ""); err != nil {
		return "", 0, fmt.Errorf("runtime: staging code: %w", err)
	}
	if copied, err = stageTree(src, dir); err != nil {
		return "", 0, errors.Join(fmt.Errorf("runtime: staging code: %w", err), os.RemoveAll(dir))
	}
	return dir, copied, nil
}

// forgetLocked takes s out of the map; it is removed after its last use.
func (c *codeStage) forgetLocked(s *stagedCode) {
	if c.dirs[s.src] == s {
		delete(c.dirs, s.src)
	}
	s.gone = true
}

// release drops one use of s. An unused copy is kept for later pools
// within the bounds of the stage.
func (c *codeStage) release(s *stagedCode) {
	c.mu.Lock()
	s.refs--
	if s.refs > 0 {
		c.mu.Unlock()
		return
	}
	s.lastUsed = time.Now()
	var remove []*stagedCode
	if s.gone {
		remove = append(remove, s)
	}
	remove = append(remove, c.trimLocked()...)
	c.mu.Unlock()
	for _, s := range remove {
		if s.dir != "" {
			_ = os.RemoveAll(s.dir) // best effort: a leftover is removed with the cache
		}
	}
}

// trimLocked forgets the unused copies beyond the bounds, and those whose
// source changed or is gone, and returns them.
func (c *codeStage) trimLocked() []*stagedCode {
	var idle, remove []*stagedCode
	for _, s := range c.dirs {
		if s.refs > 0 {
			continue
		}
		if id, err := statID(s.src); err != nil || id != s.id {
			c.forgetLocked(s)
			remove = append(remove, s)
			continue
		}
		idle = append(idle, s)
	}
	slices.SortFunc(idle, func(a, b *stagedCode) int { return b.lastUsed.Compare(a.lastUsed) })
	var bytes int64
	for i, s := range idle {
		bytes += s.copied
		if i >= maxIdleStages || bytes > maxIdleStagedBytes {
			c.forgetLocked(s)
			remove = append(remove, s)
		}
	}
	return remove
}

// stageTree copies src to dst, which exists, readable by everyone,
// keeping execute bits and symbolic links. Files that may be shared with
// the function's user are hard-linked instead. It returns the number of
// bytes copied.
func stageTree(src, dst string) (int64, error) {
	var copied int64
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if rel != "." {
				if err := os.Mkdir(target, 0o755); err != nil {
					return err
				}
			}
			// Not writable by the function, whatever the umask.
			return os.Chmod(target, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			if linkFile(p, target, info) {
				return nil
			}
			n, err := copyFile(p, target, filePerm(info.Mode()))
			copied += n
			return err
		}
		return nil
	})
	return copied, err
}

// linkFile hard-links src at dst when sharing the inode with the
// function's user is safe: a regular file owned by root, readable by
// everyone and writable by nobody else, without set-id bits. It reports
// whether dst was created.
func linkFile(src, dst string, info fs.FileInfo) bool {
	if !shareable(info) {
		return false
	}
	if err := os.Link(src, dst); err != nil {
		return false // another file system, or links not allowed
	}
	// Check the inode actually linked, in case src changed meanwhile.
	if st, err := os.Lstat(dst); err != nil || !shareable(st) || !os.SameFile(st, info) {
		_ = os.Remove(dst) // the caller copies over it
		return false
	}
	return true
}

func shareable(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	mode := info.Mode()
	return ok && st.Uid == 0 && mode.IsRegular() &&
		mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) == 0 &&
		mode.Perm() == filePerm(mode)
}

// copyFile copies the regular file src to the new file dst with mode perm.
func copyFile(src, dst string, perm fs.FileMode) (int64, error) {
	r, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer func() { _ = r.Close() }() // read only
	w, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(w, r)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// The umask may have removed bits.
		err = os.Chmod(dst, perm)
	}
	return n, err
}
