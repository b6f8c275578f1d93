package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// testEventLookups pages through every lookup attribute one event at a
// time, with the category, account and time filters beside it: each page
// follows the history's order (time, then append order, whatever order
// the events were appended in), an event with two matching resources comes
// once, and every event the filters select comes exactly once.
func testEventLookups(t *testing.T, st store.Store) {
	ctx := context.Background()
	base := time.Date(2026, 4, 5, 6, 7, 8, 0, time.UTC)
	// Appended out of time order: e3 and e4 are older than e0.
	at := []time.Duration{5, 6, 7, 2, 1, 7}
	mk := func(i int, name, user string, ro bool, category, account string, res ...store.EventResource) store.Event {
		return store.Event{ID: fmt.Sprintf("e%d", i), Time: base.Add(at[i] * time.Minute), Name: name, Source: "s3.amazonaws.com",
			Username: user, AccessKeyID: "AKIA" + user, ReadOnly: ro, Category: category, Account: account,
			Resources: res, Record: fmt.Appendf(nil, `{"n":%d}`, i)}
	}
	obj := func(k string) store.EventResource {
		return store.EventResource{Type: "AWS::S3::Object", Name: "arn:aws:s3:::b/" + k}
	}
	bucket := store.EventResource{Type: "AWS::S3::Bucket", Name: "arn:aws:s3:::b"}
	if err := st.AppendEvents(ctx, []store.Event{
		mk(0, "CopyObject", "alice", false, store.CategoryManagement, "111", obj("src"), obj("dst"), bucket),
		mk(1, "GetObject", "bob", true, store.CategoryData, "111", obj("src"), bucket),
		mk(2, "CopyObject", "alice", false, store.CategoryManagement, "111", obj("dst"), obj("dst")),
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendEvents(ctx, []store.Event{
		mk(3, "CopyObject", "alice", false, store.CategoryManagement, "222", obj("src"), bucket),
		mk(4, "PutBucketPolicy", "bob", false, store.CategoryManagement, "111", bucket),
		mk(5, "GetObject", "alice", true, store.CategoryManagement, "111", obj("src")),
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		q    store.EventQuery
		want []string // newest first
	}{
		{"all", store.EventQuery{}, []string{"e5", "e2", "e1", "e0", "e3", "e4"}},
		{"EventName", store.EventQuery{Attribute: "EventName", Value: "CopyObject"}, []string{"e2", "e0", "e3"}},
		{"EventName-none", store.EventQuery{Attribute: "EventName", Value: "DeleteObject"}, nil},
		{"Username", store.EventQuery{Attribute: "Username", Value: "bob"}, []string{"e1", "e4"}},
		{"AccessKeyId", store.EventQuery{Attribute: "AccessKeyId", Value: "AKIAalice"}, []string{"e5", "e2", "e0", "e3"}},
		{"EventSource", store.EventQuery{Attribute: "EventSource", Value: "s3.amazonaws.com", Account: "222"}, []string{"e3"}},
		{"ReadOnly", store.EventQuery{Attribute: "ReadOnly", Value: "false"}, []string{"e2", "e0", "e3", "e4"}},
		{"ReadOnly-true", store.EventQuery{Attribute: "ReadOnly", Value: "true", Category: store.CategoryManagement}, []string{"e5"}},
		{"EventId", store.EventQuery{Attribute: "EventId", Value: "e3"}, []string{"e3"}},
		{"ResourceName", store.EventQuery{Attribute: "ResourceName", Value: "arn:aws:s3:::b/dst"}, []string{"e2", "e0"}},
		{"ResourceName-none", store.EventQuery{Attribute: "ResourceName", Value: "arn:aws:s3:::c"}, nil},
		{"ResourceType", store.EventQuery{Attribute: "ResourceType", Value: "AWS::S3::Object"}, []string{"e5", "e2", "e1", "e0", "e3"}},
		{"ResourceType-filtered", store.EventQuery{Attribute: "ResourceType", Value: "AWS::S3::Object", Category: store.CategoryManagement, Account: "111"},
			[]string{"e5", "e2", "e0"}},
		{"ResourceType-time", store.EventQuery{Attribute: "ResourceType", Value: "AWS::S3::Bucket", Start: base.Add(2 * time.Minute), End: base.Add(6 * time.Minute)},
			[]string{"e1", "e0", "e3"}},
		{"ResourceName-principal", store.EventQuery{Attribute: "ResourceName", Value: "arn:aws:s3:::b", PrincipalARN: "nobody"}, nil},
		{"time", store.EventQuery{Start: base.Add(2 * time.Minute), End: base.Add(6 * time.Minute)}, []string{"e1", "e0", "e3"}},
	} {
		for _, limit := range []int{1, 2, 50} {
			var got []string
			q := c.q
			q.Limit = limit
			for page := 0; ; page++ {
				evs, next, err := st.QueryEvents(ctx, q)
				if err != nil {
					t.Fatalf("%s, limit %d: %v", c.name, limit, err)
				}
				if len(evs) > limit || (next != "" && len(evs) != limit) {
					t.Errorf("%s, limit %d: page %d holds %d events, next %q", c.name, limit, page, len(evs), next)
				}
				for _, e := range evs {
					got = append(got, e.ID)
				}
				if next == "" || page > 10 {
					break
				}
				q.Cursor = next
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s, limit %d: %v, want %v", c.name, limit, got, c.want)
			}
		}
	}
	// An event's resources come whole and in their order, whichever
	// resource the lookup matched.
	evs, _, err := st.QueryEvents(ctx, store.EventQuery{Attribute: "ResourceName", Value: "arn:aws:s3:::b/dst", Limit: 50})
	if err != nil || len(evs) != 2 {
		t.Fatalf("ResourceName: %d events, %v", len(evs), err)
	}
	if want := []store.EventResource{obj("src"), obj("dst"), bucket}; !slices.Equal(evs[1].Resources, want) {
		t.Errorf("e0's resources = %v, want %v", evs[1].Resources, want)
	}
	if want := []store.EventResource{obj("dst"), obj("dst")}; !slices.Equal(evs[0].Resources, want) {
		t.Errorf("e2's resources = %v, want %v", evs[0].Resources, want)
	}
	if string(evs[0].Record) != `{"n":2}` || !evs[0].Time.Equal(base.Add(7*time.Minute)) || evs[0].ReadOnly || evs[0].Username != "alice" {
		t.Errorf("e2 = %+v", evs[0])
	}
}
