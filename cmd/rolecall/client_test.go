package main

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestRangeSince: --since takes Go durations and whole days, and refuses
// anything else, as an empty or backward range.
func TestRangeSince(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		since string
		want  time.Duration // 0: refused
	}{
		{"24h", 24 * time.Hour},
		{"90m", 90 * time.Minute},
		{"7d", 7 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"0d", 0},
		{"d", 0},
		{"-1d", 0},
		{"7days", 0},
		{"1.5d", 0},
		{"7", 0},
		{"-24h", 0},
	} {
		f := &rangeFlags{since: sinceFlag{value: tc.since, set: true}}
		start, end, err := f.bounds(now)
		switch {
		case tc.want == 0 && err == nil:
			t.Errorf("--since %q: accepted as %v..%v", tc.since, start, end)
		case tc.want != 0 && err != nil:
			t.Errorf("--since %q: %v", tc.since, err)
		case tc.want != 0 && (end != now || end.Sub(start) != tc.want):
			t.Errorf("--since %q: %v..%v, want %v before %v", tc.since, start, end, tc.want, now)
		}
	}
}

// TestRangeStartEnd: --start and --end are RFC 3339 times; one without its
// zone is refused with an example of the form, and so is an empty range.
func TestRangeStartEnd(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f := &rangeFlags{since: sinceFlag{value: "24h"}, start: "2026-11-30T10:00:00Z", end: "2026-11-30T11:00:00+01:00"}
	if start, end, err := f.bounds(now); err == nil {
		t.Errorf("an empty range accepted: %v..%v", start, end)
	}
	f.end = "2026-11-30T11:00:00Z"
	if start, end, err := f.bounds(now); err != nil || end.Sub(start) != time.Hour {
		t.Errorf("--start..--end: %v..%v, %v; want an hour", start, end, err)
	}
	f.start = "2026-11-30T10:00:00"
	if _, _, err := f.bounds(now); err == nil || !strings.Contains(err.Error(), `--start "2026-11-30T10:00:00": want an RFC 3339 time such as 2026-11-30T15:04:05Z`) {
		t.Errorf("--start without a zone: %v", err)
	}
}

// TestPolicyVerbNoServer: a verb pointed where no rolecall listens says so,
// and how to point it elsewhere.
func TestPolicyVerbNoServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	var stdout, stderr strings.Builder
	err = runPolicy([]string{"unused", "--role", "app", "--since", "1h", "--endpoint-url", "http://" + addr}, nil, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "no rolecall answers there") || !strings.Contains(err.Error(), addr) {
		t.Errorf("policy unused without a server: %v", err)
	}
}
