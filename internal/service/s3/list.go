package s3

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// listEntry is one object of a listing.
type listEntry struct {
	Key               string     `xml:"Key"`
	LastModified      string     `xml:"LastModified"`
	ETag              string     `xml:"ETag"`
	ChecksumAlgorithm string     `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string     `xml:"ChecksumType,omitempty"`
	Size              int64      `xml:"Size"`
	Owner             *listOwner `xml:"Owner,omitempty"`
	StorageClass      string     `xml:"StorageClass"`
}

type listOwner struct {
	ID string `xml:"ID"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

// listing is what one page of a listing found.
type listing struct {
	contents  []listEntry
	prefixes  []string
	truncated bool
	last      string // the last key or common prefix returned
}

// listPage lists up to max keys and common prefixes of bucket after the
// key after, grouping keys by delimiter after prefix, as S3 does.
func (s *S3) listPage(c *api.Call, bucket, prefix, delimiter, after string, max int, owner bool) (listing, error) {
	var out listing
	base := bucket + "/"
	cursor := ""
	if after != "" {
		cursor = base + after
	}
	lastPrefix := ""
	for {
		items, err := s.cfg.Store.List(c.Context, objectsTable, base+prefix, cursor, 1000)
		if err != nil {
			return out, fmt.Errorf("s3: list %s: %w", bucket, err)
		}
		for _, it := range items {
			cursor = it.Key
			key := strings.TrimPrefix(it.Key, base)
			if delimiter != "" {
				if i := strings.Index(key[len(prefix):], delimiter); i >= 0 {
					cp := key[:len(prefix)+i+len(delimiter)]
					if cp == lastPrefix {
						continue
					}
					if len(out.contents)+len(out.prefixes) == max {
						out.truncated = true
						return out, nil
					}
					lastPrefix = cp
					out.prefixes = append(out.prefixes, cp)
					out.last = cp
					// Skip the rest of the prefix's keys.
					cursor = base + cp + "\U0010FFFF"
					break
				}
			}
			if len(out.contents)+len(out.prefixes) == max {
				out.truncated = true
				return out, nil
			}
			var o object
			if err := json.Unmarshal(it.Value, &o); err != nil {
				return out, fmt.Errorf("s3: object %s: %w", it.Key, err)
			}
			e := listEntry{Key: key, LastModified: s3Time(o.LastModified), ETag: o.ETag, Size: o.Size, StorageClass: "STANDARD"}
			if o.Checksum != nil {
				e.ChecksumAlgorithm, e.ChecksumType = o.Checksum.Algorithm, o.Checksum.Type
			}
			if owner {
				e.Owner = &listOwner{ID: canonicalID(o.Owner)}
			}
			out.contents = append(out.contents, e)
			out.last = key
		}
		if len(items) == 0 {
			return out, nil
		}
	}
}

// listParams reads the parameters both listings share.
func listParams(c *api.Call) (prefix, delimiter string, max int, encode bool, err error) {
	q := c.Params
	prefix, delimiter = q.Get("prefix"), q.Get("delimiter")
	max = 1000
	if v := q.Get("max-keys"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 {
			return "", "", 0, false, errInvalidArgument("Provided max-keys not an integer or within integer range", "max-keys", v)
		}
		max = min(n, 1000)
	}
	switch et := q.Get("encoding-type"); et {
	case "":
	case "url":
		encode = true
	default:
		return "", "", 0, false, errInvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", et)
	}
	return prefix, delimiter, max, encode, nil
}

// encoder returns what S3 does to keys and prefixes in a listing:
// URL-encoding for encoding-type=url, nothing otherwise.
func encoder(on bool) func(string) string {
	if !on {
		return func(s string) string { return s }
	}
	return func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/") }
}

type listV2Result struct {
	XMLName               xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	KeyCount              int            `xml:"KeyCount"`
	IsTruncated           bool           `xml:"IsTruncated"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	Contents              []listEntry    `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

// listObjectsV2 is ListObjectsV2. A continuation token is opaque to
// clients: the base64 of where the next page starts.
func (s *S3) listObjectsV2(c *api.Call) (any, error) {
	bucket, _ := pathParams(c)
	prefix, delimiter, max, encode, err := listParams(c)
	if err != nil {
		return nil, err
	}
	if err := requireBucket(c.Context, s.cfg.Store, bucket); err != nil {
		return nil, err
	}
	q := c.Params
	after := q.Get("start-after")
	token := q.Get("continuation-token")
	if token != "" {
		b, derr := base64.RawURLEncoding.DecodeString(token)
		if derr != nil {
			return nil, errInvalidArgument("The continuation token provided is incorrect", "continuation-token", token)
		}
		after = string(b)
	}
	page, err := s.listPage(c, bucket, prefix, delimiter, after, max, q.Get("fetch-owner") == "true")
	if err != nil {
		return nil, err
	}
	enc := encoder(encode)
	res := &listV2Result{Name: bucket, Prefix: enc(prefix), Delimiter: enc(delimiter), MaxKeys: max,
		KeyCount: len(page.contents) + len(page.prefixes), IsTruncated: page.truncated,
		ContinuationToken: token, StartAfter: enc(q.Get("start-after")), Contents: page.contents}
	if encode {
		res.EncodingType = "url"
	}
	for i := range res.Contents {
		res.Contents[i].Key = enc(res.Contents[i].Key)
	}
	for _, p := range page.prefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(p)})
	}
	if page.truncated {
		next := page.last
		if strings.HasSuffix(next, delimiter) && delimiter != "" {
			next += "\U0010FFFF"
		}
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(next))
	}
	return res, nil
}

type listV1Result struct {
	XMLName        xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name           string         `xml:"Name"`
	Prefix         string         `xml:"Prefix"`
	Marker         string         `xml:"Marker"`
	NextMarker     string         `xml:"NextMarker,omitempty"`
	Delimiter      string         `xml:"Delimiter,omitempty"`
	MaxKeys        int            `xml:"MaxKeys"`
	EncodingType   string         `xml:"EncodingType,omitempty"`
	IsTruncated    bool           `xml:"IsTruncated"`
	Contents       []listEntry    `xml:"Contents"`
	CommonPrefixes []commonPrefix `xml:"CommonPrefixes"`
}

// listObjectsV1 is ListObjects: paged by marker; NextMarker is given only
// when a delimiter is, as in S3 (clients otherwise use the last key).
func (s *S3) listObjectsV1(c *api.Call) (any, error) {
	bucket, _ := pathParams(c)
	prefix, delimiter, max, encode, err := listParams(c)
	if err != nil {
		return nil, err
	}
	if err := requireBucket(c.Context, s.cfg.Store, bucket); err != nil {
		return nil, err
	}
	marker := c.Params.Get("marker")
	after := marker
	if delimiter != "" && strings.HasSuffix(after, delimiter) {
		after += "\U0010FFFF"
	}
	page, err := s.listPage(c, bucket, prefix, delimiter, after, max, true)
	if err != nil {
		return nil, err
	}
	enc := encoder(encode)
	res := &listV1Result{Name: bucket, Prefix: enc(prefix), Marker: enc(marker), Delimiter: enc(delimiter),
		MaxKeys: max, IsTruncated: page.truncated, Contents: page.contents}
	if encode {
		res.EncodingType = "url"
	}
	for i := range res.Contents {
		res.Contents[i].Key = enc(res.Contents[i].Key)
	}
	for _, p := range page.prefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(p)})
	}
	if page.truncated && delimiter != "" {
		res.NextMarker = enc(page.last)
	}
	return res, nil
}
