package sqs

import "testing"

// TestMD5OfAttributes checks the attribute digest against values other
// implementations of SQS's documented algorithm publish.
func TestMD5OfAttributes(t *testing.T) {
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		attrs MessageAttributes
		want  string
	}{
		{MessageAttributes{"SellerName": {DataType: "String", StringValue: str("Example Store")}}, "cd28f3b68aeee4b2eac9c66f2f694b58"},
		{MessageAttributes{"timestamp": {DataType: "Number", StringValue: str("1493147359900")}}, "235c5c510d26fb653d073faed50ae77c"},
		{MessageAttributes{"ordinal": {DataType: "Number", StringValue: str("1")}, "category": {DataType: "String", StringValue: str("test")}},
			"d21ae90c49061e927f57df5f5d72be1f"},
		{nil, ""},
	} {
		if got := md5OfAttributes(tc.attrs); got != tc.want {
			t.Errorf("md5OfAttributes(%v) = %s, want %s", tc.attrs, got, tc.want)
		}
	}
	if got := md5Hex("hello"); got != "5d41402abc4b2a76b9719d911017c592" {
		t.Errorf("md5Hex = %s", got)
	}
}
