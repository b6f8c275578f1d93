package protocol

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
)

// TestQueryCompatibleErrors: a query-compatible JSON service's errors
// carry x-amzn-query-error with the query code, and its query answers
// use that code; other services' answers are unchanged.
func TestQueryCompatibleErrors(t *testing.T) {
	svc := &api.Service{Name: "sqs", XMLNamespace: "http://queue.amazonaws.com/doc/2012-11-05/", QueryCompatible: true,
		QueryCodes: map[string]string{"QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue"}}
	set := New()
	for _, tc := range []struct {
		code, header, typ string
	}{
		{"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender", `"__type":"QueueDoesNotExist"`},
		{"AccessDenied", "AccessDenied;Sender", `"__type":"AccessDeniedException"`},
	} {
		w := httptest.NewRecorder()
		set.ByName(NameJSON10).WriteError(w, &api.Call{Service: svc, RequestID: "r"}, &api.Error{Code: tc.code, Message: "m", Status: 400})
		if got := w.Header().Get("x-amzn-query-error"); got != tc.header {
			t.Errorf("%s: x-amzn-query-error %q, want %q", tc.code, got, tc.header)
		}
		if !strings.Contains(w.Body.String(), tc.typ) {
			t.Errorf("%s: body %s, want %s", tc.code, w.Body, tc.typ)
		}
	}
	w := httptest.NewRecorder()
	set.ByName(NameQuery).WriteError(w, &api.Call{Service: svc, RequestID: "r"}, &api.Error{Code: "QueueDoesNotExist", Message: "m", Status: 400})
	if !strings.Contains(w.Body.String(), "<Code>AWS.SimpleQueueService.NonExistentQueue</Code>") {
		t.Errorf("query error %s", w.Body)
	}
	w = httptest.NewRecorder()
	set.ByName(NameJSON11).WriteError(w, &api.Call{Service: &api.Service{Name: "kms"}}, &api.Error{Code: "NotFoundException", Message: "m", Status: 400})
	if h := w.Header().Get("x-amzn-query-error"); h != "" {
		t.Errorf("a service that is not query compatible sent x-amzn-query-error %q", h)
	}
}
