package s3

import (
	"bytes"
	"io"
	"testing"
)

// TestCTROffset: decrypting from any offset, the counter carried across
// bytes, gives the plaintext from there on.
func TestCTROffset(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	iv := append(bytes.Repeat([]byte{0}, 14), 0xff, 0xf0) // carries soon
	plain := make([]byte, 5000)
	for i := range plain {
		plain[i] = byte(i)
	}
	enc, err := ctrReader(key, iv, 0, bytes.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := io.ReadAll(enc)
	for _, off := range []int64{0, 1, 15, 16, 17, 256, 4095, 4999} {
		dec, err := ctrReader(key, iv, off, bytes.NewReader(sealed[off:]))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(dec)
		if !bytes.Equal(got, plain[off:]) {
			t.Fatalf("offset %d: wrong plaintext", off)
		}
	}
}

// TestEncryptionContextNamesTheObject: the caller's additional context
// cannot replace the aws:s3:arn S3 gives KMS, which key policies test with
// kms:EncryptionContext:aws:s3:arn.
func TestEncryptionContextNamesTheObject(t *testing.T) {
	ec := encryptionContext("mine", "k", map[string]string{"aws:s3:arn": "arn:aws:s3:::theirs/k", "team": "a"})
	if ec["aws:s3:arn"] != "arn:aws:s3:::mine/k" || ec["team"] != "a" || len(ec) != 2 {
		t.Fatalf("context: %v", ec)
	}
}
