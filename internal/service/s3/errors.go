package s3

import (
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
)

// S3's errors, as the S3 API Reference's "List of error codes" words them.
// Each is rendered by the restXml protocol as S3's <Error> document; the
// members S3 adds to name what the error is about (BucketName, Key,
// Resource, ...) are carried in Fields, and the protocol adds RequestId
// and HostId (and the x-amz-request-id and x-amz-id-2 headers).

// s3Error returns an S3 error with the given members.
func s3Error(status int, code, message string, fields ...string) *api.Error {
	e := &api.Error{Code: code, Status: status, Message: message}
	if len(fields) > 0 {
		e.Fields = make(map[string]any, len(fields)/2)
		for i := 0; i+1 < len(fields); i += 2 {
			e.Fields[fields[i]] = fields[i+1]
		}
	}
	return e
}

// errNoSuchBucket: the bucket does not exist (404).
func errNoSuchBucket(bucket string) *api.Error {
	return s3Error(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", "BucketName", bucket)
}

// errNoSuchKey: the object does not exist (404).
func errNoSuchKey(key string) *api.Error {
	return s3Error(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", "Key", key)
}

// errBucketNotEmpty: DeleteBucket of a bucket holding objects or
// multipart uploads (409).
func errBucketNotEmpty(bucket string) *api.Error {
	return s3Error(http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty", "BucketName", bucket)
}

// errBucketAlreadyExists: the name is another account's bucket (409).
func errBucketAlreadyExists(bucket string) *api.Error {
	return s3Error(http.StatusConflict, "BucketAlreadyExists",
		"The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
		"BucketName", bucket)
}

// errBucketAlreadyOwnedByYou: the caller's account has the bucket
// already, outside us-east-1 (409).
func errBucketAlreadyOwnedByYou(bucket string) *api.Error {
	return s3Error(http.StatusConflict, "BucketAlreadyOwnedByYou",
		"Your previous request to create the named bucket succeeded and you already own it.", "BucketName", bucket)
}

// errInvalidBucketName: the name breaks S3's naming rules (400).
func errInvalidBucketName(bucket string) *api.Error {
	return s3Error(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.", "BucketName", bucket)
}

// errIllegalLocationConstraint: the location constraint names a region
// other than the endpoint's (400).
func errIllegalLocationConstraint(constraint string) *api.Error {
	return s3Error(http.StatusBadRequest, "IllegalLocationConstraintException",
		"The "+constraint+" location constraint is incompatible for the region specific endpoint this request was sent to.")
}

// errInvalidLocationConstraint: a constraint that is no region, or
// "us-east-1" itself, which S3 takes only as no constraint (400).
func errInvalidLocationConstraint(constraint string) *api.Error {
	return s3Error(http.StatusBadRequest, "InvalidLocationConstraint",
		"The specified location-constraint is not valid", "LocationConstraint", constraint)
}

// errNoSuchTagSet: the bucket or object has no tags (404).
func errNoSuchTagSet(bucket string) *api.Error {
	return s3Error(http.StatusNotFound, "NoSuchTagSet", "The TagSet does not exist", "BucketName", bucket)
}

// errNoSuchBucketPolicy: the bucket has no policy (404).
func errNoSuchBucketPolicy(bucket string) *api.Error {
	return s3Error(http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist", "BucketName", bucket)
}

// errNoSuchPublicAccessBlock: the bucket has no public access block (404).
func errNoSuchPublicAccessBlock(bucket string) *api.Error {
	return s3Error(http.StatusNotFound, "NoSuchPublicAccessBlockConfiguration",
		"The public access block configuration was not found", "BucketName", bucket)
}

// errOwnershipControlsNotFound: the bucket has no ownership controls (404).
func errOwnershipControlsNotFound(bucket string) *api.Error {
	return s3Error(http.StatusNotFound, "OwnershipControlsNotFoundError",
		"The bucket ownership controls were not found", "BucketName", bucket)
}

// errMalformedPolicy: a bucket policy S3 refuses (400).
func errMalformedPolicy(message string) *api.Error {
	return s3Error(http.StatusBadRequest, "MalformedPolicy", message)
}

// errMalformedXML: a request body that is not the document expected (400).
func errMalformedXML() *api.Error {
	return s3Error(http.StatusBadRequest, "MalformedXML",
		"The XML you provided was not well-formed or did not validate against our published schema")
}

// errInvalidTag: a tag S3 refuses (400).
func errInvalidTag(message string) *api.Error {
	return s3Error(http.StatusBadRequest, "InvalidTag", message)
}

// errACLNotSupported: an ACL on a bucket whose ownership is
// BucketOwnerEnforced (400).
func errACLNotSupported() *api.Error {
	return s3Error(http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs")
}

// errPublicPolicyBlocked: PutBucketPolicy of a public policy while
// BlockPublicPolicy is on (403).
func errPublicPolicyBlocked(principal, bucket string) *api.Error {
	return api.AccessDenied("User: " + principal + " is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::" + bucket +
		"\" because public policies are blocked by the BlockPublicPolicy block public access setting.")
}

// errInvalidArgument: a parameter S3 refuses (400), naming it.
func errInvalidArgument(message, name, value string) *api.Error {
	return s3Error(http.StatusBadRequest, "InvalidArgument", message, "ArgumentName", name, "ArgumentValue", value)
}
