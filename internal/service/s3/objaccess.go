package s3

import (
	"net/url"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// The source of a copy, and the resource its read is authorized on.

// copySource reads x-amz-copy-source ("bucket/key" or "/bucket/key",
// URL-encoded, with an optional "?versionId=").
func copySource(c *api.Call) (bucket, key string, err error) {
	v := header(c, "x-amz-copy-source")
	v, version, _ := strings.Cut(v, "?versionId=")
	if version != "" && version != "null" {
		return "", "", errInvalidArgument("Invalid version id specified", "x-amz-copy-source", header(c, "x-amz-copy-source"))
	}
	src, uerr := url.PathUnescape(strings.TrimPrefix(v, "/"))
	bucket, key, ok := strings.Cut(src, "/")
	if uerr != nil || !ok || bucket == "" || key == "" {
		return "", "", errInvalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source", header(c, "x-amz-copy-source"))
	}
	return bucket, key, nil
}

// copySourceResource is the object a copy reads.
func (s *S3) copySourceResource(c *api.Call) (api.Resource, error) {
	bucket, key, err := copySource(c)
	if err != nil {
		return api.Resource{}, err
	}
	res, err := s.resourceOwned(c, bucket, objectARN(bucket, key), objectType, "x-amz-source-expected-bucket-owner")
	if err != nil {
		return res, err
	}
	return s.withObjectTags(c, res, "s3:GetObject", bucket, key)
}
