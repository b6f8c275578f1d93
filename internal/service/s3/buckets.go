package s3

import "github.com/rolecall/rolecall/internal/api"

// bucketOps returns the operations on buckets and the service (ListBuckets).
func (s *S3) bucketOps() []*api.Operation {
	return nil
}
