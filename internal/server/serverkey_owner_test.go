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
)

// TestKeyFileOfAnotherUserRefused: a key file (mode 0600) that another
// user made, in a place they can write (/tmp), is refused: its owner
// knows the key that would seal every secret, and may open the file's
// mode again at any time.
func TestKeyFileOfAnotherUserRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the file to another user")
	}
	path := filepath.Join(t.TempDir(), "planted.key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(crypt.NewKey())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(context.Background(), server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KeyFile: path})
	if err == nil {
		_ = srv.Shutdown(context.Background())
		t.Fatal("a server started with another user's key file")
	}
	if want := "belongs to uid 65534, not to this server's uid 0"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to say %q", err, want)
	}
}
