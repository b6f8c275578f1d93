package sts

import (
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/session"
)

// trailTime is how CloudTrail writes STS expirations.
const trailTime = "Jan 2, 2006, 3:04:05 PM"

// trail returns the CloudTrail requestParameters of an AssumeRole request.
func (in *assumeRoleInput) trail() map[string]any {
	m := map[string]any{}
	put := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	put("roleArn", in.RoleARN)
	put("roleSessionName", in.SessionName)
	if in.Duration != 0 {
		m["durationSeconds"] = in.Duration
	}
	put("externalId", in.ExternalID)
	put("policy", in.Policy)
	if len(in.PolicyARNs) > 0 {
		arns := make([]map[string]string, len(in.PolicyARNs))
		for i, a := range in.PolicyARNs {
			arns[i] = map[string]string{"arn": a}
		}
		m["policyArns"] = arns
	}
	if len(in.Tags) > 0 {
		m["tags"] = trailTags(in.Tags)
	}
	if len(in.TransitiveTagKeys) > 0 {
		m["transitiveTagKeys"] = in.TransitiveTagKeys
	}
	put("serialNumber", in.SerialNumber)
	put("sourceIdentity", in.SourceIdentity)
	return m
}

func trailTags(tags []session.Tag) []map[string]string {
	out := make([]map[string]string, len(tags))
	for i, t := range tags {
		out[i] = map[string]string{"key": t.Key, "value": t.Value}
	}
	return out
}

// trailCredentials shows credentials without their secret or token.
// trailCredentials are credentials as CloudTrail records them: the key id,
// the session token and the expiry, never the secret key.
func trailCredentials(c *Credentials) map[string]any {
	return map[string]any{
		"accessKeyId":  c.AccessKeyID,
		"sessionToken": c.SessionToken,
		"expiration":   c.Expiration.UTC().Format(trailTime),
	}
}

func assumeRoleTrail(out *AssumeRoleResult) map[string]any {
	m := map[string]any{
		"credentials": trailCredentials(out.Credentials),
		"assumedRoleUser": map[string]any{
			"assumedRoleId": out.AssumedRoleUser.AssumedRoleID,
			"arn":           out.AssumedRoleUser.ARN,
		},
	}
	if out.PackedPolicySize != nil {
		m["packedPolicySize"] = *out.PackedPolicySize
	}
	if out.SourceIdentity != "" {
		m["sourceIdentity"] = out.SourceIdentity
	}
	return m
}

func roleResources(r *Role) []api.TrailResource {
	account, _ := arnAccount(r.ARN)
	return []api.TrailResource{{ARN: r.ARN, AccountID: account, Type: "AWS::IAM::Role"}}
}

// IssueTrail returns what the CloudTrail record of a role session issued by
// IssueForRole shows: the AssumeRole request and the credentials, without
// their secret or token.
func IssueTrail(c *session.Claims) api.TrailDetails {
	return api.TrailDetails{
		RequestParameters: map[string]any{
			"roleArn":         c.RoleARN,
			"roleSessionName": c.SessionName,
			"durationSeconds": int(c.Expires.Sub(c.Issued) / time.Second),
		},
		ResponseElements: map[string]any{
			"credentials": map[string]any{
				"accessKeyId": c.AccessKeyID,
				"expiration":  c.Expires.UTC().Format(trailTime),
			},
		},
		Resources: roleResources(&Role{ARN: c.RoleARN}),
	}
}
