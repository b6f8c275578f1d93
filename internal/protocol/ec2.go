package protocol

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// NameEC2 is the Smithy name of EC2's own variant of the query protocol.
const NameEC2 = "ec2Query"

// ec2Protocol is ec2Query: requests are awsQuery forms (Action, Version
// 2016-11-15), told apart from IAM's and STS's by their Version and
// credential scope, so it detects nothing itself: the router answers a
// query request in it when the service speaks it. Responses are
// <ActionResponse xmlns="..."><requestId>ID</requestId>members...</ActionResponse>
// with the members directly inside (no Result element); errors are
// <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>.
type ec2Protocol struct{ queryProtocol }

func (ec2Protocol) Name() string { return NameEC2 }

func (ec2Protocol) Detect(*http.Request) bool { return false }

// Decode is not offered: EC2's list parameters (Name.N, Filter.N.Value.M)
// are read from Call.Params by the service.
func (ec2Protocol) Decode(*api.Call, any) error {
	return errors.New("protocol: ec2Query inputs are read from Call.Params")
}

// ec2Codes are the codes EC2 gives the gateway's common errors.
var ec2Codes = map[string]struct{ code, prefix string }{
	"AccessDenied":          {"UnauthorizedOperation", "You are not authorized to perform this operation. "},
	"InvalidClientTokenId":  {"AuthFailure", ""},
	"SignatureDoesNotMatch": {"AuthFailure", ""},
}

func (ec2Protocol) WriteResult(w http.ResponseWriter, c *api.Call, v any) {
	if raw, ok := v.(*api.Raw); ok {
		writeRaw(w, c, raw, "x-amzn-RequestId")
		return
	}
	ns := ""
	if c.Service != nil {
		ns = c.Service.XMLNamespace
	}
	var body bytes.Buffer
	if v != nil {
		// The members are encoded in a throwaway element "x", whose tags
		// are then cut away.
		if err := xml.NewEncoder(&body).EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "x"}}); err != nil {
			ec2Protocol{}.WriteError(w, c, api.InternalFailure(err))
			return
		}
	}
	inner := bytes.TrimSuffix(bytes.TrimPrefix(body.Bytes(), []byte("<x>")), []byte("</x>"))
	if bytes.Equal(inner, []byte("<x/>")) {
		inner = nil
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<")
	b.WriteString(c.OperationName)
	b.WriteString(`Response xmlns="`)
	b.WriteString(ns)
	b.WriteString(`"><requestId>`)
	b.WriteString(c.RequestID)
	b.WriteString(`</requestId>`)
	b.Write(inner)
	b.WriteString(`</`)
	b.WriteString(c.OperationName)
	b.WriteString(`Response>`)
	h := w.Header()
	h.Set("Content-Type", "text/xml;charset=UTF-8")
	h.Set("x-amzn-RequestId", c.RequestID)
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

func (ec2Protocol) WriteError(w http.ResponseWriter, c *api.Call, e *api.Error) {
	setErrorHeaders(w, e)
	code, msg := e.Code, e.Message
	if m, ok := ec2Codes[code]; ok {
		code = m.code
		if m.prefix != "" && !strings.HasPrefix(msg, m.prefix) {
			msg = m.prefix + msg
		}
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Response><Errors><Error><Code>")
	_ = xml.EscapeText(&b, []byte(code))
	b.WriteString(`</Code><Message>`)
	_ = xml.EscapeText(&b, []byte(msg))
	b.WriteString(`</Message></Error></Errors><RequestID>` + requestID(c) + `</RequestID></Response>`)
	h := w.Header()
	h.Set("Content-Type", "text/xml;charset=UTF-8")
	h.Set("x-amzn-RequestId", requestID(c))
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(errorStatus(e))
	_, _ = w.Write([]byte(b.String()))
}
