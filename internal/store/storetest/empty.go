package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// testEmpty: Empty deletes every key of every table but those kept, and
// every event; the change log records each deletion, so another handle's
// Watch sees it.
func testEmpty(t *testing.T, e Engine) {
	ctx := context.Background()
	st := e.Open(t)
	other := e.Reopen(t, st)
	put(t, st, "keep", "a", "1")
	put(t, st, "gone", "b", "2")
	put(t, st, "gone", "c", "3")
	put(t, st, "also-gone", "d", "4")
	if err := st.AppendEvents(ctx, []store.Event{{ID: "e1", Time: time.Now(), Name: "GetRole", Source: "iam.amazonaws.com",
		Record: []byte(`{}`), Resources: []store.EventResource{{Type: "AWS::IAM::Role", Name: "r"}}}}); err != nil {
		t.Fatal(err)
	}
	before, err := st.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := store.Empty(ctx, st, "keep")
	if err != nil {
		t.Fatal(err)
	}
	if rev != before+1 {
		t.Errorf("Empty committed revision %d, want %d", rev, before+1)
	}
	if v, err := other.Get(ctx, "keep", "a"); err != nil || string(v) != "1" {
		t.Errorf("kept key: %q, %v", v, err)
	}
	for _, k := range [][2]string{{"gone", "b"}, {"gone", "c"}, {"also-gone", "d"}} {
		if _, err := other.Get(ctx, k[0], k[1]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s/%s after Empty: %v, want ErrNotFound", k[0], k[1], err)
		}
	}
	evs, _, err := other.QueryEvents(ctx, store.EventQuery{Limit: 10})
	if err != nil || len(evs) != 0 {
		t.Errorf("events after Empty: %d, %v", len(evs), err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	got := map[string]bool{}
	for c, err := range other.Watch(wctx, before) {
		if err != nil {
			t.Fatalf("watch: %v (saw %v)", err, got)
		}
		if c.Revision != rev {
			t.Fatalf("change %+v, want revision %d", c, rev)
		}
		got[c.Table+"/"+c.Key] = true
		if len(got) == 3 {
			break
		}
	}
	for _, k := range []string{"gone/b", "gone/c", "also-gone/d"} {
		if !got[k] {
			t.Errorf("the change log lacks the deletion of %s: %v", k, got)
		}
	}
	// Emptying an empty database commits nothing.
	again, err := store.Empty(ctx, st, "keep")
	if err != nil || again != rev {
		t.Errorf("second Empty: revision %d, %v; want %d", again, err, rev)
	}
}
