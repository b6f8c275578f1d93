package gateway

import (
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

func TestAccessDeniedMessage(t *testing.T) {
	user := &api.Principal{ARN: "arn:aws:sts::123456789012:assumed-role/r/s"}
	implicit := policy.Decision{Effect: policy.ImplicitDeny, Source: policy.SourceIdentity}
	for _, tc := range []struct {
		name     string
		svc      *api.Service
		resource string
		d        policy.Decision
		want     string
	}{
		{"query service", &api.Service{Name: "iam"}, "arn:aws:iam::123456789012:role/x", implicit,
			"User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: iam:GetRole on resource: arn:aws:iam::123456789012:role/x because no identity-based policy allows the iam:GetRole action"},
		{"no resource", &api.Service{Name: "iam"}, "*", implicit,
			"User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: iam:GetRole because no identity-based policy allows the iam:GetRole action"},
		{"S3 quotes the resource", &api.Service{Name: "s3"}, "arn:aws:s3:::b/k", implicit,
			`User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: iam:GetRole on resource: "arn:aws:s3:::b/k" because no identity-based policy allows the iam:GetRole action`},
		{"no reason", &api.Service{Name: "iam"}, "arn:aws:iam::123456789012:role/x", policy.Decision{},
			"User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: iam:GetRole on resource: arn:aws:iam::123456789012:role/x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &api.Call{Service: tc.svc, Principal: user}
			e := accessDenied(c, check{action: "iam:GetRole", res: api.Resource{ARN: tc.resource}}, tc.d)
			if e.Code != "AccessDenied" || e.Status != 403 || e.Message != tc.want {
				t.Errorf("got %s %d %q\nwant %q", e.Code, e.Status, e.Message, tc.want)
			}
		})
	}
}
