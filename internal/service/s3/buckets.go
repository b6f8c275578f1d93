package s3

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// bucketOps returns the operations on buckets and the service (ListBuckets).
// Their IAM actions are the service authorization reference's: HeadBucket
// is s3:ListBucket, the deletes of sub-resources are their Put actions.
func (s *S3) bucketOps() []*api.Operation {
	bucket := func(name, action, method, sub string, status int, readOnly bool, h func(*api.Call) (any, error)) *api.Operation {
		op := &api.Operation{Name: name, Action: action, ReadOnly: readOnly, SuccessStatus: status,
			HTTP:     api.HTTP{Method: method, Path: "/{Bucket}"},
			Resource: s.bucketResource, Conditions: s.bucketConditions, Handle: h}
		if sub != "" {
			op.HTTP.Query = []string{sub}
		}
		return op
	}
	get, put, del := http.MethodGet, http.MethodPut, http.MethodDelete
	return []*api.Operation{
		{Name: "ListBuckets", Action: "s3:ListAllMyBuckets", ReadOnly: true,
			HTTP: api.HTTP{Method: get, Path: "/"}, Conditions: s.bucketConditions, Handle: s.listBuckets},
		bucket("CreateBucket", "s3:CreateBucket", put, "", 0, false, s.createBucket),
		bucket("HeadBucket", "s3:ListBucket", http.MethodHead, "", 0, true, s.headBucket),
		bucket("DeleteBucket", "s3:DeleteBucket", del, "", http.StatusNoContent, false, s.deleteBucket),
		bucket("GetBucketLocation", "s3:GetBucketLocation", get, "location", 0, true, s.getBucketLocation),
		bucket("PutBucketTagging", "s3:PutBucketTagging", put, "tagging", http.StatusNoContent, false, s.putBucketTagging),
		bucket("GetBucketTagging", "s3:GetBucketTagging", get, "tagging", 0, true, s.getBucketTagging),
		bucket("DeleteBucketTagging", "s3:PutBucketTagging", del, "tagging", http.StatusNoContent, false, s.deleteBucketTagging),
		bucket("PutBucketPolicy", "s3:PutBucketPolicy", put, "policy", http.StatusNoContent, false, s.putBucketPolicy),
		bucket("GetBucketPolicy", "s3:GetBucketPolicy", get, "policy", 0, true, s.getBucketPolicy),
		bucket("DeleteBucketPolicy", "s3:DeleteBucketPolicy", del, "policy", http.StatusNoContent, false, s.deleteBucketPolicy),
		bucket("GetBucketPolicyStatus", "s3:GetBucketPolicyStatus", get, "policyStatus", 0, true, s.getBucketPolicyStatus),
		bucket("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock", put, "publicAccessBlock", 0, false, s.putPublicAccessBlock),
		bucket("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", get, "publicAccessBlock", 0, true, s.getPublicAccessBlock),
		bucket("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock", del, "publicAccessBlock", http.StatusNoContent, false, s.deletePublicAccessBlock),
		bucket("PutBucketOwnershipControls", "s3:PutBucketOwnershipControls", put, "ownershipControls", 0, false, s.putOwnershipControls),
		bucket("GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", get, "ownershipControls", 0, true, s.getOwnershipControls),
		bucket("DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls", del, "ownershipControls", http.StatusNoContent, false, s.deleteOwnershipControls),
		bucket("GetBucketAcl", "s3:GetBucketAcl", get, "acl", 0, true, s.getBucketACL),
		bucket("PutBucketAcl", "s3:PutBucketAcl", put, "acl", 0, false, s.putBucketACL),
		bucket("GetBucketVersioning", "s3:GetBucketVersioning", get, "versioning", 0, true, s.getBucketVersioning),
		bucket("GetBucketEncryption", "s3:GetEncryptionConfiguration", get, "encryption", 0, true, s.getBucketEncryption),
		{Name: "GetObjectAcl", Action: "s3:GetObjectAcl", ReadOnly: true, Category: api.Data,
			HTTP:     api.HTTP{Method: get, Path: "/{Bucket}/{Key+}", Query: []string{"acl"}},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.getObjectACL},
	}
}

// updateBucket runs fn on the bucket's record in one transaction and
// stores the result; fn may run more than once.
func (s *S3) updateBucket(c *api.Call, name string, fn func(b *bucket) error) (*bucket, error) {
	var out *bucket
	_, err := s.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		b, err := s.loadBucket(c.Context, tx, name)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		out = b
		return store.PutJSON(c.Context, tx, bucketsTable, name, b)
	})
	s.forgetBucket(name)
	return out, err
}

// region is the region the request was sent to (its SigV4 scope), or the
// default region.
func (s *S3) region(c *api.Call) string {
	if c.Region != "" {
		return c.Region
	}
	return s.cfg.Region
}

// xmlRaw renders v as an XML document with S3's headers.
func xmlRaw(status int, v any, header http.Header) (*api.Raw, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	if header == nil {
		header = http.Header{}
	}
	header.Set("Content-Type", "application/xml")
	return &api.Raw{Status: status, Header: header, Body: buf.Bytes()}, nil
}

type listBucketsResult struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListAllMyBucketsResult"`
	Buckets struct {
		Bucket []bucketEntry `xml:"Bucket"`
	} `xml:"Buckets"`
	Owner             owner  `xml:"Owner"`
	ContinuationToken string `xml:"ContinuationToken,omitempty"`
	Prefix            string `xml:"Prefix,omitempty"`
}

type bucketEntry struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion"`
	BucketArn    string `xml:"BucketArn,omitempty"`
}

type owner struct {
	ID string `xml:"ID"`
}

// maxBuckets bounds ListBuckets' max-buckets (S3 API Reference, ListBuckets).
const maxBuckets = 10000

// listBuckets is ListBuckets: the caller's account's buckets by name, with
// prefix, bucket-region and max-buckets/continuation-token paging.
func (s *S3) listBuckets(c *api.Call) (any, error) {
	q := c.Params
	limit := maxBuckets
	if v := q.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxBuckets {
			return nil, errInvalidArgument("Argument max-buckets must be an integer between 1 and 10000", "max-buckets", v)
		}
		limit = n
	}
	prefix, regionFilter, after := q.Get("prefix"), q.Get("bucket-region"), q.Get("continuation-token")
	items, err := s.cfg.Store.List(c.Context, bucketsTable, prefix, after, 0)
	if err != nil {
		return nil, err
	}
	out := listBucketsResult{Owner: owner{ID: canonicalID(c.Account)}, Prefix: prefix}
	for _, it := range items {
		var b bucket
		if err := json.Unmarshal(it.Value, &b); err != nil {
			return nil, err
		}
		if b.Owner != c.Account || regionFilter != "" && b.Region != regionFilter {
			continue
		}
		if len(out.Buckets.Bucket) == limit {
			out.ContinuationToken = out.Buckets.Bucket[limit-1].Name
			break
		}
		out.Buckets.Bucket = append(out.Buckets.Bucket, bucketEntry{
			Name: b.Name, CreationDate: b.Created.UTC().Format(time.RFC3339Nano), BucketRegion: b.Region,
		})
	}
	return xmlRaw(http.StatusOK, out, nil)
}

// headBucket is HeadBucket: 200 with the bucket's region.
func (s *S3) headBucket(c *api.Call) (any, error) {
	name := c.PathParams["Bucket"]
	b, err := s.loadBucket(c.Context, s.cfg.Store, name)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("x-amz-bucket-region", b.Region)
	h.Set("x-amz-access-point-alias", "false")
	return &api.Raw{Status: http.StatusOK, Header: h}, nil
}

type locationResult struct {
	XMLName            xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
	LocationConstraint string   `xml:",chardata"`
}

// getBucketLocation is GetBucketLocation: the region, empty for us-east-1.
func (s *S3) getBucketLocation(c *api.Call) (any, error) {
	b, err := s.loadBucket(c.Context, s.cfg.Store, c.PathParams["Bucket"])
	if err != nil {
		return nil, err
	}
	out := locationResult{}
	if b.Region != usEast1 {
		out.LocationConstraint = b.Region
	}
	return out, nil
}
