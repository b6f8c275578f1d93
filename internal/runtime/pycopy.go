package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// A pythonX.Y runtime whose only Python X.Y lives where the functions'
// users cannot reach it (pyenv's under root's private home) runs on a copy
// of that interpreter's tree in the runtime cache. Files that nobody but
// root may write are hard-linked rather than copied where the file system
// allows.

// pythonRoot is where the copies are.
func (c *sdkCache) pythonRoot() string { return filepath.Join(c.root, "pythons") }

// cachedPython returns the copied interpreter of the runtime, or "".
func cachedPython(root string, s spec) string {
	if root == "" {
		return ""
	}
	dir := filepath.Join(root, fmt.Sprintf("%d.%d", s.major, s.minor))
	if readVersion(dir) == "" {
		return ""
	}
	return filepath.Join(dir, "bin", fmt.Sprintf("python%d.%d", s.major, s.minor))
}

// copyPython copies the tree of the interpreter it (its prefix: the
// directory above bin) into the cache, once for all callers.
func (c *sdkCache) copyPython(ctx context.Context, s spec, it interpreter) error {
	prefix := filepath.Dir(filepath.Dir(it.path))
	landmark := filepath.Join(prefix, "lib", fmt.Sprintf("python%d.%d", s.major, s.minor), "os.py")
	if _, err := os.Stat(landmark); err != nil || prefix == "/" || prefix == "/usr" || prefix == "/usr/local" {
		return fmt.Errorf("%s is not a self-contained Python tree that can be copied", prefix)
	}
	_, err := c.run(ctx, fmt.Sprintf("python-%d.%d", s.major, s.minor), func() (string, string, error) {
		final := filepath.Join(c.pythonRoot(), fmt.Sprintf("%d.%d", s.major, s.minor))
		if readVersion(final) != "" {
			return final, "", nil
		}
		tmp, done, err := c.tempDir("pythons")
		if err != nil {
			return "", "", err
		}
		defer done()
		if _, err := stageTree(prefix, tmp); err != nil {
			return "", "", errors.Join(fmt.Errorf("copying %s: %w", prefix, err), os.RemoveAll(tmp))
		}
		if err := os.WriteFile(filepath.Join(tmp, ".version"), []byte(it.version.String()+"\n"+prefix+"\n"), 0o644); err != nil {
			return "", "", errors.Join(err, os.RemoveAll(tmp))
		}
		return final, "", publish(tmp, final)
	})
	if err != nil {
		return fmt.Errorf("copying Python %d.%d from %s into %s: %w", s.major, s.minor, prefix, c.pythonRoot(), err)
	}
	return nil
}
