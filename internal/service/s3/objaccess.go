package s3

import (
	"net/url"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// The resources and condition keys of the object operations.

// objResource is the object an operation acts on.
func (s *S3) objResource(c *api.Call) (api.Resource, error) {
	bucket, key := pathParams(c)
	return api.Resource{ARN: objectARN(bucket, key), Type: "AWS::S3::Object"}, nil
}

// bktResource is the bucket an operation acts on.
func (s *S3) bktResource(c *api.Call) (api.Resource, error) {
	bucket, _ := pathParams(c)
	return api.Resource{ARN: "arn:aws:s3:::" + bucket, Type: "AWS::S3::Bucket"}, nil
}

// objConditions sets the s3: keys of object operations.
func (s *S3) objConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	if c.HTTP == nil {
		return
	}
	if v := c.HTTP.Header.Get("x-amz-server-side-encryption"); v != "" {
		keys.Set("s3:x-amz-server-side-encryption", v)
	}
}

// listConditions sets the keys of ListObjects and ListObjectsV2.
func listConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	q := c.Params
	for _, k := range []string{"prefix", "delimiter", "max-keys"} {
		if v, ok := q[k]; ok && len(v) > 0 {
			keys.Set("s3:"+k, v[0])
		}
	}
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
	return api.Resource{ARN: objectARN(bucket, key), Type: "AWS::S3::Object"}, nil
}
