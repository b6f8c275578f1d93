package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// codeStage keeps copies of code directories that unprivileged users
// cannot read in place, one per source directory, shared by its pools.
type codeStage struct {
	root string
	mu   sync.Mutex
	seq  int
	dirs map[string]*stagedCode
}

type stagedCode struct {
	once sync.Once
	dir  string
	err  error
	refs int
}

// acquire returns a readable copy of src, making it on first use.
func (c *codeStage) acquire(src string) (string, error) {
	c.mu.Lock()
	if c.dirs == nil {
		c.dirs = map[string]*stagedCode{}
	}
	s := c.dirs[src]
	if s == nil {
		c.seq++
		s = &stagedCode{dir: filepath.Join(c.root, strconv.Itoa(c.seq))}
		c.dirs[src] = s
	}
	s.refs++
	c.mu.Unlock()
	s.once.Do(func() {
		if err := os.MkdirAll(c.root, 0o711); err != nil {
			s.err = err
			return
		}
		if err := copyTree(src, s.dir); err != nil {
			s.err = fmt.Errorf("runtime: staging code: %w", err)
		}
	})
	if s.err != nil {
		c.release(src)
		return "", s.err
	}
	return s.dir, nil
}

// release drops one use of src's copy and removes it after the last.
func (c *codeStage) release(src string) {
	c.mu.Lock()
	s := c.dirs[src]
	if s == nil {
		c.mu.Unlock()
		return
	}
	s.refs--
	if s.refs > 0 {
		c.mu.Unlock()
		return
	}
	delete(c.dirs, src)
	c.mu.Unlock()
	os.RemoveAll(s.dir)
}
