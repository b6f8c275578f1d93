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
	"slices"
	"strings"
	"syscall"
)

// MaxUnzippedSize is Lambda's limit on the unzipped size of a deployment
// package.
const MaxUnzippedSize = 262144000

// Bounds on the paths of a deployment package, inside its directory, after
// the links they pass through are followed: every path the function and
// rolecall use (the code directory's own path, up to a few hundred bytes,
// joined with it) stays far below the kernel's PATH_MAX of 4096 bytes, and
// a walk of the tree stays shallow. A name of a directory or file is at
// most NAME_MAX, 255 bytes.
const (
	MaxPathBytes = 2048
	MaxPathDepth = 128
	maxNameBytes = 255
	// maxLinkHops bounds the links followed resolving one path, as the
	// kernel's MAXSYMLINKS (40) does.
	maxLinkHops = 40
)

// ErrCodeTooLarge is returned by Unzip when the archive expands beyond
// MaxUnzippedSize.
//
//lint:ignore ST1005 Lambda's own message, returned to clients as is
var ErrCodeTooLarge = errors.New("Unzipped size must be smaller than 262144000 bytes")

// ErrBadPackage is returned by Unzip (wrapped, with the entry and the
// reason) for an archive it refuses: not a zip, an entry that would leave
// the directory by "..", an absolute name or symbolic links followed in
// any order, or a path past MaxPathBytes or MaxPathDepth. Lambda answers
// such a package with InvalidParameterValueException "Could not unzip
// uploaded file. Please check your file, then try to upload again."
var ErrBadPackage = errors.New("runtime: unusable deployment package")

// Unzip extracts a deployment package into dir, which it creates. Entries
// may not leave dir: not by "..", absolute names or symbolic links, in any
// order of entries (a link is resolved, as the kernel would, through the
// links extracted before it, and every link is resolved again once all
// are there). Files keep their execute bits and are readable by everyone,
// as the function may run under another uid. A refused archive leaves a
// partial dir behind for the caller to remove; the error wraps
// ErrBadPackage or ErrCodeTooLarge, or is a failure of the host (disk full).
func Unzip(data []byte, dir string) error {
	return unzip(data, dir, MaxUnzippedSize)
}

func unzip(data []byte, dir string, limit int64) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%w: reading zip: %v", ErrBadPackage, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	t := tree{links: map[string]string{}}
	var total int64
	for _, f := range zr.File {
		name := strings.TrimPrefix(path.Clean("/"+f.Name), "/")
		if name == "" {
			continue
		}
		if strings.ContainsRune(f.Name, 0) {
			return fmt.Errorf("%w: entry %q: a NUL byte in the name", ErrBadPackage, f.Name)
		}
		if !fs.ValidPath(name) || strings.Contains(f.Name, `\`) || strings.HasPrefix(f.Name, "/") || hasDotDot(f.Name) {
			return fmt.Errorf("%w: entry %q escapes the code directory", ErrBadPackage, f.Name)
		}
		// Where the entry lands, once the links on its way are followed.
		parent, err := t.resolve(path.Dir(name))
		if err != nil {
			return fmt.Errorf("%w: entry %q: %v", ErrBadPackage, f.Name, err)
		}
		dest := path.Join(parent, path.Base(name))
		if err := checkPath(dest); err != nil {
			return fmt.Errorf("%w: entry %q: %v", ErrBadPackage, f.Name, err)
		}
		mode := f.Mode()
		if mode.IsDir() {
			if err := root.MkdirAll(dest, 0o755); err != nil {
				return entryError(f, err)
			}
			continue
		}
		if parent != "." {
			if err := root.MkdirAll(parent, 0o755); err != nil {
				return entryError(f, err)
			}
		}
		if mode&fs.ModeSymlink != 0 {
			if err := t.link(root, f, dest); err != nil {
				return entryError(f, err)
			}
			continue
		}
		if !mode.IsRegular() {
			continue
		}
		if _, isLink := t.links[dest]; isLink {
			return fmt.Errorf("%w: entry %q: a symbolic link of the package has its name", ErrBadPackage, f.Name)
		}
		n, err := unzipFile(root, f, dest, limit-total)
		total += n
		if err != nil {
			return entryError(f, err)
		}
	}
	// A link that stayed inside when it was made may leave through a link
	// made after it (b/../x, then b -> "."): resolve each again.
	for at := range t.links {
		if _, err := t.resolve(at); err != nil {
			return fmt.Errorf("%w: symbolic link %q: %v", ErrBadPackage, at, err)
		}
	}
	return nil
}

// entryError classes the failure to extract the entry f: the host's own
// (disk full, I/O error, out of descriptors) as it is; any other (a
// corrupt entry, one whose place holds a file or a link already, a loop)
// as the package's, ErrBadPackage.
func entryError(f *zip.File, err error) error {
	if errors.Is(err, ErrBadPackage) || errors.Is(err, ErrCodeTooLarge) {
		return err
	}
	for _, host := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EIO, syscall.EROFS, syscall.ENOMEM, syscall.EMFILE, syscall.ENFILE} {
		if errors.Is(err, host) {
			return err
		}
	}
	return fmt.Errorf("%w: entry %q: %v", ErrBadPackage, f.Name, err)
}

func hasDotDot(name string) bool {
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// checkPath applies the bounds on a path inside the code directory.
func checkPath(p string) error {
	if len(p) > MaxPathBytes {
		return fmt.Errorf("path of %d bytes, past the limit of %d", len(p), MaxPathBytes)
	}
	parts := strings.Split(p, "/")
	if len(parts) > MaxPathDepth {
		return fmt.Errorf("path %d levels deep, past the limit of %d", len(parts), MaxPathDepth)
	}
	for _, part := range parts {
		if len(part) > maxNameBytes {
			return fmt.Errorf("name of %d bytes, past the limit of %d", len(part), maxNameBytes)
		}
	}
	return nil
}

// tree follows the symbolic links a package made, as the kernel does,
// without leaving the code directory.
type tree struct {
	links map[string]string // link's real path in the directory -> its target
}

// resolve returns the real path, inside the directory, that p (relative
// to it) names: every link on the way followed, every ".." taken after
// the link before it. It fails when a step leaves the directory (an
// absolute target, or ".." above it), when more than maxLinkHops links
// are followed, or when the path grows past the bounds.
func (t *tree) resolve(p string) (string, error) {
	hops := 0
	return t.walk(nil, p, &hops)
}

// walk resolves p from the real directory base (its components).
func (t *tree) walk(base []string, p string, hops *int) (string, error) {
	cur := base
	parts := strings.Split(p, "/")
	for i, part := range parts {
		switch part {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return "", errors.New("it leads outside the code directory")
			}
			cur = cur[:len(cur)-1]
			continue
		}
		cur = append(cur, part)
		at := strings.Join(cur, "/")
		target, isLink := t.links[at]
		if !isLink {
			if len(at) > MaxPathBytes || len(cur) > MaxPathDepth {
				return "", fmt.Errorf("it resolves to a path past the limits of %d bytes and %d levels", MaxPathBytes, MaxPathDepth)
			}
			continue
		}
		if *hops++; *hops > maxLinkHops {
			return "", errors.New("too many levels of symbolic links")
		}
		if path.IsAbs(target) {
			return "", errors.New("it leads outside the code directory (an absolute link)")
		}
		resolved, err := t.walk(slices.Clone(cur[:len(cur)-1]), target, hops)
		if err != nil {
			return "", err
		}
		rest := strings.Join(parts[i+1:], "/")
		if resolved == "." {
			return t.walk(nil, rest, hops)
		}
		return t.walk(strings.Split(resolved, "/"), rest, hops)
	}
	if len(cur) == 0 {
		return ".", nil
	}
	return strings.Join(cur, "/"), nil
}

func unzipFile(root *os.Root, f *zip.File, name string, budget int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("%w: entry %q: %v", ErrBadPackage, f.Name, err)
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

// link makes the symbolic link f at dest, its place in the directory
// once the links on its way are followed, when its target resolves inside
// the directory through the links made so far.
func (t *tree) link(root *os.Root, f *zip.File, dest string) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%w: entry %q: %v", ErrBadPackage, f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, MaxPathBytes+1))
	if err != nil {
		return fmt.Errorf("%w: entry %q: %v", ErrBadPackage, f.Name, err)
	}
	target := string(b)
	switch {
	case len(b) > MaxPathBytes:
		return fmt.Errorf("%w: entry %q: a link target past %d bytes", ErrBadPackage, f.Name, MaxPathBytes)
	case target == "" || strings.ContainsRune(target, 0):
		return fmt.Errorf("%w: entry %q: an empty or malformed link target", ErrBadPackage, f.Name)
	case path.IsAbs(target):
		return fmt.Errorf("%w: entry %q links outside the code directory", ErrBadPackage, f.Name)
	}
	t.links[dest] = target
	if _, err := t.resolve(dest); err != nil {
		return fmt.Errorf("%w: entry %q links outside the code directory: %v", ErrBadPackage, f.Name, err)
	}
	return root.Symlink(target, dest)
}
