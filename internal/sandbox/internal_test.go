package sandbox

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

func TestTmpInMemoryWithoutLoopDevices(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("sandboxes need root")
	}
	l, err := New(Options{WorkDir: t.TempDir(), Spares: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.loop, l.why = false, "no loop devices: /dev/loop-control is missing"
	if d := l.Describe(); !strings.Contains(d, "/tmp is memory-backed (no loop devices") {
		t.Errorf("Describe() = %q, want it to say /tmp is memory-backed", d)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := l.Start(context.Background(), Spec{
		Path: "/bin/sh", Args: []string{"-c", "grep ' /tmp ' /proc/self/mounts"},
		UID: 61998, GID: 61998, TmpBytes: 32 << 20, Stdout: w,
	})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	if len(f) < 4 || f[2] != "tmpfs" || !strings.Contains(f[3], "size=32768k") || !strings.Contains(f[3], "uid=61998") {
		t.Errorf("/tmp mount %q, want a 32 MB tmpfs of uid 61998", out)
	}
}

func TestWorkDirInMemoryMeansTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("sandboxes need root")
	}
	if _, err := os.Stat("/dev/shm"); err != nil {
		t.Skip("no /dev/shm")
	}
	dir, err := os.MkdirTemp("/dev/shm", "rolecall-sandbox-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	l, err := New(Options{WorkDir: dir, Spares: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if d := l.Describe(); !strings.Contains(d, "/tmp is memory-backed (the work directory "+dir+" is itself in memory)") {
		t.Errorf("Describe() = %q", d)
	}
}
