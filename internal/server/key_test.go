package server_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

// TestSharedDatabaseKey: on a shared database the server key comes from a
// key file or the environment, never from the database; a node with
// another key is refused with a message saying why; the banner says where
// the key and the database are.
func TestSharedDatabaseKey(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	start := func(cfg server.Config) (*server.Server, error) {
		cfg.Addr = "127.0.0.1:0"
		cfg.DatabaseURL = u
		if cfg.DataDir == "" {
			cfg.DataDir = t.TempDir()
		}
		srv, err := server.New(ctx, cfg)
		if err == nil {
			t.Cleanup(func() { srv.Shutdown(context.Background()) })
		}
		return srv, err
	}
	// The first node makes the key in its data directory.
	firstDir := t.TempDir()
	keyPath := filepath.Join(firstDir, server.KeyFileName)
	a, err := start(server.Config{DataDir: firstDir})
	if err != nil {
		t.Fatal(err)
	}
	// Another node without that key is refused, and makes no key.
	otherDir := t.TempDir()
	if _, err := start(server.Config{DataDir: otherDir}); err == nil || !strings.Contains(err.Error(), "--key-file") {
		t.Fatalf("a second node without the key: %v, want a refusal naming --key-file", err)
	}
	if _, err := os.Stat(filepath.Join(otherDir, server.KeyFileName)); !os.IsNotExist(err) {
		t.Fatalf("the refused node made a key file: %v", err)
	}
	info, err := os.Stat(keyPath)
	if err != nil {
		t.Fatalf("key file not made: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	banner := a.Banner("/data")
	for _, want := range []string{"server key      from the file " + keyPath + " (created)", "(PostgreSQL, shared by every node on it)", "postgres://rolecall:xxxxx@"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	if strings.Contains(banner, ":rolecall@") {
		t.Errorf("banner shows the database password:\n%s", banner)
	}

	// The same key, from the file or the environment, opens the database.
	b, err := start(server.Config{KeyFile: keyPath})
	if err != nil {
		t.Fatalf("a second node with the same key file: %v", err)
	}
	if a.Root() != b.Root() {
		t.Error("nodes with one key see different root credentials")
	}
	raw, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := start(server.Config{ServerKey: strings.TrimSpace(string(raw))}); err != nil {
		t.Fatalf("the key from the environment: %v", err)
	}
	// Another key cannot open the secrets the database holds.
	other := base64.StdEncoding.EncodeToString(crypt.NewKey())
	if _, err := start(server.Config{ServerKey: other}); err == nil || !strings.Contains(err.Error(), "same key") {
		t.Fatalf("a node with another key: %v, want a refusal", err)
	}
	// A node of another default account is refused: it would move the
	// root key there.
	if _, err := start(server.Config{KeyFile: keyPath, AccountID: "210987654321"}); err == nil || !strings.Contains(err.Error(), "same --account-id") {
		t.Fatalf("a node with another account: %v, want a refusal", err)
	}
	// A key file others may read is refused.
	loose := filepath.Join(t.TempDir(), "loose.key")
	if err := os.WriteFile(loose, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := start(server.Config{KeyFile: loose}); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("a key file readable by others: %v", err)
	}
	if _, err := start(server.Config{ServerKey: "c2hvcnQ="}); err == nil || !strings.Contains(err.Error(), "want 32") {
		t.Fatalf("a short key: %v", err)
	}
}

// TestDatabaseIdentity: a database keeps the region it was started with;
// the server key comes from one place; a key file made by a failed start
// is removed; the root user keeps AWS's quota of two access keys.
func TestDatabaseIdentity(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	start := func(cfg server.Config) error {
		cfg.Addr = "127.0.0.1:0"
		cfg.DataDir = dir
		srv, err := server.New(ctx, cfg)
		if err == nil {
			err = srv.Shutdown(context.Background())
		}
		return err
	}
	if err := start(server.Config{Region: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	if err := start(server.Config{Region: "eu-west-1"}); err == nil || !strings.Contains(err.Error(), "--region us-east-1") {
		t.Fatalf("another region on the database: %v", err)
	}
	key := base64.StdEncoding.EncodeToString(crypt.NewKey())
	if err := start(server.Config{ServerKey: key, KeyFile: filepath.Join(t.TempDir(), "k")}); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Fatalf("a key from the environment and a key file: %v", err)
	}
	// The database's secrets are sealed with its own key: a new key file
	// cannot open them, and is not left behind.
	made := filepath.Join(t.TempDir(), "new.key")
	if err := start(server.Config{KeyFile: made}); err == nil {
		t.Fatal("a new key opened the database's secrets")
	}
	if _, err := os.Stat(made); !os.IsNotExist(err) {
		t.Fatalf("the key file of a failed start is left: %v", err)
	}
	// The first start made a root key; one more from the environment is
	// the second; a third is refused.
	root := func(id string) server.Config {
		return server.Config{RootAccessKeyID: id, RootSecretAccessKey: "secret-" + id}
	}
	if err := start(root("AKIAROOTKEYNUMBERTWO")); err != nil {
		t.Fatal(err)
	}
	if err := start(root("AKIAROOTKEYNUMBERTWO")); err != nil {
		t.Fatalf("the same root key again: %v", err)
	}
	if err := start(root("AKIAROOTKEYNUMBER333")); err == nil || !strings.Contains(err.Error(), "has 2 access keys already") {
		t.Fatalf("a third root key: %v", err)
	}
}
