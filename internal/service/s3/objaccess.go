package s3

import (
	"net/url"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// The resources and condition keys of the object operations.

// objResource is the object an operation acts on (access.go).
func (s *S3) objResource(c *api.Call) (api.Resource, error) { return s.objectResource(c) }

// bktResource is the bucket an operation acts on (access.go).
func (s *S3) bktResource(c *api.Call) (api.Resource, error) { return s.bucketResource(c) }

// objConditions sets the s3: keys of object operations (access.go).
func (s *S3) objConditions(c *api.Call, res api.Resource, keys api.Keys) {
	s.objectConditions(c, res, keys)
}

// listConditions sets the keys of ListObjects and ListObjectsV2 (access.go).
func (s *S3) listConditions(c *api.Call, res api.Resource, keys api.Keys) {
	s.bucketConditions(c, res, keys)
}

// copySource reads x-amz-copy-source ("bucket/key" or "/bucket/key",
// URL-encoded, with an optional "?versionId=").
func copySource(c *api.Call) (bucket, key string, err error) {
	v := header(c, "x-amz-copy-source")
	v, version, _ := strings.Cut(v, "?versionId=")
	if version != "" && version != "null" {
		return "", "", invalidArgument("Invalid version id specified", "x-amz-copy-source", header(c, "x-amz-copy-source"))
	}
	src, uerr := url.PathUnescape(strings.TrimPrefix(v, "/"))
	bucket, key, ok := strings.Cut(src, "/")
	if uerr != nil || !ok || bucket == "" || key == "" {
		return "", "", invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source", header(c, "x-amz-copy-source"))
	}
	return bucket, key, nil
}

// copySourceResource is the object a copy reads.
func (s *S3) copySourceResource(c *api.Call) (api.Resource, error) {
	bucket, key, err := copySource(c)
	if err != nil {
		return api.Resource{}, err
	}
	return s.resourceOf(c, bucket, objectARN(bucket, key), objectType)
}
