package esm

import (
	"fmt"
	"testing"
)

func records(n int) []streamRecord {
	recs := make([]streamRecord, n)
	for i := range recs {
		recs[i] = streamRecord{seq: fmt.Sprintf("%03d", i), key: "k", event: []byte(`{}`), keep: true}
	}
	return recs
}

// TestFirstFailure: Lambda's reading of a batch item failures answer for
// streams: success for no answer, null, {} and an empty list; the lowest
// failed record otherwise; the whole batch for an identifier that is
// missing, empty or not of the batch, and for an answer that is not JSON.
func TestFirstFailure(t *testing.T) {
	batch := records(5)
	cases := []struct {
		payload string
		want    int
	}{
		{``, -1},
		{`null`, -1},
		{`{}`, -1},
		{`{"batchItemFailures":[]}`, -1},
		{`{"batchItemFailures":null}`, -1},
		{`{"batchItemFailures":[{"itemIdentifier":"003"},{"itemIdentifier":"001"}]}`, 1},
		{`{"batchItemFailures":[{"itemIdentifier":"004"}]}`, 4},
		{`{"batchItemFailures":[{"itemIdentifier":""}]}`, 0},
		{`{"batchItemFailures":[{"itemIdentifier":null}]}`, 0},
		{`{"batchItemFailures":[{"id":"001"}]}`, 0},
		{`{"batchItemFailures":[{"itemIdentifier":"999"}]}`, 0},
		{`not json`, 0},
	}
	for _, c := range cases {
		if got := firstFailure([]byte(c.payload), batch); got != c.want {
			t.Errorf("%s: %d, want %d", c.payload, got, c.want)
		}
	}
}

// TestBatches: a lane is cut into batches of BatchSize records at most,
// under the payload limit, without the records the filters drop.
func TestBatches(t *testing.T) {
	sp := &shardPoller{set: streamSettings{batchSize: 3}}
	recs := records(8)
	recs[1].keep = false
	got := sp.batches(recs)
	want := [][]string{{"000", "002", "003"}, {"004", "005", "006"}, {"007"}}
	if len(got) != len(want) {
		t.Fatalf("%d batches, want %d", len(got), len(want))
	}
	for i, b := range got {
		for j, r := range b {
			if r.seq != want[i][j] {
				t.Errorf("batch %d record %d: %s, want %s", i, j, r.seq, want[i][j])
			}
		}
	}
	big := records(3)
	for i := range big {
		big[i].event = make([]byte, 3<<20)
	}
	sp.set.batchSize = 10
	if n := len(sp.batches(big)); n != 3 {
		t.Errorf("three 3 MB records make %d batches, want 3 (6 MB payload limit)", n)
	}
}

// TestSettingsDefaults: Lambda's defaults for a stream mapping.
func TestSettingsDefaults(t *testing.T) {
	s := settingsOf(&Mapping{})
	if s.batchSize != 100 || s.parallel != 1 || s.maxRetries != -1 || s.maxAge != 0 || s.bisect || s.window != 0 || s.onFailure != "" {
		t.Errorf("defaults %+v", s)
	}
	neg, zero := -1, 0
	s = settingsOf(&Mapping{MaximumRetryAttempts: &zero, MaximumRecordAgeInSeconds: &neg})
	if s.maxRetries != 0 || s.maxAge != 0 {
		t.Errorf("MaximumRetryAttempts 0, MaximumRecordAgeInSeconds -1: %+v", s)
	}
}
