package esm_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func filterCriteria(patterns ...string) *lambdatypes.FilterCriteria {
	fc := &lambdatypes.FilterCriteria{Filters: []lambdatypes.Filter{}}
	for _, p := range patterns {
		fc.Filters = append(fc.Filters, lambdatypes.Filter{Pattern: aws.String(p)})
	}
	return fc
}

// TestFilterCriteriaAtCreate: CreateEventSourceMapping refuses an invalid
// pattern and more than five filters with Lambda's error, and answers the
// criteria it accepted.
func TestFilterCriteriaAtCreate(t *testing.T) {
	t.Parallel()
	s := newBrokerSuite(t, "filter-fn")
	s.attach(t, mskRole)
	in := lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(clusterARN), Topics: []string{"orders"},
		StartingPosition: lambdatypes.EventSourcePositionLatest}
	for _, bad := range []string{`{"value": "x"}`, `[{"eventName": ["INSERT"=123}]`, `null`, `{"value": [{"wildcard": "a*"}]}`} {
		in.FilterCriteria = filterCriteria(bad)
		wantInvalid(t, bad, s.create(t, in), "Invalid filter pattern definition.")
	}
	six := make([]string, 6)
	for i := range six {
		six[i] = fmt.Sprintf(`{"value": {"n": [%d]}}`, i)
	}
	in.FilterCriteria = filterCriteria(six...)
	wantInvalid(t, "six filters", s.create(t, in),
		"The number of filters in FilterCriteria (6) exceeds the quota of 5 filters per event source mapping.")

	const pattern = `{"value": {"status": [{"anything-but": ["ignored"]}], "n": [{"numeric": [">", 0, "<=", 5]}]}}`
	in.FunctionName = aws.String(s.fn)
	in.FilterCriteria = filterCriteria(pattern)
	out, err := s.lambda.CreateEventSourceMapping(context.Background(), &in)
	if err != nil {
		t.Fatalf("a valid pattern: %v", err)
	}
	got, err := s.lambda.GetEventSourceMapping(context.Background(), &lambda.GetEventSourceMappingInput{UUID: out.UUID})
	if err != nil || got.FilterCriteria == nil || len(got.FilterCriteria.Filters) != 1 || aws.ToString(got.FilterCriteria.Filters[0].Pattern) != pattern {
		t.Errorf("GetEventSourceMapping: FilterCriteria %+v, %v", got.FilterCriteria, err)
	}
	s.remove(t, out.UUID)
}
