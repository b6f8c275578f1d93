package s3

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// maxXMLBody bounds the XML documents object operations read (DeleteObjects
// of 1,000 keys of 1,024 bytes, CompleteMultipartUpload of 10,000 parts).
const maxXMLBody = 2 << 20

// readXML reads the call's XML body, at most maxXMLBody bytes, into v.
func readXML(c *api.Call, v any) error {
	if c.Body == nil {
		return errMalformedXML()
	}
	b, err := io.ReadAll(io.LimitReader(c.Body, maxXMLBody+1))
	if err != nil {
		return err
	}
	if len(b) > maxXMLBody {
		return errMalformedXML()
	}
	c.SetPayload(b)
	if err := xml.Unmarshal(b, v); err != nil {
		return errMalformedXML()
	}
	return nil
}

// tagging is S3's <Tagging> document.
type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

// objectTagging is GetObjectTagging's answer.
type objectTagging struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ Tagging"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

func (s *S3) putObjectTagging(c *api.Call) (any, error) {
	bucket, key := pathParams(c)
	body, err := c.Payload()
	if err != nil {
		return nil, err
	}
	var doc tagging
	if xml.Unmarshal(body, &doc) != nil {
		return nil, errMalformedXML()
	}
	if err := checkTags(doc.TagSet); err != nil {
		return nil, err
	}
	sort.Slice(doc.TagSet, func(i, j int) bool { return doc.TagSet[i].Key < doc.TagSet[j].Key })
	if _, err := s.updateObject(c, bucket, key, func(o *object) { o.Tags = doc.TagSet }); err != nil {
		return nil, err
	}
	return &api.Raw{NoBody: true}, nil
}

func (s *S3) getObjectTagging(c *api.Call) (any, error) {
	bucket, key := pathParams(c)
	o, err := s.loadObject(c, bucket, key)
	if err != nil {
		return nil, err
	}
	s.trailBucket(c, bucket)
	return &objectTagging{TagSet: o.Tags}, nil
}

func (s *S3) deleteObjectTagging(c *api.Call) (any, error) {
	bucket, key := pathParams(c)
	if _, err := s.updateObject(c, bucket, key, func(o *object) { o.Tags = nil }); err != nil {
		return nil, err
	}
	return &api.Raw{Status: http.StatusNoContent, NoBody: true}, nil
}

// updateObject changes an object's record (not its body) in one transaction.
func (s *S3) updateObject(c *api.Call, bucket, key string, change func(*object)) (*object, error) {
	var out *object
	_, err := s.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		out = nil
		if err := requireBucket(c.Context, tx, bucket); err != nil {
			return err
		}
		o, err := getObject(c.Context, tx, bucket, key)
		if err != nil {
			return err
		}
		if o == nil {
			return errNoSuchKey(key)
		}
		change(o)
		if err := store.PutJSON(c.Context, tx, objectsTable, objectKey(bucket, key), o); err != nil {
			return fmt.Errorf("s3: object %s/%s: %w", bucket, key, err)
		}
		out = o
		return nil
	})
	if err == nil {
		s.trailBucket(c, bucket)
	}
	return out, err
}

// deleteRequest is DeleteObjects' document.
type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

type deletedEntry struct {
	Key string `xml:"Key"`
}

type deleteError struct {
	Key     string `xml:"Key"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

type deleteResult struct {
	XMLName xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ DeleteResult"`
	Deleted []deletedEntry `xml:"Deleted"`
	Errors  []deleteError  `xml:"Error"`
}

// deleteObjects is DeleteObjects: up to 1,000 keys, each authorized as
// s3:DeleteObject and answered on its own. The body must carry a
// Content-MD5 or an additional checksum, which is checked.
func (s *S3) deleteObjects(c *api.Call) (any, error) {
	bucket, _ := pathParams(c)
	bc, e := parseBodyCheck(c.HTTP.Header)
	if e != nil {
		return nil, e
	}
	if bc.md5 == nil && bc.algo == nil {
		return nil, api.Errorf(400, "InvalidRequest", "Missing required header for this request: Content-MD5 OR x-amz-checksum-*")
	}
	var doc deleteRequest
	d := newDigests(bc.algo)
	c.Body = io.TeeReader(c.Body, d)
	if err := readXML(c, &doc); err != nil {
		return nil, err
	}
	if e := d.check(bc); e != nil {
		return nil, e
	}
	if len(doc.Objects) == 0 || len(doc.Objects) > 1000 {
		return nil, errMalformedXML()
	}
	if err := requireBucket(c.Context, s.cfg.Store, bucket); err != nil {
		return nil, err
	}
	res := &deleteResult{}
	for _, ob := range doc.Objects {
		if ob.VersionID != "" && ob.VersionID != "null" {
			res.Errors = append(res.Errors, deleteError{Key: ob.Key, Code: "NoSuchVersion", Message: "The specified version does not exist."})
			continue
		}
		if err := s.authorizeObject(c, "s3:DeleteObject", bucket, ob.Key); err != nil {
			res.Errors = append(res.Errors, deleteError{Key: ob.Key, Code: "AccessDenied", Message: "Access Denied"})
			continue
		}
		if _, err := s.cfg.Store.Update(c.Context, func(tx store.Tx) error {
			return deleteObjectRecord(c, tx, bucket, ob.Key)
		}); err != nil {
			res.Errors = append(res.Errors, deleteError{Key: ob.Key, Code: "InternalError", Message: "We encountered an internal error. Please try again."})
			continue
		}
		if !doc.Quiet {
			res.Deleted = append(res.Deleted, deletedEntry{Key: ob.Key})
		}
	}
	s.trailBucket(c, bucket)
	return res, nil
}
