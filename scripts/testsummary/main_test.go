package main

import (
	"strings"
	"testing"
)

// events is a `go test -json` stream: a package with a passing test, a
// test skipped with a reason, a subtest skipped with another, a failed
// test, a failed parallel subtest (whose lines are its own, not its
// parent's), and a package that never finished.
const events = `{"Action":"start","Package":"m/a"}
{"Action":"run","Package":"m/a","Test":"TestOK"}
{"Action":"output","Package":"m/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"m/a","Test":"TestOK","Output":"    a_test.go:3: fine\n"}
{"Action":"pass","Package":"m/a","Test":"TestOK"}
{"Action":"run","Package":"m/a","Test":"TestNeedsDB"}
{"Action":"output","Package":"m/a","Test":"TestNeedsDB","Output":"=== RUN   TestNeedsDB\n"}
{"Action":"output","Package":"m/a","Test":"TestNeedsDB","Output":"    a_test.go:9: no database: set DB\n"}
{"Action":"output","Package":"m/a","Test":"TestNeedsDB","Output":"--- SKIP: TestNeedsDB (0.00s)\n"}
{"Action":"skip","Package":"m/a","Test":"TestNeedsDB"}
{"Action":"output","Package":"m/a","Output":"ok  \tm/a\t0.1s\n"}
{"Action":"pass","Package":"m/a"}
{"Action":"start","Package":"m/b"}
{"Action":"run","Package":"m/b","Test":"TestCLI"}
{"Action":"run","Package":"m/b","Test":"TestCLI/one"}
{"Action":"output","Package":"m/b","Test":"TestCLI/one","Output":"    b_test.go:4: no CLI\n"}
{"Action":"skip","Package":"m/b","Test":"TestCLI/one"}
{"Action":"run","Package":"m/b","Test":"TestOther"}
{"Action":"output","Package":"m/b","Test":"TestOther","Output":"    b_test.go:7: no database: set DB\n"}
{"Action":"skip","Package":"m/b","Test":"TestOther"}
{"Action":"run","Package":"m/b","Test":"TestBroken"}
{"Action":"output","Package":"m/b","Test":"TestBroken","Output":"    b_test.go:12: want 1, got 2\n"}
{"Action":"output","Package":"m/b","Test":"TestBroken","Output":"--- FAIL: TestBroken (0.00s)\n"}
{"Action":"fail","Package":"m/b","Test":"TestBroken"}
{"Action":"run","Package":"m/b","Test":"TestScenarios"}
{"Action":"run","Package":"m/b","Test":"TestScenarios/10-s3"}
{"Action":"output","Package":"m/b","Test":"TestScenarios/10-s3","Output":"    scenario_test.go:90: FAIL: the object: want [x], got [y]\n"}
{"Action":"output","Package":"m/b","Test":"TestScenarios/10-s3","Output":"    --- FAIL: TestScenarios/10-s3 (9.00s)\n"}
{"Action":"fail","Package":"m/b","Test":"TestScenarios/10-s3"}
{"Action":"output","Package":"m/b","Test":"TestScenarios","Output":"--- FAIL: TestScenarios (1.00s)\n"}
{"Action":"fail","Package":"m/b","Test":"TestScenarios"}
{"Action":"output","Package":"m/b","Output":"FAIL\n"}
{"Action":"output","Package":"m/b","Output":"FAIL\tm/b\t0.2s\n"}
{"Action":"fail","Package":"m/b"}
{"Action":"start","Package":"m/c"}
`

func TestSummarize(t *testing.T) {
	var out strings.Builder
	failed, err := summarize(strings.NewReader(events), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !failed {
		t.Error("a failed test and an unfinished package were not reported as a failure")
	}
	got := out.String()
	for _, want := range []string{
		"ok  \tm/a\t0.1s\n",
		"b_test.go:12: want 1, got 2\n--- FAIL: TestBroken",
		"FAIL: the object: want [x], got [y]\n    --- FAIL: TestScenarios/10-s3",
		"FAIL\tm/b\t0.2s\n",
		"FAIL\tm/c\t(no result: go test ended early)\n",
		"3 tests skipped:\n  2 × no database: set DB\n      m/a: TestNeedsDB\n      m/b: TestOther\n  1 × no CLI\n      m/b: TestCLI/one\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "fine") {
		t.Errorf("a passing test's output is shown:\n%s", got)
	}
}

func TestSummarizeAllPassed(t *testing.T) {
	var out strings.Builder
	failed, err := summarize(strings.NewReader(`{"Action":"start","Package":"m/a"}
{"Action":"output","Package":"m/a","Output":"ok  \tm/a\t0.1s\n"}
{"Action":"pass","Package":"m/a"}
`), &out)
	if err != nil || failed {
		t.Fatalf("failed %v, err %v", failed, err)
	}
	if got := out.String(); got != "ok  \tm/a\t0.1s\nno tests skipped\n" {
		t.Errorf("summary %q", got)
	}
}
