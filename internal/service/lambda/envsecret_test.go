package lambda

import (
	"bytes"
	"testing"

	"github.com/rolecall/rolecall/internal/crypt"
)

// testBox is the server key's box of the tests: one key, so that the
// nodes of a test share it, as nodes on one database do.
func testBox(tb testing.TB) *crypt.Box {
	tb.Helper()
	box, err := crypt.NewBox(bytes.Repeat([]byte{0x5a}, crypt.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	return box
}
