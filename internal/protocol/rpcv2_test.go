package protocol

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/rolecall/rolecall/internal/api"
)

// TestRPCv2Route: the path names the service and operation; other paths
// name neither.
func TestRPCv2Route(t *testing.T) {
	for _, c := range []struct{ path, svc, op string }{
		{"/service/GraniteServiceVersion20100801/operation/GetMetricData", "GraniteServiceVersion20100801", "GetMetricData"},
		{"/service/X/operation/", "", ""},
		{"/service/X/operation/A/B", "", ""},
		{"/", "", ""},
	} {
		r := httptest.NewRequest(http.MethodPost, c.path, nil)
		r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		if !(rpcv2CBOR{}).Detect(r) {
			t.Fatalf("%s not detected", c.path)
		}
		svc, op, _ := rpcv2CBOR{}.Route(r, nil)
		if svc != c.svc || op != c.op {
			t.Errorf("Route(%s) = %q %q, want %q %q", c.path, svc, op, c.svc, c.op)
		}
	}
	if (rpcv2CBOR{}).Detect(httptest.NewRequest(http.MethodPost, "/service/X/operation/Y", nil)) {
		t.Error("detected without Smithy-Protocol")
	}
}

// TestRPCv2Gzip: a gzip-compressed body is inflated, within the service's
// MaxBody.
func TestRPCv2Gzip(t *testing.T) {
	body, err := cbor.Marshal(map[string]any{"Namespace": "App"})
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	if _, err := zw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	call := func(limit int64) *api.Call {
		r := httptest.NewRequest(http.MethodPost, "/service/S/operation/Op", nil)
		r.Header.Set("Content-Encoding", "gzip")
		return &api.Call{HTTP: r, Body: bytes.NewReader(z.Bytes()), Service: &api.Service{MaxBody: limit}}
	}
	var in struct {
		Namespace string `json:"Namespace"`
	}
	if err := (rpcv2CBOR{}).Decode(call(1<<20), &in); err != nil || in.Namespace != "App" {
		t.Fatalf("decoded %+v, %v", in, err)
	}
	var e *api.Error
	if err := (rpcv2CBOR{}).Decode(call(int64(len(body)-1)), &in); !asError(err, &e) || e.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("body over MaxBody once inflated: %v", err)
	}
}

// TestRPCv2Errors: an error is a CBOR map of __type and message, with the
// query code in x-amzn-query-error for a query-compatible service.
func TestRPCv2Errors(t *testing.T) {
	w := httptest.NewRecorder()
	c := &api.Call{RequestID: "r1", Service: &api.Service{QueryCompatible: true, QueryCodes: map[string]string{"InvalidParameterValueException": "InvalidParameterValue"}}}
	rpcv2CBOR{}.WriteError(w, c, api.Errorf(400, "InvalidParameterValueException", "bad"))
	var m map[string]any
	if err := cborUnmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if w.Code != 400 || m["__type"] != "InvalidParameterValueException" || m["message"] != "bad" ||
		w.Header().Get("x-amzn-query-error") != "InvalidParameterValue;Sender" || w.Header().Get("Smithy-Protocol") != "rpc-v2-cbor" {
		t.Errorf("error %d %v %v", w.Code, m, w.Header())
	}
}
