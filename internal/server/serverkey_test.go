package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
)

// serveOn starts a server on dir, serving, and returns it with a function
// that stops it.
func serveOn(t *testing.T, cfg server.Config) (*server.Server, func()) {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		if err := errors.Join(srv.Shutdown(context.Background()), <-done); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
	t.Cleanup(stop)
	return srv, stop
}

func clientConfig(srv *server.Server, id, secret string) aws.Config {
	return aws.Config{
		Region:           srv.Region(),
		Credentials:      awscreds.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint:     aws.String(srv.Endpoint()),
		RetryMaxAttempts: 1,
	}
}

// sqliteBytes is everything the SQLite database of dir holds on disk:
// the database file and its write-ahead log.
func sqliteBytes(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	for _, name := range []string{"rolecall.db", "rolecall.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// TestServerKeyOutsideDatabase: the server key is the data directory's
// server.key (0600), never in the database; a key file others may read is
// refused; a database an older build made, with the key inside, has it
// moved to the file at start, and its credentials keep working; a node
// that lost the key is refused rather than given a new one; a reset keeps
// the key; the banner shows the root secret at the first start only.
func TestServerKeyOutsideDatabase(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	keyPath := filepath.Join(dir, server.KeyFileName)

	srv, stop := serveOn(t, server.Config{DataDir: dir})
	root := srv.Root()
	banner := srv.Banner(dir)
	if !strings.Contains(banner, "root secret key "+root.SecretAccessKey+"\n") || !strings.Contains(banner, "from the file "+keyPath+" (created)") {
		t.Errorf("the first start's banner lacks the root secret or the key file:\n%s", banner)
	}
	admin := iam.NewFromConfig(clientConfig(srv, root.AccessKeyID, root.SecretAccessKey))
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	ak, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	devID, devSecret := *ak.AccessKey.AccessKeyId, *ak.AccessKey.SecretAccessKey
	stop()

	info, err := os.Stat(keyPath)
	if err != nil {
		t.Fatalf("no key file: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	raw, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	db := sqliteBytes(t, dir)
	for what, secret := range map[string][]byte{"server key": key, "server key (base64)": bytes.TrimSpace(raw),
		"root secret": []byte(root.SecretAccessKey), "user's secret": []byte(devSecret)} {
		if bytes.Contains(db, secret) {
			t.Errorf("the database holds the %s", what)
		}
	}

	// Readable by the group: refused, with the file's mode and the fix.
	if err := os.Chmod(keyPath, 0o640); err != nil {
		t.Fatal(err)
	}
	_, err = server.New(ctx, server.Config{Addr: "127.0.0.1:0", DataDir: dir})
	want := fmt.Sprintf("server: key file %s is readable by others (mode -rw-r-----): chmod 600 %s, and make a new key if others may have read it", keyPath, keyPath)
	if err == nil || err.Error() != want {
		t.Fatalf("a group-readable key file: %v, want %q", err, want)
	}
	// ... and refused before a database is made beside it.
	fresh := t.TempDir()
	if _, err := server.New(ctx, server.Config{Addr: "127.0.0.1:0", DataDir: fresh, KeyFile: keyPath}); err == nil {
		t.Fatal("a group-readable key file given to a fresh data directory was accepted")
	}
	if _, err := os.Stat(filepath.Join(fresh, "rolecall.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused start made a database: %v", err)
	}
	if err := os.Chmod(keyPath, 0o600); err != nil {
		t.Fatal(err)
	}

	// A later start does not show the secret; the credentials come from
	// server.RootAccount, beside the running server.
	srv, stop = serveOn(t, server.Config{DataDir: dir})
	banner = srv.Banner(dir)
	if strings.Contains(banner, root.SecretAccessKey) {
		t.Errorf("a later start's banner shows the root secret:\n%s", banner)
	}
	if !strings.Contains(banner, "rolecall credentials --data-dir "+dir) {
		t.Errorf("the banner does not say how to print the credentials:\n%s", banner)
	}
	acct, err := server.RootAccount(ctx, server.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if acct.Root != root || acct.Region != "us-east-1" || acct.AccountID != "123456789012" {
		t.Errorf("RootAccount = %+v, want %+v in 123456789012, us-east-1", acct, root)
	}
	stop()

	// An older build's database: the key in its server table, no file.
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Update(ctx, func(tx store.Tx) error {
		if err := tx.Delete(ctx, "server", "keycheck"); err != nil {
			return err
		}
		return tx.Put(ctx, "server", "key", key)
	})
	if err = errors.Join(err, st.Close()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	if a, err := server.RootAccount(ctx, server.Config{DataDir: dir}); err != nil || a.Root != root {
		t.Fatalf("RootAccount of an older database: %+v, %v", a, err)
	}
	srv, stop = serveOn(t, server.Config{DataDir: dir})
	if !strings.Contains(srv.Banner(dir), "from the file "+keyPath+" (moved out of the database)") {
		t.Errorf("the banner does not say the key was moved:\n%s", srv.Banner(dir))
	}
	if moved, err := os.ReadFile(keyPath); err != nil || !bytes.Equal(moved, raw) {
		t.Fatalf("the key moved to %s: %q, %v; want the database's", keyPath, moved, err)
	}
	if srv.Root() != root {
		t.Error("the root credentials changed with the move")
	}
	out, err := sts.NewFromConfig(clientConfig(srv, devID, devSecret)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(out.Arn), ":user/dev") {
		t.Fatalf("the user's access key after the move: %v, %v", out, err)
	}
	stop()
	if db := sqliteBytes(t, dir); bytes.Contains(db, key) {
		t.Error("the database still holds the key after the move")
	}

	// The key lost: refused, and no new key made.
	if err := os.Rename(keyPath, keyPath+".saved"); err != nil {
		t.Fatal(err)
	}
	_, err = server.New(ctx, server.Config{Addr: "127.0.0.1:0", DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "there is no key file at "+keyPath) {
		t.Fatalf("a start without the key: %v, want a refusal", err)
	}
	if _, err := os.Stat(keyPath); !os.IsNotExist(err) {
		t.Fatalf("a refused start made a key: %v", err)
	}
	if err := os.Rename(keyPath+".saved", keyPath); err != nil {
		t.Fatal(err)
	}

	// A reset keeps the key and the root credentials.
	if err := server.Reset(ctx, server.Config{DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	srv, _ = serveOn(t, server.Config{DataDir: dir})
	if srv.Root() != root {
		t.Error("the root credentials changed with a reset")
	}
	if after, err := os.ReadFile(keyPath); err != nil || !bytes.Equal(after, raw) {
		t.Errorf("the key after a reset: %q, %v", after, err)
	}
}
