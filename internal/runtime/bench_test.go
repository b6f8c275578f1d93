package runtime

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// reportLatency adds p50 and p99 of the samples as benchmark metrics.
func reportLatency(b *testing.B, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	pct := func(p float64) float64 {
		return float64(samples[int(p*float64(len(samples)-1))].Microseconds())
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

func BenchmarkEnvInvokeWarm(b *testing.B) {
	m, _ := newManager(b, Options{})
	cfg := goConfig("bench-warm")
	payload := []byte(`{"action":"echo","n":1}`)
	ctx := context.Background()
	if _, err := m.Invoke(ctx, cfg, "warm", payload, InvokeOptions{}); err != nil {
		b.Fatal(err)
	}
	samples := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		res, err := m.Invoke(ctx, cfg, "warm", payload, InvokeOptions{})
		samples = append(samples, time.Since(t0))
		if err != nil || res.ColdStart || res.FunctionError != "" {
			b.Fatalf("%v %+v", err, res)
		}
	}
	b.StopTimer()
	reportLatency(b, samples)
}

func BenchmarkEnvInvokeCold(b *testing.B) {
	m, _ := newManager(b, Options{})
	cfg := goConfig("bench-cold")
	payload := []byte(`{"action":"echo"}`)
	ctx := context.Background()
	// Stage the code once, as a deployed function would have it.
	m.Invoke(ctx, cfg, "cold-0", payload, InvokeOptions{})
	samples := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i++
		key := fmt.Sprint("cold-", i)
		t0 := time.Now()
		res, err := m.Invoke(ctx, cfg, key, payload, InvokeOptions{})
		samples = append(samples, time.Since(t0))
		if err != nil || !res.ColdStart || res.FunctionError != "" {
			b.Fatalf("%v %+v", err, res)
		}
		b.StopTimer()
		m.Drain(key)
		b.StartTimer()
	}
	b.StopTimer()
	reportLatency(b, samples)
}
