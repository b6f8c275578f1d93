package esm

import (
	"context"
	"testing"
)

// TestNoRecordsProcessedDoesNotHideResult: "No records processed" is a
// mapping's LastProcessingResult only before its first batch. A poller
// that starts afresh later (a shard that never had a record, after a
// restart or on another node) does not overwrite the result of the
// batches processed already.
func TestNoRecordsProcessedDoesNotHideResult(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	ctx := context.Background()
	mp := enabled("m", 1)
	putMapping(t, st, mp)
	m := newTestManager(t, st, &testSource{}, &testFunctions{})
	w := m.newWorker(mp, Function{}, "")
	w.Report(resultNone)
	if r, _ := m.lastProcessingResult(ctx, "m"); r != resultNone {
		t.Fatalf("LastProcessingResult before the first batch = %q, want %q", r, resultNone)
	}
	w.Report(resultOK)
	// Another shard's poller of the same process, then of a process
	// started afresh on the same store.
	w.Report(resultNone)
	if r, _ := m.lastProcessingResult(ctx, "m"); r != resultOK {
		t.Errorf("after another poller started, LastProcessingResult = %q, want %q", r, resultOK)
	}
	again := newTestManager(t, st, &testSource{}, &testFunctions{})
	again.newWorker(mp, Function{}, "").Report(resultNone)
	if r, _ := m.lastProcessingResult(ctx, "m"); r != resultOK {
		t.Errorf("after a restart, LastProcessingResult = %q, want %q", r, resultOK)
	}
	w.Report(resultFailed)
	w.Report(resultOK)
	if r, _ := m.lastProcessingResult(ctx, "m"); r != resultOK {
		t.Errorf("LastProcessingResult = %q, want %q", r, resultOK)
	}
}
