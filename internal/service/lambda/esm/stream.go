package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

// The shard poller shared by Kinesis and DynamoDB Streams: it reads one
// shard in order as the execution role, batches what it reads, invokes
// the function, retries, bisects and gives batches up as the mapping
// says, and checkpoints the shard (the sequence number below which every
// record is done) after each round of batches.
//
// AWS sources: "How Lambda processes records from Kinesis Data Streams"
// and "Using Lambda with DynamoDB" (Lambda Developer Guide): batching
// (BatchSize, MaximumBatchingWindowInSeconds, 6 MB payload), error
// handling (MaximumRetryAttempts, MaximumRecordAgeInSeconds,
// BisectBatchOnFunctionError, ReportBatchItemFailures, on-failure
// destinations) and ParallelizationFactor.

// Limits and pacing of the shard poller.
const (
	maxPayloadBytes = 6 << 20 // a synchronous invocation's request payload
	// eventOverhead is what an event adds to its records' JSON ({"Records":[...]}).
	eventOverhead = 16
	// idleWait is the wait between two reads of a shard that gave
	// nothing: Lambda reads each shard about once a second.
	idleWait = time.Second
	// firstRetryWait and lastRetryWait bound the backoff between two
	// invocations of a failing batch (doubling), and after a throttle.
	firstRetryWait = 100 * time.Millisecond
	lastRetryWait  = 10 * time.Second
)

// Conditions of an on-failure invocation record.
const (
	conditionRetries = "RetryAttemptsExhausted"
	conditionAge     = "RecordAgeExceeded"
)

// Results reported as the mapping's LastProcessingResult.
const (
	resultNone   = "No records processed"
	resultOK     = "OK"
	resultFailed = "PROBLEM: Function call failed"
)

// streamRecord is one record of a shard as the poller handles it.
type streamRecord struct {
	seq     string    // the record's sequence number
	key     string    // partition key (Kinesis) or item key (DynamoDB): the lane
	arrival time.Time // approximate arrival in the stream
	event   []byte    // the record as the function receives it (JSON)
	// keep is false for a record the mapping's filters drop.
	keep bool
}

// shardReader is what the shard poller needs of a stream service.
type shardReader interface {
	// iterator returns an iterator of w.Unit after sequence number
	// after, or at the mapping's starting position when after is "".
	iterator(ctx context.Context, w *Worker, p *api.Principal, after string) (string, error)
	// read reads up to limit records at iterator; next is "" once the
	// shard is closed and read to its end.
	read(ctx context.Context, w *Worker, p *api.Principal, iterator string, limit int) (recs []streamRecord, next string, err error)
	// maxRead is the most records one read may ask for.
	maxRead() int
	// batchInfo is the member of an on-failure record that describes
	// the batch ("KinesisBatchInfo", "DDBStreamBatchInfo").
	batchInfo() string
	// expired reports whether err is an iterator that expired or points
	// at records trimmed away: the poller gets a new iterator.
	expired(err error) bool
}

// streamSettings are a mapping's settings for a stream, with Lambda's
// defaults applied.
type streamSettings struct {
	batchSize   int
	window      time.Duration
	parallel    int
	maxRetries  int           // -1: until the records expire
	maxAge      time.Duration // 0: no limit
	bisect      bool
	itemReports bool
	onFailure   string // an SQS queue ARN, or ""
}

func settingsOf(mp *Mapping) streamSettings {
	s := streamSettings{batchSize: mp.BatchSize, parallel: mp.ParallelizationFactor, maxRetries: -1,
		itemReports: mp.ReportsBatchItemFailures()}
	if s.batchSize <= 0 {
		s.batchSize = 100
	}
	if s.parallel <= 0 {
		s.parallel = 1
	}
	if w := mp.MaximumBatchingWindowInSeconds; w != nil && *w > 0 {
		s.window = time.Duration(*w) * time.Second
	}
	if r := mp.MaximumRetryAttempts; r != nil && *r >= 0 {
		s.maxRetries = *r
	}
	if a := mp.MaximumRecordAgeInSeconds; a != nil && *a > 0 {
		s.maxAge = time.Duration(*a) * time.Second
	}
	if b := mp.BisectBatchOnFunctionError; b != nil {
		s.bisect = *b
	}
	if d := mp.DestinationConfig; d != nil && d.OnFailure != nil {
		s.onFailure = d.OnFailure.Destination
	}
	return s
}

// shardPoller polls one shard.
type shardPoller struct {
	w   *Worker
	r   shardReader
	set streamSettings
	// reported is the last result reported, so that each is reported
	// once per change.
	mu       sync.Mutex
	reported string
}

// pollShard runs the shard w.Unit until ctx is done, the shard is read to
// its end (ErrUnitDone), the lease is lost (ErrLeaseLost) or a read
// fails (reported, returned).
func pollShard(ctx context.Context, w *Worker, r shardReader) error {
	sp := &shardPoller{w: w, r: r, set: settingsOf(w.Mapping)}
	return sp.run(ctx)
}

func (sp *shardPoller) report(result string) {
	sp.mu.Lock()
	changed := sp.reported != result
	sp.reported = result
	sp.mu.Unlock()
	if changed {
		sp.w.Report(result)
	}
}

// reportFirst reports "No records processed" when nothing was reported
// yet.
func (sp *shardPoller) reportFirst() {
	sp.mu.Lock()
	first := sp.reported == ""
	sp.mu.Unlock()
	if first {
		sp.report(resultNone)
	}
}

func (sp *shardPoller) run(ctx context.Context) error {
	w := sp.w
	cp, err := w.Checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("esm: checkpoint of %s: %w", w.Unit, err)
	}
	var (
		it    string
		buf   []streamRecord
		since time.Time // when buf's first record was read
		// fresh is a unit never checkpointed: one that was keeps the
		// result it last reported (a PROBLEM stays until a batch is OK).
		fresh = cp == ""
	)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := w.Principal(ctx)
		if err != nil {
			return err // the runner reports a role Lambda cannot assume
		}
		if it == "" {
			if it, err = sp.r.iterator(ctx, w, p, cp); err != nil {
				return sp.readFailed(err, "GetShardIterator")
			}
		}
		limit := min(sp.set.batchSize*sp.set.parallel-len(buf), sp.r.maxRead())
		recs, next, err := sp.r.read(ctx, w, p, it, max(limit, 1))
		switch {
		case err != nil && sp.r.expired(err):
			// Read again from the checkpoint: what buf holds comes again.
			it, buf = "", nil
			continue
		case err != nil:
			return sp.readFailed(err, "GetRecords")
		}
		if len(buf) == 0 && len(recs) > 0 {
			since = w.Now()
		}
		buf = append(buf, recs...)
		it = next
		closed := next == ""
		for len(buf) > 0 && (closed || sp.ready(buf, since)) {
			n := sp.roundSize(buf)
			if err := sp.round(ctx, buf[:n]); err != nil {
				return err
			}
			cp = buf[n-1].seq
			if err := w.Commit(ctx, cp); err != nil {
				return err
			}
			buf = buf[n:]
			since = w.Now()
		}
		if closed {
			return ErrUnitDone
		}
		if fresh {
			sp.reportFirst()
		}
		if len(recs) == 0 || len(buf) > 0 {
			wait := idleWait
			if len(buf) > 0 {
				wait = min(wait, max(since.Add(sp.set.window).Sub(w.Now()), 0))
			}
			if err := sleep(ctx, wait); err != nil {
				return err
			}
		}
	}
}

// createdAt is when the mapping was created, which its LATEST starting
// position refers to: Created, or for a record without it LastModified.
func createdAt(mp *Mapping) time.Time {
	if !mp.Created.IsZero() {
		return mp.Created
	}
	return mp.LastModified
}

// readFailed reports a read the role could not make and returns it. A
// denial is reported as AWS's console shows it: "PROBLEM: " and the
// AccessDenied message ("User: <session ARN> is not authorized to
// perform: kinesis:GetRecords on resource: <stream ARN> ...").
func (sp *shardPoller) readFailed(err error, op string) error {
	var ae *api.Error
	if errors.As(err, &ae) {
		if refusedByPolicy(err) {
			sp.report("PROBLEM: " + ae.Message)
		} else {
			sp.report(fmt.Sprintf("PROBLEM: Lambda is unable to read the stream %s: %s: %s", sp.w.Mapping.EventSourceArn, ae.Code, ae.Message))
		}
	}
	return fmt.Errorf("esm: %s %s: %w", op, sp.w.Unit, err)
}

// refusedByPolicy reports whether err is an access denial (403, or 400
// AccessDeniedException of Kinesis and DynamoDB).
func refusedByPolicy(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && (ae.Status == http.StatusForbidden || strings.Contains(ae.Code, "AccessDenied"))
}

// arnRegion is the region of an ARN ("" when it has none).
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// ready reports whether buf makes a batch now: a full batch, a full
// payload, or the batching window over.
func (sp *shardPoller) ready(buf []streamRecord, since time.Time) bool {
	if len(buf) >= sp.set.batchSize*sp.set.parallel || sp.set.window == 0 {
		return true
	}
	size := eventOverhead
	for _, r := range buf {
		if size += len(r.event) + 1; size >= maxPayloadBytes {
			return true
		}
	}
	return !sp.w.Now().Before(since.Add(sp.set.window))
}

// roundSize is how many of buf's records the next round takes: a batch
// per lane.
func (sp *shardPoller) roundSize(buf []streamRecord) int {
	return min(len(buf), sp.set.batchSize*sp.set.parallel)
}

// round delivers records: split into lanes by key (the records of one
// key in one lane, in order), each lane's batches one after the other,
// the lanes at once. It returns once every record is done (delivered,
// filtered out or given up), or with the error that stops the poller.
func (sp *shardPoller) round(ctx context.Context, recs []streamRecord) error {
	lanes := make([][]streamRecord, sp.set.parallel)
	for _, r := range recs {
		i := 0
		if sp.set.parallel > 1 {
			h := fnv.New32a()
			h.Write([]byte(r.key))
			i = int(h.Sum32() % uint32(sp.set.parallel))
		}
		lanes[i] = append(lanes[i], r)
	}
	errs := make([]error, len(lanes))
	var wg sync.WaitGroup
	for i, lane := range lanes {
		if len(lane) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, b := range sp.batches(lane) {
				if err := sp.deliver(ctx, b, 0); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// batches cuts a lane into batches of at most BatchSize records and the
// payload limit, leaving out the records the filters drop.
func (sp *shardPoller) batches(recs []streamRecord) [][]streamRecord {
	var out [][]streamRecord
	var cur []streamRecord
	size := eventOverhead
	for _, r := range recs {
		if !r.keep {
			continue
		}
		if len(cur) > 0 && (len(cur) >= sp.set.batchSize || size+len(r.event)+1 > maxPayloadBytes) {
			out = append(out, cur)
			cur, size = nil, eventOverhead
		}
		cur = append(cur, r)
		size += len(r.event) + 1
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// deliver invokes the function with batch until it succeeds or is given
// up. retries is the retries already made of the records (a half of a
// bisected batch inherits its whole's: splitting does not count towards
// the retry quota). It returns an error only when the poller must stop.
func (sp *shardPoller) deliver(ctx context.Context, batch []streamRecord, retries int) error {
	wait := firstRetryWait
	var last *Result
	invokes := 0
	for len(batch) > 0 {
		if old := sp.expiredPrefix(batch); old > 0 {
			if err := sp.giveUp(ctx, batch[:old], conditionAge, last, invokes); err != nil {
				return err
			}
			batch = batch[old:]
			continue
		}
		res, err := sp.w.Invoke(ctx, eventOf(batch))
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			// The function was not invoked (a throttle, or Lambda could
			// not run it): retried until the records expire or exceed
			// MaximumRecordAgeInSeconds, neither counted against
			// MaximumRetryAttempts nor bisected ("Before invocation",
			// Lambda Developer Guide, kinesis-on-failure-destination).
			var ae *api.Error
			if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests {
				sp.w.Log.Warn("esm: invoke", "mapping", sp.w.Mapping.UUID, "unit", sp.w.Unit, "err", err)
				sp.report(resultFailed)
			}
			if err := sleep(ctx, wait); err != nil {
				return err
			}
			wait = min(wait*2, lastRetryWait)
			continue
		}
		invokes++
		failedAt := -1 // the index the batch failed from; -1: success
		switch {
		case res.FunctionError != "":
			last, failedAt = res, 0
		case sp.set.itemReports:
			last = res
			failedAt = firstFailure(res.Payload, batch)
		default:
			last = res
		}
		if failedAt < 0 {
			sp.report(resultOK)
			return nil
		}
		sp.report(resultFailed)
		batch = batch[failedAt:]
		if sp.set.bisect && failedAt > 0 {
			// A partial success with BisectBatchOnFunctionError: the
			// batch is split at the record reported and only the rest
			// is retried, as one batch ("Reporting batch item failures
			// for Kinesis and DynamoDB"); a split is not a retry.
			continue
		}
		if sp.set.bisect && len(batch) > 1 {
			half := len(batch) / 2
			if err := sp.deliver(ctx, batch[:half], retries); err != nil {
				return err
			}
			return sp.deliver(ctx, batch[half:], retries)
		}
		if retries++; sp.set.maxRetries >= 0 && retries > sp.set.maxRetries {
			return sp.giveUp(ctx, batch, conditionRetries, last, invokes)
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(wait*2, lastRetryWait)
	}
	return nil
}

// expiredPrefix is how many of batch's first records are older than
// MaximumRecordAgeInSeconds.
func (sp *shardPoller) expiredPrefix(batch []streamRecord) int {
	if sp.set.maxAge == 0 {
		return 0
	}
	cutoff := sp.w.Now().Add(-sp.set.maxAge)
	n := 0
	for n < len(batch) && batch[n].arrival.Before(cutoff) {
		n++
	}
	return n
}

// eventOf is the event of a batch: {"Records":[...]}.
func eventOf(batch []streamRecord) []byte {
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i, r := range batch {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(r.event)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// firstFailure reads a function's answer with ReportBatchItemFailures
// and returns the index of the first record to retry: the failed record
// with the lowest sequence number, or -1 when every record succeeded.
// An answer that is not one (an identifier missing, empty, or not of the
// batch) fails the whole batch (0). AWS: "Reporting batch item failures
// for Kinesis and DynamoDB".
func firstFailure(payload []byte, batch []streamRecord) int {
	p := strings.TrimSpace(string(payload))
	if p == "" || p == "null" {
		return -1
	}
	var resp struct {
		Failures []map[string]any `json:"batchItemFailures"`
	}
	if err := json.Unmarshal([]byte(p), &resp); err != nil {
		return 0
	}
	first := -1
	for _, f := range resp.Failures {
		id, ok := f["itemIdentifier"].(string)
		if !ok || id == "" {
			return 0
		}
		i := indexOfSeq(batch, id)
		if i < 0 {
			return 0
		}
		if first < 0 || i < first {
			first = i
		}
	}
	return first
}

func indexOfSeq(batch []streamRecord, seq string) int {
	for i, r := range batch {
		if r.seq == seq {
			return i
		}
	}
	return -1
}

// giveUp sends an invocation record of batch to the on-failure
// destination, if any, and drops the batch. A record the destination
// refuses stops the poller (reported): the batch is read again.
func (sp *shardPoller) giveUp(ctx context.Context, batch []streamRecord, condition string, last *Result, invokes int) error {
	sp.w.Log.Info("esm: batch given up", "mapping", sp.w.Mapping.UUID, "unit", sp.w.Unit,
		"condition", condition, "first", batch[0].seq, "records", len(batch))
	if sp.set.onFailure == "" {
		return nil
	}
	doc := failureRecord(sp.w, sp.r.batchInfo(), batch, condition, last, invokes)
	if err := sendOnFailure(ctx, sp.w, sp.set.onFailure, doc); err != nil {
		sp.report("PROBLEM: Lambda is unable to send the records to the on-failure destination " + sp.set.onFailure)
		return err
	}
	return nil
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// streamCheckError is Lambda's answer to a check of a Kinesis or
// DynamoDB stream that failed with err.
func streamCheckError(arn string, err error) error {
	var ae *api.Error
	switch {
	case refusedByPolicy(err):
		return errCannotAccessStream(arn)
	case errors.As(err, &ae) && ae.Code == "ResourceNotFoundException":
		return errInvalidParam("Stream not found: %s", arn)
	}
	return err
}

// errCannotAccessStream is Lambda's answer when the execution role may not
// read a Kinesis or DynamoDB stream, at create and update (the wording
// recorded in ../shared/reference/aws-wire-notes.md, for both kinds).
func errCannotAccessStream(arn string) error {
	return errInvalidParam("Cannot access stream %s. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.", arn)
}
