package s3

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/kms"
)

// This file is server-side encryption of object bodies. Every object is
// encrypted at rest, as S3 does since 2023: SSE-S3 (AES256) is the default
// and reported back. SSE-KMS (aws:kms) encrypts a body with a data key that
// KMS generates under the customer's key, on the caller's behalf: S3 calls
// GenerateDataKey when the body is written and Decrypt when it is read,
// with the encryption context {"aws:s3:arn": the object's ARN}, so that
// the caller needs kms:GenerateDataKey and kms:Decrypt on the key and the
// trail shows the calls made as the caller, invoked by s3.amazonaws.com.
// The body is stored encrypted with AES-256 in CTR mode, each blob with its
// own IV; the blob's SHA-256 guards its integrity.

// Server-side encryption algorithms (x-amz-server-side-encryption).
const (
	sseS3  = "AES256"
	sseKMS = "aws:kms"
)

// s3Principal is S3's service principal, which calls KMS for the caller.
const s3Principal = "s3.amazonaws.com"

// defaultKMSKey is the AWS managed key of S3, made on first use.
const defaultKMSKey = "alias/aws/s3"

// sseRequest is the encryption a write asks for.
type sseRequest struct {
	Algorithm string
	KeyID     string            // the KMS key, as the request names it
	Context   map[string]string // x-amz-server-side-encryption-context
}

// kmsEnvelope is an SSE-KMS object's (or upload's) data key, encrypted
// under its KMS key.
type kmsEnvelope struct {
	KeyID   string            `json:"keyId"` // the key's ARN, as KMS answered
	DataKey []byte            `json:"dataKey"`
	Context map[string]string `json:"context,omitempty"` // the caller's part of the context
}

// parseSSE reads the encryption headers of a write: AES256 (also the
// default), or aws:kms with an optional key (alias/aws/s3 by default) and
// encryption context. DSSE and customer-provided keys are refused.
func parseSSE(h http.Header) (sseRequest, error) {
	r := sseRequest{Algorithm: sseS3}
	keyID := h.Get("x-amz-server-side-encryption-aws-kms-key-id")
	ctx := h.Get("x-amz-server-side-encryption-context")
	switch v := h.Get("x-amz-server-side-encryption"); v {
	case "", sseS3:
		if keyID != "" || ctx != "" {
			return r, api.Errorf(400, "InvalidArgument", "Server Side Encryption with KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms")
		}
	case sseKMS:
		r.Algorithm, r.KeyID = sseKMS, keyID
		if r.KeyID == "" {
			r.KeyID = defaultKMSKey
		}
		if ctx != "" {
			b, err := base64.StdEncoding.DecodeString(ctx)
			if err != nil || json.Unmarshal(b, &r.Context) != nil {
				return r, errInvalidArgument("The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map", "x-amz-server-side-encryption-context", ctx)
			}
		}
	case "aws:kms:dsse":
		return r, api.Errorf(501, "NotImplemented", "A header you provided implies functionality that is not implemented.")
	default:
		return r, errInvalidArgument("The encryption method specified is not supported", "x-amz-server-side-encryption", v)
	}
	if h.Get("x-amz-server-side-encryption-customer-algorithm") != "" {
		return r, api.Errorf(501, "NotImplemented", "A header you provided implies functionality that is not implemented.")
	}
	return r, nil
}

// encryptionContext is the context S3 gives KMS for an object: the
// caller's additional pairs and aws:s3:arn, which always names the object
// (a caller's own aws:s3:arn does not replace it).
func encryptionContext(bucket, key string, extra map[string]string) map[string]string {
	ec := make(map[string]string, len(extra)+1)
	for k, v := range extra {
		ec[k] = v
	}
	ec["aws:s3:arn"] = objectARN(bucket, key)
	return ec
}

// onBehalf is the caller as S3 calls KMS for it.
func onBehalf(p *api.Principal) *api.Principal {
	q := *p
	q.InvokedBy = s3Principal
	return &q
}

// newDataKey asks KMS, as the caller, for a data key under the request's
// key. It returns the envelope to keep and the plaintext key.
func (s *S3) newDataKey(c *api.Call, r sseRequest, bucket, key string) (*kmsEnvelope, []byte, error) {
	if s.cfg.Invoker == nil {
		return nil, nil, kmsUnavailable()
	}
	out, err := api.Invoke[*kms.GenerateDataKeyOutput](c.Context, s.cfg.Invoker, api.Internal{
		Principal: onBehalf(c.Principal), Service: "kms", Operation: "GenerateDataKey", Region: c.Region,
		Input: &kms.GenerateDataKeyInput{KeyId: r.KeyID, KeySpec: "AES_256", EncryptionContext: encryptionContext(bucket, key, r.Context)},
	})
	if err != nil {
		return nil, nil, kmsError(err)
	}
	if out == nil || len(out.Plaintext) != 32 {
		return nil, nil, kmsUnavailable()
	}
	return &kmsEnvelope{KeyID: out.KeyId, DataKey: out.CiphertextBlob, Context: r.Context}, out.Plaintext, nil
}

// openDataKey asks KMS, as the caller, to decrypt an object's data key.
func (s *S3) openDataKey(c *api.Call, env *kmsEnvelope, bucket, key string) ([]byte, error) {
	if s.cfg.Invoker == nil {
		return nil, kmsUnavailable()
	}
	out, err := api.Invoke[*kms.DecryptOutput](c.Context, s.cfg.Invoker, api.Internal{
		Principal: onBehalf(c.Principal), Service: "kms", Operation: "Decrypt", Region: c.Region,
		Input: &kms.DecryptInput{CiphertextBlob: env.DataKey, KeyId: env.KeyID, EncryptionContext: encryptionContext(bucket, key, env.Context)},
	})
	if err != nil {
		return nil, kmsError(err)
	}
	if out == nil || len(out.Plaintext) != 32 {
		return nil, kmsUnavailable()
	}
	return out.Plaintext, nil
}

// kmsError is S3's answer to a failed KMS call: KMS's access denial as
// S3's AccessDenied with KMS's message, its other errors with their code
// prefixed "KMS.", as S3 reports them.
func kmsError(err error) error {
	var e *api.Error
	if !errors.As(err, &e) {
		return err
	}
	if strings.HasPrefix(e.Code, "AccessDenied") {
		return api.AccessDenied(e.Message)
	}
	status := e.Status
	if status == 0 || status >= 500 {
		status = 400
	}
	return &api.Error{Code: "KMS." + strings.TrimSuffix(e.Code, "Exception") + "Exception", Status: status, Message: e.Message}
}

// kmsUnavailable refuses SSE-KMS when no KMS answers.
func kmsUnavailable() error {
	return api.Errorf(400, "KMS.NotFoundException", "SSE-KMS is unavailable: no KMS service answers for this server.")
}

// newIV returns a random CTR IV.
func newIV() []byte {
	iv := make([]byte, aes.BlockSize)
	_, _ = rand.Read(iv)
	return iv
}

// ctrReader encrypts or decrypts r with AES-256-CTR under key and iv, r
// being the stream from byte off on: the counter starts off/16 blocks on
// and the first off%16 bytes of keystream are spent.
func ctrReader(key, iv []byte, off int64, r io.Reader) (io.Reader, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	ctr := make([]byte, aes.BlockSize)
	copy(ctr, iv)
	// Add off/16 to the counter, a 128-bit big-endian number as
	// crypto/cipher's CTR counts it.
	carry := uint64(off / aes.BlockSize)
	for i := aes.BlockSize - 1; i >= 0 && carry > 0; i-- {
		sum := uint64(ctr[i]) + carry&0xff
		ctr[i] = byte(sum)
		carry = carry>>8 + sum>>8
	}
	stream := cipher.NewCTR(block, ctr)
	if skip := off % aes.BlockSize; skip > 0 {
		var spent [aes.BlockSize]byte
		stream.XORKeyStream(spent[:skip], spent[:skip])
	}
	return cipher.StreamReader{S: stream, R: r}, nil
}

// sseHeaders sets an object's encryption headers.
func sseHeaders(h http.Header, alg string, env *kmsEnvelope) {
	if alg == "" {
		alg = sseS3
	}
	h.Set("x-amz-server-side-encryption", alg)
	if env != nil {
		h.Set("x-amz-server-side-encryption-aws-kms-key-id", env.KeyID)
	}
}

// sealBody returns r encrypted as the write asks: unchanged for SSE-S3;
// for SSE-KMS, encrypted under a new IV with the data key of env (an
// upload's, whose key KMS decrypts) or of a new data key, returned with
// its envelope.
func (s *S3) sealBody(c *api.Call, sse sseRequest, bucket, key string, env *kmsEnvelope, r io.Reader) (io.Reader, *kmsEnvelope, []byte, error) {
	var dataKey []byte
	var err error
	switch {
	case env != nil:
		dataKey, err = s.openDataKey(c, env, bucket, key)
	case sse.Algorithm == sseKMS:
		env, dataKey, err = s.newDataKey(c, sse, bucket, key)
	default:
		return r, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	iv := newIV()
	sealed, err := ctrReader(dataKey, iv, 0, r)
	if err != nil {
		return nil, nil, nil, err
	}
	return sealed, env, iv, nil
}
