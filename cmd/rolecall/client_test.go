package main

import (
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
		f := &rangeFlags{since: tc.since}
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
