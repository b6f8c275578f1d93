package iam

import (
	"encoding/xml"
	"time"
)

// Store tables. Roles, users and customer managed policies belong to an
// account and are keyed "<account>/<lower-cased name>", since IAM names are
// unique case-insensitively within an account; listing an account's records
// is listing the prefix "<account>/". AWS managed policies are shared by
// every account and keyed "aws/<lower-cased name>"; what one account does
// with such a policy (how many of its entities attach it or use it as a
// boundary) is kept apart, in tableUses under "<account>/aws/<name>".
// Access key ids are unique across accounts: keys are keyed by id and the
// record names its account.
//
// Fields that requests other than the record's own edits change often live
// in keys of their own, so that writing them never rewrites (nor races with
// an edit of) the record, nor drops what caches derived from it: the counts
// of every managed policy (tableUses, a customer managed policy's under its
// own key), when a role was last assumed (tableRoleUse, keyed like the role)
// and when an access key was last used (tableKeyUse, keyed by id).
const (
	tableRoles    = "iam_roles"          // <account>/<name>
	tableUsers    = "iam_users"          // <account>/<name>
	tablePolicies = "iam_policies"       // aws/<name> or <account>/<name>
	tableUses     = "iam_policy_uses"    // <account>/aws/<name> or <account>/<name>
	tableRoleUse  = "iam_role_last_used" // <account>/<name>
	tableKeys     = "iam_keys"           // access key id
	tableKeyUse   = "iam_key_last_used"  // access key id
	tableMeta     = "iam_meta"           // layout: the version of the layout above
)

// Quotas.
const (
	maxTrustSize        = 2048
	maxRoleInlineSize   = 10240
	maxUserInlineSize   = 2048
	maxManagedSize      = 6144
	maxAttached         = 10
	maxVersions         = 5
	maxKeysPerUser      = 2
	maxTags             = 50
	defaultMaxItems     = 100
	defaultSessionLimit = 3600
)

// Tag is an IAM tag.
type Tag struct {
	Key   string `xml:"Key" json:"k"`
	Value string `xml:"Value" json:"v"`
}

// inline is an inline policy of a role or user, kept exactly as sent.
type inline struct {
	Name string `json:"name"`
	Doc  string `json:"doc"`
}

// roleRecord is a stored role.
type roleRecord struct {
	Name    string    `json:"name"`
	Path    string    `json:"path"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Trust   string    `json:"trust"`
	// Principals are the unique IDs of the users and roles Trust names, by
	// ARN, as they were when Trust was set (see principalIDs).
	Principals  map[string]string `json:"principals,omitempty"`
	Description string            `json:"description,omitempty"`
	MaxSession  int               `json:"maxSession"`
	Boundary    string            `json:"boundary,omitempty"`
	Tags        []Tag             `json:"tags,omitempty"`
	Inline      []inline          `json:"inline,omitempty"`   // sorted by name
	Attached    []string          `json:"attached,omitempty"` // policy ARNs in attach order
}

// lastUsedRecord is when a role was last assumed, or an access key last
// used, and where. Role is the ID of the role it was recorded for, so that
// a role made again under the same name does not inherit it.
type lastUsedRecord struct {
	At      time.Time `json:"at"`
	Region  string    `json:"region,omitempty"`
	Service string    `json:"service,omitempty"`
	Role    string    `json:"role,omitempty"`
}

// userRecord is a stored IAM user.
type userRecord struct {
	Name     string    `json:"name"`
	Path     string    `json:"path"`
	ID       string    `json:"id"`
	Created  time.Time `json:"created"`
	Boundary string    `json:"boundary,omitempty"`
	Tags     []Tag     `json:"tags,omitempty"`
	Inline   []inline  `json:"inline,omitempty"`
	Attached []string  `json:"attached,omitempty"`
	Keys     []string  `json:"keys,omitempty"` // access key ids in creation order
}

// policyRecord is a stored managed policy, AWS or customer managed.
type policyRecord struct {
	ARN         string          `json:"arn"`
	Name        string          `json:"name"`
	ID          string          `json:"id"`
	Path        string          `json:"path"`
	Description string          `json:"description,omitempty"`
	Created     time.Time       `json:"created"`
	Updated     time.Time       `json:"updated"`
	Default     string          `json:"default"`
	Versions    []versionRecord `json:"versions"`
	NextVersion int             `json:"nextVersion"`
	Tags        []Tag           `json:"tags,omitempty"`
	AWS         bool            `json:"aws,omitempty"`
	// The account's counts, kept in tableUses (see countUses).
	Attachments  int `json:"-"`
	BoundaryUses int `json:"-"`
}

// usesRecord counts one account's uses of a managed policy.
type usesRecord struct {
	Attachments  int `json:"attachments,omitempty"`
	BoundaryUses int `json:"boundaryUses,omitempty"`
}

// versionRecord is one version of a managed policy.
type versionRecord struct {
	ID      string    `json:"id"`
	Doc     string    `json:"doc"`
	Created time.Time `json:"created"`
}

// keyRecord is a stored long-term access key. User is "" for the root key.
type keyRecord struct {
	ID      string    `json:"id"`
	Account string    `json:"account"`
	User    string    `json:"user,omitempty"`
	Status  string    `json:"status"`
	Secret  []byte    `json:"secret"` // sealed with the server key
	Created time.Time `json:"created"`
}

func (p *policyRecord) version(id string) *versionRecord {
	for k := range p.Versions {
		if p.Versions[k].ID == id {
			return &p.Versions[k]
		}
	}
	return nil
}

func (p *policyRecord) defaultDoc() string {
	if v := p.version(p.Default); v != nil {
		return v.Doc
	}
	return ""
}

// list renders a query-protocol list: <Name><member>..</member>...</Name>.
// Without omitempty an empty list is still rendered as an empty element.
type list[T any] []T

func (l list[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	member := xml.StartElement{Name: xml.Name{Local: "member"}}
	for _, v := range l {
		if err := e.EncodeElement(v, member); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// Output shapes, members in model order.

type boundaryXML struct {
	PermissionsBoundaryType string `xml:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn"`
}

type roleLastUsedXML struct {
	LastUsedDate string `xml:"LastUsedDate,omitempty"`
	Region       string `xml:"Region,omitempty"`
}

type roleXML struct {
	Path                     string           `xml:"Path"`
	RoleName                 string           `xml:"RoleName"`
	RoleId                   string           `xml:"RoleId"`
	Arn                      string           `xml:"Arn"`
	CreateDate               string           `xml:"CreateDate"`
	AssumeRolePolicyDocument string           `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string           `xml:"Description,omitempty"`
	MaxSessionDuration       int              `xml:"MaxSessionDuration,omitempty"`
	PermissionsBoundary      *boundaryXML     `xml:"PermissionsBoundary,omitempty"`
	Tags                     list[Tag]        `xml:"Tags,omitempty"`
	RoleLastUsed             *roleLastUsedXML `xml:"RoleLastUsed,omitempty"`
}

type userXML struct {
	Path                string       `xml:"Path,omitempty"` // empty for the root user
	UserName            string       `xml:"UserName,omitempty"`
	UserId              string       `xml:"UserId"`
	Arn                 string       `xml:"Arn"`
	CreateDate          string       `xml:"CreateDate"`
	PermissionsBoundary *boundaryXML `xml:"PermissionsBoundary,omitempty"`
	Tags                list[Tag]    `xml:"Tags,omitempty"`
}

type policyXML struct {
	PolicyName                    string    `xml:"PolicyName"`
	PolicyId                      string    `xml:"PolicyId"`
	Arn                           string    `xml:"Arn"`
	Path                          string    `xml:"Path"`
	DefaultVersionId              string    `xml:"DefaultVersionId"`
	AttachmentCount               int       `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int       `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool      `xml:"IsAttachable"`
	Description                   string    `xml:"Description,omitempty"`
	CreateDate                    string    `xml:"CreateDate"`
	UpdateDate                    string    `xml:"UpdateDate"`
	Tags                          list[Tag] `xml:"Tags,omitempty"`
}

type policyVersionXML struct {
	Document         string `xml:"Document,omitempty"`
	VersionId        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

type attachedPolicyXML struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

// page is the paging tail shared by list outputs.
type page struct {
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

const isoFormat = "2006-01-02T15:04:05Z"

func iso(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(isoFormat)
}
