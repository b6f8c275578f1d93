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
		{"query service", &api.Service{Protocol: api.Query}, "arn:aws:iam::123456789012:role/x", implicit,
			"User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: iam:GetRole on resource: arn:aws:iam::123456789012:role/x because no identity-based policy allows the iam:GetRole action"},
		{"no resource", &api.Service{Protocol: api.Query}, "*", implicit,
			"User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: iam:GetRole because no identity-based policy allows the iam:GetRole action"},
		{"S3 quotes the resource", &api.Service{Protocol: api.RESTXML}, "arn:aws:s3:::b/k", implicit,
			`User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: iam:GetRole on resource: "arn:aws:s3:::b/k" because no identity-based policy allows the iam:GetRole action`},
		{"no reason", &api.Service{Protocol: api.Query}, "arn:aws:iam::123456789012:role/x", policy.Decision{},
			"User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: iam:GetRole on resource: arn:aws:iam::123456789012:role/x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := accessDenied(tc.svc, user, "iam:GetRole", tc.resource, tc.d)
			if e.Code != "AccessDenied" || e.Status != 403 || e.Message != tc.want {
				t.Errorf("got %s %d %q\nwant %q", e.Code, e.Status, e.Message, tc.want)
			}
		})
	}
}
