package eventpattern_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/eventpattern"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	return v
}

// kinesisRecord is the Kinesis payload of Lambda's filtering page, as the
// patterns see it once its data is decoded.
const kinesisRecord = `{"kinesisSchemaVersion": "1.0", "partitionKey": "1",
  "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
  "data": {"City": "Seattle", "State": "WA", "Temperature": 46, "Month": "December", "Location": "Los Angeles"},
  "approximateArrivalTimestamp": 1545084650.987}`

// dynamodbRecord is the DynamoDB Streams record of Lambda's filtering pages.
const dynamodbRecord = `{"eventID": "1", "eventName": "INSERT", "eventVersion": "1.0",
  "dynamodb": {"ApproximateCreationDateTime": "1678831218.0",
    "Keys": {"CustomerName": {"S": "AnyCompany Industries"}, "Id": {"N": "101"}},
    "NewImage": {"AccountManager": {"S": "Pat Candella"}, "PaymentTerms": {"S": "60 days"},
      "CustomerName": {"S": "AnyCompany Industries"}, "Message": {"S": "New item!"}, "Id": {"N": "101"}},
    "SequenceNumber": "111", "SizeBytes": 26, "StreamViewType": "NEW_IMAGE"}}`

// TestDocumented runs the rule syntax table and the examples of Lambda's
// event filtering pages (invocation-eventfiltering, with-ddb-filtering,
// with-kinesis-filtering, with-sqs-filtering) and of EventBridge's
// comparison operators that Lambda documents.
func TestDocumented(t *testing.T) {
	cases := []struct {
		name, pattern, event string
		want                 bool
	}{
		{"null", `{"UserID": [null]}`, `{"UserID": null}`, true},
		{"null is not absent", `{"UserID": [null]}`, `{}`, false},
		{"null is not empty", `{"UserID": [null]}`, `{"UserID": ""}`, false},
		{"empty", `{"LastName": [""]}`, `{"LastName": ""}`, true},
		{"empty is not null", `{"LastName": [""]}`, `{"LastName": null}`, false},
		{"equals", `{"Name": ["Alice"]}`, `{"Name": "Alice"}`, true},
		{"equals is case sensitive", `{"Name": ["Alice"]}`, `{"Name": "alice"}`, false},
		{"equals ignore case", `{"Name": [{"equals-ignore-case": "alice"}]}`, `{"Name": "ALICE"}`, true},
		{"equals ignore case differs", `{"Name": [{"equals-ignore-case": "alice"}]}`, `{"Name": "Bob"}`, false},
		{"and", `{"Location": ["New York"], "Day": ["Monday"]}`, `{"Location": "New York", "Day": "Monday"}`, true},
		{"and needs all", `{"Location": ["New York"], "Day": ["Monday"]}`, `{"Location": "New York", "Day": "Tuesday"}`, false},
		{"or", `{"PaymentType": ["Credit", "Debit"]}`, `{"PaymentType": "Debit"}`, true},
		{"or none", `{"PaymentType": ["Credit", "Debit"]}`, `{"PaymentType": "Cash"}`, false},
		{"not", `{"Weather": [{"anything-but": ["Raining"]}]}`, `{"Weather": "Sunny"}`, true},
		{"not raining", `{"Weather": [{"anything-but": ["Raining"]}]}`, `{"Weather": "Raining"}`, false},
		{"not absent", `{"Weather": [{"anything-but": ["Raining"]}]}`, `{}`, false},
		{"anything-but single", `{"state": [{"anything-but": "initializing"}]}`, `{"state": "running"}`, true},
		{"anything-but number", `{"x": [{"anything-but": [100, 200]}]}`, `{"x": 100.0}`, false},
		{"anything-but number other", `{"x": [{"anything-but": [100, 200]}]}`, `{"x": 150}`, true},
		{"anything-but prefix", `{"Region": [{"anything-but": {"prefix": "us-"}}]}`, `{"Region": "eu-west-1"}`, true},
		{"anything-but prefix us", `{"Region": [{"anything-but": {"prefix": "us-"}}]}`, `{"Region": "us-east-1"}`, false},
		{"numeric equals", `{"Price": [{"numeric": ["=", 100]}]}`, `{"Price": 100}`, true},
		{"numeric equals 100.0", `{"Price": [{"numeric": ["=", 100]}]}`, `{"Price": 100.0}`, true},
		{"numeric equals string", `{"Price": [{"numeric": ["=", 100]}]}`, `{"Price": "100"}`, false},
		{"numeric range", `{"Price": [{"numeric": [">", 10, "<=", 20]}]}`, `{"Price": 20}`, true},
		{"numeric range low", `{"Price": [{"numeric": [">", 10, "<=", 20]}]}`, `{"Price": 10}`, false},
		{"numeric range high", `{"Price": [{"numeric": [">", 10, "<=", 20]}]}`, `{"Price": 20.5}`, false},
		{"exists", `{"ProductName": [{"exists": true}]}`, `{"ProductName": "Widget"}`, true},
		{"exists absent", `{"ProductName": [{"exists": true}]}`, `{}`, false},
		{"exists object is no leaf", `{"ProductName": [{"exists": true}]}`, `{"ProductName": {"a": 1}}`, false},
		{"does not exist", `{"ProductName": [{"exists": false}]}`, `{}`, true},
		{"does not exist present", `{"ProductName": [{"exists": false}]}`, `{"ProductName": "Widget"}`, false},
		{"does not exist under absent parent", `{"detail": {"c-count": [{"exists": false}]}}`, `{"other": 1}`, true},
		{"begins with", `{"Region": [{"prefix": "us-"}]}`, `{"Region": "us-east-1"}`, true},
		{"begins with no", `{"Region": [{"prefix": "us-"}]}`, `{"Region": "eu-west-1"}`, false},
		{"begins with ignore case", `{"service": [{"prefix": {"equals-ignore-case": "eventb"}}]}`, `{"service": "EventBridge"}`, true},
		{"ends with", `{"FileName": [{"suffix": ".png"}]}`, `{"FileName": "image.png"}`, true},
		{"ends with no", `{"FileName": [{"suffix": ".png"}]}`, `{"FileName": "image.jpg"}`, false},
		{"ends with ignore case", `{"FileName": [{"suffix": {"equals-ignore-case": ".PNG"}}]}`, `{"FileName": "image.png"}`, true},
		{"numbers by text", `{"n": [300]}`, `{"n": 300}`, true},
		{"numbers by text 300.0", `{"n": [300]}`, `{"n": 300.0}`, false},
		{"numbers by text 3.0e2", `{"n": [300]}`, `{"n": 3.0e2}`, false},
		{"string is not number", `{"n": ["300"]}`, `{"n": 300}`, false},
		{"booleans", `{"b": [true]}`, `{"b": true}`, true},
		{"booleans false", `{"b": [true]}`, `{"b": false}`, false},
		{"boolean is not string", `{"b": [true]}`, `{"b": "true"}`, false},
		{"array any element", `{"resources": ["arn:a"]}`, `{"resources": ["arn:b", "arn:a"]}`, true},
		{"array no element", `{"resources": ["arn:a"]}`, `{"resources": ["arn:b"]}`, false},
		{"array of objects", `{"employees": {"firstName": ["Anna"]}}`,
			`{"employees": [{"firstName": "John"}, {"firstName": "Anna"}]}`, true},
		{"array consistent", `{"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}`,
			`{"employees": [{"firstName": "Anna", "lastName": "Smith"}, {"firstName": "Peter", "lastName": "Jones"}]}`, false},
		{"absent field", `{"a": ["x"]}`, `{"b": "x"}`, false},
		{"console example", `{"a": [1, 2]}`, `{"a": 2}`, true},
		{"kinesis partition key and data", `{"partitionKey": ["1"], "data": {"Location": ["Los Angeles"]}}`, kinesisRecord, true},
		{"kinesis temperature range", `{"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}}`, kinesisRecord, false},
		{"kinesis temperature below", `{"data": {"Temperature": [{"numeric": ["<", 50]}]}}`, kinesisRecord, true},
		{"dynamodb multi-level", `{"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}}`, dynamodbRecord, true},
		{"dynamodb table key", `{"dynamodb": {"Keys": {"CustomerName": {"S": ["AnyCompany Industries"]}}}}`, dynamodbRecord, true},
		{"dynamodb attributes", `{"dynamodb": {"NewImage": {"AccountManager": {"S": ["Pat Candella", "Shirley Rodriguez"]}}}}`, dynamodbRecord, true},
		{"dynamodb event name", `{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"PaymentTerms": {"S": [{"prefix": "60"}]}}}}`, dynamodbRecord, true},
		{"dynamodb modify", `{"eventName": ["MODIFY"]}`, dynamodbRecord, false},
		{"dynamodb not exists", `{"dynamodb": {"NewImage": {"Discount": [{"exists": false}]}}}`, dynamodbRecord, true},
		{"sqs body", `{"body": {"RequestCode": ["BBBB"]}}`, `{"body": {"RecordNumber": 1234, "RequestCode": "AAAA"}}`, false},
		{"sqs body number", `{"body": {"RecordNumber": [{"numeric": [">", 9999]}]}}`, `{"body": {"RecordNumber": 12345}}`, true},
		{"sqs plain body", `{"body": ["hello"]}`, `{"body": "hello"}`, true},
		{"float64 event", `{"n": [{"numeric": [">=", 1.5]}]}`, ``, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := eventpattern.Parse(c.pattern)
			if err != nil {
				t.Fatalf("Parse(%s): %v", c.pattern, err)
			}
			var ev any
			if c.event == "" {
				ev = map[string]any{"n": 1.5}
			} else {
				ev = decode(t, c.event)
			}
			if got := p.Match(ev); got != c.want {
				t.Errorf("%s on %s: got %v, want %v", c.pattern, c.event, got, c.want)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	for _, pattern := range []string{
		``,
		`null`,
		`[]`,
		`"x"`,
		`{}`,
		`{"a": "x"}`,
		`{"a": 1}`,
		`{"a": []}`,
		`{"a": [[1]]}`,
		`{"a": {}}`,
		`[{"eventName": ["INSERT"=123}]`,
		`{"a": ["x"]} {}`,
		`{"a": [{"prefix": 1}]}`,
		`{"a": [{"prefix": "x", "suffix": "y"}]}`,
		`{"a": [{"wildcard": "a*b"}]}`,
		`{"a": [{"cidr": "10.0.0.0/8"}]}`,
		`{"$or": [{"a": ["x"]}, {"b": ["y"]}]}`,
		`{"a": [{"anything-but": {"suffix": "x"}}]}`,
		`{"a": [{"anything-but": ["x", 1]}]}`,
		`{"a": [{"anything-but": []}]}`,
		`{"a": [{"anything-but": true}]}`,
		`{"a": [{"numeric": [">", "1"]}]}`,
		`{"a": [{"numeric": ["!", 1]}]}`,
		`{"a": [{"numeric": [">", 1, ">", 2]}]}`,
		`{"a": [{"numeric": ["=", 1, "<", 2]}]}`,
		`{"a": [{"numeric": [">", 5, "<", 1]}]}`,
		`{"a": [{"numeric": [">", 6e9]}]}`,
		`{"a": [{"numeric": []}]}`,
		`{"a": [{"exists": "true"}]}`,
		`{"a": [{"equals-ignore-case": 1}]}`,
		`{"a": ["` + strings.Repeat("x", eventpattern.MaxLength) + `"]}`,
	} {
		_, err := eventpattern.Parse(pattern)
		var pe *eventpattern.Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%.60s): got %v, want *Error", pattern, err)
			continue
		}
		if err.Error() != "Invalid filter pattern definition." || pe.Reason == "" {
			t.Errorf("Parse(%.60s): message %q, reason %q", pattern, err.Error(), pe.Reason)
		}
	}
}

func TestField(t *testing.T) {
	p, err := eventpattern.Parse(`{"body": {"a": ["x"]}, "attributes": {"x": ["y"]}, "md5OfBody": ["z"]}`)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]eventpattern.FieldKind{
		"body": eventpattern.ObjectField, "md5OfBody": eventpattern.RuleField, "data": eventpattern.NoField,
	} {
		if got := p.Field(name); got != want {
			t.Errorf("Field(%q) = %v, want %v", name, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a": ["x"]}`, `{"a": [{"numeric": [">", 1, "<=", 2]}]}`, `{"a": {"b": [{"exists": false}]}}`,
		`{"a": [{"anything-but": {"prefix": "x"}}]}`, `{"a": [{"prefix": {"equals-ignore-case": "x"}}]}`, `{`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := eventpattern.Parse(s)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse(%q) = %v, %v", s, p, err)
		}
	})
}

func FuzzMatch(f *testing.F) {
	f.Add(`{"a": ["x", 1, null, true]}`, `{"a": ["x", {"b": 2}, [1]]}`)
	f.Add(`{"a": {"b": [{"numeric": [">", 0]}]}}`, `{"a": [{"b": 1}, {"b": "x"}]}`)
	f.Add(`{"a": [{"exists": false}, {"suffix": "z"}]}`, `[1, 2]`)
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := eventpattern.Parse(pattern)
		if err != nil {
			return
		}
		d := json.NewDecoder(strings.NewReader(event))
		d.UseNumber()
		var v any
		if d.Decode(&v) != nil {
			return
		}
		p.Match(v)
		var g any
		if json.Unmarshal([]byte(event), &g) == nil {
			p.Match(g)
		}
	})
}

func ExamplePattern_Match() {
	p, err := eventpattern.Parse(`{"body": {"RecordNumber": [{"numeric": [">", 9999]}], "RequestCode": [{"anything-but": "AAAA"}]}}`)
	if err != nil {
		panic(err)
	}
	for _, ev := range []string{
		`{"body": {"RecordNumber": 12345, "RequestCode": "BBBB"}}`,
		`{"body": {"RecordNumber": 12345, "RequestCode": "AAAA"}}`,
		`{"body": {"RecordNumber": 1234, "RequestCode": "BBBB"}}`,
	} {
		d := json.NewDecoder(strings.NewReader(ev))
		d.UseNumber()
		var v any
		_ = d.Decode(&v)
		fmt.Println(p.Match(v))
	}
	// Output:
	// true
	// false
	// false
}
