package session

import (
	"reflect"
	"testing"
)

func TestCodec(t *testing.T) {
	c := sampleClaims()
	c.Chained = true
	c.UserARN, c.UserName, c.UserID = "arn:aws:iam::123456789012:user/alice", "alice", "AIDAEXAMPLE"
	b := appendClaims(nil, &c)
	// A field from a later version is skipped.
	b = appendField(b, 200, "future")
	var got Claims
	if err := decodeClaims(string(b), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("decoded\n got %+v\nwant %+v", got, c)
	}
	for _, bad := range []string{
		"\x01",        // no length
		"\x01\x05abc", // short value
		"\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", // overlong varint
		string(appendField(nil, fIssued, "\x80")),      // truncated time
		string(appendField(nil, fTagValue, "orphan")),  // value without key
	} {
		if err := decodeClaims(bad, new(Claims)); err == nil {
			t.Errorf("decodeClaims(%q) succeeded", bad)
		}
	}
}
