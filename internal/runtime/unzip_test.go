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
