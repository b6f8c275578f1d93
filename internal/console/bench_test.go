package console_test

import (
	"testing"
)

// BenchmarkConsoleFirstPaint loads the console's page in Chromium from a
// server on loopback, signed in (so the functions list is what paints),
// and reports the browser's own first-contentful-paint time (fcp-ms) and
// when the page's data was shown (ready-ms), both from navigation start.
//
//	go test -run '^$' -bench ConsoleFirstPaint -benchtime 20x ./internal/console
func BenchmarkConsoleFirstPaint(b *testing.B) {
	br := newBrowser(b)
	r := br.srv.Root()
	br.signIn(b, r.AccessKeyID, r.SecretAccessKey, "")
	var fcp, ready float64
	b.ResetTimer()
	for b.Loop() {
		br.open(b, "/functions")
		br.waitText(b, "main", "0 functions")
		fcp += eval[float64](b, br, `performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1`)
		ready += eval[float64](b, br, `performance.now()`)
	}
	b.ReportMetric(fcp/float64(b.N), "fcp-ms")
	b.ReportMetric(ready/float64(b.N), "ready-ms")
}
