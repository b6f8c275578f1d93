package esm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestStartingPositionTimestampOutOfRange creates AT_TIMESTAMP mappings
// whose timestamp is past the year 9999 (milliseconds given for seconds,
// or a huge number): they are refused with InvalidParameterValueException,
// not an internal failure, and leave no mapping; the last second of 9999
// is taken.
func TestStartingPositionTimestampOutOfRange(t *testing.T) {
	t.Parallel()
	s := newSuite(t)
	ctx := context.Background()
	role := s.role(t, "ts-role", basicExecRole, "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole")
	s.function(t, "stamped", role)
	stream := s.stream(t, "stamped", 1)
	const path = "/2015-03-31/event-source-mappings"
	for _, ts := range []string{"1700000000000", "1e300", "253402300800"} {
		status, code, out := s.raw(t, "POST", path, `{"FunctionName":"stamped","EventSourceArn":"`+stream+`","StartingPosition":"AT_TIMESTAMP","StartingPositionTimestamp":`+ts+`}`)
		if status != 400 || code != "InvalidParameterValueException" || !strings.Contains(out, "StartingPositionTimestamp") {
			t.Errorf("timestamp %s: %d %s %s", ts, status, code, out)
		}
	}
	list, err := s.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.EventSourceMappings); n != 0 {
		t.Fatalf("refused timestamps left %d mappings", n)
	}
	status, _, out := s.raw(t, "POST", path, `{"FunctionName":"stamped","EventSourceArn":"`+stream+`","StartingPosition":"AT_TIMESTAMP","StartingPositionTimestamp":253402300799}`)
	if status != 202 {
		t.Errorf("the last second of 9999: %d %s", status, out)
	}
}
