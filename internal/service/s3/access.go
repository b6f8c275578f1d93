package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// This file is S3's authorization: the resources an operation is
// authorized on (the bucket, with its policy as the resource-based policy)
// and the s3: condition keys of a request.

// Resource types as CloudTrail lists them.
const (
	bucketType = "AWS::S3::Bucket"
	objectType = "AWS::S3::Object"
)

// bucketARN and objectARN are S3's ARNs, which name no region or account.
func bucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }

// bucketAccess is what authorizing a request needs of a bucket: its record
// and its policy, compiled. It is kept per bucket name (nil b: no such
// bucket) and forgotten when the bucket's record changes.
type bucketAccess struct {
	b      *bucket
	policy *policy.Policy
	public bool // the policy grants public access (isPublic)
}

// access returns the bucket's access record, from the cache or the store.
func (s *S3) access(c *api.Call, name string) (*bucketAccess, error) {
	if a, ok, _ := s.buckets.Get(name); ok {
		return a, nil
	}
	_, _, gen := s.buckets.Get(name)
	b, err := s.loadBucket(c.Context, s.cfg.Store, name)
	var ae *api.Error
	if errors.As(err, &ae) && ae.Code == "NoSuchBucket" {
		a := &bucketAccess{}
		s.buckets.Put(gen, name, a)
		return a, nil
	}
	if err != nil {
		return nil, err
	}
	a := &bucketAccess{b: b}
	if b.Policy != "" {
		if a.policy, err = policy.Parse(b.Policy, policy.Resource); err != nil {
			return nil, fmt.Errorf("s3: bucket %s: stored policy: %w", name, err)
		}
		a.public = isPublic(a.policy)
	}
	s.buckets.Put(gen, name, a)
	return a, nil
}

// forgetBucket drops what the cache keeps of a bucket (after this
// process's own writes, and on the feed's changes of s3_buckets).
func (s *S3) forgetBucket(name string) { s.buckets.Forget(name) }

// loadBucket reads a bucket's record from r (a store or a transaction),
// or answers NoSuchBucket.
func (s *S3) loadBucket(ctx context.Context, r store.Reader, name string) (*bucket, error) {
	var b bucket
	err := store.GetJSON(ctx, r, bucketsTable, name, &b)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSuchBucket(name)
	}
	if err != nil {
		return nil, fmt.Errorf("s3: read bucket %s: %w", name, err)
	}
	return &b, nil
}

// bucketResource is the Resource of the bucket operations:
// arn:aws:s3:::BUCKET, owned by the bucket's account, with its policy as
// the resource-based policy and its tags. A bucket that does not exist is
// NoSuchBucket to every caller, as S3 finds a bucket before it authorizes
// a request to it; only CreateBucket is authorized on a bucket that does
// not exist, taken to be the caller's account's.
func (s *S3) bucketResource(c *api.Call) (api.Resource, error) {
	name := c.PathParams["Bucket"]
	return s.resourceOf(c, name, bucketARN(name), bucketType)
}

// objectResource is the Resource of the object operations:
// arn:aws:s3:::BUCKET/KEY, with the bucket's owner and policy.
//
// The object writes that take ACL headers (aclWriters) are checked here
// against the bucket's object ownership: under BucketOwnerEnforced only
// bucket-owner-full-control is accepted, anything else is
// AccessControlListNotSupported, and nothing is written.
func (s *S3) objectResource(c *api.Call) (api.Resource, error) {
	name, key := c.PathParams["Bucket"], c.PathParams["Key"]
	res, err := s.resourceOf(c, name, objectARN(name, key), objectType)
	if err == nil {
		res, err = s.withObjectTags(c, res, operationAction(c), name, key)
	}
	if err != nil || c.HTTP == nil || c.Operation == nil || !aclWriters[c.Operation.Name] {
		return res, err
	}
	if a, err := s.access(c, name); err == nil && a.b != nil {
		if err := checkACLHeaders(c.HTTP.Header, a.b.Ownership); err != nil {
			return api.Resource{}, err
		}
	}
	return res, nil
}

// aclWriters are the object operations whose x-amz-acl and x-amz-grant-*
// headers set the new object's ACL.
var aclWriters = map[string]bool{"PutObject": true, "CopyObject": true, "CreateMultipartUpload": true}

func (s *S3) resourceOf(c *api.Call, name, arn, typ string) (api.Resource, error) {
	return s.resourceOwned(c, name, arn, typ, "x-amz-expected-bucket-owner")
}

// resourceOwned is resourceOf with the header that names the account
// expected to own the bucket.
func (s *S3) resourceOwned(c *api.Call, name, arn, typ, ownerHeader string) (api.Resource, error) {
	res := api.Resource{ARN: arn, Type: typ, Mode: api.ResourcePolicy}
	if name == "" {
		return res, nil
	}
	a, err := s.access(c, name)
	if err != nil {
		return api.Resource{}, err
	}
	if a.b == nil {
		if c.Operation != nil && c.Operation.Name == "CreateBucket" {
			return res, nil
		}
		return api.Resource{}, errNoSuchBucket(name)
	}
	if err := wrongRegion(c, a.b); err != nil {
		return api.Resource{}, err
	}
	if c.HTTP != nil {
		// x-amz-expected-bucket-owner (x-amz-source-expected-bucket-owner
		// for a copy's source): a bucket another account owns is refused
		// (S3 User Guide, "Verifying bucket ownership").
		if want := c.HTTP.Header.Get(ownerHeader); want != "" && want != a.b.Owner {
			return api.Resource{}, api.AccessDenied("Access Denied")
		}
	}
	res.Account = a.b.Owner
	if typ == bucketType {
		res.Tags = a.b.Tags
	}
	res.Policy = a.policy
	if a.public && a.b.restrictPublic() && !insideAccount(c.Principal, a.b.Owner) {
		// RestrictPublicBuckets: a bucket whose policy is public serves
		// only AWS service principals and the owner's own principals
		// through its policy.
		res.Policy = nil
	}
	return res, nil
}

// anyRegion are the operations S3 answers whatever region a request is
// signed for: the bucket's location is how a client learns its region.
var anyRegion = map[string]bool{"GetBucketLocation": true, "CreateBucket": true}

// wrongRegion answers a signed request whose SigV4 scope names a region
// other than the bucket's as S3 does: 400 AuthorizationHeaderMalformed (or,
// presigned, AuthorizationQueryParametersError) naming the region
// expected, in <Region> and x-amz-bucket-region, so that clients retry there.
func wrongRegion(c *api.Call, b *bucket) error {
	if c.HTTP == nil || c.Principal == nil || c.Principal.Type == api.Anonymous || c.Region == "" || c.Region == b.Region ||
		c.Operation != nil && anyRegion[c.Operation.Name] {
		return nil
	}
	e := s3Error(http.StatusBadRequest, "AuthorizationHeaderMalformed",
		"The authorization header is malformed; the region '"+c.Region+"' is wrong; expecting '"+b.Region+"'", "Region", b.Region)
	if c.HTTP.URL.Query().Get("X-Amz-Credential") != "" {
		e.Code = "AuthorizationQueryParametersError"
		e.Message = "Error parsing the X-Amz-Credential parameter; the region '" + c.Region + "' is wrong; expecting '" + b.Region + "'"
	}
	e.Header = map[string]string{"x-amz-bucket-region": b.Region}
	return e
}

// objectOwner is the account that owns an object the call writes into
// bucket (S3 User Guide, "Controlling ownership of objects"): the bucket
// owner under BucketOwnerEnforced, and under BucketOwnerPreferred when the
// write carries x-amz-acl bucket-owner-full-control; else the writer.
func (s *S3) objectOwner(c *api.Call, bucket string) string {
	a, err := s.access(c, bucket)
	if err != nil || a.b == nil {
		return c.Account
	}
	switch a.b.Ownership {
	case "BucketOwnerEnforced":
		return a.b.Owner
	case "BucketOwnerPreferred":
		if c.HTTP != nil && c.HTTP.Header.Get("x-amz-acl") == "bucket-owner-full-control" {
			return a.b.Owner
		}
	}
	return c.Account
}

// insideAccount reports whether p belongs to account or is an AWS service.
func insideAccount(p *api.Principal, account string) bool {
	return p != nil && (p.Type == api.AWSService || p.Type != api.Anonymous && p.Account == account)
}

// bucketConditions sets the s3: keys every request carries (signature,
// transport, the bucket's account) and those of the listing and creating
// operations, each only where the action takes it (the service
// authorization reference, internal/catalog).
func (s *S3) bucketConditions(c *api.Call, res api.Resource, keys api.Keys) {
	set := keyFilter(operationAction(c), keys)
	requestKeys(c, res, set)
	q := c.HTTP
	if q == nil {
		return
	}
	query := q.URL.Query()
	for _, k := range [...]string{"prefix", "delimiter", "max-keys"} {
		if vs, ok := query[k]; ok && len(vs) > 0 {
			set("s3:"+k, vs[0])
		}
	}
	headerKeys(c, set)
	if c.Operation != nil && c.Operation.Name == "CreateBucket" {
		// s3:locationconstraint is the body's LocationConstraint.
		if body, err := c.Payload(); err == nil && len(body) > 0 {
			var cfg createBucketConfiguration
			if xml.Unmarshal(body, &cfg) == nil && cfg.LocationConstraint != "" {
				set("s3:locationconstraint", cfg.LocationConstraint)
			}
		}
	}
}

// objectConditions sets bucketConditions' keys and those of the object
// operations (the stored object's tags, s3:ExistingObjectTag/<key>, come
// with the resource: see withObjectTags): the request's tags (s3:RequestObjectTag/<key>, s3:RequestObjectTagKeys from
// x-amz-tagging or a PutObjectTagging body), its ACL and encryption headers.
func (s *S3) objectConditions(c *api.Call, res api.Resource, keys api.Keys) {
	s.objectKeys(c, operationAction(c), c.PathParams["Bucket"], c.PathParams["Key"], res, keys)
}

// copySourceConditions are the keys of a copy's read of its source: those
// of objectConditions (the source object's tags come with
// copySourceResource).
func (s *S3) copySourceConditions(c *api.Call, res api.Resource, keys api.Keys) {
	bucket, key, err := copySource(c)
	if err != nil {
		return
	}
	s.objectKeys(c, "s3:GetObject", bucket, key, res, keys)
}

// authorizeObject authorizes a further action of the call on one object,
// as the object operations are authorized: on arn:aws:s3:::BUCKET/KEY in
// the bucket's account, with the bucket's policy and the object's keys.
func (s *S3) authorizeObject(c *api.Call, action, bucket, key string) error {
	res, err := s.resourceOf(c, bucket, objectARN(bucket, key), objectType)
	if err == nil {
		res, err = s.withObjectTags(c, res, action, bucket, key)
	}
	if err != nil {
		return err
	}
	keys := keyMap{}
	s.objectKeys(c, action, bucket, key, res, keys)
	return c.Authorize(action, res, keys)
}

// authorizeBucket authorizes a further action of the call on bucket, as
// the bucket operations are authorized.
func (s *S3) authorizeBucket(c *api.Call, action, bucket string) error {
	res, err := s.resourceOf(c, bucket, bucketARN(bucket), bucketType)
	if err != nil {
		return err
	}
	keys := keyMap{}
	requestKeys(c, res, keyFilter(action, keys))
	return c.Authorize(action, res, keys)
}

// keyMap collects condition keys for api.Call.Authorize.
type keyMap map[string][]string

func (k keyMap) Set(key string, values ...string) { k[key] = values }

// objectKeys sets the keys of action on the object key of bucket.
func (s *S3) objectKeys(c *api.Call, action, bucket, key string, res api.Resource, keys api.Keys) {
	set := keyFilter(action, keys)
	requestKeys(c, res, set)
	if c.HTTP != nil {
		headerKeys(c, set)
	}
	if tags, ok := requestTags(c); ok {
		names := make([]string, 0, len(tags))
		for _, t := range tags {
			set("s3:RequestObjectTag/"+t.Key, t.Value)
			names = append(names, t.Key)
		}
		sort.Strings(names)
		set("s3:RequestObjectTagKeys", names...)
	}
}

// operationAction is the IAM action of the call's operation; "" when it has none.
func operationAction(c *api.Call) string {
	if c.Operation == nil {
		return ""
	}
	return c.Operation.Action
}

// keyFilter returns a setter that sets a key only where action takes it.
func keyFilter(name string, keys api.Keys) func(string, ...string) {
	var action *catalog.Action
	if name != "" {
		action = catalog.Load().Action(name)
	}
	return func(key string, values ...string) {
		if action == nil || action.Supports(key) {
			keys.Set(key, values...)
		}
	}
}

// requestKeys sets the keys of how the request was signed and sent.
func requestKeys(c *api.Call, res api.Resource, set func(string, ...string)) {
	if res.Account != "" {
		set("s3:ResourceAccount", res.Account)
	} else if c.Account != "" {
		set("s3:ResourceAccount", c.Account)
	}
	r := c.HTTP
	if r == nil {
		return
	}
	if r.TLS != nil {
		set("s3:TlsVersion", tlsVersion(r.TLS.Version))
	}
	if c.Principal == nil || c.Principal.Type == api.Anonymous {
		return
	}
	q := r.URL.Query()
	date := r.Header.Get("X-Amz-Date")
	switch {
	case strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256"):
		set("s3:authType", "REST-HEADER")
		set("s3:signatureversion", "AWS4-HMAC-SHA256")
	case q.Get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256":
		set("s3:authType", "REST-QUERY-STRING")
		set("s3:signatureversion", "AWS4-HMAC-SHA256")
		date = q.Get("X-Amz-Date")
	case r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data"):
		set("s3:authType", "POST")
		set("s3:signatureversion", "AWS4-HMAC-SHA256")
	}
	if t, err := time.Parse("20060102T150405Z", date); err == nil {
		age := c.Time.Sub(t).Milliseconds()
		if age < 0 {
			age = 0
		}
		set("s3:signatureAge", strconv.FormatInt(age, 10))
	}
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		set("s3:x-amz-content-sha256", h)
	}
}

// tlsVersion spells a crypto/tls version as s3:TlsVersion compares it ("1.2").
func tlsVersion(v uint16) string {
	switch v {
	case 0x0301:
		return "1.0"
	case 0x0302:
		return "1.1"
	case 0x0303:
		return "1.2"
	case 0x0304:
		return "1.3"
	}
	return ""
}

// headerConditionKeys are the request headers S3 exposes as s3:<header>
// condition keys.
var headerConditionKeys = []string{
	"x-amz-acl",
	"x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control",
	"x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
	"x-amz-server-side-encryption-customer-algorithm",
	"x-amz-storage-class", "x-amz-metadata-directive", "x-amz-copy-source",
	"x-amz-website-redirect-location", "x-amz-object-ownership",
	"if-match", "if-none-match",
}

func headerKeys(c *api.Call, set func(string, ...string)) {
	for _, h := range headerConditionKeys {
		if v := c.HTTP.Header.Get(h); v != "" {
			set("s3:"+h, v)
		}
	}
}

// withObjectTags returns res carrying the stored tags of the object key of
// bucket as s3:ExistingObjectTag/<key>, where action takes them. A store
// that cannot be read fails the call rather than leave a condition on the
// tags unevaluated.
func (s *S3) withObjectTags(c *api.Call, res api.Resource, action, bucket, key string) (api.Resource, error) {
	tags, err := s.storedObjectTags(c, bucket, key)
	if err != nil {
		return api.Resource{}, fmt.Errorf("s3: tags of %s/%s: %w", bucket, key, err)
	}
	if len(tags) == 0 {
		return res, nil
	}
	keys := keyMap{}
	set := keyFilter(action, keys)
	for _, t := range tags {
		set("s3:ExistingObjectTag/"+t.Key, t.Value)
	}
	res.Keys = keys
	return res, nil
}

// storedObjectTags returns the tags of the object key of bucket; a
// missing object has none.
func (s *S3) storedObjectTags(c *api.Call, bucket, key string) ([]tag, error) {
	if bucket == "" || key == "" {
		return nil, nil
	}
	o, err := getObject(c.Context, s.cfg.Store, bucket, key)
	if err != nil || o == nil {
		return nil, err
	}
	return o.Tags, nil
}

// requestTags returns the tags a request sets: the x-amz-tagging header
// (a URL-encoded query string), or the <Tagging> body of PutObjectTagging.
func requestTags(c *api.Call) ([]tag, bool) {
	if c.HTTP == nil {
		return nil, false
	}
	if h, ok := c.HTTP.Header["X-Amz-Tagging"]; ok && len(h) > 0 {
		tags, err := parseTagging(h[0])
		return tags, err == nil
	}
	if c.Operation == nil || c.Operation.Name != "PutObjectTagging" {
		return nil, false
	}
	body, err := c.Payload()
	if err != nil {
		return nil, false
	}
	var t tagging
	if xml.Unmarshal(body, &t) != nil {
		return nil, false
	}
	return t.TagSet, true
}
