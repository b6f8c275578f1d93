// Command testsummary reads the events of `go test -json` on standard input
// and prints what `go test` prints without -v (each package's result line,
// the whole output of every test that failed, build errors), then which
// tests were skipped and why, grouped by reason:
//
//	3 tests skipped:
//	  2 × AWS CLI v2 not found at /usr/bin/aws; install Debian's awscli to run the scenarios
//	      internal/server: TestScenarios, TestBannerPasteBlock
//	  1 × ...
//	      internal/...: TestX
//
// It exits 1 when a test or a package failed, or the input ended before a
// package's result (go test was killed), and 0 otherwise. scripts/test
// pipes the test suite through it:
//
//	go test -json ./... | go run ./scripts/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output events
	Test       string
	Output     string
}

// test is what is known of one test so far.
type test struct {
	pkg, name string
	output    []string
	done      bool
}

func main() {
	failed, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}

// modulePrefix is left out of the package paths of the skip list.
const modulePrefix = "github.com/rolecall/rolecall/"

// fileLine is the "file_test.go:12: " prefix of a test's log line.
var fileLine = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: `)

// summarize copies the result lines of the events read from r to w, and
// the skipped tests; it reports whether anything failed.
func summarize(r io.Reader, w io.Writer) (failed bool, err error) {
	tests := map[string]*test{}
	var skipped []*test
	finished := map[string]bool{}
	started := map[string]bool{}
	// Unbuffered: each package's result shows as soon as it is known.
	out := &printer{w: w}
	defer func() { err = errors.Join(err, out.err) }()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			// Not an event (go vet's output, a build's): pass it on.
			out.printf("%s\n", line)
			continue
		}
		if e.Action == "build-output" {
			out.printf("%s", e.Output)
			continue
		}
		if e.Action == "start" {
			started[e.Package] = true
		}
		if e.Test == "" {
			switch e.Action {
			case "output":
				if o := strings.TrimSpace(e.Output); o != "PASS" && o != "FAIL" || e.Output != o+"\n" {
					out.printf("%s", e.Output)
				}
			case "fail":
				failed = true
				finished[e.Package] = true
				// Tests still running when the package failed (a panic,
				// a timeout): their output tells why.
				for _, t := range tests {
					if t.pkg == e.Package && !t.done {
						out.printf("%s", strings.Join(t.output, ""))
						t.done = true
					}
				}
			case "pass", "skip":
				finished[e.Package] = true
			}
			continue
		}
		key := e.Package + " " + e.Test
		t := tests[key]
		if t == nil {
			t = &test{pkg: e.Package, name: e.Test}
			tests[key] = t
		}
		switch e.Action {
		case "output":
			t.output = append(t.output, e.Output)
		case "pass":
			t.done, t.output = true, nil
		case "fail":
			// Each test's output is its own (go test -json gives a
			// subtest's lines, parallel or not, to the subtest): a
			// failing subtest's is printed when it fails, its parent's
			// when the parent does.
			failed = true
			t.done = true
			out.printf("%s", strings.Join(t.output, ""))
			t.output = nil
		case "skip":
			t.done = true
			skipped = append(skipped, t)
		}
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	for pkg := range started {
		if !finished[pkg] {
			out.printf("FAIL\t%s\t(no result: go test ended early)\n", pkg)
			failed = true
		}
	}
	printSkipped(out, skipped)
	return failed, nil
}

// printSkipped prints the skipped tests, grouped by reason, most frequent
// reason first.
func printSkipped(w *printer, skipped []*test) {
	if len(skipped) == 0 {
		w.printf("no tests skipped\n")
		return
	}
	byReason := map[string][]*test{}
	var reasons []string
	for _, t := range skipped {
		r := skipReason(t.output)
		if byReason[r] == nil {
			reasons = append(reasons, r)
		}
		byReason[r] = append(byReason[r], t)
	}
	slices.SortStableFunc(reasons, func(a, b string) int { return len(byReason[b]) - len(byReason[a]) })
	noun := "tests"
	if len(skipped) == 1 {
		noun = "test"
	}
	w.printf("%d %s skipped:\n", len(skipped), noun)
	for _, r := range reasons {
		ts := byReason[r]
		w.printf("  %d × %s\n", len(ts), r)
		var pkgs []string
		names := map[string][]string{}
		for _, t := range ts {
			if names[t.pkg] == nil {
				pkgs = append(pkgs, t.pkg)
			}
			names[t.pkg] = append(names[t.pkg], t.name)
		}
		for _, p := range pkgs {
			w.printf("      %s: %s\n", strings.TrimPrefix(p, modulePrefix), strings.Join(names[p], ", "))
		}
	}
}

// skipReason is the message a skipped test logged last before its
// "--- SKIP" line, without its file:line prefix.
func skipReason(output []string) string {
	reason := ""
	for _, line := range output {
		l := strings.TrimSpace(line)
		switch {
		case l == "", strings.HasPrefix(l, "=== "), strings.HasPrefix(l, "--- "):
			continue
		case fileLine.MatchString(line):
			reason = fileLine.ReplaceAllString(line, "")
		default:
			// A continuation line of a multi-line message.
			if reason == "" {
				reason = l
			}
		}
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "(no reason given)"
	}
	return reason
}

// printer writes until a write fails, and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, a ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, a...)
	}
}
