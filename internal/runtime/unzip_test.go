package runtime

import (
	"archive/zip"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type zipEntry struct {
	name, body string
	mode       fs.FileMode
}

func makeZip(t *testing.T, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestUnzip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "code")
	data := makeZip(t,
		zipEntry{"bootstrap", "#!/bin/sh\n", 0o700},
		zipEntry{"lib/", "", fs.ModeDir | 0o700},
		zipEntry{"lib/data.txt", "hello", 0o600},
		zipEntry{"link", "lib/data.txt", fs.ModeSymlink | 0o777},
	)
	if err := Unzip(data, dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]fs.FileMode{"bootstrap": 0o755, "lib/data.txt": 0o644, "lib": fs.ModeDir | 0o755} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, st.Mode(), want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "link")); err != nil || string(b) != "hello" {
		t.Errorf("link: %q %v", b, err)
	}
}

func TestUnzipRejectsEscapes(t *testing.T) {
	for name, entries := range map[string][]zipEntry{
		"dotdot":       {{"../evil", "x", 0o644}},
		"nested":       {{"a/../../evil", "x", 0o644}},
		"absolute":     {{"/tmp/evil", "x", 0o644}},
		"link out":     {{"l", "../../etc/passwd", fs.ModeSymlink | 0o777}},
		"link abs":     {{"l", "/etc/passwd", fs.ModeSymlink | 0o777}},
		"through link": {{"d", ".", fs.ModeSymlink | 0o777}, {"d/../../evil", "x", 0o644}},
	} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "code")
			if err := Unzip(makeZip(t, entries...), dir); err == nil {
				t.Fatal("escape accepted")
			}
			if _, err := os.Stat(filepath.Join(parent, "evil")); err == nil {
				t.Fatal("file written outside the directory")
			}
		})
	}
}

func TestUnzipSizeLimit(t *testing.T) {
	big := strings.Repeat("0", 600)
	data := makeZip(t, zipEntry{"a", big, 0o644}, zipEntry{"b", big, 0o644})
	if err := unzip(data, filepath.Join(t.TempDir(), "code"), 1000); !errors.Is(err, ErrCodeTooLarge) {
		t.Fatalf("err %v", err)
	}
}

// insideOnly fails the test when a symbolic link under dir resolves
// outside it, or when anything but dir is in its parent.
func insideOnly(t *testing.T, dir string) {
	t.Helper()
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		// Resolve as the kernel would, lexically from the link's real
		// directory: the parent of p has no links (WalkDir does not
		// follow them).
		at := filepath.Join(filepath.Dir(p), target)
		if resolved, err := filepath.EvalSymlinks(at); err == nil {
			at = resolved
		}
		if rel, err := filepath.Rel(real, at); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			t.Errorf("link %s -> %s resolves outside the code directory (%s)", p, target, at)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(dir) {
			t.Errorf("%s written beside the code directory", e.Name())
		}
	}
}

// TestUnzipLinkChains: links are resolved through the links made before
// them, and checked again once all are made, so that no order of entries
// leaves a link that resolves outside the code directory.
func TestUnzipLinkChains(t *testing.T) {
	link := func(name, target string) zipEntry { return zipEntry{name, target, fs.ModeSymlink | 0o777} }
	for name, entries := range map[string][]zipEntry{
		"x to dot, then x/y to dotdot":   {link("x", "."), link("x/y", "..")},
		"x to dot, then x/y/z to dotdot": {link("x", "."), {"x/y/", "", fs.ModeDir | 0o755}, link("x/y/z", "../..")},
		"dotdot after a link to dot":     {link("x", "."), link("z", "x/../y")},
		"the way opened after the link":  {link("a", "b/../x"), link("b", ".")},
		"through a link to a parent":     {{"d/e/", "", fs.ModeDir | 0o755}, link("d/e/up", ".."), link("d/e/up/up2", "../..")},
		"through two links":              {link("p", "."), link("q", "p/p/p"), link("q/r", "..")},
		"a loop":                         {link("a", "b"), link("b", "a"), link("c", "a/x")},
		"a link to itself":               {link("a", "a")},
		"an empty target":                {link("a", "")},
		"a file over a link":             {link("a", "b"), {"a", "x", 0o644}},
		"absolute":                       {link("a", "/")},
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "code")
			err := Unzip(makeZip(t, entries...), dir)
			if !errors.Is(err, ErrBadPackage) {
				t.Fatalf("Unzip = %v, want ErrBadPackage", err)
			}
			if strings.Contains(err.Error(), dir) {
				t.Errorf("the error names the host directory: %v", err)
			}
		})
	}
	// Links that stay inside, in either order, and files written through
	// them, are kept.
	dir := filepath.Join(t.TempDir(), "code")
	err := Unzip(makeZip(t,
		link("lib", "vendor/lib"),
		zipEntry{"vendor/lib/", "", fs.ModeDir | 0o755},
		zipEntry{"lib/mod.py", "x = 1", 0o644},
		link("here", "."),
		link("here/again", "vendor/../lib"),
		link("vendor/lib/up", "../.."),
	), dir)
	if err != nil {
		t.Fatal(err)
	}
	insideOnly(t, dir)
	if b, err := os.ReadFile(filepath.Join(dir, "again", "mod.py")); err != nil || string(b) != "x = 1" {
		t.Errorf("again/mod.py: %q %v", b, err)
	}
}

// TestUnzipPathBounds: a path past MaxPathDepth levels or MaxPathBytes
// bytes, or with a name past 255 bytes, directly or through links, is
// refused; one at the bounds is kept.
func TestUnzipPathBounds(t *testing.T) {
	deep := func(levels int) string { return strings.Repeat("a/", levels-1) + "f" }
	for name, entries := range map[string][]zipEntry{
		"2000 levels":               {{deep(2000), "x", 0o644}},
		"one level too deep":        {{deep(MaxPathDepth + 1), "x", 0o644}},
		"too long":                  {{strings.Repeat(strings.Repeat("b", 200)+"/", 11) + "f", "x", 0o644}},
		"a name past 255 bytes":     {{strings.Repeat("n", 256), "x", 0o644}},
		"deep through a link":       {{deep(100)[:len(deep(100))-1], "", fs.ModeDir | 0o755}, {"l", deep(100)[:len(deep(100))-2], fs.ModeSymlink | 0o777}, {"l/" + deep(40), "x", 0o644}},
		"a link target too long":    {{"l", strings.Repeat("c/", MaxPathBytes), fs.ModeSymlink | 0o777}},
		"a directory 2000 deep":     {{deep(2000)[:len(deep(2000))-1], "", fs.ModeDir | 0o755}},
		"a link resolving too deep": {{"l", deep(MaxPathDepth + 1), fs.ModeSymlink | 0o777}},
		"not a zip":                 nil,
	} {
		t.Run(name, func(t *testing.T) {
			data := []byte("PK not a zip")
			if entries != nil {
				data = makeZip(t, entries...)
			}
			dir := filepath.Join(t.TempDir(), "code")
			if err := Unzip(data, dir); !errors.Is(err, ErrBadPackage) {
				t.Fatalf("Unzip = %v, want ErrBadPackage", err)
			}
		})
	}
	dir := filepath.Join(t.TempDir(), "code")
	if err := Unzip(makeZip(t, zipEntry{deep(MaxPathDepth), "x", 0o644}, zipEntry{strings.Repeat("n", 255), "y", 0o644}), dir); err != nil {
		t.Fatalf("a path at the bounds: %v", err)
	}
}

// FuzzUnzip: whatever the entries (names, link targets, kinds, order),
// Unzip either refuses with ErrBadPackage or ErrCodeTooLarge, or leaves
// nothing outside the code directory and no link that resolves outside.
// The input is entries separated by newlines, each "kind name target":
// kind f (file), d (directory) or l (link).
func FuzzUnzip(f *testing.F) {
	for _, seed := range []string{
		"l x .\nl x/y ..",
		"l a b/../x\nl b .",
		"l x .\nl z x/../y",
		"d v/lib\nl lib v/lib\nf lib/m x",
		"l p .\nl q p/p/p\nl q/r ..",
		"f a/b/c x\nl a/b/l ../..\nl a/b/l/m ..",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		var entries []zipEntry
		for _, line := range strings.Split(spec, "\n") {
			kind, rest, _ := strings.Cut(line, " ")
			name, target, _ := strings.Cut(rest, " ")
			switch kind {
			case "f":
				entries = append(entries, zipEntry{name, target, 0o644})
			case "d":
				entries = append(entries, zipEntry{name + "/", "", fs.ModeDir | 0o755})
			case "l":
				entries = append(entries, zipEntry{name, target, fs.ModeSymlink | 0o777})
			}
		}
		if len(entries) == 0 || len(entries) > 64 {
			return
		}
		dir := filepath.Join(t.TempDir(), "code")
		err := unzip(makeZip(t, entries...), dir, 1<<20)
		if err != nil {
			if !errors.Is(err, ErrBadPackage) && !errors.Is(err, ErrCodeTooLarge) {
				t.Fatalf("Unzip = %v", err)
			}
			return
		}
		insideOnly(t, dir)
	})
}
