package protocol

import (
	"net/url"
	"reflect"
	"testing"
)

type formTag struct {
	Key   string
	Value string
}

type formInput struct {
	RoleArn         string
	DurationSeconds *int
	Enabled         bool
	PolicyArns      []struct {
		Arn string `query:"arn"`
	}
	TransitiveTagKeys []string
	Tags              []formTag
	Nested            *struct{ Name string }
	Ignored           string `query:"-"`
}

func TestDecodeForm(t *testing.T) {
	params, _ := url.ParseQuery("RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&DurationSeconds=900&Enabled=true" +
		"&PolicyArns.member.1.arn=p1&PolicyArns.member.2.arn=p2&TransitiveTagKeys.member.1=k" +
		"&Tags.member.1.Key=team&Tags.member.1.Value=red&Nested.Name=n&Ignored=x")
	var in formInput
	if err := decodeForm(params, &in); err != nil {
		t.Fatal(err)
	}
	if in.RoleArn != "arn:aws:iam::1:role/r" || in.DurationSeconds == nil || *in.DurationSeconds != 900 || !in.Enabled ||
		len(in.PolicyArns) != 2 || in.PolicyArns[1].Arn != "p2" || !reflect.DeepEqual(in.TransitiveTagKeys, []string{"k"}) ||
		!reflect.DeepEqual(in.Tags, []formTag{{"team", "red"}}) || in.Nested == nil || in.Nested.Name != "n" || in.Ignored != "" {
		t.Errorf("decoded %+v", in)
	}
	// An empty list is written as the bare name.
	var empty formInput
	if err := decodeForm(url.Values{"TransitiveTagKeys": {""}}, &empty); err != nil || empty.TransitiveTagKeys == nil || len(empty.TransitiveTagKeys) != 0 {
		t.Errorf("empty list: %#v %v", empty.TransitiveTagKeys, err)
	}
	var bad formInput
	err := decodeForm(url.Values{"DurationSeconds": {"soon"}}, &bad)
	if e, ok := err.(interface{ Error() string }); !ok || e.Error() != "ValidationError: Value 'soon' at 'durationSeconds' failed to satisfy constraint: Member must be a valid value" {
		t.Errorf("bad integer: %v", err)
	}
}

func FuzzDecodeForm(f *testing.F) {
	f.Add("RoleArn=a&Tags.member.1.Key=k&Tags.member.1.Value=v&PolicyArns.member.1.arn=p")
	f.Add("DurationSeconds=-1&Enabled=maybe&Nested.Name=x&TransitiveTagKeys.member.3=z")
	f.Fuzz(func(t *testing.T, q string) {
		params, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		var in formInput
		_ = decodeForm(params, &in)
	})
}

func FuzzPattern(f *testing.F) {
	f.Add("/{Bucket}/{Key+}?uploads", "/b/a/b/c", "uploads=")
	f.Add("/2015-03-31/functions/{FunctionName}/invocations", "/2015-03-31/functions/f%3A1/invocations", "")
	f.Fuzz(func(t *testing.T, uri, path, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		p := Compile("GET", uri)
		_ = p.Specificity()
		if pp, ok := p.MatchPath(path, q); ok {
			for k, v := range pp {
				if k == "" || v == "" {
					t.Fatalf("empty capture %q=%q", k, v)
				}
			}
		}
	})
}
