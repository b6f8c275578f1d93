package server_test

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// benchFunction starts a server with one Go function (the example, or
// another example's deployment package) and runs it once.
func benchFunction(b *testing.B, name string, example ...string) *lambdaSuite {
	return benchFunctionOn(b, newLambdaSuite(b), name, example...)
}

// benchFunctionOn is benchFunction on a given suite.
func benchFunctionOn(b *testing.B, s *lambdaSuite, name string, example ...string) *lambdaSuite {
	role := s.role(b, "bench-role", lambdaTrust, basicExecRole)
	in := goFunction(b, name, role)
	if len(example) > 0 {
		in.Code.ZipFile = exampleZip(b, example[0])
	}
	s.create(b, in)
	s.call(b, name, map[string]any{"action": "echo"})
	return s
}

// reportPercentiles reports the p50 and p99 of per-iteration latencies.
func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(q float64) float64 {
		i := int(q*float64(len(d))+0.5) - 1
		i = max(0, min(i, len(d)-1))
		return float64(d[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// timedInvoke invokes synchronously, appends the latency to times, and fails
// the benchmark on any error, function errors included.
func timedInvoke(b *testing.B, s *lambdaSuite, in *lambda.InvokeInput, times *[]time.Duration) *lambda.InvokeOutput {
	start := time.Now()
	out, err := s.lambda.Invoke(context.Background(), in)
	*times = append(*times, time.Since(start))
	if err != nil {
		b.Fatal(err)
	}
	if out.FunctionError != nil {
		b.Fatalf("Invoke: %s", out.Payload)
	}
	return out
}

// BenchmarkInvokeWarm is a synchronous Invoke through the API, with the SDK,
// of a Go bootstrap whose environment is already running.
func BenchmarkInvokeWarm(b *testing.B) {
	const name = "bench-warm"
	s := benchFunction(b, name)
	payload := []byte(`{"action":"echo","n":1}`)
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		timedInvoke(b, s, in, &times)
	}
	b.StopTimer()
	// The server's and the client's CPU, without the function's process.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	reportPercentiles(b, times)
}

// BenchmarkInvokeCold is a synchronous Invoke that starts a new execution
// environment, the role's credentials included: before each iteration,
// outside the timer, a configuration update retires the running one. The
// example function carries the AWS SDK (a 14 MB binary with its own init);
// go-echo is the smallest Go bootstrap, which shows rolecall's own share.
func BenchmarkInvokeCold(b *testing.B) {
	b.Run("example", func(b *testing.B) { benchCold(b, goExample) })
	b.Run("go-echo", func(b *testing.B) { benchCold(b, goEchoExample) })
}

func benchCold(b *testing.B, example string) {
	const name = "bench-cold"
	s := benchFunction(b, name, example)
	times := make([]time.Duration, 0, b.N)
	inits := make([]time.Duration, 0, b.N)
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"action":"echo"}`), LogType: lambdatypes.LogTypeTail}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s.updateConfig(b, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String(name),
			Environment:  &lambdatypes.Environment{Variables: map[string]string{"ITERATION": strconv.Itoa(i)}},
		})
		b.StartTimer()
		out := timedInvoke(b, s, in, &times)
		b.StopTimer()
		tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		init, ok := initDuration(string(tail))
		if !ok {
			b.Fatalf("iteration %d was not a cold start:\n%s", i, tail)
		}
		inits = append(inits, init)
		b.StartTimer()
	}
	b.StopTimer()
	reportPercentiles(b, times)
	// The part of a cold start spent in the function's own init phase.
	slices.Sort(inits)
	b.ReportMetric(float64(inits[len(inits)/2])/float64(time.Millisecond), "init-p50-ms")
}

// initDuration reads the Init Duration of a REPORT line.
func initDuration(log string) (time.Duration, bool) {
	_, rest, ok := strings.Cut(log, "Init Duration: ")
	if !ok {
		return 0, false
	}
	ms, _, _ := strings.Cut(rest, " ms")
	f, err := strconv.ParseFloat(ms, 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(f * float64(time.Millisecond)), true
}
