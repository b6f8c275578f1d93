package s3

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// This file holds the bucket's sub-resources: tagging, policy, public
// access block, ownership controls, and the ACL, versioning and
// encryption answers of a bucket that keeps S3's defaults.

// putBucketTagging is PutBucketTagging: the tag set replaces the bucket's.
func (s *S3) putBucketTagging(c *api.Call) (any, error) {
	body, err := c.Payload()
	if err != nil {
		return nil, err
	}
	tags, err := parseBucketTagging(body)
	if err != nil {
		return nil, err
	}
	_, err = s.updateBucket(c, c.PathParams["Bucket"], func(b *bucket) error {
		b.Tags = tags
		return nil
	})
	return nil, err
}

// getBucketTagging is GetBucketTagging: NoSuchTagSet when it has none.
func (s *S3) getBucketTagging(c *api.Call) (any, error) {
	name := c.PathParams["Bucket"]
	b, err := s.loadBucket(c.Context, s.cfg.Store, name)
	if err != nil {
		return nil, err
	}
	if len(b.Tags) == 0 {
		return nil, errNoSuchTagSet(name)
	}
	return tagDocument(b.Tags), nil
}

// deleteBucketTagging is DeleteBucketTagging.
func (s *S3) deleteBucketTagging(c *api.Call) (any, error) {
	_, err := s.updateBucket(c, c.PathParams["Bucket"], func(b *bucket) error {
		b.Tags = nil
		return nil
	})
	return nil, err
}

// maxPolicySize bounds a bucket policy (S3 User Guide: 20 KB).
const maxPolicySize = 20 << 10

// ownerOnly answers the bucket policy operations of a caller outside the
// bucket owner's account as S3 does: 405 MethodNotAllowed.
func ownerOnly(c *api.Call, b *bucket) error {
	if c.Principal != nil && c.Principal.Account == b.Owner {
		return nil
	}
	return s3Error(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.",
		"Method", c.HTTP.Method, "ResourceType", "BUCKETPOLICY")
}

// putBucketPolicy is PutBucketPolicy: the document is checked as S3
// checks it (checkBucketPolicy), and a public one is refused while
// BlockPublicPolicy is on.
func (s *S3) putBucketPolicy(c *api.Call) (any, error) {
	name := c.PathParams["Bucket"]
	body, err := c.Payload()
	if err != nil {
		return nil, err
	}
	doc := string(body)
	p, err := checkBucketPolicy(name, doc)
	if err != nil {
		return nil, err
	}
	public := isPublic(p)
	_, err = s.updateBucket(c, name, func(b *bucket) error {
		if err := ownerOnly(c, b); err != nil {
			return err
		}
		if public && b.blockPublicPolicy() {
			return errPublicPolicyBlocked(c.Principal.ARN, name)
		}
		b.Policy = doc
		return nil
	})
	return nil, err
}

// awsPrincipal is the shape of an "AWS" principal S3 accepts: "*", an
// account ID, or an IAM or STS ARN.
var awsPrincipal = regexp.MustCompile(`^(\*|[0-9]{12}|arn:aws:iam::[0-9]{12}:(root|user/.+|role/.+)|arn:aws:sts::[0-9]{12}:assumed-role/.+/.+)$`)

var canonicalUser = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkBucketPolicy validates a bucket policy as S3 does and answers
// MalformedPolicy with S3's messages: the policy language's own rules
// (a resource-based policy: Principal required), then every principal an
// account, IAM or STS ARN, service or canonical user, every action an s3
// action, and every resource this bucket or its objects.
func checkBucketPolicy(bucket, doc string) (*policy.Policy, error) {
	if len(doc) > maxPolicySize {
		return nil, errMalformedPolicy("Policies must be less than 20 KB")
	}
	if !strings.HasPrefix(strings.TrimSpace(doc), "{") || !json.Valid([]byte(doc)) {
		return nil, errMalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
	}
	p, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) && strings.Contains(strings.ToLower(pe.Message), "principal") {
			if strings.Contains(pe.Message, "Missing required field Principal") {
				return nil, errMalformedPolicy("Missing required field Principal")
			}
			return nil, errMalformedPolicy("Invalid principal in policy")
		}
		if errors.As(err, &pe) {
			return nil, errMalformedPolicy(pe.Message)
		}
		return nil, err
	}
	cat := catalog.Load()
	for _, st := range p.Statements() {
		for _, ps := range []policy.Principals{st.Principal, st.NotPrincipal} {
			for typ, vs := range ps {
				for _, v := range vs {
					if !validPrincipal(typ, v) {
						return nil, errMalformedPolicy("Invalid principal in policy")
					}
				}
			}
		}
		for _, a := range append(append([]string{}, st.Action...), st.NotAction...) {
			if a == "*" {
				continue
			}
			svc, name, ok := strings.Cut(a, ":")
			if !ok || !strings.EqualFold(svc, "s3") ||
				!strings.ContainsAny(name, "*?") && cat.Action(a) == nil {
				return nil, errMalformedPolicy("Policy has invalid action")
			}
		}
		for _, r := range append(append([]string{}, st.Resource...), st.NotResource...) {
			if !bucketResourcePattern(bucket, r) {
				return nil, errMalformedPolicy("Policy has invalid resource")
			}
		}
	}
	return p, nil
}

func validPrincipal(typ, v string) bool {
	switch typ {
	case "*":
		return v == "*"
	case "AWS":
		return awsPrincipal.MatchString(v)
	case "Service":
		return v == "*" || strings.HasSuffix(v, ".amazonaws.com") || strings.HasSuffix(v, ".amazonaws.com.cn")
	case "CanonicalUser":
		return canonicalUser.MatchString(v)
	}
	return false
}

// bucketResourcePattern reports whether a policy resource names this
// bucket or objects in it: arn:aws:s3:::BUCKET[/...], whose bucket part
// may be a pattern matching the bucket.
func bucketResourcePattern(bucket, r string) bool {
	if r == "*" {
		return true
	}
	rest, ok := strings.CutPrefix(r, "arn:aws:s3:::")
	if !ok {
		return false
	}
	name, _, _ := strings.Cut(rest, "/")
	if name == bucket {
		return true
	}
	if !strings.ContainsAny(name, "*?") {
		return false
	}
	m, err := path.Match(name, bucket)
	return err == nil && m
}

// getBucketPolicy is GetBucketPolicy: the document as it was put.
func (s *S3) getBucketPolicy(c *api.Call) (any, error) {
	name := c.PathParams["Bucket"]
	b, err := s.loadBucket(c.Context, s.cfg.Store, name)
	if err != nil {
		return nil, err
	}
	if err := ownerOnly(c, b); err != nil {
		return nil, err
	}
	if b.Policy == "" {
		return nil, errNoSuchBucketPolicy(name)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &api.Raw{Status: http.StatusOK, Header: h, Body: []byte(b.Policy)}, nil
}

// deleteBucketPolicy is DeleteBucketPolicy (204, also when there is none).
func (s *S3) deleteBucketPolicy(c *api.Call) (any, error) {
	_, err := s.updateBucket(c, c.PathParams["Bucket"], func(b *bucket) error {
		if err := ownerOnly(c, b); err != nil {
			return err
		}
		b.Policy = ""
		return nil
	})
	return nil, err
}

type policyStatus struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ PolicyStatus"`
	IsPublic bool     `xml:"IsPublic"`
}

// getBucketPolicyStatus is GetBucketPolicyStatus: whether the policy is
// public (isPublic); NoSuchBucketPolicy without one.
func (s *S3) getBucketPolicyStatus(c *api.Call) (any, error) {
	name := c.PathParams["Bucket"]
	b, err := s.loadBucket(c.Context, s.cfg.Store, name)
	if err != nil {
		return nil, err
	}
	if b.Policy == "" {
		return nil, errNoSuchBucketPolicy(name)
	}
	p, err := policy.Parse(b.Policy, policy.Resource)
	if err != nil {
		return nil, err
	}
	return policyStatus{IsPublic: isPublic(p)}, nil
}

type publicAccessBlockXML struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
	Xmlns                 string   `xml:"xmlns,attr,omitempty"`
	BlockPublicAcls       *bool    `xml:"BlockPublicAcls"`
	IgnorePublicAcls      *bool    `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     *bool    `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets *bool    `xml:"RestrictPublicBuckets"`
}

// putPublicAccessBlock is PutPublicAccessBlock: settings left out are off.
func (s *S3) putPublicAccessBlock(c *api.Call) (any, error) {
	body, err := c.Payload()
	if err != nil {
		return nil, err
	}
	var in publicAccessBlockXML
	if err := xml.Unmarshal(body, &in); err != nil {
		return nil, errMalformedXML()
	}
	v := func(b *bool) bool { return b != nil && *b }
	pab := &publicAccessBlock{v(in.BlockPublicAcls), v(in.IgnorePublicAcls), v(in.BlockPublicPolicy), v(in.RestrictPublicBuckets)}
	_, err = s.updateBucket(c, c.PathParams["Bucket"], func(b *bucket) error {
		b.PublicAccessBlock = pab
		return nil
	})
	return nil, err
}

// getPublicAccessBlock is GetPublicAccessBlock.
func (s *S3) getPublicAccessBlock(c *api.Call) (any, error) {
	name := c.PathParams["Bucket"]
	b, err := s.loadBucket(c.Context, s.cfg.Store, name)
	if err != nil {
		return nil, err
	}
	p := b.PublicAccessBlock
	if p == nil {
		return nil, errNoSuchPublicAccessBlock(name)
	}
	return publicAccessBlockXML{Xmlns: XMLNamespace, BlockPublicAcls: &p.BlockPublicAcls, IgnorePublicAcls: &p.IgnorePublicAcls,
		BlockPublicPolicy: &p.BlockPublicPolicy, RestrictPublicBuckets: &p.RestrictPublicBuckets}, nil
}

// deletePublicAccessBlock is DeletePublicAccessBlock.
func (s *S3) deletePublicAccessBlock(c *api.Call) (any, error) {
	_, err := s.updateBucket(c, c.PathParams["Bucket"], func(b *bucket) error {
		b.PublicAccessBlock = nil
		return nil
	})
	return nil, err
}

type ownershipControls struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Rules   []struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

// putOwnershipControls is PutBucketOwnershipControls: one rule.
func (s *S3) putOwnershipControls(c *api.Call) (any, error) {
	body, err := c.Payload()
	if err != nil {
		return nil, err
	}
	var in ownershipControls
	if err := xml.Unmarshal(body, &in); err != nil || len(in.Rules) != 1 || !objectOwnerships[in.Rules[0].ObjectOwnership] {
		return nil, errMalformedXML()
	}
	_, err = s.updateBucket(c, c.PathParams["Bucket"], func(b *bucket) error {
		b.Ownership = in.Rules[0].ObjectOwnership
		return nil
	})
	return nil, err
}

// getOwnershipControls is GetBucketOwnershipControls.
func (s *S3) getOwnershipControls(c *api.Call) (any, error) {
	name := c.PathParams["Bucket"]
	b, err := s.loadBucket(c.Context, s.cfg.Store, name)
	if err != nil {
		return nil, err
	}
	if b.Ownership == "" {
		return nil, errOwnershipControlsNotFound(name)
	}
	out := ownershipControls{Xmlns: XMLNamespace}
	out.Rules = append(out.Rules, struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	}{b.Ownership})
	return out, nil
}

// deleteOwnershipControls is DeleteBucketOwnershipControls.
func (s *S3) deleteOwnershipControls(c *api.Call) (any, error) {
	_, err := s.updateBucket(c, c.PathParams["Bucket"], func(b *bucket) error {
		b.Ownership = ""
		return nil
	})
	return nil, err
}

// ownerFullControl is the access control policy of a bucket or object
// that keeps S3's defaults: the owner has FULL_CONTROL, nobody else anything.
func ownerFullControl(account string) *api.Raw {
	id := canonicalID(account)
	body := xml.Header + `<AccessControlPolicy xmlns="` + XMLNamespace + `"><Owner><ID>` + id + `</ID></Owner>` +
		`<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>` + id +
		`</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`
	h := http.Header{}
	h.Set("Content-Type", "application/xml")
	return &api.Raw{Status: http.StatusOK, Header: h, Body: []byte(body)}
}

// getBucketACL is GetBucketAcl: the owner's full control.
func (s *S3) getBucketACL(c *api.Call) (any, error) {
	b, err := s.loadBucket(c.Context, s.cfg.Store, c.PathParams["Bucket"])
	if err != nil {
		return nil, err
	}
	return ownerFullControl(b.Owner), nil
}

// putBucketACL is PutBucketAcl: only the canned ACLs that keep the owner's
// sole full control are accepted (private, bucket-owner-full-control);
// under BucketOwnerEnforced anything else is AccessControlListNotSupported.
func (s *S3) putBucketACL(c *api.Call) (any, error) {
	body, err := c.Payload()
	if err != nil {
		return nil, err
	}
	b, err := s.loadBucket(c.Context, s.cfg.Store, c.PathParams["Bucket"])
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		return nil, checkACLHeaders(http.Header{"X-Amz-Acl": {"public-read"}}, b.Ownership)
	}
	return nil, checkACLHeaders(c.HTTP.Header, b.Ownership, "private")
}

// getObjectACL is GetObjectAcl: the bucket owner's full control (objects
// belong to the bucket owner under BucketOwnerEnforced); NoSuchKey for an
// object that does not exist.
func (s *S3) getObjectACL(c *api.Call) (any, error) {
	name, key := c.PathParams["Bucket"], c.PathParams["Key"]
	b, err := s.loadBucket(c.Context, s.cfg.Store, name)
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Store.Get(c.Context, objectsTable, name+"/"+key); errors.Is(err, store.ErrNotFound) {
		return nil, errNoSuchKey(key)
	} else if err != nil {
		return nil, err
	}
	return ownerFullControl(b.Owner), nil
}

type versioningConfiguration struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ VersioningConfiguration"`
}

// getBucketVersioning is GetBucketVersioning: buckets are unversioned, an
// empty configuration.
func (s *S3) getBucketVersioning(c *api.Call) (any, error) {
	if _, err := s.loadBucket(c.Context, s.cfg.Store, c.PathParams["Bucket"]); err != nil {
		return nil, err
	}
	return versioningConfiguration{}, nil
}

type encryptionConfiguration struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ServerSideEncryptionConfiguration"`
	Rule    struct {
		Default struct {
			SSEAlgorithm string `xml:"SSEAlgorithm"`
		} `xml:"ApplyServerSideEncryptionByDefault"`
		BucketKeyEnabled bool `xml:"BucketKeyEnabled"`
	} `xml:"Rule"`
}

// getBucketEncryption is GetBucketEncryption: SSE-S3 (AES256), every
// bucket's default since January 2023.
func (s *S3) getBucketEncryption(c *api.Call) (any, error) {
	if _, err := s.loadBucket(c.Context, s.cfg.Store, c.PathParams["Bucket"]); err != nil {
		return nil, err
	}
	var out encryptionConfiguration
	out.Rule.Default.SSEAlgorithm = "AES256"
	return out, nil
}
