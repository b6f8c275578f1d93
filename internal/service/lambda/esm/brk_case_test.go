package esm_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestMemberNamesInAnotherCase sends bodies whose members are spelt in
// another case than the model's: the model's checks read the exact
// names, so such a member is refused rather than decoded past them, on
// create and on update, and nothing changes.
func TestMemberNamesInAnotherCase(t *testing.T) {
	t.Parallel()
	s := newSuite(t)
	ctx := context.Background()
	role := s.role(t, "case-role", basicExecRole, sqsExecRole)
	s.function(t, "cased", role)
	q := s.queue(t, "cased", nil)
	const path = "/2015-03-31/event-source-mappings"
	for _, body := range []string{
		`{"FunctionName":"cased","EventSourceArn":"` + q + `","batchSize":0}`,
		`{"FunctionName":"cased","EventSourceArn":"` + q + `","BatchSize":5,"BATCHSIZE":100000,"MaximumBatchingWindowInSeconds":5}`,
		`{"FunctionName":"cased","EventSourceArn":"` + q + `","scalingConfig":{"MaximumConcurrency":1}}`,
		`{"FunctionName":"cased","EventSourceArn":"` + q + `","ScalingConfig":{"maximumConcurrency":1}}`,
		`{"FunctionName":"cased","EventSourceArn":"` + q + `","FilterCriteria":{"filters":[{"Pattern":"{}"}]}}`,
	} {
		status, code, out := s.raw(t, "POST", path, body)
		if status != 400 || code != "SerializationException" || !strings.Contains(out, "member names are case-sensitive") {
			t.Errorf("create %s: %d %s", body, status, out)
		}
	}
	list, err := s.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.EventSourceMappings); n != 0 {
		t.Fatalf("refused bodies left %d mappings", n)
	}

	mp, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("cased"), EventSourceArn: aws.String(q), BatchSize: aws.Int32(5)})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(mp.UUID)
	s.waitState(t, id, "Enabled")
	status, code, out := s.raw(t, "PUT", path+"/"+id, `{"batchsize":0}`)
	if status != 400 || code != "SerializationException" {
		t.Errorf("update: %d %s", status, out)
	}
	got, err := s.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: mp.UUID})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(got.BatchSize) != 5 || aws.ToString(got.State) != "Enabled" {
		t.Errorf("after a refused update: batch %d, state %s", aws.ToInt32(got.BatchSize), aws.ToString(got.State))
	}

	// The model's spelling is still taken.
	status, _, out = s.raw(t, "PUT", path+"/"+id, `{"BatchSize":7}`)
	var cfg struct{ BatchSize int }
	if status != 202 || json.Unmarshal([]byte(out), &cfg) != nil || cfg.BatchSize != 7 {
		t.Errorf("update with the model's names: %d %s", status, out)
	}
}
