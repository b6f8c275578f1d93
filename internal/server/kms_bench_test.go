package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// BenchmarkKMSEncrypt measures Encrypt of 1 KiB with encryption context
// through the whole server (HTTP, SigV4, key policy, handler, trail) with
// an aws-sdk-go-v2 client, in parallel; it reports requests per second.
func BenchmarkKMSEncrypt(b *testing.B) {
	srv := servertest.Start(b)
	c := kms.NewFromConfig(srv.RootConfig())
	key := newKey(b, c, nil)
	in := &kms.EncryptInput{KeyId: key.KeyId, Plaintext: make([]byte, 1024), EncryptionContext: map[string]string{"app": "bench"}}
	benchKMS(b, srv, func(ctx context.Context) error {
		_, err := c.Encrypt(ctx, in)
		return err
	})
}

// BenchmarkKMSDecrypt measures Decrypt of the ciphertext of 1 KiB, as
// BenchmarkKMSEncrypt does.
func BenchmarkKMSDecrypt(b *testing.B) {
	srv := servertest.Start(b)
	c := kms.NewFromConfig(srv.RootConfig())
	key := newKey(b, c, nil)
	ec := map[string]string{"app": "bench"}
	enc, err := c.Encrypt(context.Background(), &kms.EncryptInput{KeyId: key.KeyId, Plaintext: make([]byte, 1024), EncryptionContext: ec})
	if err != nil {
		b.Fatal(err)
	}
	in := &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec}
	benchKMS(b, srv, func(ctx context.Context) error {
		out, err := c.Decrypt(ctx, in)
		if err == nil && aws.ToString(out.KeyId) != aws.ToString(key.Arn) {
			b.Errorf("KeyId %s", aws.ToString(out.KeyId))
		}
		return err
	})
}

func benchKMS(b *testing.B, srv *servertest.Server, call func(context.Context) error) {
	ctx := context.Background()
	if err := call(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := call(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if err := srv.Recorder().Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
