package esm_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/service/lambda/esm"
	"github.com/rolecall/rolecall/internal/store/postgres"
	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

// Tests of the pollers' runner across nodes sharing one PostgreSQL
// database: each unit (a shard, a queue) is polled by one node at a time,
// a node shut down hands its units over at once, and a node killed hands
// them over once its leases expire.

// nodeOptions are the options of an in-process node whose leases last
// lease.
func nodeOptions(lease time.Duration) servertest.Options {
	return servertest.Options{Mappings: esm.Config{LeaseDuration: lease,
		ScanInterval: 200 * time.Millisecond, RetryBackoff: 100 * time.Millisecond}}
}

// spread are partition keys that land on every shard of a small stream.
var spread = func() []string {
	var keys []string
	for i := range 32 {
		keys = append(keys, fmt.Sprintf("key-%d", i))
	}
	return keys
}()

// deliveries counts the deliveries of each value.
func deliveries(invs []invocation) map[string]int {
	n := map[string]int{}
	for _, v := range delivered(invs) {
		n[v]++
	}
	return n
}

// waitAll waits until the function got every value of want, and returns
// the deliveries of each value.
func (s *streamSuite) waitAll(t testing.TB, fn string, want []string) map[string]int {
	t.Helper()
	deadline := time.Now().Add(deliveryTimeout)
	for {
		n := deliveries(s.sink(t, fn))
		missing := 0
		for _, v := range want {
			if n[v] == 0 {
				missing++
			}
		}
		if missing == 0 {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d of %d values never delivered", fn, missing, len(want))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// exactlyOnce checks that every value of want, and nothing else, was
// delivered once.
func exactlyOnce(t testing.TB, n map[string]int, want []string) {
	t.Helper()
	for _, v := range want {
		if n[v] != 1 {
			t.Errorf("%s delivered %d times, want once", v, n[v])
		}
	}
	if len(n) != len(want) {
		t.Errorf("%d values delivered, want %d", len(n), len(want))
	}
}

// storedLease is a lease as the runner stores it.
type storedLease struct {
	Owner   string    `json:"owner"`
	Taken   time.Time `json:"taken"`
	Expires time.Time `json:"expires"`
}

// leases reads the leases of the units of every mapping in the database
// at url.
func leases(t testing.TB, url string) map[string]storedLease {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.OpenExisting(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	items, err := st.List(ctx, "lambda_esm_leases", "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]storedLease{}
	for _, it := range items {
		var l storedLease
		if err := json.Unmarshal(it.Value, &l); err != nil {
			t.Fatal(err)
		}
		out[it.Key] = l
	}
	return out
}

// TestMappingUnitsPolledOnceAcrossNodes: two nodes poll a four-shard
// Kinesis stream and a standard SQS queue; records and messages put
// through either node reach the functions exactly once.
func TestMappingUnitsPolledOnceAcrossNodes(t *testing.T) {
	t.Parallel()
	nodes := servertest.NodesWith(t, 2, nodeOptions(2*time.Second))
	a, b := streamSuiteOn(nodes[0]), streamSuiteOn(nodes[1])
	arn := a.stream(t, "shared", 4)
	role := a.role(t, "shared-role", kinesisPolicy, streamsBasic)
	a.sinkFunction(t, "shared", role, "")
	a.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("shared"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(10)})

	qa, qb := sqsSuiteOn(nodes[0]), sqsSuiteOn(nodes[1])
	url, qarn := qa.queue(t, "shared-queue", map[string]string{"VisibilityTimeout": "30"})
	qrole := qa.role(t, "shared-queue-fn", basicExecRole, sqsExecRole)
	qa.function(t, "shared-queue-fn", qrole, 3, nil)
	qa.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("shared-queue-fn"),
		EventSourceArn: aws.String(qarn), BatchSize: aws.Int32(10)})

	recs := values("r", 120, spread...)
	a.put(t, arn, recs[:60]...)
	b.put(t, arn, recs[60:]...)
	var msgs []string
	for i := range 60 {
		msgs = append(msgs, fmt.Sprintf("m%d", i))
	}
	qa.send(t, url, "", msgs[:30]...)
	qb.send(t, url, "", msgs[30:]...)

	a.waitAll(t, "shared", valuesOf(recs))
	qb.waitRecords(t, "shared-queue-fn", func(rs []handled) bool { return len(countBodies(rs)) == len(msgs) })
	// Scans, renewals and polls go on: a second poller of a unit would
	// deliver again.
	time.Sleep(2 * time.Second)
	exactlyOnce(t, deliveries(b.sink(t, "shared")), valuesOf(recs))
	exactlyOnce(t, countBodies(qb.records(t, "shared-queue-fn")), msgs)
}

// TestMappingNodeShutDownHandsOver: the node polling a stream is shut
// down; the other node takes its shards over at once (its leases last two
// minutes, so waiting for them to expire would fail the test), from
// their checkpoints: nothing lost, nothing delivered twice.
func TestMappingNodeShutDownHandsOver(t *testing.T) {
	t.Parallel()
	opts := nodeOptions(2 * time.Minute)
	opts.DatabaseURL, opts.ServerKey = pgtest.URL(t), base64.StdEncoding.EncodeToString(crypt.NewKey())
	na := servertest.StartWith(t, opts)
	a := streamSuiteOn(na)
	arn := a.stream(t, "handover", 2)
	role := a.role(t, "handover-role", kinesisPolicy, streamsBasic)
	a.sinkFunction(t, "handover", role, "")
	a.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("handover"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(5)})
	first := values("a", 20, spread...)
	a.put(t, arn, first...)
	a.waitAll(t, "handover", valuesOf(first))

	// The second node finds every shard leased by the first.
	b := streamSuiteOn(servertest.StartWith(t, opts))
	second := values("b", 20, spread...)
	b.put(t, arn, second...)
	b.waitAll(t, "handover", valuesOf(second))
	before := leases(t, opts.DatabaseURL)
	if len(before) != 2 {
		t.Fatalf("%d leases, want one per shard: %v", len(before), before)
	}
	owners := map[string]bool{}
	for _, l := range before {
		owners[l.Owner] = true
	}
	if len(owners) != 1 {
		t.Fatalf("shards leased by %d nodes before the shutdown, want the first only", len(owners))
	}
	time.Sleep(time.Second) // a batch's checkpoint commits after its invocation

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := na.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	third := values("c", 20, spread...)
	b.put(t, arn, third...)
	all := append(append(valuesOf(first), valuesOf(second)...), valuesOf(third)...)
	b.waitAll(t, "handover", all)
	time.Sleep(time.Second)
	exactlyOnce(t, deliveries(b.sink(t, "handover")), all)
	for key, l := range leases(t, opts.DatabaseURL) {
		if owners[l.Owner] {
			t.Errorf("lease %s still the first node's after its shutdown", key)
		}
	}
}

// rolecallBinary builds cmd/rolecall for a test that runs it as a
// process of its own.
func rolecallBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rolecall")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/rolecall/rolecall/cmd/rolecall").CombinedOutput(); err != nil {
		t.Fatalf("build rolecall: %v\n%s", err, out)
	}
	return bin
}

var servingLine = regexp.MustCompile(`rolecall is serving on (http://\S+)`)

// startProcess runs rolecall as a process on the database at url with
// the server key and root credentials given, and returns it and its
// endpoint. It is killed when the test ends.
func startProcess(t testing.TB, url, key, rootKey, rootSecret string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(rolecallBinary(t), "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "data"),
		"--database-url", url, "--log-requests", "off")
	cmd.Env = append(os.Environ(), "ROLECALL_SERVER_KEY="+key,
		"ROLECALL_ROOT_ACCESS_KEY_ID="+rootKey, "ROLECALL_ROOT_SECRET_ACCESS_KEY="+rootSecret)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case ep := <-found:
		return cmd, ep
	case <-time.After(2 * time.Minute):
		t.Fatal("rolecall did not print its banner")
	}
	return nil, ""
}

// streamSuiteAt is a streamSuite of root clients of the rolecall at
// endpoint.
func streamSuiteAt(endpoint, rootKey, rootSecret string) *streamSuite {
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(rootKey, rootSecret, "")}
	return &streamSuite{clientsOf(cfg)}
}

// TestMappingNodeKilledGivesUpAfterLease: a rolecall process polling a
// stream is killed (SIGKILL) while it holds the shards' leases; the other
// node takes the shards over once the leases expire, not before, and
// delivers what was put meanwhile: nothing lost, and nothing delivered
// twice beyond a batch in flight at the kill.
func TestMappingNodeKilledGivesUpAfterLease(t *testing.T) {
	t.Parallel()
	const rootKey, rootSecret = "AKIAESMKILLTESTKILLT", "esm-kill-test-secret"
	url, key := pgtest.URL(t), base64.StdEncoding.EncodeToString(crypt.NewKey())
	proc, ep := startProcess(t, url, key, rootKey, rootSecret)
	a := streamSuiteAt(ep, rootKey, rootSecret)
	arn := a.stream(t, "killed", 2)
	role := a.role(t, "killed-role", kinesisPolicy, streamsBasic)
	a.sinkFunction(t, "killed", role, "")
	a.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("killed"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(5)})
	first := values("a", 20, spread...)
	a.put(t, arn, first...)
	a.waitAll(t, "killed", valuesOf(first))

	opts := nodeOptions(2 * time.Second)
	opts.DatabaseURL, opts.ServerKey = url, key
	b := streamSuiteOn(servertest.StartWith(t, opts))
	second := values("b", 20, spread...)
	b.put(t, arn, second...)
	b.waitAll(t, "killed", valuesOf(second))
	time.Sleep(time.Second) // a batch's checkpoint commits after its invocation

	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait() // killed: its error says so
	held := leases(t, url)
	if len(held) != 2 {
		t.Fatalf("%d leases, want one per shard: %v", len(held), held)
	}
	var killed string
	var expires time.Time
	for _, l := range held {
		if killed != "" && l.Owner != killed {
			t.Fatalf("shards leased by two nodes before the kill: %v", held)
		}
		killed = l.Owner
		if l.Expires.After(expires) {
			expires = l.Expires
		}
	}

	third := values("c", 20, spread...)
	b.put(t, arn, third...)
	all := append(append(valuesOf(first), valuesOf(second)...), valuesOf(third)...)
	b.waitAll(t, "killed", all)
	for key, l := range leases(t, url) {
		if l.Owner == killed {
			t.Errorf("lease %s still the killed node's", key)
		}
		if l.Taken.Before(expires) {
			t.Errorf("lease %s taken at %v, before the killed node's lease expired at %v", key, l.Taken, expires)
		}
	}
	time.Sleep(time.Second)
	n := deliveries(b.sink(t, "killed"))
	twice := 0
	for _, v := range all {
		twice += n[v] - 1
	}
	// At least once: a batch per shard in flight at the kill may come
	// again; the node was idle then, so none should.
	if twice > 2*5 || len(n) != len(all) {
		t.Errorf("%d values delivered again (at most a batch per shard may be), %d distinct values, want %d", twice, len(n), len(all))
	}
	t.Logf("%d values delivered again after the kill", twice)
}

// sqsSuiteOn is an sqsSuite of root clients of srv.
func sqsSuiteOn(srv *servertest.Server) *sqsSuite { return &sqsSuite{suiteOn(srv)} }
