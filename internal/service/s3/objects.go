package s3

import "github.com/rolecall/rolecall/internal/api"

// objectOps returns the operations on objects and multipart uploads.
func (s *S3) objectOps() []*api.Operation {
	return nil
}
