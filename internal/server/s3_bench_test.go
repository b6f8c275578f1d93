package server_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// benchBucket starts rolecall with a bucket for a benchmark.
func benchBucket(b *testing.B) (*s3.Client, *string) {
	b.Helper()
	srv := servertest.Start(b)
	c := s3Client(srv.RootConfig())
	bucket := aws.String("bench")
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: bucket}); err != nil {
		b.Fatal(err)
	}
	return c, bucket
}

func benchPut(b *testing.B, size int) {
	c, bucket := benchBucket(b)
	ctx := context.Background()
	data := bytes.Repeat([]byte("x"), size)
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("k"), Body: bytes.NewReader(data)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func benchGet(b *testing.B, size int) {
	c, bucket := benchBucket(b)
	ctx := context.Background()
	data := bytes.Repeat([]byte("x"), size)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("k"), Body: bytes.NewReader(data)}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("k")})
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, out.Body)
		_ = out.Body.Close()
		if err != nil || n != int64(size) {
			b.Fatalf("GetObject: %d bytes, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkS3PutObject1KiB(b *testing.B)  { benchPut(b, 1<<10) }
func BenchmarkS3GetObject1KiB(b *testing.B)  { benchGet(b, 1<<10) }
func BenchmarkS3PutObject64MiB(b *testing.B) { benchPut(b, 64<<20) }
func BenchmarkS3GetObject64MiB(b *testing.B) { benchGet(b, 64<<20) }

// BenchmarkCopyFile64MiB is cp of a 64 MiB file on the disk the servers'
// data directories are on, to compare the S3 figures with.
func BenchmarkCopyFile64MiB(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, bytes.Repeat([]byte("x"), 64<<20), 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(64 << 20)
	b.ResetTimer()
	for b.Loop() {
		if out, err := exec.Command("cp", src, filepath.Join(dir, "dst")).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v %s", err, out)
		}
	}
}

// BenchmarkS3Stream puts and gets a 64 MiB and a 1 GiB object and reports
// the peak of the process's HeapInuse while each streams, above what it
// was before: the server holds a few chunks of a body at a time, so the
// peak does not grow with the object; what there is is garbage awaiting
// the collector. (The client is in the same process: its buffers count
// too.)
func BenchmarkS3Stream(b *testing.B) {
	b.Run("64MiB", func(b *testing.B) { benchStream(b, 64<<20) })
	b.Run("1GiB", func(b *testing.B) { benchStream(b, 1<<30) })
}

func benchStream(b *testing.B, size int64) {
	c, bucket := benchBucket(b)
	ctx := context.Background()
	peak := func(run func()) float64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		var top atomic.Uint64
		done := make(chan struct{})
		go func() {
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					if m.HeapInuse > top.Load() {
						top.Store(m.HeapInuse)
					}
				}
			}
		}()
		run()
		close(done)
		if top.Load() < base {
			return 0
		}
		return float64(top.Load()-base) / (1 << 20)
	}
	for b.Loop() {
		putPeak := peak(func() {
			// A generated body the SDK hashes, then streams.
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("huge"),
				Body: io.NewSectionReader(zeroReader{}, 0, size), ContentLength: aws.Int64(size)})
			if err != nil {
				b.Fatal(err)
			}
		})
		getPeak := peak(func() {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("huge")})
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, out.Body)
			_ = out.Body.Close()
			if err != nil || n != size {
				b.Fatalf("GetObject: %d bytes, %v", n, err)
			}
		})
		b.ReportMetric(putPeak, "MiB-heap-put")
		b.ReportMetric(getPeak, "MiB-heap-get")
	}
}

type zeroReader struct{}

func (zeroReader) ReadAt(p []byte, _ int64) (int, error) {
	clear(p)
	return len(p), nil
}
