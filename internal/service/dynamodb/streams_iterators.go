package dynamodb

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/seqlog"
)

// Shard iterators carry their position: a node sharing the database with
// the one that issued an iterator reads on from it. They are sealed with
// an HMAC under a key kept in the store (made by the first node that
// needs it), so a client cannot forge one onto another stream.

// iteratorLifetime is how long a shard iterator may be used.
const iteratorLifetime = 15 * time.Minute

// metaTable holds the service's own settings: "iterator-key" → the HMAC
// key of shard iterators.
const metaTable = "ddb_meta"

// iterator is a shard iterator's content.
type iterator struct {
	Stream string          `json:"s"`
	Shard  string          `json:"h"`
	After  seqlog.Position `json:"p"`
	Issued int64           `json:"t"` // Unix milliseconds
}

// secret returns the iterator key, reading or making it once.
func (d *DynamoDB) secret(ctx context.Context) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.iteratorKey != nil {
		return d.iteratorKey, nil
	}
	var key []byte
	_, err := d.cfg.Store.Update(ctx, func(tx store.Tx) error {
		b, err := tx.Get(ctx, metaTable, "iterator-key")
		if err == nil {
			key = b
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		key = make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand.Read never fails
		return tx.Put(ctx, metaTable, "iterator-key", key)
	})
	if err != nil {
		return nil, fmt.Errorf("dynamodb: iterator key: %w", err)
	}
	d.iteratorKey = key
	return key, nil
}

// sealIterator renders it as an opaque ShardIterator.
func (d *DynamoDB) sealIterator(ctx context.Context, it iterator) (string, error) {
	key, err := d.secret(ctx)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(it)
	if err != nil {
		return "", err
	}
	body := base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return body + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// openIterator verifies and decodes a ShardIterator.
func (d *DynamoDB) openIterator(ctx context.Context, s string) (iterator, error) {
	var it iterator
	key, err := d.secret(ctx)
	if err != nil {
		return it, err
	}
	bad := validation("Invalid ShardIterator")
	body, sig, ok := strings.Cut(s, ".")
	if !ok {
		return it, bad
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return it, bad
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	if !hmac.Equal(got, m.Sum(nil)) {
		return it, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || json.Unmarshal(b, &it) != nil {
		return it, bad
	}
	return it, nil
}
