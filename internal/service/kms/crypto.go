package kms

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// Ciphertext blobs name the key that made them, so that Decrypt needs no
// KeyId:
//
//	version (1 byte, 1) | ARN length (1 byte) | key ARN | nonce (12) | AES-256-GCM sealed plaintext and tag (16)
//
// The additional authenticated data is the header (version, length, ARN)
// followed by the canonical encryption context: its pairs sorted by key,
// each key and value preceded by its length as a big-endian uint32. A
// different context, key or header fails authentication.
const (
	blobVersion  = 1
	maxPlaintext = 4096
)

// header returns the blob header naming arn.
func header(arn string) []byte {
	h := make([]byte, 0, 2+len(arn))
	h = append(h, blobVersion, byte(len(arn)))
	return append(h, arn...)
}

// aad is the additional data for a blob with header h and context ec.
func aad(h []byte, ec map[string]string) []byte {
	out := slices.Clone(h)
	for _, k := range slices.Sorted(maps.Keys(ec)) {
		out = binary.BigEndian.AppendUint32(out, uint32(len(k)))
		out = append(out, k...)
		out = binary.BigEndian.AppendUint32(out, uint32(len(ec[k])))
		out = append(out, ec[k]...)
	}
	return out
}

// blobKey returns the key ARN a ciphertext blob names.
func blobKey(blob []byte) (string, error) {
	if len(blob) < 2 || blob[0] != blobVersion || len(blob) < 2+int(blob[1])+12+16 {
		return "", invalidCiphertext()
	}
	arn := string(blob[2 : 2+int(blob[1])])
	if !strings.HasPrefix(arn, "arn:aws:kms:") {
		return "", invalidCiphertext()
	}
	return arn, nil
}

// aead returns the cipher of kk's material.
func (k *KMS) aead(kk *key) (cipher.AEAD, error) {
	material, err := k.cfg.Box.Open(kk.Sealed, materialAD(kk.ARN))
	if err != nil {
		return nil, fmt.Errorf("kms: material of %s: %w", kk.ARN, err)
	}
	block, err := aes.NewCipher(material)
	if err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	return cipher.NewGCM(block)
}

// seal encrypts plaintext under kk with context ec.
func (k *KMS) seal(kk *key, plaintext []byte, ec map[string]string) ([]byte, error) {
	a, err := k.aead(kk)
	if err != nil {
		return nil, err
	}
	h := header(kk.ARN)
	out := make([]byte, len(h)+a.NonceSize(), len(h)+a.NonceSize()+len(plaintext)+a.Overhead())
	copy(out, h)
	nonce := out[len(h):]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	return a.Seal(out, nonce, plaintext, aad(h, ec)), nil
}

// open decrypts blob, made under kk, with context ec.
func (k *KMS) open(kk *key, blob []byte, ec map[string]string) ([]byte, error) {
	a, err := k.aead(kk)
	if err != nil {
		return nil, err
	}
	h := blob[:2+int(blob[1])]
	rest := blob[len(h):]
	pt, err := a.Open(nil, rest[:a.NonceSize()], rest[a.NonceSize():], aad(h, ec))
	if err != nil {
		return nil, invalidCiphertext()
	}
	if pt == nil {
		pt = []byte{}
	}
	return pt, nil
}

// usable refuses a key that cannot be used for cryptographic operations.
func usable(kk *key) error {
	switch kk.State {
	case stateDisabled:
		return disabled(kk.ARN)
	case statePendingDeletion:
		return pendingDeletion(kk.ARN)
	}
	return nil
}

func checkAlgorithm(alg string) error {
	if alg != "" && alg != "SYMMETRIC_DEFAULT" {
		return kmsError("InvalidKeyUsageException", "The encryption algorithm %s is not compatible with the key spec SYMMETRIC_DEFAULT.", alg)
	}
	return nil
}

func (k *KMS) encrypt(c *api.Call) (any, error) {
	var in EncryptInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	switch {
	case len(in.Plaintext) == 0:
		return nil, validation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(in.Plaintext) > maxPlaintext:
		return nil, validation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096")
	}
	if err := checkAlgorithm(in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	if err := checkGrantTokens(in.GrantTokens); err != nil {
		return nil, err
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	if err := usable(kk); err != nil {
		return nil, err
	}
	blob, err := k.seal(kk, in.Plaintext, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	return &EncryptOutput{CiphertextBlob: blob, KeyId: kk.ARN, EncryptionAlgorithm: "SYMMETRIC_DEFAULT"}, nil
}

// reEncryptInput is ReEncrypt's input.
type reEncryptInput struct {
	CiphertextBlob                 []byte            `json:"CiphertextBlob"`
	SourceEncryptionContext        map[string]string `json:"SourceEncryptionContext"`
	SourceKeyId                    string            `json:"SourceKeyId"`
	DestinationKeyId               string            `json:"DestinationKeyId"`
	DestinationEncryptionContext   map[string]string `json:"DestinationEncryptionContext"`
	SourceEncryptionAlgorithm      string            `json:"SourceEncryptionAlgorithm"`
	DestinationEncryptionAlgorithm string            `json:"DestinationEncryptionAlgorithm"`
	GrantTokens                    []string          `json:"GrantTokens"`
}

// decryptSource returns what Decrypt and ReEncrypt decrypt: the blob, its
// context, and the KeyId the caller named ("" for none).
func decryptSource(c *api.Call) (blob []byte, ec map[string]string, keyID string, err error) {
	if c.OperationName == "ReEncrypt" {
		var in reEncryptInput
		if err := decode(c, &in); err != nil {
			return nil, nil, "", err
		}
		return in.CiphertextBlob, in.SourceEncryptionContext, in.SourceKeyId, nil
	}
	var in DecryptInput
	if err := decode(c, &in); err != nil {
		return nil, nil, "", err
	}
	return in.CiphertextBlob, in.EncryptionContext, in.KeyId, nil
}

// sourceKey returns the key a blob to decrypt names; a KeyId that names
// another key is IncorrectKeyException.
func (k *KMS) sourceKey(c *api.Call) (*key, []byte, map[string]string, error) {
	blob, ec, keyID, err := decryptSource(c)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(blob) == 0 {
		return nil, nil, nil, validation("1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	arn, err := blobKey(blob)
	if err != nil {
		return nil, nil, nil, err
	}
	kk, err := k.resolve(c, arn)
	if err != nil {
		if ae, ok := err.(*api.Error); ok && ae.Code == "NotFoundException" {
			// A blob naming a key that does not exist is not a ciphertext.
			return nil, nil, nil, invalidCiphertext()
		}
		return nil, nil, nil, err
	}
	if keyID != "" {
		named, err := k.resolve(c, keyID)
		if err != nil {
			return nil, nil, nil, err
		}
		if named.ARN != kk.ARN {
			return nil, nil, nil, incorrectKey()
		}
	}
	return kk, blob, ec, nil
}

// decryptResource is the key a ciphertext blob names.
func (k *KMS) decryptResource(c *api.Call) (api.Resource, error) {
	kk, _, _, err := k.sourceKey(c)
	if err != nil {
		return api.Resource{}, err
	}
	return k.resourceOf(c.Context, kk)
}

func (k *KMS) decrypt(c *api.Call) (any, error) {
	var in DecryptInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkAlgorithm(in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	if err := checkGrantTokens(in.GrantTokens); err != nil {
		return nil, err
	}
	kk, blob, ec, err := k.sourceKey(c)
	if err != nil {
		return nil, err
	}
	if err := usable(kk); err != nil {
		return nil, err
	}
	pt, err := k.open(kk, blob, ec)
	if err != nil {
		return nil, err
	}
	return &DecryptOutput{KeyId: kk.ARN, Plaintext: pt, EncryptionAlgorithm: "SYMMETRIC_DEFAULT"}, nil
}

// dataKeySize returns the size of the data key GenerateDataKey asks for.
func dataKeySize(in *GenerateDataKeyInput) (int, error) {
	switch {
	case in.NumberOfBytes != nil && in.KeySpec != "", in.NumberOfBytes == nil && in.KeySpec == "":
		return 0, validation("Please specify either number of bytes or key spec.")
	case in.NumberOfBytes != nil:
		n := int(*in.NumberOfBytes)
		if n < 1 || n > 1024 {
			return 0, validation("1 validation error detected: Value '%d' at 'numberOfBytes' failed to satisfy constraint: Member must have value %s", n,
				map[bool]string{true: "greater than or equal to 1", false: "less than or equal to 1024"}[n < 1])
		}
		return n, nil
	case in.KeySpec == "AES_256":
		return 32, nil
	case in.KeySpec == "AES_128":
		return 16, nil
	}
	return 0, validation("1 validation error detected: Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]", in.KeySpec)
}

func (k *KMS) dataKey(c *api.Call) (*GenerateDataKeyOutput, error) {
	var in GenerateDataKeyInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	n, err := dataKeySize(&in)
	if err != nil {
		return nil, err
	}
	if err := checkGrantTokens(in.GrantTokens); err != nil {
		return nil, err
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	if err := usable(kk); err != nil {
		return nil, err
	}
	pt := make([]byte, n)
	if _, err := rand.Read(pt); err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	blob, err := k.seal(kk, pt, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	return &GenerateDataKeyOutput{CiphertextBlob: blob, Plaintext: pt, KeyId: kk.ARN}, nil
}

func (k *KMS) generateDataKey(c *api.Call) (any, error) { return k.dataKey(c) }

func (k *KMS) generateDataKeyWithoutPlaintext(c *api.Call) (any, error) {
	out, err := k.dataKey(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"CiphertextBlob": out.CiphertextBlob, "KeyId": out.KeyId}, nil
}

// destinationResource is the key ReEncrypt encrypts under.
func (k *KMS) destinationResource(c *api.Call) (api.Resource, error) {
	var in reEncryptInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	kk, err := k.resolve(c, in.DestinationKeyId)
	if err != nil {
		return api.Resource{}, err
	}
	return k.resourceOf(c.Context, kk)
}

func (k *KMS) reEncrypt(c *api.Call) (any, error) {
	var in reEncryptInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkAlgorithm(in.SourceEncryptionAlgorithm); err != nil {
		return nil, err
	}
	if err := checkAlgorithm(in.DestinationEncryptionAlgorithm); err != nil {
		return nil, err
	}
	if err := checkGrantTokens(in.GrantTokens); err != nil {
		return nil, err
	}
	src, blob, ec, err := k.sourceKey(c)
	if err != nil {
		return nil, err
	}
	dst, err := k.resolve(c, in.DestinationKeyId)
	if err != nil {
		return nil, err
	}
	if err := usable(src); err != nil {
		return nil, err
	}
	if err := usable(dst); err != nil {
		return nil, err
	}
	pt, err := k.open(src, blob, ec)
	if err != nil {
		return nil, err
	}
	out, err := k.seal(dst, pt, in.DestinationEncryptionContext)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"CiphertextBlob": out, "SourceKeyId": src.ARN, "KeyId": dst.ARN,
		"SourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT", "DestinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
	}, nil
}
