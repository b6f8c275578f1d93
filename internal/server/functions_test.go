package server_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rolecall/rolecall/internal/sandbox"
)

// The deployment packages of the example functions, built once per test
// binary and only when a test asks for them.
var examples struct {
	once sync.Once
	dir  string // holds the Go build; removed by TestMain
	zips map[string][]byte
	err  error
}

func TestMain(m *testing.M) {
	sandbox.Init()
	code := m.Run()
	if examples.dir != "" {
		os.RemoveAll(examples.dir)
	}
	os.Exit(code)
}

// Example runtimes.
const (
	goExample     = "go"
	goEchoExample = "go-echo" // the smallest Go function: returns its event
	pythonExample = "python"
	nodeExample   = "node"
)

// exampleZip returns the deployment package of an example function:
// "go" is the provided.al2023 bootstrap, "python" handler.py, "node"
// index.mjs and callback.js.
func exampleZip(t testing.TB, name string) []byte {
	t.Helper()
	examples.once.Do(func() { examples.zips, examples.err = buildExamples() })
	if examples.err != nil {
		t.Fatalf("example functions: %v", examples.err)
	}
	z, ok := examples.zips[name]
	if !ok {
		t.Fatalf("no example function %q", name)
	}
	return z
}

func buildExamples() (map[string][]byte, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "rolecall-examples-")
	if err != nil {
		return nil, err
	}
	examples.dir = dir
	build := func(pkg string) (string, error) {
		bootstrap := filepath.Join(dir, filepath.Base(pkg), "bootstrap")
		cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", bootstrap, pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
		return bootstrap, nil
	}
	bootstrap, err := build("./examples/functions/go")
	if err != nil {
		return nil, err
	}
	echoBootstrap, err := build("./examples/functions/go-echo")
	if err != nil {
		return nil, err
	}
	zips := map[string][]byte{}
	add := func(name string, files map[string]string) error {
		z, err := zipFiles(files)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		zips[name] = z
		return nil
	}
	fn := func(p ...string) string {
		return filepath.Join(append([]string{root, "examples", "functions"}, p...)...)
	}
	if err := add(goExample, map[string]string{"bootstrap": bootstrap}); err != nil {
		return nil, err
	}
	if err := add(goEchoExample, map[string]string{"bootstrap": echoBootstrap}); err != nil {
		return nil, err
	}
	if err := add(pythonExample, map[string]string{"handler.py": fn("python", "handler.py")}); err != nil {
		return nil, err
	}
	if err := add(nodeExample, map[string]string{"index.mjs": fn("node", "index.mjs"), "callback.js": fn("node", "callback.js")}); err != nil {
		return nil, err
	}
	return zips, nil
}

// zipFiles zips files (name in the archive -> path on disk), keeping
// each file's permission bits.
func zipFiles(files map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		info, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		mode := info.Mode().Perm() | 0o444
		if name == "bootstrap" {
			mode |= 0o111
		}
		h.SetMode(fs.FileMode(mode))
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
