package s3

import (
	"encoding/xml"
	"strings"
	"unicode/utf8"
)

// Bucket tag limits (S3 User Guide, "Using cost allocation S3 bucket
// tags"): 50 tags, keys of 128 and values of 256 characters, none in the
// aws: namespace.
const (
	maxBucketTags = 50
	maxTagKey     = 128
	maxTagValue   = 256
)

// parseBucketTagging decodes a PutBucketTagging <Tagging> body into a
// map, refusing what S3 refuses: malformed XML, duplicate keys, keys or
// values too long, more than 50 tags, aws: keys (InvalidTag).
func parseBucketTagging(body []byte) (map[string]string, error) {
	var t tagging
	if err := xml.Unmarshal(body, &t); err != nil {
		return nil, errMalformedXML()
	}
	if len(t.TagSet) > maxBucketTags {
		return nil, errInvalidTag("Bucket tag count cannot be greater than 50")
	}
	tags := make(map[string]string, len(t.TagSet))
	for _, tg := range t.TagSet {
		switch {
		case hasKey(tags, tg.Key):
			return nil, errInvalidTag("Cannot provide multiple Tags with the same key")
		case tg.Key == "" || utf8.RuneCountInString(tg.Key) > maxTagKey:
			return nil, errInvalidTag("The TagKey you have provided is invalid")
		case utf8.RuneCountInString(tg.Value) > maxTagValue:
			return nil, errInvalidTag("The TagValue you have provided is invalid")
		case strings.HasPrefix(strings.ToLower(tg.Key), "aws:"):
			return nil, errInvalidTag("System tags cannot be added/updated by requester")
		}
		tags[tg.Key] = tg.Value
	}
	return tags, nil
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// bucketTagging is GetBucketTagging's answer.
type bucketTagging struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ Tagging"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

// tagDocument renders tags as a <Tagging> document, keys in order.
func tagDocument(tags map[string]string) *bucketTagging {
	t := &bucketTagging{}
	for _, k := range sortedKeys(tags) {
		t.TagSet = append(t.TagSet, tag{Key: k, Value: tags[k]})
	}
	return t
}
