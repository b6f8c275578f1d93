package protocol

import (
	"bytes"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
)

func TestParameters(t *testing.T) {
	set := New()
	q, _ := url.ParseQuery("Action=CreateRole&Version=2010-05-08&RoleName=r&Tags.member.1.Key=team&Tags.member.1.Value=red&Tags.member.2.Key=env")
	for _, tc := range []struct {
		name, protocol string
		call           *api.Call
		want           map[string]any
	}{
		{"query: lists and structures nest, control parameters go", NameQuery, &api.Call{Params: q},
			map[string]any{"roleName": "r", "tags": []any{map[string]any{"key": "team", "value": "red"}, map[string]any{"key": "env"}}}},
		{"query: secrets are left out", NameQuery, &api.Call{Params: url.Values{"UserName": {"u"}, "Password": {"p"}}},
			map[string]any{"userName": "u"}},
		{"query: parameters the model does not define are not recorded", NameQuery, &api.Call{
			Service: &api.Service{Name: "iam"}, OperationName: "CreateUser",
			Params: url.Values{"UserName": {"u"}, "Bogus": {"x"}, "Extra.member.1": {"y"}, "Tags.member.1.Key": {"k"}}},
			map[string]any{"userName": "u", "tags": []any{map[string]any{"key": "k"}}}},
		{"JSON: member names lower-cased, nested too", NameJSON11, &api.Call{Body: strings.NewReader(`{"LogGroupName":"g","Tags":{"K":"v"},"Nested":{"Inner":1}}`)},
			map[string]any{"logGroupName": "g", "tags": map[string]any{"K": "v"}, "nested": map[string]any{"Inner": float64(1)}}},
		{"JSON with a model: structures lower-cased at any depth, map keys kept", NameRESTJSON, &api.Call{
			Service: &api.Service{Name: "lambda"}, OperationName: "UpdateFunctionConfiguration",
			Body: strings.NewReader(`{"VpcConfig":{"SubnetIds":["s"]},"Environment":{"Variables":{"Key":"v"}},"Tags":{"Team":"red"},"Unknown":1}`)},
			map[string]any{"vpcConfig": map[string]any{"subnetIds": []any{"s"}}, "environment": map[string]any{}, "tags": map[string]any{"Team": "red"}, "unknown": float64(1)}},
		{"REST JSON: path, query and body; code left out", NameRESTJSON, &api.Call{
			PathParams: map[string]string{"FunctionName": "f"}, Params: url.Values{"Qualifier": {"1"}},
			Body: strings.NewReader(`{"ZipFile":"UEsDBA==","Publish":true}`)},
			map[string]any{"functionName": "f", "qualifier": "1", "publish": true}},
		{"CBOR", NameCBOR, &api.Call{Body: bytes.NewReader([]byte("\xa1\x6aStreamName\x61s"))}, map[string]any{"streamName": "s"}},
		{"nothing", NameJSON10, &api.Call{Body: strings.NewReader(``)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := set.ByName(tc.protocol).Parameters(tc.call); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestRoute(t *testing.T) {
	set := New()
	r := httptest.NewRequest("POST", "/?Extra=1", strings.NewReader(""))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if prefix, op, params := set.ByName(NameQuery).Route(r, []byte("Action=GetRole&Version=2010-05-08")); prefix != "" || op != "GetRole" || params.Get("Extra") != "1" {
		t.Errorf("query: %q %q %v", prefix, op, params)
	}
	r.Header.Set("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents")
	if prefix, op, _ := set.ByName(NameJSON11).Route(r, nil); prefix != "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101" || op != "LookupEvents" {
		t.Errorf("JSON: %q %q", prefix, op)
	}
}
