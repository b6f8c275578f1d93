package server_test

import (
	"net/http"
	"testing"
)

// TestRolecallLookupEvents: rolecall's LookupEvents finds data events,
// which CloudTrail's event history leaves out, with LookupEvents' own
// filters, errors and authorization.
func TestRolecallLookupEvents(t *testing.T) {
	f := newExplainFixture(t)
	user := f.s.user(t, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)
	if code := f.get(t, user, "a.txt"); code != "AccessDenied" {
		t.Fatalf("GetObject: %q", code)
	}
	root, ep := f.s.srv.RootConfig(), f.s.srv.Endpoint()
	type events struct {
		Events []struct {
			EventId, EventName, Username, CloudTrailEvent string
			Resources                                     []struct{ ResourceType, ResourceName string }
		}
		NextToken string
	}
	byName := map[string]any{"LookupAttributes": []map[string]string{{"AttributeKey": "EventName", "AttributeValue": "GetObject"}}}
	for _, c := range []struct {
		category string
		want     int
	}{{"", 0}, {"Management", 0}, {"Data", 1}, {"All", 1}} {
		in := map[string]any{"LookupAttributes": byName["LookupAttributes"]}
		if c.category != "" {
			in["Category"] = c.category
		}
		var out events
		if st, code, msg := consoleCall(t, root, ep, http.MethodPost, "/v1/events/lookup", in, &out); st != http.StatusOK {
			t.Fatalf("%s: %d %s %s", c.category, st, code, msg)
		}
		if len(out.Events) != c.want {
			t.Errorf("Category %q: %d GetObject events, want %d", c.category, len(out.Events), c.want)
			continue
		}
		if c.want == 1 && (out.Events[0].Username != "reader" || out.Events[0].EventId != f.lastEvent(t, "GetObject", "arn:aws:iam::"+account+":user/reader")) {
			t.Errorf("Category %q: %+v", c.category, out.Events[0])
		}
	}

	// Paging and the other filters are LookupEvents' own.
	var page events
	if st, code, msg := consoleCall(t, root, ep, http.MethodPost, "/v1/events/lookup", map[string]any{"Category": "All", "MaxResults": 1}, &page); st != http.StatusOK || len(page.Events) != 1 || page.NextToken == "" {
		t.Fatalf("first page: %d %s %s %+v", st, code, msg, page)
	}
	var next events
	if st, _, _ := consoleCall(t, root, ep, http.MethodPost, "/v1/events/lookup", map[string]any{"Category": "All", "MaxResults": 1, "NextToken": page.NextToken}, &next); st != http.StatusOK || len(next.Events) != 1 || next.Events[0].EventId == page.Events[0].EventId {
		t.Fatalf("second page: %d %+v", st, next)
	}
	for _, c := range []struct {
		in     map[string]any
		status int
		code   string
	}{
		{map[string]any{"Category": "Insight"}, 400, "ValidationException"},
		{map[string]any{"EventCategory": "insight"}, 400, "SerializationException"},
		{map[string]any{"MaxResults": 51, "Category": "All"}, 400, "InvalidMaxResultsException"},
		{map[string]any{"Category": "Data", "NextToken": page.NextToken}, 400, "InvalidNextTokenException"},
		{map[string]any{"StartTime": 2e9, "EndTime": 1e9}, 400, "InvalidTimeRangeException"},
		{map[string]any{"LookupAttributes": []map[string]string{{"AttributeKey": "Nope", "AttributeValue": "x"}}}, 400, "InvalidLookupAttributesException"},
	} {
		if st, code, msg := consoleCall(t, root, ep, http.MethodPost, "/v1/events/lookup", c.in, nil); st != c.status || code != c.code {
			t.Errorf("%v: %d %s %s, want %d %s", c.in, st, code, msg, c.status, c.code)
		}
	}
	if st, code, msg := consoleCall(t, user, ep, http.MethodPost, "/v1/events/lookup", map[string]any{"Category": "Data"}, nil); st != http.StatusForbidden || code != "AccessDeniedException" {
		t.Errorf("without cloudtrail:LookupEvents: %d %s %s", st, code, msg)
	}
}
