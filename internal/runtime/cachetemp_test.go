package runtime

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCacheLeftoversRemoved: a Manager's start removes the install
// directories of the runtime cache whose builder is gone (its lock file
// unlocked, as after kill -9 in the middle of npm install) and unlocked
// ones older than any install, and keeps the one being built; finishing
// an install leaves neither its directory nor its lock file.
func TestCacheLeftoversRemoved(t *testing.T) {
	root := t.TempDir()
	c := &sdkCache{root: root}
	live, done, err := c.tempDir("nodejs")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(live, "package.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	mk := func(p string, age time.Duration) string {
		t.Helper()
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Join(p, "node_modules", "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dead := mk("nodejs/.tmp-111", 0)
	if err := os.WriteFile(dead+".lock", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	deadNode := mk("node/.tmp-222", 0)
	if err := os.WriteFile(deadNode+".lock", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	oldUnlocked := mk("python/.tmp-333", 2*unlockedTempAge)
	recentUnlocked := mk("python/.tmp-444", 0)
	finished := mk("nodejs/nodejs-0123456789abcdef", 2*unlockedTempAge)

	newManager(t, Options{CacheDir: root})
	for _, p := range []string{dead, dead + ".lock", deadNode, deadNode + ".lock", oldUnlocked} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s is left over after a start: %v", p, err)
		}
	}
	for _, p := range []string{live, live + ".lock", recentUnlocked, finished} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s is removed at a start: %v", p, err)
		}
	}
	done()
	for _, p := range []string{live, live + ".lock"} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s is left after its install: %v", p, err)
		}
	}
}
