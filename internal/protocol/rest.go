package protocol

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// restJSON is restJson1 (Lambda, X-Ray): the method and path name the
// operation, members bind to the path, query and headers, the rest is a
// JSON body.
type restJSON struct{}

func (restJSON) Name() string { return NameRESTJSON }

// Detect reports false: REST protocols are chosen by the service.
func (restJSON) Detect(*http.Request) bool { return false }

func (restJSON) Decode(c *api.Call, v any) error { return decodeJSONBody(c, v) }

func (restJSON) WriteResult(w http.ResponseWriter, c *api.Call, v any) {
	if raw, ok := v.(*api.Raw); ok {
		writeRaw(w, c, raw, "x-amzn-RequestId")
		return
	}
	writeJSON(w, "application/json", status(c, http.StatusOK), requestID(c), v)
}

func (restJSON) WriteError(w http.ResponseWriter, c *api.Call, e *api.Error) {
	setErrorHeaders(w, e)
	m := map[string]any{"Type": "User", "message": e.Message}
	if e.Receiver {
		m["Type"] = "Service"
	}
	for k, v := range e.Fields {
		m[k] = v
	}
	body, _ := json.Marshal(m)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-ErrorType", jsonErrorCode(e))
	h.Set("x-amzn-RequestId", requestID(c))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(errorStatus(e))
	_, _ = w.Write(body)
}

// restXML is restXml (S3): REST routing, XML bodies.
type restXML struct{}

func (restXML) Name() string { return NameRESTXML }

// Detect reports false: REST protocols are chosen by the service.
func (restXML) Detect(*http.Request) bool { return false }

func (restXML) Decode(c *api.Call, v any) error {
	return decodePayload(c, v, xml.Unmarshal, func(error) *api.Error {
		return api.Errorf(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	})
}

func (restXML) WriteResult(w http.ResponseWriter, c *api.Call, v any) {
	w.Header().Set("x-amz-id-2", hostID(c))
	if raw, ok := v.(*api.Raw); ok {
		writeRaw(w, c, raw, "x-amz-request-id")
		return
	}
	st := status(c, http.StatusOK)
	var buf bytes.Buffer
	if v != nil {
		buf.WriteString(xml.Header)
		if err := xml.NewEncoder(&buf).Encode(v); err != nil {
			restXML{}.WriteError(w, c, api.InternalFailure(err))
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("x-amz-request-id", requestID(c))
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(st)
	_, _ = w.Write(buf.Bytes())
}

func (restXML) WriteError(w http.ResponseWriter, c *api.Call, e *api.Error) {
	setErrorHeaders(w, e)
	var b strings.Builder
	b.WriteString(xml.Header + `<Error><Code>`)
	_ = xml.EscapeText(&b, []byte(e.Code))
	b.WriteString(`</Code><Message>`)
	_ = xml.EscapeText(&b, []byte(e.Message))
	b.WriteString(`</Message>`)
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if s, ok := e.Fields[k].(string); ok {
			// S3 keeps the newlines of StringToSign and CanonicalRequest.
			var esc strings.Builder
			_ = xml.EscapeText(&esc, []byte(s))
			b.WriteString("<" + k + ">" + strings.ReplaceAll(esc.String(), "&#xA;", "\n") + "</" + k + ">")
		}
	}
	b.WriteString(`<RequestId>` + requestID(c) + `</RequestId><HostId>` + hostID(c) + `</HostId></Error>`)
	h := w.Header()
	h.Set("x-amz-id-2", hostID(c))
	h.Set("Content-Type", "application/xml")
	h.Set("x-amz-request-id", requestID(c))
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(errorStatus(e))
	if c == nil || c.HTTP == nil || c.HTTP.Method != http.MethodHead {
		_, _ = w.Write([]byte(b.String()))
	}
}

// hostID is S3's x-amz-id-2 (HostId in error documents): the request's
// extended ID, 76 base64 characters, derived from the request ID.
func hostID(c *api.Call) string {
	sum := sha512.Sum512([]byte("x-amz-id-2:" + requestID(c)))
	return base64.StdEncoding.EncodeToString(sum[:57])
}
