// Package session issues and verifies temporary security credentials. A
// session token is the credential's claims sealed with the server key, so a
// request signed with temporary credentials is verified without reading the
// store; revocation is a short deny list held in memory.
package session

import (
	"strings"
	"time"
)

// Session types, the value of Claims.Type.
const (
	AssumedRole   = "AssumedRole"   // AssumeRole, by a principal or a service
	FederatedUser = "FederatedUser" // GetFederationToken
	SessionToken  = "SessionToken"  // GetSessionToken, by an IAM user or the root user
)

// Claims is what a temporary credential carries. Its JSON form is compact:
// short member names, empty members omitted.
type Claims struct {
	AccessKeyID     string `json:"k"`
	SecretAccessKey string `json:"s"`
	Account         string `json:"a"`
	Type            string `json:"t"`

	// Role session (AssumedRole).
	RoleARN     string `json:"ra,omitempty"`
	RoleName    string `json:"rn,omitempty"`
	RoleID      string `json:"ri,omitempty"`
	RolePath    string `json:"rp,omitempty"`
	SessionName string `json:"sn,omitempty"`

	// The user or root that called GetSessionToken (SessionToken).
	UserARN  string `json:"ua,omitempty"`
	UserName string `json:"un,omitempty"`
	UserID   string `json:"ui,omitempty"`

	Issued  time.Time `json:"i"`
	Expires time.Time `json:"e"`

	// Session policies: an inline document and managed policy ARNs.
	Policy     string   `json:"p,omitempty"`
	PolicyARNs []string `json:"pa,omitempty"`

	// Session tags, and the keys of those that pass to chained sessions.
	Tags              []Tag    `json:"tg,omitempty"`
	TransitiveTagKeys []string `json:"tt,omitempty"`

	SourceIdentity string `json:"si,omitempty"`
	// Issuer is the ARN of the principal that requested the credentials, or
	// the service principal ("lambda.amazonaws.com") that did.
	Issuer string `json:"is,omitempty"`
	// Chained is set when the role was assumed with role session credentials.
	Chained bool `json:"c,omitempty"`
	// Environment is the execution environment the session is bound to
	// ("" when it is not bound to one).
	Environment       string `json:"env,omitempty"`
	SourceFunctionARN string `json:"sf,omitempty"`
}

// Tag is a session tag.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// AssumedRoleARN returns the ARN of a role session,
// arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION (the role path is dropped).
func (c *Claims) AssumedRoleARN() string {
	return "arn:aws:sts::" + c.Account + ":assumed-role/" + c.RoleName + "/" + c.SessionName
}

// AssumedRoleID returns a role session's unique ID, ROLEID:SESSION.
func (c *Claims) AssumedRoleID() string {
	return c.RoleID + ":" + c.SessionName
}

// Tag returns the value of the session tag key, compared case-insensitively
// as AWS compares tag keys.
func (c *Claims) Tag(key string) (string, bool) {
	for _, t := range c.Tags {
		if strings.EqualFold(t.Key, key) {
			return t.Value, true
		}
	}
	return "", false
}

// TransitiveTags returns the session tags that pass to a chained session.
func (c *Claims) TransitiveTags() []Tag {
	var out []Tag
	for _, t := range c.Tags {
		for _, k := range c.TransitiveTagKeys {
			if strings.EqualFold(t.Key, k) {
				out = append(out, t)
				break
			}
		}
	}
	return out
}
