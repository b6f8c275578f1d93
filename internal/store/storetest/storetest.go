// Package storetest is the conformance suite every store engine passes.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// Engine is what the suite needs of an engine.
type Engine struct {
	// Open returns a store on a new, empty database, closed when the test
	// ends.
	Open func(t *testing.T) store.Store
	// Reopen returns another handle on st's database, as another process
	// would open it, closed when the test ends.
	Reopen func(t *testing.T, st store.Store) store.Store
	// Trim drops the logged changes of st's revisions through through, as
	// the engine does by itself for old revisions.
	Trim func(ctx context.Context, st store.Store, through store.Revision) error
}

// Run runs the suite against e, with a new database per subtest.
func Run(t *testing.T, e Engine) {
	open := e.Open
	t.Run("KV", func(t *testing.T) { testKV(t, open(t)) })
	t.Run("Atomic", func(t *testing.T) { testAtomic(t, open(t)) })
	t.Run("ConcurrentUpdates", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("LargeValues", func(t *testing.T) { testLarge(t, open(t)) })
	t.Run("Events", func(t *testing.T) { testEvents(t, open(t)) })
	t.Run("LargeEventBatch", func(t *testing.T) { testLargeEventBatch(t, open(t)) })
	t.Run("EventPrincipalsAndCategories", func(t *testing.T) { testEventPrincipals(t, open(t)) })
	t.Run("EventLookups", func(t *testing.T) { testEventLookups(t, open(t)) })
	t.Run("Access", func(t *testing.T) { testAccess(t, e) })
	t.Run("ConcurrentAccess", func(t *testing.T) { testConcurrentAccess(t, e) })
	t.Run("SummarizeAccess", func(t *testing.T) { testSummarizeAccess(t, e) })
	t.Run("LostUpdate", func(t *testing.T) { testLostUpdate(t, e) })
	t.Run("WriteSkew", func(t *testing.T) { testWriteSkew(t, e) })
	t.Run("Retry", func(t *testing.T) { testRetry(t, e) })
	t.Run("ChangeLog", func(t *testing.T) { testChangeLog(t, e) })
	t.Run("WatchOtherHandle", func(t *testing.T) { testWatchOtherHandle(t, e) })
	t.Run("Compaction", func(t *testing.T) { testCompaction(t, e) })
	t.Run("Feed", func(t *testing.T) { testFeed(t, e) })
	t.Run("ConcurrentEvents", func(t *testing.T) { testConcurrentEvents(t, e) })
	t.Run("LogPositions", func(t *testing.T) { testLogPositions(t, open(t)) })
	t.Run("LogTrim", func(t *testing.T) { testLogTrim(t, open(t)) })
	t.Run("LogTail", func(t *testing.T) { testLogTail(t, e) })
	t.Run("BlobRoundTrip", func(t *testing.T) { testBlobRoundTrip(t, open(t)) })
	t.Run("BlobPending", func(t *testing.T) { testBlobPending(t, open(t)) })
	t.Run("BlobDelete", func(t *testing.T) { testBlobDelete(t, open(t)) })
	t.Run("BlobOtherHandle", func(t *testing.T) { testBlobOtherHandle(t, e) })
	t.Run("Queue", func(t *testing.T) { testQueue(t, e) })
	t.Run("Empty", func(t *testing.T) { testEmpty(t, e) })
	t.Run("Metrics", func(t *testing.T) { testMetrics(t, e) })
}

func put(t *testing.T, st store.Store, table, key, value string) {
	t.Helper()
	_, err := st.Update(context.Background(), func(tx store.Tx) error {
		return tx.Put(context.Background(), table, key, []byte(value))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testKV(t *testing.T, st store.Store) {
	ctx := context.Background()
	if _, err := st.Get(ctx, "t", "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get missing: %v, want ErrNotFound", err)
	}
	put(t, st, "t", "b/2", "two")
	put(t, st, "t", "b/1", "one")
	put(t, st, "t", "a", "a")
	put(t, st, "t", "c", "c")
	put(t, st, "other", "b/3", "not in t")
	put(t, st, "t", "b/1", "uno") // overwrite
	if v, err := st.Get(ctx, "t", "b/1"); err != nil || string(v) != "uno" {
		t.Fatalf("Get after overwrite: %q %v", v, err)
	}
	items, err := st.List(ctx, "t", "b/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(items); got != "b/1,b/2" {
		t.Fatalf("List prefix: %s", got)
	}
	items, _ = st.List(ctx, "t", "", "a", 2)
	if got := keys(items); got != "b/1,b/2" {
		t.Fatalf("List after a, limit 2: %s", got)
	}
	// Prefix and after together: after inside the prefix's range, before
	// it and past it.
	put(t, st, "t", "b/3", "three")
	put(t, st, "t", "b0", "past the prefix")
	for _, c := range []struct{ after, want string }{{"b/1", "b/2,b/3"}, {"a", "b/1,b/2,b/3"}, {"b/3", ""}, {"b1", ""}} {
		items, err := st.List(ctx, "t", "b/", c.after, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := keys(items); got != c.want {
			t.Fatalf("List prefix b/ after %s: %s, want %s", c.after, got, c.want)
		}
	}
	items, _ = st.List(ctx, "t", "b/", "b/1", 1)
	if got := keys(items); got != "b/2" {
		t.Fatalf("List prefix b/ after b/1, limit 1: %s", got)
	}
	// A prefix with LIKE/GLOB metacharacters is literal.
	put(t, st, "t", "x%_*?[", "meta")
	put(t, st, "t", "xyz", "plain")
	items, _ = st.List(ctx, "t", "x%_", "", 0)
	if got := keys(items); got != "x%_*?[" {
		t.Fatalf("List literal prefix: %s", got)
	}
	_, err = st.Update(ctx, func(tx store.Tx) error { return tx.Delete(ctx, "t", "a") })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "t", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get deleted: %v", err)
	}
	_, err = st.Update(ctx, func(tx store.Tx) error { return tx.Delete(ctx, "t", "never-there") })
	if err != nil {
		t.Fatalf("Delete missing: %v", err)
	}
}

func keys(items []store.Item) string {
	var ks []string
	for _, it := range items {
		ks = append(ks, it.Key)
	}
	return strings.Join(ks, ",")
}

func testAtomic(t *testing.T, st store.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	_, err := st.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put(ctx, "t", "k1", []byte("v")); err != nil {
			return err
		}
		// A transaction reads its own writes.
		if v, err := tx.Get(ctx, "t", "k1"); err != nil || string(v) != "v" {
			return fmt.Errorf("read own write: %q %v", v, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error: %v", err)
	}
	if _, err := st.Get(ctx, "t", "k1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("write of a failed transaction is visible: %v", err)
	}
}

func testConcurrent(t *testing.T, st store.Store) {
	ctx := context.Background()
	put(t, st, "t", "counter", "0")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				_, err := st.Update(ctx, func(tx store.Tx) error {
					v, err := tx.Get(ctx, "t", "counter")
					if err != nil {
						return err
					}
					n, err := strconv.Atoi(string(v))
					if err != nil {
						return err
					}
					return tx.Put(ctx, "t", "counter", []byte(fmt.Sprint(n+1)))
				})
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if v, _ := st.Get(ctx, "t", "counter"); string(v) != "80" {
		t.Fatalf("counter = %s, want 80: updates are not serializable", v)
	}
}

func testLarge(t *testing.T, st store.Store) {
	ctx := context.Background()
	big := strings.Repeat("z", 5<<20)
	put(t, st, "code", "fn/abc", big)
	put(t, st, "fn", "fn", "small")
	if v, err := st.Get(ctx, "code", "fn/abc"); err != nil || len(v) != len(big) {
		t.Fatalf("large value: %d bytes, %v", len(v), err)
	}
	if v, err := st.Get(ctx, "fn", "fn"); err != nil || string(v) != "small" {
		t.Fatalf("small value: %q %v", v, err)
	}
}

// testLargeEventBatch appends one batch larger than a store may write in one
// statement, with resources on some events, and checks every event keeps
// its own resources.
func testLargeEventBatch(t *testing.T, st store.Store) {
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const n = 301
	var evs []store.Event
	for i := range n {
		e := store.Event{
			ID: fmt.Sprintf("e%03d", i), Time: base.Add(time.Duration(i) * time.Second),
			Name: "GetRole", Source: "iam.amazonaws.com", Record: []byte(`{}`),
		}
		for j := range i % 3 {
			e.Resources = append(e.Resources, store.EventResource{Type: "AWS::IAM::Role", Name: fmt.Sprintf("r%03d-%d", i, j)})
		}
		evs = append(evs, e)
	}
	if err := st.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	got, next, err := st.QueryEvents(ctx, store.EventQuery{Limit: n})
	if err != nil || len(got) != n || next != "" {
		t.Fatalf("query: %d events, next %q, %v", len(got), next, err)
	}
	for k, e := range got {
		i := n - 1 - k
		if e.ID != fmt.Sprintf("e%03d", i) || len(e.Resources) != i%3 {
			t.Fatalf("event %d: %+v", i, e)
		}
		for j, r := range e.Resources {
			if r.Name != fmt.Sprintf("r%03d-%d", i, j) {
				t.Fatalf("event %d resource %d: %+v", i, j, r)
			}
		}
	}
}

func testEvents(t *testing.T, st store.Store) {
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var evs []store.Event
	for i := range 5 {
		evs = append(evs, store.Event{
			ID: fmt.Sprintf("e%d", i), Time: base.Add(time.Duration(i) * time.Minute),
			Name: []string{"GetRole", "CreateRole"}[i%2], Source: "iam.amazonaws.com",
			Username: "alice", AccessKeyID: "AKIA1", ReadOnly: i%2 == 0,
			Resources: []store.EventResource{{Type: "AWS::IAM::Role", Name: fmt.Sprintf("role%d", i)}},
			Record:    []byte(fmt.Sprintf(`{"n":%d}`, i)),
		})
	}
	if err := st.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	got, next, err := st.QueryEvents(ctx, store.EventQuery{Limit: 2})
	if err != nil || len(got) != 2 || got[0].ID != "e4" || got[1].ID != "e3" || next == "" {
		t.Fatalf("first page: %+v %q %v", got, next, err)
	}
	got, next, err = st.QueryEvents(ctx, store.EventQuery{Limit: 2, Cursor: next})
	if err != nil || len(got) != 2 || got[0].ID != "e2" || next == "" {
		t.Fatalf("second page: %+v %q %v", got, next, err)
	}
	got, next, _ = st.QueryEvents(ctx, store.EventQuery{Limit: 2, Cursor: next})
	if len(got) != 1 || got[0].ID != "e0" || next != "" {
		t.Fatalf("last page: %+v %q", got, next)
	}
	for _, c := range []struct {
		attr, value string
		want        int
	}{
		{"EventName", "CreateRole", 2}, {"ReadOnly", "true", 3}, {"ResourceName", "role3", 1},
		{"ResourceType", "AWS::IAM::Role", 5}, {"EventId", "e1", 1}, {"Username", "bob", 0},
	} {
		got, _, err := st.QueryEvents(ctx, store.EventQuery{Attribute: c.attr, Value: c.value, Limit: 50})
		if err != nil || len(got) != c.want {
			t.Errorf("%s=%s: %d events, %v; want %d", c.attr, c.value, len(got), err, c.want)
		}
	}
	got, _, _ = st.QueryEvents(ctx, store.EventQuery{Start: base.Add(time.Minute), End: base.Add(3 * time.Minute), Limit: 50})
	if len(got) != 3 {
		t.Errorf("time range: %d events, want 3", len(got))
	}
	if got[0].Resources[0].Name != "role3" || string(got[0].Record) != `{"n":3}` {
		t.Errorf("event contents: %+v", got[0])
	}
	if _, _, err := st.QueryEvents(ctx, store.EventQuery{Attribute: "Nope", Value: "x"}); err == nil {
		t.Error("unknown attribute accepted")
	}
}

func testEventPrincipals(t *testing.T, st store.Store) {
	ctx := context.Background()
	const (
		role    = "arn:aws:iam::123456789012:role/app"
		session = "arn:aws:sts::123456789012:assumed-role/app/fn"
		other   = "arn:aws:sts::123456789012:assumed-role/app/other"
		user    = "arn:aws:iam::123456789012:user/alice"
	)
	base := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	decisions := `[{"action":"s3:GetObject","resource":"arn:aws:s3:::b/k","decision":"Allow"}]`
	evs := []store.Event{
		{ID: "m-session", Name: "GetRole", PrincipalARN: session, IssuerARN: role, Category: store.CategoryManagement},
		{ID: "d-session", Name: "GetObject", PrincipalARN: session, IssuerARN: role, Category: store.CategoryData, Decisions: []byte(decisions)},
		{ID: "d-other", Name: "PutObject", PrincipalARN: other, IssuerARN: role, Category: store.CategoryData},
		{ID: "m-user", Name: "CreateRole", PrincipalARN: user}, // category left empty: management
		{ID: "m-role-itself", Name: "GetRole", PrincipalARN: user, Category: store.CategoryManagement,
			Resources: []store.EventResource{{Type: "AWS::IAM::Role", Name: role}}}, // names the role only as a resource
		{ID: "anonymous", Name: "GetObject", Category: store.CategoryData, Account: "210987654321"},
	}
	for i := range evs {
		if evs[i].Account == "" {
			evs[i].Account = "123456789012"
		}
		evs[i].Time = base.Add(time.Duration(i) * time.Second)
		evs[i].Source = "test.amazonaws.com"
		evs[i].Record = []byte(`{}`)
	}
	if err := st.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	ids := func(q store.EventQuery) string {
		t.Helper()
		q.Limit = 50
		got, _, err := st.QueryEvents(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		var out []string
		for _, e := range got {
			out = append(out, e.ID)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		name string
		q    store.EventQuery
		want string
	}{
		{"role ARN finds every session's calls", store.EventQuery{PrincipalARN: role}, "d-other,d-session,m-session"},
		{"session ARN finds that session's calls", store.EventQuery{PrincipalARN: session}, "d-session,m-session"},
		{"user ARN", store.EventQuery{PrincipalARN: user}, "m-role-itself,m-user"},
		{"unknown principal", store.EventQuery{PrincipalARN: "arn:aws:iam::123456789012:role/none"}, ""},
		{"management", store.EventQuery{Category: store.CategoryManagement}, "m-role-itself,m-user,m-session"},
		{"data", store.EventQuery{Category: store.CategoryData}, "anonymous,d-other,d-session"},
		{"principal and category", store.EventQuery{PrincipalARN: role, Category: store.CategoryData}, "d-other,d-session"},
		{"principal and attribute", store.EventQuery{PrincipalARN: role, Attribute: "EventName", Value: "GetObject"}, "d-session"},
		{"all three and time", store.EventQuery{PrincipalARN: role, Category: store.CategoryManagement,
			Attribute: "EventName", Value: "GetRole", Start: base, End: base}, "m-session"},
		{"time excludes", store.EventQuery{PrincipalARN: session, Start: base.Add(time.Second)}, "d-session"},
		{"account", store.EventQuery{Account: "210987654321"}, "anonymous"},
		{"account and category", store.EventQuery{Account: "123456789012", Category: store.CategoryData}, "d-other,d-session"},
	} {
		if got := ids(c.q); got != c.want {
			t.Errorf("%s: got [%s], want [%s]", c.name, got, c.want)
		}
	}

	got, _, err := st.QueryEvents(ctx, store.EventQuery{Attribute: "EventId", Value: "d-session"})
	if err != nil || len(got) != 1 {
		t.Fatalf("d-session: %+v %v", got, err)
	}
	e := got[0]
	if e.PrincipalARN != session || e.IssuerARN != role || e.Category != store.CategoryData || string(e.Decisions) != decisions || e.Account != "123456789012" {
		t.Errorf("event fields did not round-trip: %+v", e)
	}
	got, _, _ = st.QueryEvents(ctx, store.EventQuery{Attribute: "EventId", Value: "m-user"})
	if len(got) != 1 || got[0].Category != store.CategoryManagement || got[0].Decisions != nil || got[0].IssuerARN != "" {
		t.Errorf("empty category is not stored as management, or empty fields are not empty: %+v", got)
	}

	// Pages of a filtered query continue the same selection.
	first, next, err := st.QueryEvents(ctx, store.EventQuery{PrincipalARN: role, Limit: 2})
	if err != nil || len(first) != 2 || next == "" {
		t.Fatalf("first page: %+v %q %v", first, next, err)
	}
	rest, next, err := st.QueryEvents(ctx, store.EventQuery{PrincipalARN: role, Limit: 2, Cursor: next})
	if err != nil || len(rest) != 1 || rest[0].ID != "m-session" || next != "" {
		t.Fatalf("second page: %+v %q %v", rest, next, err)
	}
}

// ChangesSince returns the changes committed to st after rev, up to its
// current revision, as its change feed streams them; it fails the test when
// there should be some and the feed shows none.
func ChangesSince(t *testing.T, st store.Store, rev store.Revision) []store.Change {
	t.Helper()
	last, err := st.CurrentRevision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var out []store.Change
	for c, err := range st.Watch(ctx, rev) {
		if err != nil {
			if ctx.Err() == nil {
				t.Fatal(err)
			}
			break
		}
		if c.Revision > last {
			break
		}
		out = append(out, c)
	}
	if len(out) == 0 && last > rev {
		t.Fatalf("no changes seen after revision %d", rev)
	}
	return out
}
