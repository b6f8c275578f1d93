package gateway

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/protocol"
)

func testServices() []*api.Service {
	op := func(names ...string) map[string]*api.Operation {
		m := map[string]*api.Operation{}
		for _, n := range names {
			m[n] = &api.Operation{Name: n}
		}
		return m
	}
	return []*api.Service{
		{Name: "iam", Protocols: []string{"awsQuery"}, APIVersion: "2010-05-08", Operations: op("GetRole")},
		{Name: "sts", Protocols: []string{"awsQuery"}, APIVersion: "2011-06-15", Operations: op("GetCallerIdentity")},
		{Name: "cloudtrail", Protocols: []string{"awsJson1_1"}, TargetPrefix: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101", Operations: op("LookupEvents")},
		{Name: "lambda", Protocols: []string{"restJson1"}, Operations: op("GetFunction", "Invoke", "ListTags"), Routes: []api.Route{
			{Method: "GET", Path: "/2015-03-31/functions/{FunctionName}", Operation: "GetFunction"},
			{Method: "POST", Path: "/2015-03-31/functions/{FunctionName}/invocations", Operation: "Invoke"},
			{Method: "GET", Path: "/2017-03-31/tags/{Resource+}", Operation: "ListTags"},
		}},
	}
}

func TestRoute(t *testing.T) {
	protocols := protocol.New()
	rt := newRouter(protocols, protocol.NewKnown(), testServices())
	for _, tc := range []struct {
		name, method, target, path, body, scope string
		svc, op                                 string
		pathParams                              map[string]string
	}{
		{name: "query by Version", method: "POST", body: "Action=GetRole&Version=2010-05-08&RoleName=r", scope: "sts", svc: "iam", op: "GetRole"},
		{name: "query by scope without Version", method: "POST", body: "Action=GetCallerIdentity", scope: "sts", svc: "sts", op: "GetCallerIdentity"},
		{name: "query GET", method: "GET", path: "/?Action=GetCallerIdentity&Version=2011-06-15", svc: "sts", op: "GetCallerIdentity"},
		{name: "unknown query action", method: "POST", body: "Action=Nope&Version=2010-05-08", svc: "iam", op: ""},
		{name: "long target prefix", method: "POST", target: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", svc: "cloudtrail", op: "LookupEvents"},
		{name: "short target prefix", method: "POST", target: "CloudTrail_20131101.LookupEvents", svc: "cloudtrail", op: "LookupEvents"},
		{name: "REST capture", method: "GET", path: "/2015-03-31/functions/my-fn", scope: "lambda", svc: "lambda", op: "GetFunction",
			pathParams: map[string]string{"FunctionName": "my-fn"}},
		{name: "REST escaped ARN", method: "POST", path: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/invocations", scope: "lambda",
			svc: "lambda", op: "Invoke", pathParams: map[string]string{"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f"}},
		{name: "REST greedy", method: "GET", path: "/2017-03-31/tags/arn:aws:lambda:us-east-1:123456789012:function:f", scope: "lambda", svc: "lambda", op: "ListTags",
			pathParams: map[string]string{"Resource": "arn:aws:lambda:us-east-1:123456789012:function:f"}},
		{name: "REST wrong method", method: "DELETE", path: "/2015-03-31/functions/my-fn/invocations", scope: "lambda", svc: "lambda", op: ""},
		{name: "nothing matches", method: "GET", path: "/nowhere", scope: "lambda", svc: "lambda", op: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = "/"
			}
			r := httptest.NewRequest(tc.method, "http://localhost"+path, strings.NewReader(tc.body))
			if tc.body != "" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			}
			if tc.target != "" {
				r.Header.Set("X-Amz-Target", tc.target)
			}
			got := rt.route(r, protocols.Detect(r), []byte(tc.body), tc.scope)
			if got.svc == nil || got.svc.Name != tc.svc {
				t.Fatalf("service = %v, want %s", got.svc, tc.svc)
			}
			opName := ""
			if got.op != nil {
				opName = got.op.Name
			}
			if opName != tc.op {
				t.Fatalf("operation = %q, want %q", opName, tc.op)
			}
			for k, v := range tc.pathParams {
				if got.pathParams[k] != v {
					t.Errorf("path param %s = %q, want %q", k, got.pathParams[k], v)
				}
			}
		})
	}
}
