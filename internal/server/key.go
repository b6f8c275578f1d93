package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/store"
)

// KeyFileName is the server key's file in the data directory, used when
// neither --key-file nor ROLECALL_SERVER_KEY names the key.
const KeyFileName = "server.key"

// keySource says where the server key came from, for the banner.
type keySource struct {
	desc    string // "file /path", "file /path (created)", "environment (ROLECALL_SERVER_KEY)"
	fromEnv bool
	// created is the key file this start made: removed when the start
	// fails, so that a retry with the right file is not confused by it.
	created string
	// moved is set when the key was deleted from the database.
	moved bool
}

// Rows of the server table that concern the key.
const (
	serverTable = "server"
	// legacyKeyRow held the key itself in databases made before the key
	// moved out; a start moves it to the key file and deletes the row.
	legacyKeyRow = "key"
	// keyCheckRow holds a value sealed with the key: a start with another
	// key is refused before it touches any secret.
	keyCheckRow = "keycheck"
)

// keyCheckText is what keyCheckRow seals.
var keyCheckText = []byte("rolecall server key check")

// keyFilePath is the key file cfg names: KeyFile, else DataDir/server.key.
func keyFilePath(cfg Config) string {
	if cfg.KeyFile != "" {
		return cfg.KeyFile
	}
	return filepath.Join(cfg.DataDir, KeyFileName)
}

// loadServerKey returns the server key, the key that seals every secret
// the store holds (access keys' secrets, session tokens, functions'
// environment variables). The database never holds it: whoever can read
// the database would read every secret in it.
//
// The key comes from cfg.ServerKey (ROLECALL_SERVER_KEY, base64 of
// crypt.KeySize bytes), else the file keyFilePath(cfg) (--key-file,
// ROLECALL_KEY_FILE, else DataDir/server.key), mode 0600, holding the
// base64 key. The file is made with a new key only for a database no key
// has sealed anything in yet; a database made by an older build, which
// kept the key in its server table, has it moved to the file. A key that
// does not open the database's key check is refused: a node sharing a
// database needs the key of the node that made it.
func loadServerKey(ctx context.Context, st store.Store, cfg Config) ([]byte, keySource, error) {
	legacy, sealed, err := keyState(ctx, st)
	if err != nil {
		return nil, keySource{}, err
	}
	var (
		key []byte
		src keySource
	)
	switch {
	case cfg.ServerKey != "" && cfg.KeyFile != "":
		return nil, keySource{}, errors.New("server: the server key is given twice, by ROLECALL_SERVER_KEY and by --key-file (ROLECALL_KEY_FILE): give one")
	case cfg.ServerKey != "":
		key, err = decodeKey(cfg.ServerKey)
		if err != nil {
			return nil, keySource{}, fmt.Errorf("server: ROLECALL_SERVER_KEY: %w", err)
		}
		src = keySource{desc: "environment (ROLECALL_SERVER_KEY)", fromEnv: true}
	default:
		path := keyFilePath(cfg)
		switch key, err = readKeyFile(path); {
		case errors.Is(err, fs.ErrNotExist) && legacy != nil:
			key, src, err = makeKeyFile(path, legacy)
			src.desc += " (moved out of the database)"
		case errors.Is(err, fs.ErrNotExist) && sealed:
			return nil, keySource{}, fmt.Errorf("server: this database holds secrets sealed with a server key, and there is no key file at %s: "+
				"give this node the key of the node that made the database (its data directory's %s) with --key-file PATH "+
				"(ROLECALL_KEY_FILE) or ROLECALL_SERVER_KEY; a new key could not open them", path, KeyFileName)
		case errors.Is(err, fs.ErrNotExist):
			key, src, err = makeKeyFile(path, crypt.NewKey())
			if src.created != "" {
				src.desc += " (created)"
			}
		default:
			src = keySource{desc: "file " + path}
		}
		if err != nil {
			return nil, src, err
		}
	}
	if legacy != nil && !bytes.Equal(key, legacy) {
		return nil, src, fmt.Errorf("server: the key from the %s is not the server key this database holds from an older rolecall: "+
			"it cannot be moved out; start without --key-file and ROLECALL_SERVER_KEY to move it to %s", src.desc, filepath.Join(cfg.DataDir, KeyFileName))
	}
	if err := settleKey(ctx, st, key); err != nil {
		return nil, src, fmt.Errorf("server: the server key from the %s: %w", src.desc, err)
	}
	src.moved = legacy != nil
	return key, src, nil
}

// errWrongKey reports a key that does not open the database's key check.
var errWrongKey = errors.New("it does not open this database's secrets: every node on a database needs the same key, " +
	"the one in the data directory (" + KeyFileName + ") of the node that made it")

// keyState reads what the database says of the key: the key an older
// build kept in it (nil if none), and whether secrets may be sealed in
// it: it has a key check, root credentials, or the region every start
// binds (a database started by an older build, whose key check is
// missing, with its root credentials from the environment).
func keyState(ctx context.Context, r store.Reader) (legacy []byte, sealed bool, err error) {
	for _, row := range []string{legacyKeyRow, keyCheckRow, "root", "region"} {
		v, err := r.Get(ctx, serverTable, row)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return nil, false, fmt.Errorf("server: server key: %w", err)
		}
		sealed = true
		if row == legacyKeyRow {
			legacy = v
		}
	}
	return legacy, sealed, nil
}

// settleKey checks key against the database's key check, writing one
// when there is none, and deletes the key an older build kept there.
func settleKey(ctx context.Context, st store.Store, key []byte) error {
	box, err := crypt.NewBox(key)
	if err != nil {
		return err
	}
	_, err = st.Update(ctx, func(tx store.Tx) error {
		check, err := tx.Get(ctx, serverTable, keyCheckRow)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if err := tx.Put(ctx, serverTable, keyCheckRow, box.Seal(keyCheckText, []byte(keyCheckRow))); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if pt, err := box.Open(check, []byte(keyCheckRow)); err != nil || !bytes.Equal(pt, keyCheckText) {
				return errWrongKey
			}
		}
		switch err := tx.Delete(ctx, serverTable, legacyKeyRow); {
		case err == nil, errors.Is(err, store.ErrNotFound):
			return nil
		default:
			return err
		}
	})
	return err
}

// checkKey reports whether key opens the database's key check, when it
// has one.
func checkKey(ctx context.Context, r store.Reader, key []byte) error {
	check, err := r.Get(ctx, serverTable, keyCheckRow)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	box, err := crypt.NewBox(key)
	if err != nil {
		return err
	}
	if pt, err := box.Open(check, []byte(keyCheckRow)); err != nil || !bytes.Equal(pt, keyCheckText) {
		return errWrongKey
	}
	return nil
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

// readKeyFile reads the key file at path, refusing one that its group or
// others may read or write, or that another user owns. A missing file is
// fs.ErrNotExist.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("server: key file: %w", err)
	}
	defer func() { _ = f.Close() }() // read only: nothing to flush
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("server: key file: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("server: key file %s is readable by others (mode %v): chmod 600 %s, and make a new key if others may have read it", path, perm, path)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		// Its owner chose the key, may read it and may open its mode
		// again: every secret sealed with it would be theirs.
		return nil, fmt.Errorf("server: key file %s belongs to uid %d, not to this server's uid %d: give it a key file of its own", path, st.Uid, os.Geteuid())
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("server: key file %s: %w", path, err)
	}
	key, err := decodeKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("server: key file %s: %w", path, err)
	}
	return key, nil
}

// makeKeyFile writes key to the new file path. When another node made the
// file first, it returns that node's key instead.
func makeKeyFile(path string, key []byte) ([]byte, keySource, error) {
	src := keySource{desc: "file " + path}
	created, err := createKeyFile(path, key)
	switch {
	case err != nil:
		return nil, src, fmt.Errorf("server: key file: %w", err)
	case created:
		src.created = path
		return key, src, nil
	}
	key, err = readKeyFile(path)
	return key, src, err
}

// createKeyFile writes key to a new file (mode 0600) and links it to path.
// It reports false when path exists already: another node made it first.
// Two nodes starting together on one file agree: the key is written to a
// file of its own beside path and linked to path only once complete, so
// the loser of the link reads the winner's whole key, never an empty or
// half-written file.
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
		return true, syncDir(filepath.Dir(path))
	case errors.Is(err, fs.ErrExist):
		return false, nil
	default:
		return false, err
	}
}

// syncDir makes a new entry of dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// scrub has a database of this process's own (SQLite) rewritten without
// the bytes of values deleted or overwritten, after a secret was moved out
// of it or sealed in it. A shared database (PostgreSQL) reclaims them with
// its own VACUUM.
func scrub(ctx context.Context, st store.Store) error {
	s, ok := st.(interface{ Scrub(context.Context) error })
	if !ok {
		return nil
	}
	if err := s.Scrub(ctx); err != nil {
		return fmt.Errorf("server: removing secrets' plain text from the database: %w", err)
	}
	return nil
}
