package s3

import (
	"encoding/xml"
	"errors"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/blob"
)

const usEast1 = "us-east-1"

// regionName is the shape of an AWS region name ("eu-west-1",
// "us-gov-west-1"), and "EU", the legacy name of eu-west-1.
var regionName = regexp.MustCompile(`^([a-z]{2}(-[a-z]+)+-[0-9]|EU)$`)

// validBucketName reports whether name follows the naming rules of
// general purpose buckets (S3 User Guide, "General purpose bucket naming
// rules"): 3 to 63 characters of lower-case letters, digits, dots and
// hyphens, beginning and ending with a letter or digit, no two adjacent
// dots, not shaped like an IP address, none of the reserved prefixes and
// suffixes.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '-') {
			return false
		}
	}
	alnum := func(ch byte) bool { return ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' }
	if !alnum(name[0]) || !alnum(name[len(name)-1]) || strings.Contains(name, "..") {
		return false
	}
	if ip := net.ParseIP(name); ip != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, suf := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, suf) {
			return false
		}
	}
	return true
}

// createBucketConfiguration is CreateBucket's optional body.
type createBucketConfiguration struct {
	XMLName            xml.Name  `xml:"CreateBucketConfiguration"`
	LocationConstraint string    `xml:"LocationConstraint"`
	Location           *struct{} `xml:"Location"`
	Bucket             *struct{} `xml:"Bucket"`
	Tags               *struct {
		Tags []tag `xml:"Tag"`
	} `xml:"Tags"`
}

// objectOwnerships are the values of x-amz-object-ownership.
var objectOwnerships = map[string]bool{"BucketOwnerEnforced": true, "BucketOwnerPreferred": true, "ObjectWriter": true}

// createBucket is CreateBucket. The location constraint must name the
// region the request was sent to, none for us-east-1 (which refuses
// "us-east-1" itself). Bucket names are global: another account's name is
// BucketAlreadyExists; the caller's own is BucketAlreadyOwnedByYou, but
// in us-east-1 S3 answers 200 and changes nothing. New buckets block public
// access and enforce bucket-owner ownership (no ACLs).
func (s *S3) createBucket(c *api.Call) (any, error) {
	name := c.PathParams["Bucket"]
	if !validBucketName(name) {
		return nil, errInvalidBucketName(name)
	}
	body, err := c.Payload()
	if err != nil {
		return nil, err
	}
	var cfg createBucketConfiguration
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return nil, errMalformedXML()
		}
	}
	if cfg.Location != nil || cfg.Bucket != nil {
		return nil, errInvalidArgument("Location and Bucket configurations are only supported for directory buckets.", "CreateBucketConfiguration", "")
	}
	region, constraint := s.region(c), cfg.LocationConstraint
	switch {
	case constraint == usEast1 || constraint != "" && !regionName.MatchString(constraint):
		return nil, errInvalidLocationConstraint(constraint)
	case constraint == "" && region != usEast1:
		return nil, errIllegalLocationConstraint("unspecified")
	case constraint != "" && constraint != region:
		return nil, errIllegalLocationConstraint(constraint)
	}
	ownership := "BucketOwnerEnforced"
	if v := c.HTTP.Header.Get("x-amz-object-ownership"); v != "" {
		if !objectOwnerships[v] {
			return nil, errInvalidArgument("Invalid x-amz-object-ownership header: "+v, "x-amz-object-ownership", v)
		}
		ownership = v
	}
	if err := checkACLHeaders(c.HTTP.Header, ownership, "private"); err != nil {
		if ownership == "BucketOwnerEnforced" {
			return nil, s3Error(http.StatusBadRequest, "InvalidBucketAclWithObjectOwnership",
				"Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
		}
		return nil, err
	}
	if v := c.HTTP.Header.Get("x-amz-bucket-object-lock-enabled"); strings.EqualFold(v, "true") {
		return nil, errNotImplemented()
	}
	var tags map[string]string
	if cfg.Tags != nil {
		tags = map[string]string{}
		for _, t := range cfg.Tags.Tags {
			tags[t.Key] = t.Value
		}
	}
	b := &bucket{
		Name: name, Owner: c.Account, Region: region, Created: c.Time.UTC(), Tags: tags,
		PublicAccessBlock: &publicAccessBlock{true, true, true, true},
		Ownership:         ownership,
	}
	if constraint == "EU" {
		b.Region = "eu-west-1"
	}
	_, err = s.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		have, err := s.loadBucket(c.Context, tx, name)
		if err == nil {
			switch {
			case have.Owner != c.Account:
				return errBucketAlreadyExists(name)
			case have.Region != usEast1 || region != usEast1:
				return errBucketAlreadyOwnedByYou(name)
			}
			return nil // us-east-1's answer to the owner: 200, nothing changed
		}
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != "NoSuchBucket" {
			return err
		}
		return store.PutJSON(c.Context, tx, bucketsTable, name, b)
	})
	s.forgetBucket(name)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Location", "/"+name)
	return &api.Raw{Status: http.StatusOK, Header: h}, nil
}

// errNotImplemented: a header asks for what rolecall's S3 does not do (501).
func errNotImplemented() *api.Error {
	return s3Error(http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented")
}

// aclGrantHeaders are the headers that grant ACL permissions.
var aclGrantHeaders = []string{"x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control"}

// checkACLHeaders checks a request's ACL headers against a bucket's object
// ownership. Under BucketOwnerEnforced only the canned ACLs in allowed
// (the owner's full control) are accepted; anything else is
// AccessControlListNotSupported. Where ACLs are enabled rolecall still keeps
// none, so a grant to anyone else is refused as NotImplemented rather
// than ignored.
func checkACLHeaders(h http.Header, ownership string, allowed ...string) error {
	acl := h.Get("x-amz-acl")
	ok := acl == "" || acl == "bucket-owner-full-control" || slices.Contains(allowed, acl)
	for _, g := range aclGrantHeaders {
		if h.Get(g) != "" {
			ok = false
		}
	}
	if ok {
		return nil
	}
	if ownership == "BucketOwnerEnforced" {
		return errACLNotSupported()
	}
	return errNotImplemented()
}

// deleteBucket is DeleteBucket: BucketNotEmpty while the bucket holds
// objects. Multipart uploads in progress do not keep a general purpose
// bucket (S3 API Reference, DeleteBucket: only directory buckets refuse
// them); they go with it, parts and their bodies included.
func (s *S3) deleteBucket(c *api.Call) (any, error) {
	name := c.PathParams["Bucket"]
	_, err := s.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if _, err := s.loadBucket(c.Context, tx, name); err != nil {
			return err
		}
		objs, err := tx.List(c.Context, objectsTable, name+"/", "", 1)
		if err != nil {
			return err
		}
		if len(objs) > 0 {
			return errBucketNotEmpty(name)
		}
		uploads, err := tx.List(c.Context, uploadsTable, name+"/", "", 0)
		if err != nil {
			return err
		}
		for _, u := range uploads {
			id := strings.TrimPrefix(u.Key, name+"/")
			parts, err := listPartsOf(c, tx, id)
			if err != nil {
				return err
			}
			for _, p := range parts {
				if err := blob.Delete(c.Context, tx, p.Blob); err != nil {
					return err
				}
				if err := tx.Delete(c.Context, partsTable, partKey(id, p.Number)); err != nil {
					return err
				}
			}
			if err := tx.Delete(c.Context, uploadsTable, u.Key); err != nil {
				return err
			}
		}
		return tx.Delete(c.Context, bucketsTable, name)
	})
	s.forgetBucket(name)
	return nil, err
}
