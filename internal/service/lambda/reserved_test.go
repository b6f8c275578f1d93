package lambda

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// TestReservedTotal reserves concurrency on several functions: the
// account's total follows reservations set, changed, removed and deleted
// with their function, and a store written before the index existed has
// it built at start-up.
func TestReservedTotal(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, name := range []string{"a", "b", "c"} {
		h.create(name, nil)
	}
	reserve := func(name string, n int) error {
		_, err := h.do("PutFunctionConcurrency", req{path: fn(name), body: map[string]any{"ReservedConcurrentExecutions": n}})
		return err
	}
	total := func(want int) {
		t.Helper()
		got, err := h.l.reservedTotal(ctx, h.l.cfg.Store, testAccount, "")
		if err != nil || got != want {
			t.Errorf("reserved total = %d, %v; want %d", got, err, want)
		}
	}
	for _, r := range []struct {
		name string
		n    int
	}{{"a", 300}, {"b", 400}, {"a", 400}} {
		if err := reserve(r.name, r.n); err != nil {
			t.Fatal(err)
		}
	}
	total(800)
	// 1000 in all, 100 kept unreserved.
	wantError(t, reserve("c", 101), "InvalidParameterValueException", 400, "")
	if err := reserve("c", 100); err != nil {
		t.Fatal(err)
	}
	h.must("DeleteFunctionConcurrency", req{path: fn("c")})
	h.must("DeleteFunction", req{path: fn("b")})
	total(400)
	if err := reserve("c", 500); err != nil {
		t.Fatal(err)
	}
	total(900)

	// A store of before the index: no index, no mark. Start-up builds it.
	_, err := h.l.cfg.Store.Update(ctx, func(tx store.Tx) error {
		for _, k := range []string{testAccount + "/a", testAccount + "/c"} {
			if err := tx.Delete(ctx, tableReserved, k); err != nil {
				return err
			}
		}
		return tx.Delete(ctx, tableMeta, reservedIndexKey)
	})
	if err != nil {
		t.Fatal(err)
	}
	total(0)
	if err := h.l.indexReserved(ctx); err != nil {
		t.Fatal(err)
	}
	total(900)
	wantError(t, reserve("a", 401), "InvalidParameterValueException", 400, "")
}

// TestVersionsAndAliasesPaging pages ListVersionsByFunction and
// ListAliases one item at a time while versions are published and aliases
// created and deleted between pages: each item that lives through the
// listing comes once, in order.
func TestVersionsAndAliasesPaging(t *testing.T) {
	h := newHarness(t)
	h.create("pg", nil)
	publish := func(timeout int) string {
		h.must("UpdateFunctionConfiguration", req{path: fn("pg"), body: map[string]any{"Timeout": timeout}})
		h.waitActive("pg")
		return h.must("PublishVersion", req{path: fn("pg")}).(*FunctionConfiguration).Version
	}
	for n := range 3 {
		publish(10 + n)
	}
	var versions []string
	marker := ""
	for page := 0; ; page++ {
		q := url.Values{"MaxItems": {"1"}}
		if marker != "" {
			q.Set("Marker", marker)
		}
		out := h.must("ListVersionsByFunction", req{path: fn("pg"), query: q}).(*ListVersionsOutput)
		if len(out.Versions) != 1 {
			t.Fatalf("page %d: %d versions", page, len(out.Versions))
		}
		versions = append(versions, out.Versions[0].Version)
		if page == 1 {
			publish(20) // version 4, after the position
		}
		if out.NextMarker == "" {
			break
		}
		marker = out.NextMarker
	}
	if got := strings.Join(versions, ","); got != "$LATEST,1,2,3,4" {
		t.Errorf("versions = %s", got)
	}

	for _, a := range []struct{ name, version string }{{"a", "1"}, {"b", "2"}, {"c", "1"}, {"d", "1"}, {"e", "2"}} {
		h.must("CreateAlias", req{path: fn("pg"), body: map[string]any{"Name": a.name, "FunctionVersion": a.version}})
	}
	list := func(version string, between func()) []string {
		var names []string
		marker := ""
		for {
			q := url.Values{"MaxItems": {"1"}}
			if version != "" {
				q.Set("FunctionVersion", version)
			}
			if marker != "" {
				q.Set("Marker", marker)
			}
			out := h.must("ListAliases", req{path: fn("pg"), query: q}).(*ListAliasesOutput)
			if len(out.Aliases) > 1 {
				t.Fatalf("page of %d", len(out.Aliases))
			}
			for _, a := range out.Aliases {
				names = append(names, a.Name)
			}
			if between != nil {
				between()
				between = nil
			}
			if out.NextMarker == "" {
				return names
			}
			marker = out.NextMarker
		}
	}
	if got := strings.Join(list("1", nil), ","); got != "a,c,d" {
		t.Errorf("aliases of version 1 = %s", got)
	}
	got := list("", func() {
		h.must("DeleteAlias", req{path: map[string]string{"FunctionName": "pg", "Name": "a"}})
		h.must("DeleteAlias", req{path: map[string]string{"FunctionName": "pg", "Name": "c"}})
		h.must("CreateAlias", req{path: fn("pg"), body: map[string]any{"Name": "f", "FunctionVersion": "3"}})
	})
	if got := strings.Join(got, ","); got != "a,b,d,e,f" {
		t.Errorf("aliases paged while changing = %s", got)
	}
}
