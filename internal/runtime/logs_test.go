package runtime

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestOutputSync checks that a sync returns with every line written before
// it collected, a partial last line included, whether the output was quiet
// (no marker needed) or busy.
func TestOutputSync(t *testing.T) {
	o, err := newOutput(func([]LogEvent) {})
	if err != nil {
		t.Fatal(err)
	}
	defer o.closeWriter()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	take := func() string {
		var b strings.Builder
		for _, e := range o.take(false) {
			b.WriteString(e.Message)
		}
		return b.String()
	}
	o.collect()
	o.sync(ctx)
	if got := take(); got != "" {
		t.Fatalf("quiet output: %q", got)
	}
	for round := range 50 {
		var want strings.Builder
		lines := round * 37 % 400
		for i := range lines {
			line := fmt.Sprintf("round %d line %d %s\n", round, i, strings.Repeat("x", i*7))
			want.WriteString(line)
			if _, err := o.w.WriteString(line); err != nil {
				t.Fatal(err)
			}
		}
		if round%3 == 0 {
			partial := fmt.Sprintf("partial %d", round)
			want.WriteString(partial + "\n")
			if _, err := o.w.WriteString(partial); err != nil {
				t.Fatal(err)
			}
		}
		o.sync(ctx)
		if got := take(); got != want.String() {
			t.Fatalf("round %d: got %d bytes, want %d", round, len(got), want.Len())
		}
	}
}
