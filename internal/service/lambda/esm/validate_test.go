package esm

import "testing"

func TestKindOf(t *testing.T) {
	cases := []struct {
		arn         string
		selfManaged bool
		want        Kind
	}{
		{"arn:aws:sqs:us-east-1:123456789012:jobs", false, KindSQS},
		{"arn:aws:sqs:us-east-1:123456789012:jobs.fifo", false, KindSQS},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/clicks", false, KindKinesis},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/clicks/consumer/c:1", false, ""},
		{"arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024-01-01T00:00:00.000", false, KindDynamoDBStreams},
		{"arn:aws:dynamodb:us-east-1:123456789012:table/t", false, ""},
		{"arn:aws:kafka:us-east-1:123456789012:cluster/demo/abc", false, KindMSK},
		{"arn:aws:mq:us-east-1:123456789012:broker:demo:b-1", false, KindMQ},
		{"", true, KindSelfManagedKafka},
		{"", false, ""},
		{"arn:aws:s3:::bucket", false, ""},
		{"not an arn", false, ""},
	}
	for _, tc := range cases {
		got, err := kindOf(tc.arn, tc.selfManaged)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("kindOf(%q, %v) = %q, %v; want %q", tc.arn, tc.selfManaged, got, err, tc.want)
		}
	}
}

func TestFunctionARN(t *testing.T) {
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:f"
	cases := map[string]string{
		"f":                                  fn,
		"f:live":                             fn + ":live",
		"123456789012:function:f":            fn,
		"123456789012:function:f:3":          fn + ":3",
		fn:                                   fn,
		fn + ":$LATEST":                      fn + ":$LATEST",
		"a:b:c:d:e":                          "",
		"arn:aws:lambda:us-east-1:1:layer:x": "",
	}
	for name, want := range cases {
		if got := functionARN(name, "123456789012", "us-east-1"); got != want {
			t.Errorf("functionARN(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestCheckBatching(t *testing.T) {
	window := func(n int) *int { return &n }
	cases := []struct {
		arn    string
		batch  int
		window *int
		ok     bool
	}{
		{"arn:aws:sqs:us-east-1:1:q", 10, window(0), true},
		{"arn:aws:sqs:us-east-1:1:q", 11, window(0), false},
		{"arn:aws:sqs:us-east-1:1:q", 10000, window(1), true},
		{"arn:aws:sqs:us-east-1:1:q.fifo", 10, window(0), true},
		{"arn:aws:sqs:us-east-1:1:q.fifo", 11, window(1), false},
		{"arn:aws:sqs:us-east-1:1:q.fifo", 5, window(1), false},
	}
	for _, tc := range cases {
		mp := &Mapping{Kind: KindSQS, EventSourceArn: tc.arn, BatchSize: tc.batch, MaximumBatchingWindowInSeconds: tc.window}
		if err := checkBatching(mp); (err == nil) != tc.ok {
			t.Errorf("checkBatching(%s, %d, %d) = %v", tc.arn, tc.batch, *tc.window, err)
		}
	}
}
