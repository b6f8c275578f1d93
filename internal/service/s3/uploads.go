package s3

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

type listPartsResult struct {
	XMLName              xml.Name    `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListPartsResult"`
	Bucket               string      `xml:"Bucket"`
	Key                  string      `xml:"Key"`
	UploadID             string      `xml:"UploadId"`
	PartNumberMarker     int         `xml:"PartNumberMarker"`
	NextPartNumberMarker int         `xml:"NextPartNumberMarker"`
	MaxParts             int         `xml:"MaxParts"`
	IsTruncated          bool        `xml:"IsTruncated"`
	StorageClass         string      `xml:"StorageClass"`
	ChecksumAlgorithm    string      `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string      `xml:"ChecksumType,omitempty"`
	Parts                []partEntry `xml:"Part"`
}

type partEntry struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	copyChecksums
}

// listParts is ListParts, paged by part-number-marker and max-parts.
func (s *S3) listParts(c *api.Call) (any, error) {
	bucket, key := pathParams(c)
	id := c.Params.Get("uploadId")
	maxParts, marker := 1000, 0
	if v := c.Params.Get("max-parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errInvalidArgument("Provided max-parts not an integer or within integer range", "max-parts", v)
		}
		maxParts = min(n, 1000)
	}
	if v := c.Params.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errInvalidArgument("Provided part-number-marker not an integer or within integer range", "part-number-marker", v)
		}
		marker = n
	}
	u, err := s.getUpload(c, s.cfg.Store, bucket, key, id)
	if err != nil {
		return nil, err
	}
	parts, err := listPartsOf(c, s.cfg.Store, id)
	if err != nil {
		return nil, err
	}
	res := &listPartsResult{Bucket: bucket, Key: key, UploadID: id, PartNumberMarker: marker, MaxParts: maxParts,
		StorageClass: "STANDARD", ChecksumAlgorithm: u.Checksum, ChecksumType: u.ChecksumType}
	for _, p := range parts {
		if p.Number <= marker {
			continue
		}
		if len(res.Parts) == maxParts {
			res.IsTruncated = true
			break
		}
		e := partEntry{PartNumber: p.Number, LastModified: s3Time(p.LastModified), ETag: p.ETag, Size: p.Size}
		if u.Checksum != "" {
			e.set(&checksumValue{Algorithm: p.Algorithm, Value: p.Checksum})
			e.ChecksumType = ""
		}
		res.Parts = append(res.Parts, e)
		res.NextPartNumberMarker = p.Number
	}
	s.trailBucket(c, bucket)
	return res, nil
}

type listUploadsResult struct {
	XMLName            xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListMultipartUploadsResult"`
	Bucket             string         `xml:"Bucket"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker,omitempty"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker,omitempty"`
	Prefix             string         `xml:"Prefix"`
	MaxUploads         int            `xml:"MaxUploads"`
	IsTruncated        bool           `xml:"IsTruncated"`
	Uploads            []uploadEntry  `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
}

type uploadEntry struct {
	Key               string     `xml:"Key"`
	UploadID          string     `xml:"UploadId"`
	Initiator         *listOwner `xml:"Initiator"`
	Owner             *listOwner `xml:"Owner"`
	StorageClass      string     `xml:"StorageClass"`
	Initiated         string     `xml:"Initiated"`
	ChecksumAlgorithm string     `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string     `xml:"ChecksumType,omitempty"`
}

// listMultipartUploads is ListMultipartUploads: the uploads in progress
// whose keys start with prefix, in key order, paged by key-marker.
func (s *S3) listMultipartUploads(c *api.Call) (any, error) {
	bucket, _ := pathParams(c)
	if err := requireBucket(c.Context, s.cfg.Store, bucket); err != nil {
		return nil, err
	}
	q := c.Params
	prefix, keyMarker := q.Get("prefix"), q.Get("key-marker")
	if q.Get("delimiter") != "" {
		return nil, errInvalidArgument("delimiter is not supported for ListMultipartUploads here", "delimiter", q.Get("delimiter"))
	}
	maxUploads := 1000
	if v := q.Get("max-uploads"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errInvalidArgument("Provided max-uploads not an integer or within integer range", "max-uploads", v)
		}
		maxUploads = min(n, 1000)
	}
	items, err := s.cfg.Store.List(c.Context, uploadsTable, bucket+"/", "", 0)
	if err != nil {
		return nil, fmt.Errorf("s3: uploads of %s: %w", bucket, err)
	}
	var ups []upload
	for _, it := range items {
		var u upload
		if err := json.Unmarshal(it.Value, &u); err != nil {
			return nil, fmt.Errorf("s3: upload %s: %w", it.Key, err)
		}
		if strings.HasPrefix(u.Key, prefix) && u.Key > keyMarker {
			ups = append(ups, u)
		}
	}
	sortUploads(ups)
	res := &listUploadsResult{Bucket: bucket, KeyMarker: keyMarker, UploadIDMarker: q.Get("upload-id-marker"), Prefix: prefix, MaxUploads: maxUploads}
	for _, u := range ups {
		if len(res.Uploads) == maxUploads {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, uploadEntry{Key: u.Key, UploadID: u.ID, Initiator: &listOwner{ID: u.initiatorID()}, Owner: &listOwner{ID: canonicalID(u.Owner)},
			StorageClass: "STANDARD", Initiated: s3Time(u.Initiated), ChecksumAlgorithm: u.Checksum, ChecksumType: u.ChecksumType})
		res.NextKeyMarker, res.NextUploadIDMarker = u.Key, u.ID
	}
	s.trailBucket(c, bucket)
	return res, nil
}

// initiatorID is the ID an upload's Initiator shows (the owner's
// canonical user ID for uploads recorded without one).
func (u *upload) initiatorID() string {
	if u.Initiator != "" {
		return u.Initiator
	}
	return canonicalID(u.Owner)
}

// sortUploads orders uploads by key, then by initiation.
func sortUploads(ups []upload) {
	sort.SliceStable(ups, func(i, j int) bool {
		if ups[i].Key != ups[j].Key {
			return ups[i].Key < ups[j].Key
		}
		return ups[i].Initiated.Before(ups[j].Initiated)
	})
}
