package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/store"
)

// Account is the default account of a database and its root credentials.
type Account struct {
	AccountID, Region string
	Root              Credentials
}

// Exports are the shell lines that give the AWS CLI and the SDKs the root
// credentials and the region (the banner's lines at first start).
func (a Account) Exports() string {
	return shellExports(a.Root.AccessKeyID, a.Root.SecretAccessKey, a.Region)
}

// RootAccount reads the root credentials rolecall made at the first start
// on the database cfg names (DataDir's SQLite file, or DatabaseURL), with
// the server key from cfg.ServerKey or the key file (cfg.KeyFile, else
// DataDir/server.key). It changes nothing and may run beside a running
// server. A database whose root credentials came from the environment
// (ROLECALL_ROOT_ACCESS_KEY_ID) keeps none: that is an error, as is a key
// that does not open the database's secrets.
func RootAccount(ctx context.Context, cfg Config) (Account, error) {
	st, err := openReader(ctx, cfg)
	if err != nil {
		return Account{}, err
	}
	a, err := rootAccount(ctx, st, cfg)
	return a, errors.Join(err, st.Close())
}

func rootAccount(ctx context.Context, st store.Store, cfg Config) (Account, error) {
	legacy, _, err := keyState(ctx, st)
	if err != nil {
		return Account{}, err
	}
	var key []byte
	switch {
	case cfg.ServerKey != "" && cfg.KeyFile != "":
		return Account{}, errors.New("server: the server key is given twice, by ROLECALL_SERVER_KEY and by --key-file (ROLECALL_KEY_FILE): give one")
	case cfg.ServerKey != "":
		if key, err = decodeKey(cfg.ServerKey); err != nil {
			return Account{}, fmt.Errorf("server: ROLECALL_SERVER_KEY: %w", err)
		}
	default:
		path := keyFilePath(cfg)
		key, err = readKeyFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && legacy != nil:
			key = legacy // an older build's database, not yet started by this one
		case errors.Is(err, fs.ErrNotExist):
			return Account{}, fmt.Errorf("server: no server key at %s: give the server's --data-dir, or its key with --key-file PATH (ROLECALL_KEY_FILE) or ROLECALL_SERVER_KEY", path)
		case err != nil:
			return Account{}, err
		}
	}
	if err := checkKey(ctx, st, key); err != nil {
		return Account{}, fmt.Errorf("server: the server key: %w", err)
	}
	box, err := crypt.NewBox(key)
	if err != nil {
		return Account{}, err
	}
	var a Account
	a.Root, err = storedRootCredentials(ctx, st, box)
	if errors.Is(err, store.ErrNotFound) {
		return Account{}, errors.New("server: this database keeps no root credentials: the server takes them from ROLECALL_ROOT_ACCESS_KEY_ID and ROLECALL_ROOT_SECRET_ACCESS_KEY")
	}
	if err != nil {
		return Account{}, fmt.Errorf("server: %w", err)
	}
	for setting, v := range map[string]*string{"account": &a.AccountID, "region": &a.Region} {
		b, err := st.Get(ctx, serverTable, setting)
		if err != nil {
			return Account{}, fmt.Errorf("server: %s: %w", setting, err)
		}
		*v = string(b)
	}
	return a, nil
}

// openReader opens the database cfg names for reading beside a running
// server, refusing to make one. An SQLite database made by an older build
// is upgraded first, which needs a writer for a moment.
func openReader(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.DatabaseURL != "" {
		return openExisting(ctx, cfg) // PostgreSQL has no read-only open of its own
	}
	path := filepath.Join(cfg.DataDir, "rolecall.db")
	st, err := store.OpenSQLiteReadOnly(ctx, path)
	if errors.Is(err, store.ErrSchemaOutdated) {
		return openExisting(ctx, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("server: no readable rolecall database at %s: %w", path, err)
	}
	return st, nil
}
