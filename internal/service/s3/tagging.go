package s3

import (
	"encoding/xml"
	"unicode/utf8"
)

// tagging is S3's <Tagging> document (bucket and object tags).
type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  struct {
		Tags []tag `xml:"Tag"`
	} `xml:"TagSet"`
}

type tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// Tag limits (S3 User Guide, "Categorizing your storage using tags";
// bucket tagging in "Using cost allocation S3 bucket tags").
const (
	maxTagKey   = 128
	maxTagValue = 256
)

// parseTagging decodes a <Tagging> body into a map, refusing what S3
// refuses: malformed XML, duplicate keys (InvalidTag), keys over 128 or
// values over 256 characters.
func parseTagging(body []byte) (map[string]string, error) {
	var t tagging
	if err := xml.Unmarshal(body, &t); err != nil || t.XMLName.Local != "Tagging" {
		return nil, errMalformedXML()
	}
	tags := make(map[string]string, len(t.TagSet.Tags))
	for _, tg := range t.TagSet.Tags {
		if _, dup := tags[tg.Key]; dup {
			return nil, errInvalidTag("Cannot provide multiple Tags with the same key")
		}
		if tg.Key == "" || utf8.RuneCountInString(tg.Key) > maxTagKey {
			return nil, errInvalidTag("The TagKey you have provided is invalid")
		}
		if utf8.RuneCountInString(tg.Value) > maxTagValue {
			return nil, errInvalidTag("The TagValue you have provided is invalid")
		}
		tags[tg.Key] = tg.Value
	}
	return tags, nil
}
