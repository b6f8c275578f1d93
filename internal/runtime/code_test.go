package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestCodeStage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("links are made only for files owned by root")
	}
	base := t.TempDir()
	src := filepath.Join(base, "src")
	if err := os.MkdirAll(filepath.Join(src, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, perm os.FileMode) {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte(name), perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, perm); err != nil {
			t.Fatal(err)
		}
	}
	write("bootstrap", 0o755)
	write("lib/data", 0o644)
	write("lib/writable", 0o666)
	write("secret", 0o600)
	c := &codeStage{root: filepath.Join(base, "stage")}

	s, err := c.acquire(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		linked bool
		perm   os.FileMode
	}{
		{"bootstrap", true, 0o755},
		{"lib/data", true, 0o644},
		{"lib/writable", false, 0o644},
		{"secret", false, 0o644},
	} {
		p := filepath.Join(s.dir, tc.name)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if linked := inode(t, p) == inode(t, filepath.Join(src, tc.name)); linked != tc.linked {
			t.Errorf("%s: linked %v, want %v", tc.name, linked, tc.linked)
		}
		if st.Mode().Perm() != tc.perm {
			t.Errorf("%s: mode %v, want %v", tc.name, st.Mode().Perm(), tc.perm)
		}
	}
	for _, d := range []string{s.dir, filepath.Join(s.dir, "lib")} {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o755 {
			t.Errorf("%s: %v %v, want 0755", d, st.Mode(), err)
		}
	}

	// Unused, the copy is kept for the next user.
	c.release(s)
	s2, err := c.acquire(src)
	if err != nil {
		t.Fatal(err)
	}
	if s2 != s {
		t.Fatal("copy not reused after its last release")
	}
	c.release(s2)

	// A changed source is staged again and the old copy removed.
	write("extra", 0o644)
	s3, err := c.acquire(src)
	if err != nil {
		t.Fatal(err)
	}
	if s3 == s {
		t.Fatal("copy reused after the source changed")
	}
	if _, err := os.Stat(filepath.Join(s3.dir, "extra")); err != nil {
		t.Fatal(err)
	}
	c.release(s3)
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Fatalf("stale copy %s left: %v", s.dir, err)
	}

	// Unused copies are bounded.
	var dirs []string
	for i := range maxIdleStages + 2 {
		d := filepath.Join(base, fmt.Sprint("src", i))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		s, err := c.acquire(d)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, s.dir)
		c.release(s)
	}
	if _, err := os.Stat(dirs[0]); !os.IsNotExist(err) {
		t.Errorf("least recently used copy kept: %v", err)
	}
	if _, err := os.Stat(dirs[len(dirs)-1]); err != nil {
		t.Errorf("most recent copy removed: %v", err)
	}
	c.mu.Lock()
	n := len(c.dirs)
	c.mu.Unlock()
	if n != maxIdleStages {
		t.Errorf("%d unused copies kept, want %d", n, maxIdleStages)
	}
}
