// Package crypt seals small secrets with the server key: session tokens and
// secret access keys at rest. It is AES-256-GCM with a random nonce.
package crypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// KeySize is the size of a server key in bytes.
const KeySize = 32

// ErrOpen is returned when a sealed value is not authentic.
var ErrOpen = errors.New("crypt: message authentication failed")

// Box seals and opens values with one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a KeySize-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("crypt: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	return &Box{aead: aead}, nil
}

// NewKey returns a fresh random key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic("crypt: no randomness: " + err.Error())
	}
	return k
}

// Seal encrypts and authenticates plaintext, binding it to additional data ad
// (which must be given again to Open). The result is nonce || ciphertext.
func (b *Box) Seal(plaintext, ad []byte) []byte {
	ns := b.aead.NonceSize()
	out := make([]byte, ns, ns+len(plaintext)+b.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		panic("crypt: no randomness: " + err.Error())
	}
	return b.aead.Seal(out, out[:ns], plaintext, ad)
}

// Open reverses Seal. It returns ErrOpen for anything tampered with.
func (b *Box) Open(sealed, ad []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < ns+b.aead.Overhead() {
		return nil, ErrOpen
	}
	pt, err := b.aead.Open(nil, sealed[:ns], sealed[ns:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
