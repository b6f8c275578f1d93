package sandbox

import (
	"context"
	"os"
	"testing"
	"time"
)

// BenchmarkStart measures Start, from the call to the program's execve,
// with a spare init (and its /tmp disk) ready and with none (Spares < 0:
// an init is started and a disk made on the call).
//
//	go test -run '^$' -bench BenchmarkStart -benchmem ./internal/sandbox
func BenchmarkStart(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("sandboxes need root")
	}
	for _, c := range []struct {
		name   string
		spares int
	}{{"spare", 1}, {"none", -1}} {
		b.Run(c.name, func(b *testing.B) {
			l, err := New(Options{WorkDir: b.TempDir(), Spares: c.spares})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			spec := Spec{Path: "/bin/true", UID: 61999, GID: 61999}
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if c.spares > 0 {
					waitSpare(b, l)
				}
				b.StartTimer()
				p, err := l.Start(context.Background(), spec)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := p.Wait(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// waitSpare waits until l has a spare ready.
func waitSpare(b *testing.B, l *Launcher) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		l.mu.Lock()
		ready := len(l.pool) > 0 && l.pool[0].isPrepared()
		l.mu.Unlock()
		if ready {
			return
		}
	}
	b.Fatal("no spare after 10s")
}

// BenchmarkNewDisk measures making a /tmp disk of the default size: the
// sparse image, mkfs.ext4 and the loop device (what a spare holds ready).
func BenchmarkNewDisk(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("loop devices need root")
	}
	dir := b.TempDir()
	for range b.N {
		d, err := newDisk(context.Background(), dir, DefaultTmpBytes, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := d.release(); err != nil {
			b.Fatal(err)
		}
	}
}
