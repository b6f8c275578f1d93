package server

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/gateway"
)

// requestLog writes one line per request answered:
//
//	2026-03-04T05:06:07.089Z arn:aws:iam::123456789012:root iam:CreateRole 200 - 3.2ms
//	2026-03-04T05:06:07.120Z - sts:GetCallerIdentity 403 InvalidClientTokenId 0.4ms
//	2026-03-04T05:06:07.130Z - - 403 MissingAuthenticationToken 0.1ms
//
// The fields are the arrival time (UTC, milliseconds), the caller's ARN
// ("anonymous" for an unsigned request a service allows, "-" when the
// request was not authenticated), service:operation ("-" when the request
// named no service or operation known), the HTTP status, AWS's error code
// ("-" on success) and the time taken to answer, in milliseconds.
type requestLog struct {
	mu         sync.Mutex
	w          io.Writer
	errorsOnly bool
}

func (l *requestLog) log(r gateway.Request) {
	if l.errorsOnly && r.ErrorCode == "" && r.Status < 400 {
		return
	}
	op := "-"
	if r.Service != "" || r.Operation != "" {
		op = orDash(r.Service) + ":" + orDash(r.Operation)
	}
	line := fmt.Sprintf("%s %s %s %d %s %.1fms\n",
		r.Time.UTC().Format("2006-01-02T15:04:05.000Z"), orDash(r.Principal), op,
		r.Status, orDash(r.ErrorCode), float64(r.Duration)/float64(time.Millisecond))
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.w, line) // a log line lost to a closed stderr changes no answer
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
