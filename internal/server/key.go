package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/store"
)

// keySource says where the server key came from, for the banner.
type keySource struct {
	desc    string // "database", "file /path", "file /path (created)", "environment"
	fromEnv bool
	// created is the key file this start made: removed when the start
	// fails, so that a retry with the right file is not confused by it.
	created string
}

// loadServerKey returns the server key, the key that seals every secret
// the store holds (access keys' secrets, session tokens).
//
// The key comes from, in order: cfg.ServerKey (ROLECALL_SERVER_KEY, base64
// of crypt.KeySize bytes), the file cfg.KeyFile (--key-file,
// ROLECALL_KEY_FILE; made with a new key when missing), or, only on a
// database of this process's own (SQLite), the database itself, where it is
// made at first start. A shared database never holds the key: whoever can
// read the database would read every secret in it.
func loadServerKey(ctx context.Context, st store.Store, cfg Config, shared bool) ([]byte, keySource, error) {
	switch {
	case cfg.ServerKey != "" && cfg.KeyFile != "":
		return nil, keySource{}, errors.New("server: the server key is given twice, by ROLECALL_SERVER_KEY and by --key-file (ROLECALL_KEY_FILE): give one")
	case cfg.ServerKey != "":
		key, err := decodeKey(cfg.ServerKey)
		if err != nil {
			return nil, keySource{}, fmt.Errorf("server: ROLECALL_SERVER_KEY: %w", err)
		}
		return key, keySource{desc: "environment (ROLECALL_SERVER_KEY)", fromEnv: true}, nil
	case cfg.KeyFile != "":
		return keyFile(cfg.KeyFile)
	case shared:
		return nil, keySource{}, errors.New("server: a shared database needs the server key from --key-file or ROLECALL_KEY_FILE " +
			"(a file every node reads; made when missing) or ROLECALL_SERVER_KEY (base64 of 32 bytes); it is never kept in the database")
	}
	key, err := storedKey(ctx, st)
	return key, keySource{desc: "database"}, err
}

// decodeKey reads a base64 key of crypt.KeySize bytes.
func decodeKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	if len(key) != crypt.KeySize {
		return nil, fmt.Errorf("key is %d bytes, want %d", len(key), crypt.KeySize)
	}
	return key, nil
}

// keyFile reads the key file at path, making it with a new key when it is
// missing. Two nodes starting together on one file agree: the key is
// written to a file of its own beside path and linked to path only once
// complete, so the loser of the link reads the winner's whole key, never
// an empty or half-written file.
func keyFile(path string) ([]byte, keySource, error) {
	src := keySource{desc: "file " + path}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := crypt.NewKey()
		created, cerr := createKeyFile(path, key)
		switch {
		case cerr != nil:
			return nil, src, fmt.Errorf("server: key file: %w", cerr)
		case created:
			src.desc += " (created)"
			src.created = path
			return key, src, nil
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, src, fmt.Errorf("server: key file: %w", err)
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		return nil, src, fmt.Errorf("server: key file %s is readable by others (mode %v): chmod 600 it", path, info.Mode().Perm())
	}
	key, err := decodeKey(string(b))
	if err != nil {
		return nil, src, fmt.Errorf("server: key file %s: %w", path, err)
	}
	return key, src, nil
}

// createKeyFile writes key to a new file (mode 0600) and links it to path.
// It reports false when path exists already: another node made it first.
func createKeyFile(path string, key []byte) (created bool, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".new-*")
	if err != nil {
		return false, err
	}
	tmp := f.Name()
	defer func() { err = errors.Join(err, os.Remove(tmp)) }()
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err = errors.Join(err, f.Chmod(0o600), f.Sync(), f.Close()); err != nil {
		return false, err
	}
	switch err := os.Link(tmp, path); {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil
	default:
		return false, err
	}
}

const serverTable = "server"

// storedKey loads the key kept in a database of this process's own,
// making it at first start.
func storedKey(ctx context.Context, st store.Store) ([]byte, error) {
	var key []byte
	_, err := st.Update(ctx, func(tx store.Tx) error {
		k, err := tx.Get(ctx, serverTable, "key")
		if err == nil {
			key = k
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		key = crypt.NewKey()
		return tx.Put(ctx, serverTable, "key", key)
	})
	if err != nil {
		return nil, fmt.Errorf("server: server key: %w", err)
	}
	return key, nil
}
