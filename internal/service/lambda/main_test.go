package lambda

import (
	"os"
	"testing"

	"github.com/rolecall/rolecall/internal/sandbox"
)

func TestMain(m *testing.M) {
	sandbox.Init()
	os.Exit(m.Run())
}
