package s3

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

// preconditions applies the conditional headers of a GET or HEAD as S3
// does (RFC 7232 with S3's precedence): If-Match, else
// If-Unmodified-Since, may fail the request (412); then If-None-Match,
// else If-Modified-Since, may answer 304. It returns 0 when the request
// goes on.
func preconditions(h http.Header, etag string, modified time.Time) int {
	if v := h.Get("If-Match"); v != "" {
		if !etagMatches(v, etag) {
			return http.StatusPreconditionFailed
		}
	} else if t, ok := httpTime(h.Get("If-Unmodified-Since")); ok && modified.After(t) {
		return http.StatusPreconditionFailed
	}
	if v := h.Get("If-None-Match"); v != "" {
		if etagMatches(v, etag) {
			return http.StatusNotModified
		}
	} else if t, ok := httpTime(h.Get("If-Modified-Since")); ok && !modified.After(t) {
		return http.StatusNotModified
	}
	return 0
}

// writeConditions applies the conditional headers of a write (PutObject,
// CompleteMultipartUpload, CopyObject's destination, DeleteObject) to the
// object it replaces (nil: none): If-None-Match "*" fails when there is
// one, If-Match when there is none (NoSuchKey) or its ETag differs.
func writeConditions(h http.Header, old *object, key string) error {
	if v := h.Get("If-None-Match"); v != "" {
		if v != "*" {
			return api.Errorf(501, "NotImplemented", "A header you provided implies functionality that is not implemented.")
		}
		if old != nil {
			return preconditionFailed(h)
		}
	}
	if v := h.Get("If-Match"); v != "" {
		if old == nil {
			return errNoSuchKey(key)
		}
		if !etagMatches(v, old.ETag) {
			return preconditionFailed(h)
		}
	}
	return nil
}

// preconditionFailed is S3's 412, naming the condition that failed.
func preconditionFailed(h http.Header) *api.Error {
	cond := "If-Match"
	switch {
	case h.Get("If-Match") != "":
	case h.Get("If-Unmodified-Since") != "":
		cond = "If-Unmodified-Since"
	default:
		cond = "If-None-Match"
	}
	return &api.Error{Code: "PreconditionFailed", Status: http.StatusPreconditionFailed,
		Message: "At least one of the pre-conditions you specified did not hold",
		Fields:  map[string]any{"Condition": cond}}
}

// etagMatches reports whether a list of entity tags ("*", quoted or not)
// names etag.
func etagMatches(list, etag string) bool {
	want := strings.Trim(etag, `"`)
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || strings.Trim(t, `"`) == want {
			return true
		}
	}
	return false
}

func httpTime(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v)
	return t, err == nil
}

// parseRange reads a Range header against an object of size bytes and
// returns the offset and length to send and whether the answer is partial.
// S3 serves one range: a header it cannot parse, or naming several ranges,
// is ignored and the whole object sent; a range starting past the end is
// InvalidRange (416).
func parseRange(v string, size int64) (off, n int64, partial bool, err error) {
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, size, false, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, size, false, nil
	}
	switch {
	case first == "":
		k, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || k < 0 {
			return 0, size, false, nil
		}
		if k == 0 {
			return 0, 0, false, invalidRange(v, size)
		}
		k = min(k, size)
		if size == 0 {
			return 0, 0, false, nil
		}
		return size - k, k, true, nil
	default:
		a, perr := strconv.ParseInt(first, 10, 64)
		if perr != nil || a < 0 {
			return 0, size, false, nil
		}
		b := size - 1
		if last != "" {
			if b, perr = strconv.ParseInt(last, 10, 64); perr != nil || b < a {
				return 0, size, false, nil
			}
			b = min(b, size-1)
		}
		if a >= size {
			return 0, 0, false, invalidRange(v, size)
		}
		return a, b - a + 1, true, nil
	}
}

func invalidRange(v string, size int64) *api.Error {
	return &api.Error{Code: "InvalidRange", Status: http.StatusRequestedRangeNotSatisfiable,
		Message: "The requested range is not satisfiable",
		Fields:  map[string]any{"RangeRequested": v, "ActualObjectSize": strconv.FormatInt(size, 10)},
		Header:  map[string]string{"Content-Range": "bytes */" + strconv.FormatInt(size, 10)}}
}
