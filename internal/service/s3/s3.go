// Package s3 is Amazon S3 (restXml): buckets with their policies, tags,
// public access block and ownership controls, and objects with their
// metadata, tags, checksums and multipart uploads, kept in the store (object
// bodies as blobs). Requests are authorized by the gateway with the bucket
// policy as the resource-based policy; unsigned requests are let through as
// the anonymous principal, so only a bucket policy granting "*" serves them.
package s3

import (
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// XMLNamespace is the namespace of S3's XML documents.
const XMLNamespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// Store tables. Bucket names are global, as in S3: one name is one bucket
// whatever account owns it.
const (
	bucketsTable = "s3_buckets" // bucket name → bucket (JSON)
	objectsTable = "s3_objects" // bucket name + "/" + key → object (JSON)
	uploadsTable = "s3_uploads" // bucket name + "/" + upload ID → multipart upload (JSON)
	partsTable   = "s3_parts"   // upload ID + "/" + part number (5 digits) → part (JSON)
)

// Config configures S3.
type Config struct {
	// Account and Region are the default account and region (buckets
	// created without a location constraint are in Region).
	Account, Region string
	Store           store.Store
	// Feed, when set, keeps the caches of bucket records and compiled
	// bucket policies in step with other processes sharing Store.
	Feed *store.Feed
	// Invoker makes in-process calls to other services (KMS for SSE-KMS)
	// on the caller's behalf.
	Invoker api.Invoker
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// S3 is the S3 service.
type S3 struct {
	cfg Config
	now func() time.Time
	// buckets caches what authorization reads of each bucket (access.go).
	buckets *store.Memo[*bucketAccess]
}

// New returns S3 keeping its state in cfg.Store.
func New(cfg Config) (*S3, error) {
	s := &S3{cfg: cfg, now: cfg.Now, buckets: &store.Memo[*bucketAccess]{Max: 10000}}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.Feed != nil {
		cfg.Feed.Subscribe([]string{bucketsTable}, func(c store.Change) { s.forgetBucket(c.Key) }, s.buckets.ForgetAll)
	}
	return s, nil
}

// Service returns S3's operation table: the bucket operations (buckets.go)
// and the object operations (objects.go).
func (s *S3) Service() *api.Service {
	ops := append(s.bucketOps(), s.objectOps()...)
	return api.NewService(api.Service{
		Name:         "s3",
		EventSource:  "s3.amazonaws.com",
		Protocols:    []string{"restXml"},
		XMLNamespace: XMLNamespace,
		Hosts:        []string{"localhost", "s3.localhost"},
		HostLabel:    "Bucket",
		Anonymous:    true,
	}, ops...)
}
