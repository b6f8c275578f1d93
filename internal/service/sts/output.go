package sts

import "time"

// Credentials are temporary security credentials. Expiration is UTC and
// whole seconds, so that it encodes as AWS writes it (2019-11-09T13:34:41Z).
type Credentials struct {
	AccessKeyID     string    `xml:"AccessKeyId"`
	SecretAccessKey string    `xml:"SecretAccessKey"`
	SessionToken    string    `xml:"SessionToken"`
	Expiration      time.Time `xml:"Expiration"`
}

// AssumedRoleUser identifies a role session.
type AssumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"` // ROLEID:SESSION
	ARN           string `xml:"Arn"`           // arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION
}

// AssumeRoleResult is the AssumeRole output.
type AssumeRoleResult struct {
	Credentials     *Credentials    `xml:"Credentials"`
	AssumedRoleUser AssumedRoleUser `xml:"AssumedRoleUser"`
	// PackedPolicySize is set when session policies or tags were passed.
	PackedPolicySize *int   `xml:"PackedPolicySize,omitempty"`
	SourceIdentity   string `xml:"SourceIdentity,omitempty"`
}

// GetSessionTokenResult is the GetSessionToken output.
type GetSessionTokenResult struct {
	Credentials *Credentials `xml:"Credentials"`
}

// GetCallerIdentityResult is the GetCallerIdentity output.
type GetCallerIdentityResult struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	ARN     string `xml:"Arn"`
}

// GetAccessKeyInfoResult is the GetAccessKeyInfo output.
type GetAccessKeyInfoResult struct {
	Account string `xml:"Account"`
}
