package esm

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
)

func criteria(patterns ...string) *FilterCriteria {
	fc := &FilterCriteria{}
	for _, p := range patterns {
		fc.Filters = append(fc.Filters, Filter{Pattern: p})
	}
	return fc
}

func mustCompile(t *testing.T, patterns ...string) *filters {
	t.Helper()
	f, err := compileFilters(criteria(patterns...))
	if err != nil {
		t.Fatalf("compileFilters(%q): %v", patterns, err)
	}
	return f
}

func TestCompileFiltersErrors(t *testing.T) {
	six := make([]string, 6)
	for i := range six {
		six[i] = fmt.Sprintf(`{"a": ["%d"]}`, i)
	}
	for name, c := range map[string]struct {
		fc   *FilterCriteria
		want string
	}{
		"six filters":    {criteria(six...), "The number of filters in FilterCriteria (6) exceeds the quota of 5 filters per event source mapping."},
		"not JSON":       {criteria(`{"a": [`), "Invalid filter pattern definition."},
		"empty pattern":  {criteria(``), "Invalid filter pattern definition."},
		"second invalid": {criteria(`{"a": ["x"]}`, `{"a": "x"}`), "Invalid filter pattern definition."},
		"too long":       {criteria(`{"a": ["` + strings.Repeat("x", 4096) + `"]}`), "Invalid filter pattern definition."},
	} {
		_, err := compileFilters(c.fc)
		var se *api.Error
		if !errors.As(err, &se) || se.Code != "InvalidParameterValueException" || se.Status != 400 || se.Message != c.want {
			t.Errorf("%s: got %v, want InvalidParameterValueException %q", name, err, c.want)
		}
	}
	for _, fc := range []*FilterCriteria{nil, {}, {Filters: []Filter{}}} {
		f, err := compileFilters(fc)
		if f != nil || err != nil {
			t.Errorf("compileFilters(%v) = %v, %v; want nil, nil", fc, f, err)
		}
		if !f.matches(map[string]any{"body": "x"}, "body", []byte("x")) {
			t.Errorf("nil filters refused a record")
		}
	}
	if _, err := compileFilters(criteria(six[:5]...)); err != nil {
		t.Errorf("five filters: %v", err)
	}
}

func TestCheckKind(t *testing.T) {
	for _, c := range []struct {
		kind    Kind
		pattern string
		ok      bool
	}{
		{KindKinesis, `{"data": ["plain"]}`, false},
		{KindKinesis, `{"data": {"a": ["x"]}}`, true},
		{KindKinesis, `{"partitionKey": ["1"]}`, true},
		{KindDynamoDBStreams, `{"dynamodb": ["x"]}`, false},
		{KindDynamoDBStreams, `{"dynamodb": {"Keys": {"Id": {"N": ["1"]}}}}`, true},
		{KindSQS, `{"body": ["plain"]}`, true},
	} {
		err := mustCompile(t, c.pattern).checkKind(c.kind)
		if (err == nil) != c.ok {
			t.Errorf("%s %s: %v", c.kind, c.pattern, err)
		}
	}
}

func sqsRecord(body string) map[string]any {
	return map[string]any{"messageId": "m1", "body": body, "attributes": map[string]any{"ApproximateReceiveCount": "1"},
		"eventSource": "aws:sqs", "md5OfBody": "x"}
}

// TestMatchesSQS follows Lambda's table for SQS bodies: plain string with
// plain-string pattern filters, JSON body with JSON pattern filters, a
// mismatch drops, a pattern without body filters on metadata only.
func TestMatchesSQS(t *testing.T) {
	jsonBody := `{"RecordNumber": 1234, "TimeStamp": "yyyy-mm-ddThh:mm:ss", "RequestCode": "AAAA"}`
	for _, c := range []struct {
		pattern, body string
		want          bool
	}{
		{`{"body": {"RequestCode": ["AAAA"]}}`, jsonBody, true},
		{`{"body": {"RequestCode": ["BBBB"]}}`, jsonBody, false},
		{`{"body": {"RecordNumber": [{"numeric": [">", 9999]}]}}`, jsonBody, false},
		{`{"body": {"RecordNumber": [{"numeric": [">", 1000]}]}}`, jsonBody, true},
		{`{"body": ["hello"]}`, "hello", true},
		{`{"body": [{"prefix": "hel"}]}`, "hello", true},
		{`{"body": ["hello"]}`, "goodbye", false},
		{`{"body": {"RequestCode": ["AAAA"]}}`, "plain text", false},
		{`{"body": {"RequestCode": [{"exists": false}]}}`, "plain text", false},
		{`{"body": [{"exists": true}]}`, jsonBody, false},
		{`{"body": [` + quote(jsonBody) + `]}`, jsonBody, false},
		{`{"attributes": {"ApproximateReceiveCount": ["1"]}}`, "plain text", true},
		{`{"attributes": {"ApproximateReceiveCount": ["1"]}}`, jsonBody, true},
		{`{"eventSource": ["aws:kinesis"]}`, jsonBody, false},
		{`{"body": ["42"]}`, "42", true},
	} {
		f := mustCompile(t, c.pattern)
		if got := f.matches(sqsRecord(c.body), "body", []byte(c.body)); got != c.want {
			t.Errorf("%s on body %q: got %v, want %v", c.pattern, c.body, got, c.want)
		}
	}
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func kinesisRecord(data string) map[string]any {
	return map[string]any{
		"kinesis": map[string]any{"kinesisSchemaVersion": "1.0", "partitionKey": "1", "sequenceNumber": "4959",
			"data": base64.StdEncoding.EncodeToString([]byte(data)), "approximateArrivalTimestamp": 1545084650.987},
		"eventSource": "aws:kinesis", "eventID": "shardId-000000000006:4959",
	}
}

// TestMatchesKinesis follows Lambda's table for Kinesis data: JSON data is
// matched by JSON patterns, non-JSON data drops the record for a pattern
// on data and is filtered on metadata otherwise.
func TestMatchesKinesis(t *testing.T) {
	jsonData := `{"City": "Seattle", "State": "WA", "Temperature": 46, "Month": "December", "Location": "Los Angeles"}`
	for _, c := range []struct {
		pattern, data string
		want          bool
	}{
		{`{"partitionKey": ["1"], "data": {"Location": ["Los Angeles"]}}`, jsonData, true},
		{`{"partitionKey": ["2"], "data": {"Location": ["Los Angeles"]}}`, jsonData, false},
		{`{"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}}`, jsonData, false},
		{`{"data": {"Temperature": [{"numeric": [">", 40, "<=", 60]}]}}`, jsonData, true},
		{`{"data": {"Location": ["Los Angeles"]}}`, "not json", false},
		{`{"data": {"Location": [{"exists": false}]}}`, "not json", false},
		{`{"partitionKey": ["1"]}`, "not json", true},
		{`{"partitionKey": ["1"]}`, jsonData, true},
	} {
		f := mustCompile(t, c.pattern)
		if got := f.matches(kinesisRecord(c.data), "data", []byte(c.data)); got != c.want {
			t.Errorf("%s on data %q: got %v, want %v", c.pattern, c.data, got, c.want)
		}
	}
}

func TestMatchesDynamoDB(t *testing.T) {
	record := map[string]any{"eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb",
		"dynamodb": map[string]any{"Keys": map[string]any{"CustomerName": map[string]any{"S": "AnyCompany Industries"}},
			"NewImage":       map[string]any{"AccountManager": map[string]any{"S": "Pat Candella"}, "PaymentTerms": map[string]any{"S": "60 days"}},
			"SequenceNumber": "111", "SizeBytes": 26.0, "StreamViewType": "NEW_IMAGE"}}
	for _, c := range []struct {
		patterns []string
		want     bool
	}{
		{[]string{`{"dynamodb": {"Keys": {"CustomerName": {"S": ["AnyCompany Industries"]}}}}`}, true},
		{[]string{`{"dynamodb": {"NewImage": {"AccountManager": {"S": ["Pat Candella", "Shirley Rodriguez"]}}}}`}, true},
		{[]string{`{"eventName": ["REMOVE"]}`}, false},
		{[]string{`{"eventName": ["REMOVE"]}`, `{"dynamodb": {"NewImage": {"PaymentTerms": {"S": [{"prefix": "60"}]}}}}`}, true},
		{[]string{`{"dynamodb": {"SizeBytes": [{"numeric": [">", 100]}]}}`}, false},
	} {
		f := mustCompile(t, c.patterns...)
		if got := f.matches(record, "", nil); got != c.want {
			t.Errorf("%q: got %v, want %v", c.patterns, got, c.want)
		}
	}
}
