package logs

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/storetest"
)

// TestGroupCountersApart writes events to a group's streams while its
// configuration is edited: the counters are not kept in the group, so no
// writer loses another's change, and PutLogEvents never rewrites it.
func TestGroupCountersApart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	g := "/aws/lambda/fn"
	f.must(t, "CreateLogGroup", obj{"logGroupName": g})
	rev, err := f.st.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const streams, batches = 4, 10
	var wg sync.WaitGroup
	for n := range streams {
		wg.Go(func() {
			name := fmt.Sprintf("s%d", n)
			if _, err := f.do(t, "CreateLogStream", obj{"logGroupName": g, "logStreamName": name}); err != nil {
				t.Error(err)
				return
			}
			for range batches {
				if _, err := f.do(t, "PutLogEvents", obj{"logGroupName": g, "logStreamName": name, "logEvents": events(now.UnixMilli(), "12345")}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		for _, days := range []int{1, 3, 5, 7} {
			if _, err := f.do(t, "PutRetentionPolicy", obj{"logGroupName": g, "retentionInDays": days}); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	m := f.must(t, "DescribeLogGroups", obj{"logGroupNamePrefix": g})
	got := list(m, "logGroups")[0]
	if got["storedBytes"] != float64(streams*batches*5) || got["retentionInDays"] != float64(7) {
		t.Errorf("group after concurrent writes: %v", got)
	}
	// Every stream got a number of its own.
	seen := map[int64]bool{}
	items, err := f.st.List(ctx, streamsTable, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		var s stream
		if err := unmarshal(it.Value, &s); err != nil {
			t.Fatal(err)
		}
		if seen[s.No] {
			t.Errorf("stream number %d given twice", s.No)
		}
		seen[s.No] = true
	}
	// The group was written by PutRetentionPolicy only.
	groupWrites := 0
	for _, c := range storetest.ChangesSince(t, f.st, rev) {
		if c.Table == groupsTable {
			groupWrites++
		}
	}
	if groupWrites != 4 {
		t.Errorf("the group was written %d times, want 4", groupWrites)
	}

	// Deleting a stream takes its bytes off the group's.
	f.must(t, "DeleteLogStream", obj{"logGroupName": g, "logStreamName": "s0"})
	m = f.must(t, "DescribeLogGroups", obj{"logGroupNamePrefix": g})
	if got := list(m, "logGroups")[0]["storedBytes"]; got != float64((streams-1)*batches*5) {
		t.Errorf("storedBytes after a stream's deletion = %v", got)
	}
}

// TestGroupCountersOfOldGroup reads a group stored with its counters
// inside, as before they had keys of their own.
func TestGroupCountersOfOldGroup(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gk := acct + "|us-east-1|/old"
	_, err := f.st.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put(ctx, groupsTable, gk, []byte(`{"name":"/old","created":1700000000000,"class":"STANDARD","nextStream":3,"storedBytes":100}`)); err != nil {
			return err
		}
		return tx.Put(ctx, streamsTable, gk+"|a", []byte(`{"name":"a","no":3,"created":1700000000000,"storedBytes":100,"nextSeq":8}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	m := f.must(t, "DescribeLogGroups", obj{"logGroupNamePrefix": "/old"})
	if got := list(m, "logGroups")[0]["storedBytes"]; got != float64(100) {
		t.Errorf("storedBytes of an old group = %v", got)
	}
	f.must(t, "CreateLogStream", obj{"logGroupName": "/old", "logStreamName": "b"})
	var b stream
	if err := store.GetJSON(ctx, f.st, streamsTable, gk+"|b", &b); err != nil || b.No != 4 {
		t.Errorf("new stream of an old group: %+v %v", b, err)
	}
	f.must(t, "PutLogEvents", obj{"logGroupName": "/old", "logStreamName": "a", "logEvents": events(now.UnixMilli(), "xyz")})
	f.must(t, "PutRetentionPolicy", obj{"logGroupName": "/old", "retentionInDays": 1})
	m = f.must(t, "DescribeLogGroups", obj{"logGroupNamePrefix": "/old"})
	if got := list(m, "logGroups")[0]["storedBytes"]; got != float64(103) {
		t.Errorf("storedBytes of an old group after a write = %v", got)
	}
}
