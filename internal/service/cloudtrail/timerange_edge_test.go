package cloudtrail

import (
	"fmt"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/trail"
)

// An event's EventTime is in whole seconds, so a range that starts and
// ends at the second LookupEvents showed for an event (start == end) finds
// it, even when the call happened part-way through that second.
func TestLookupTimeRangeWholeSecond(t *testing.T) {
	f := newFixture(t)
	at := base.Add(1250 * time.Millisecond)
	f.rec.Record(trail.Entry{Service: iamSvc, Operation: "GetRole", ReadOnly: true, Principal: alice,
		Time: at, Account: acct, Region: "us-east-1"})
	out, err := f.lookup(t, "{}")
	if err != nil || len(out.Events) != 1 {
		t.Fatalf("lookup: %v, %v", out, err)
	}
	sec := out.Events[0].EventTime
	for _, body := range []string{
		fmt.Sprintf(`{"StartTime":%d,"EndTime":%d}`, sec, sec),
		fmt.Sprintf(`{"EndTime":%d}`, sec),
	} {
		out, err := f.lookup(t, body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if got := names(out); fmt.Sprint(got) != "[GetRole]" {
			t.Errorf("%s: events = %v, want [GetRole] (EventTime %d)", body, got, sec)
		}
	}
}
