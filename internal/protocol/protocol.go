// Package protocol writes AWS wire-protocol responses and errors: awsQuery XML,
// awsJson 1.0/1.1, restJson1 and restXml.
package protocol

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// WriteResult writes a successful handler output v for operation op of svc.
func WriteResult(w http.ResponseWriter, svc *api.Service, op *api.Operation, requestID string, v any) {
	if raw, ok := v.(*api.Raw); ok {
		writeRaw(w, requestID, raw)
		return
	}
	switch svc.Protocol {
	case api.Query:
		writeQueryResult(w, svc.XMLNamespace, op.Name, requestID, v)
	case api.JSON10, api.JSON11:
		ct := "application/x-amz-json-1.1"
		if svc.Protocol == api.JSON10 {
			ct = "application/x-amz-json-1.0"
		}
		writeJSON(w, ct, status(op, 200), requestID, v)
	case api.RESTJSON:
		writeJSON(w, "application/json", status(op, 200), requestID, v)
	case api.RESTXML:
		writeRESTXML(w, status(op, 200), requestID, v)
	}
}

func status(op *api.Operation, def int) int {
	if op != nil && op.SuccessStatus != 0 {
		return op.SuccessStatus
	}
	return def
}

func writeRaw(w http.ResponseWriter, requestID string, raw *api.Raw) {
	h := w.Header()
	for k, vs := range raw.Header {
		h[k] = vs
	}
	h.Set("x-amzn-RequestId", requestID)
	if h.Get("Content-Type") == "" && len(raw.Body) > 0 {
		h.Set("Content-Type", "application/octet-stream")
	}
	h.Set("Content-Length", strconv.Itoa(len(raw.Body)))
	st := raw.Status
	if st == 0 {
		st = 200
	}
	w.WriteHeader(st)
	w.Write(raw.Body)
}

func writeQueryResult(w http.ResponseWriter, ns, op, requestID string, v any) {
	var buf bytes.Buffer
	buf.WriteString(`<` + op + `Response xmlns="` + ns + `">`)
	if v != nil {
		enc := xml.NewEncoder(&buf)
		if err := enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: op + "Result"}}); err != nil {
			WriteError(w, &api.Service{Protocol: api.Query, XMLNamespace: ns}, requestID, api.InternalFailure(err))
			return
		}
	}
	buf.WriteString(`<ResponseMetadata><RequestId>` + requestID + `</RequestId></ResponseMetadata></` + op + `Response>`)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(200)
	w.Write(buf.Bytes())
}

func writeJSON(w http.ResponseWriter, contentType string, st int, requestID string, v any) {
	var body []byte
	if v == nil {
		body = []byte("{}")
	} else {
		var err error
		if body, err = json.Marshal(v); err != nil {
			body = []byte(`{"__type":"InternalFailure","message":"We encountered an internal error. Please try again."}`)
			st = 500
		}
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("x-amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if st == http.StatusNoContent {
		w.WriteHeader(st)
		return
	}
	w.WriteHeader(st)
	w.Write(body)
}

func writeRESTXML(w http.ResponseWriter, st int, requestID string, v any) {
	var buf bytes.Buffer
	if v != nil {
		buf.WriteString(xml.Header)
		if err := xml.NewEncoder(&buf).Encode(v); err != nil {
			buf.Reset()
			st = 500
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("x-amz-request-id", requestID)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(st)
	w.Write(buf.Bytes())
}

// jsonCode maps a query-style code to the JSON protocols' spelling where AWS
// spells them differently.
var jsonCode = map[string]string{
	"AccessDenied":               "AccessDeniedException",
	"SignatureDoesNotMatch":      "InvalidSignatureException",
	"InvalidClientTokenId":       "UnrecognizedClientException",
	"ExpiredToken":               "ExpiredTokenException",
	"MissingAuthenticationToken": "MissingAuthenticationTokenException",
	"IncompleteSignature":        "IncompleteSignatureException",
	"InvalidAction":              "UnknownOperationException",
}

// ErrorCode returns the code e is rendered with in svc's protocol.
func ErrorCode(svc *api.Service, e *api.Error) string {
	if svc != nil && svc.Protocol != api.Query && svc.Protocol != api.RESTXML {
		if c, ok := jsonCode[e.Code]; ok {
			return c
		}
	}
	return e.Code
}

// WriteError renders e in svc's protocol. A nil svc renders a query-style error.
func WriteError(w http.ResponseWriter, svc *api.Service, requestID string, e *api.Error) {
	if svc == nil {
		svc = &api.Service{Protocol: api.Query}
	}
	h := w.Header()
	for k, v := range e.Header {
		h.Set(k, v)
	}
	st := e.Status
	if st == 0 {
		st = 400
	}
	code := ErrorCode(svc, e)
	var body []byte
	switch svc.Protocol {
	case api.Query:
		typ := "Sender"
		if e.Receiver {
			typ = "Receiver"
		}
		var b strings.Builder
		b.WriteString(`<ErrorResponse`)
		if svc.XMLNamespace != "" {
			b.WriteString(` xmlns="` + svc.XMLNamespace + `"`)
		}
		b.WriteString(`><Error><Type>` + typ + `</Type><Code>`)
		xml.EscapeText(&b, []byte(code))
		b.WriteString(`</Code><Message>`)
		xml.EscapeText(&b, []byte(e.Message))
		b.WriteString(`</Message></Error><RequestId>` + requestID + `</RequestId></ErrorResponse>`)
		body = []byte(b.String())
		h.Set("Content-Type", "text/xml")
		h.Set("x-amzn-RequestId", requestID)
	case api.JSON10, api.JSON11:
		m := map[string]any{"__type": code, "message": e.Message}
		for k, v := range e.Fields {
			m[k] = v
		}
		body, _ = json.Marshal(m)
		if svc.Protocol == api.JSON10 {
			h.Set("Content-Type", "application/x-amz-json-1.0")
		} else {
			h.Set("Content-Type", "application/x-amz-json-1.1")
		}
		h.Set("x-amzn-RequestId", requestID)
	case api.RESTJSON:
		m := map[string]any{"Type": "User", "message": e.Message}
		if e.Receiver {
			m["Type"] = "Service"
		}
		for k, v := range e.Fields {
			m[k] = v
		}
		body, _ = json.Marshal(m)
		h.Set("Content-Type", "application/json")
		h.Set("x-amzn-ErrorType", code)
		h.Set("x-amzn-RequestId", requestID)
	case api.RESTXML:
		var b strings.Builder
		b.WriteString(xml.Header + `<Error><Code>`)
		xml.EscapeText(&b, []byte(code))
		b.WriteString(`</Code><Message>`)
		xml.EscapeText(&b, []byte(e.Message))
		b.WriteString(`</Message>`)
		for k, v := range e.Fields {
			if s, ok := v.(string); ok {
				b.WriteString("<" + k + ">")
				xml.EscapeText(&b, []byte(s))
				b.WriteString("</" + k + ">")
			}
		}
		b.WriteString(`<RequestId>` + requestID + `</RequestId></Error>`)
		body = []byte(b.String())
		h.Set("Content-Type", "application/xml")
		h.Set("x-amz-request-id", requestID)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(st)
	w.Write(body)
}
