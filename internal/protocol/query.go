package protocol

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/rolecall/rolecall/internal/api"
)

// queryProtocol is awsQuery: form-encoded Action=...&Version=... requests
// (POST body or GET query), XML responses (IAM, STS, SQS's older clients).
type queryProtocol struct{}

func (queryProtocol) Name() string { return NameQuery }

func (queryProtocol) Detect(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	switch r.Method {
	case http.MethodPost:
		return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
	case http.MethodGet:
		return r.URL.Query().Get("Action") != ""
	}
	return false
}

// ParseQuery returns a query request's parameters: the form body merged
// with the URL query, the body winning.
func ParseQuery(r *http.Request, body []byte) (url.Values, error) {
	q := r.URL.Query()
	if r.Method != http.MethodPost {
		return q, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	for k, v := range q {
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	return form, nil
}

func (queryProtocol) Decode(c *api.Call, v any) error { return decodeForm(c.Params, v) }

func (queryProtocol) WriteResult(w http.ResponseWriter, c *api.Call, v any) {
	if raw, ok := v.(*api.Raw); ok {
		writeRaw(w, c, raw, "x-amzn-RequestId")
		return
	}
	op := c.OperationName
	ns := ""
	if c.Service != nil {
		ns = c.Service.XMLNamespace
	}
	x := xmlWriters.Get().(*xmlWriter)
	buf := &x.buf
	buf.Reset()
	buf.WriteString(`<`)
	buf.WriteString(op)
	buf.WriteString(`Response xmlns="`)
	buf.WriteString(ns)
	buf.WriteString(`">`)
	if v != nil {
		if err := x.enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: op + "Result"}}); err != nil {
			// The encoder may hold a half-written element: not reused.
			queryProtocol{}.WriteError(w, c, api.InternalFailure(err))
			return
		}
	}
	buf.WriteString(`<ResponseMetadata><RequestId>`)
	buf.WriteString(c.RequestID)
	buf.WriteString(`</RequestId></ResponseMetadata></`)
	buf.WriteString(op)
	buf.WriteString(`Response>`)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", c.RequestID)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	if buf.Cap() <= maxPooledXML {
		xmlWriters.Put(x)
	}
}

// xmlWriter is a result buffer with an encoder writing into it, reused
// across responses: an Encoder is stateless between complete elements.
type xmlWriter struct {
	buf bytes.Buffer
	enc *xml.Encoder
}

// maxPooledXML bounds the buffers kept for reuse; a larger response's buffer
// goes to the garbage collector.
const maxPooledXML = 64 << 10

var xmlWriters = sync.Pool{New: func() any {
	x := new(xmlWriter)
	x.enc = xml.NewEncoder(&x.buf)
	return x
}}

func (queryProtocol) WriteError(w http.ResponseWriter, c *api.Call, e *api.Error) {
	setErrorHeaders(w, e)
	typ := faultType(e)
	code := e.Code
	if c != nil {
		code = c.Service.QueryCode(code)
	}
	var b strings.Builder
	b.WriteString(`<ErrorResponse`)
	if c != nil && c.Service != nil && c.Service.XMLNamespace != "" {
		b.WriteString(` xmlns="` + c.Service.XMLNamespace + `"`)
	}
	b.WriteString(`><Error><Type>` + typ + `</Type><Code>`)
	_ = xml.EscapeText(&b, []byte(code))
	b.WriteString(`</Code><Message>`)
	_ = xml.EscapeText(&b, []byte(e.Message))
	b.WriteString(`</Message></Error><RequestId>` + requestID(c) + `</RequestId></ErrorResponse>`)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", requestID(c))
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(errorStatus(e))
	_, _ = w.Write([]byte(b.String()))
}

// faultType is the query protocol's error Type: who is at fault.
func faultType(e *api.Error) string {
	if e.Receiver {
		return "Receiver"
	}
	return "Sender"
}

// writeRaw writes a handler's raw output.
func writeRaw(w http.ResponseWriter, c *api.Call, raw *api.Raw, idHeader string) {
	h := w.Header()
	for k, vs := range raw.Header {
		h[k] = vs
	}
	h.Set(idHeader, requestID(c))
	st := raw.Status
	if st == 0 {
		st = http.StatusOK
	}
	if raw.Stream != nil {
		writeStream(w, raw, st)
		return
	}
	if h.Get("Content-Type") == "" && len(raw.Body) > 0 {
		h.Set("Content-Type", "application/octet-stream")
	}
	if !raw.NoBody || h.Get("Content-Length") == "" {
		h.Set("Content-Length", strconv.Itoa(len(raw.Body)))
	}
	w.WriteHeader(st)
	if !raw.NoBody {
		_, _ = w.Write(raw.Body)
	}
}

// writeStream copies a streamed body to the client. A body that fails or
// ends before its Length panics with http.ErrAbortHandler, which makes
// net/http cut the connection without logging: the client sees a truncated
// answer as an error, never as a whole one.
func writeStream(w http.ResponseWriter, raw *api.Raw, st int) {
	defer func() { _ = raw.Stream.Close() }()
	h := w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/octet-stream")
	}
	h.Set("Content-Length", strconv.FormatInt(raw.Length, 10))
	w.WriteHeader(st)
	n, err := io.Copy(w, io.LimitReader(raw.Stream, raw.Length))
	if err == nil && n < raw.Length {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		panic(http.ErrAbortHandler)
	}
}
