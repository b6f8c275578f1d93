package runtime

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// MaxUnzippedSize is Lambda's limit on the unzipped size of a deployment
// package.
const MaxUnzippedSize = 262144000

// ErrCodeTooLarge is returned by Unzip when the archive expands beyond
// MaxUnzippedSize.
//
//lint:ignore ST1005 Lambda's own message, returned to clients as is
var ErrCodeTooLarge = errors.New("Unzipped size must be smaller than 262144000 bytes")

// Unzip extracts a deployment package into dir, which it creates. Entries
// may not leave dir (by "..", absolute names or symbolic links); files
// keep their execute bits and are readable by everyone, as the function
// may run under another uid.
func Unzip(data []byte, dir string) error {
	return unzip(data, dir, MaxUnzippedSize)
}

func unzip(data []byte, dir string, limit int64) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("runtime: reading zip: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	var total int64
	for _, f := range zr.File {
		name := strings.TrimPrefix(path.Clean("/"+f.Name), "/")
		if name == "" {
			continue
		}
		if !fs.ValidPath(name) || strings.Contains(f.Name, `\`) || strings.HasPrefix(f.Name, "/") || hasDotDot(f.Name) {
			return fmt.Errorf("runtime: zip entry %q escapes the code directory", f.Name)
		}
		mode := f.Mode()
		if mode.IsDir() {
			if err := root.MkdirAll(name, 0o755); err != nil {
				return err
			}
			continue
		}
		if d := path.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		if mode&fs.ModeSymlink != 0 {
			if err := unzipLink(root, f, name); err != nil {
				return err
			}
			continue
		}
		if !mode.IsRegular() {
			continue
		}
		n, err := unzipFile(root, f, name, limit-total)
		total += n
		if err != nil {
			return err
		}
	}
	return nil
}

func hasDotDot(name string) bool {
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func unzipFile(root *os.Root, f *zip.File, name string, budget int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	w, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, filePerm(f.Mode()))
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(w, io.LimitReader(rc, budget+1))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	if n > budget {
		return n, ErrCodeTooLarge
	}
	// The umask may have removed bits; make the file readable by all.
	return n, root.Chmod(name, filePerm(f.Mode()))
}

// unzipLink creates a symbolic link whose target stays inside the root.
func unzipLink(root *os.Root, f *zip.File, name string) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 4096))
	if err != nil {
		return err
	}
	target := string(b)
	if path.IsAbs(target) || hasDotDot(path.Join(path.Dir(name), target)) {
		return fmt.Errorf("runtime: zip entry %q links outside the code directory", f.Name)
	}
	return root.Symlink(target, name)
}
