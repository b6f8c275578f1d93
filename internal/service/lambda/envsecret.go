package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/store"
)

// A function's environment variables are kept sealed with the server key
// (AES-256-GCM, crypt.Box), as Lambda encrypts them at rest with a KMS key
// (aws/lambda unless the function names its own): the store holds the
// ciphertext; GetFunctionConfiguration and the runtime get the values.
// The seal is bound to the function (account/name), so that a sealed
// value copied to another function's record does not open there.

// envAD is the additional data a function's sealed variables are bound to.
func envAD(account, name string) []byte {
	return []byte("lambda environment " + account + "/" + name)
}

// sealEnv seals vars for the function account/name; nil when there are
// none.
func (l *Lambda) sealEnv(account, name string, vars map[string]string) ([]byte, error) {
	if len(vars) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(vars)
	if err != nil {
		return nil, fmt.Errorf("lambda: environment: %w", err)
	}
	return l.cfg.Box.Seal(b, envAD(account, name)), nil
}

// openEnv returns the environment variables of c, a configuration of a
// function of account: nil when it has none.
func (l *Lambda) openEnv(account string, c *config) (map[string]string, error) {
	if len(c.SealedEnv) == 0 {
		return c.PlainEnv, nil // a record an older build wrote, until SealEnvironments
	}
	b, err := l.cfg.Box.Open(c.SealedEnv, envAD(account, c.Name))
	if err != nil {
		return nil, fmt.Errorf("lambda: environment of %s/%s: %w", account, c.Name, err)
	}
	var vars map[string]string
	if err := json.Unmarshal(b, &vars); err != nil {
		return nil, fmt.Errorf("lambda: environment of %s/%s: %w", account, c.Name, err)
	}
	return vars, nil
}

// sealPlain seals the plain variables of c, a configuration of the
// function account/name, reporting whether there were any.
func (l *Lambda) sealPlain(account, name string, c *config) (bool, error) {
	if c == nil || len(c.PlainEnv) == 0 {
		return false, nil
	}
	sealed, err := l.sealEnv(account, name, c.PlainEnv)
	if err != nil {
		return false, err
	}
	c.SealedEnv, c.PlainEnv = sealed, nil
	return true, nil
}

// SealEnvironments seals the environment variables that builds before
// sealing kept in plain text, in every function and published version: a
// layout upgrade, run at start. It returns how many records it rewrote;
// the store may still hold the plain values in freed space until it is
// scrubbed. Nodes sharing a store may run it together.
func (l *Lambda) SealEnvironments(ctx context.Context) (int, error) {
	n := 0
	for _, table := range []string{tableFunctions, tableVersions} {
		items, err := l.cfg.Store.List(ctx, table, "", "", 0)
		if err != nil {
			return n, fmt.Errorf("lambda: seal environments: %w", err)
		}
		for _, it := range items {
			account, rest, ok := strings.Cut(it.Key, "/")
			name, _, _ := strings.Cut(rest, "/")
			if !ok || name == "" {
				return n, fmt.Errorf("lambda: seal environments: malformed key %q in %s", it.Key, table)
			}
			var changed bool
			_, err := l.cfg.Store.Update(ctx, func(tx store.Tx) error {
				changed = false
				if table == tableFunctions {
					var f function
					err := store.GetJSON(ctx, tx, table, it.Key, &f)
					if err != nil {
						return err
					}
					a, err := l.sealPlain(account, name, &f.Config)
					if err != nil {
						return err
					}
					b, err := l.sealPlain(account, name, f.Running)
					if err != nil {
						return err
					}
					if changed = a || b; changed {
						return store.PutJSON(ctx, tx, table, it.Key, &f)
					}
					return nil
				}
				var v config
				if err := store.GetJSON(ctx, tx, table, it.Key, &v); err != nil {
					return err
				}
				if changed, err = l.sealPlain(account, name, &v); err != nil || !changed {
					return err
				}
				return store.PutJSON(ctx, tx, table, it.Key, &v)
			})
			switch {
			case errors.Is(err, store.ErrNotFound):
				// Deleted meanwhile.
			case err != nil:
				return n, fmt.Errorf("lambda: seal environment of %s: %w", it.Key, err)
			case changed:
				n++
			}
		}
	}
	return n, nil
}
