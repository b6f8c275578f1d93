package protocol

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// NameRPCv2CBOR is Smithy's RPC v2 CBOR protocol (smithy.protocols#rpcv2Cbor).
const NameRPCv2CBOR = "smithyRpcv2Cbor"

// rpcv2CBOR is Smithy RPC v2 CBOR, which newer AWS SDKs speak to
// CloudWatch: POST /service/{ServiceName}/operation/{Operation} with the
// header Smithy-Protocol: rpc-v2-cbor and the input as a CBOR map
// (application/cbor), answered in kind. The service's shape name
// ("GraniteServiceVersion20100801") names the service as a target prefix
// does; a body may be gzip-compressed (Content-Encoding). Members and errors are encoded as in the CBOR form of the JSON
// protocols (cborProtocol): timestamps under tag 1, errors a map of
// "__type" and "message"; a query-compatible service adds the
// x-amzn-query-error header with its query code.
type rpcv2CBOR struct{}

const rpcv2ContentType = "application/cbor"

func (rpcv2CBOR) Name() string { return NameRPCv2CBOR }

func (rpcv2CBOR) Detect(r *http.Request) bool {
	return r.Method == http.MethodPost && r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor"
}

// Route reads the service and operation from the path; a path of another
// form names neither.
func (rpcv2CBOR) Route(r *http.Request, _ []byte) (string, string, url.Values) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/service/")
	if !ok {
		return "", "", r.URL.Query()
	}
	svc, op, ok := strings.Cut(rest, "/operation/")
	if !ok || svc == "" || op == "" || strings.Contains(op, "/") {
		return "", "", r.URL.Query()
	}
	return svc, op, r.URL.Query()
}

func (rpcv2CBOR) Decode(c *api.Call, v any) error {
	return decodePayload(c, v, gunzipped(c, cborUnmarshal), func(err error) *api.Error {
		var ae *api.Error
		if errors.As(err, &ae) {
			return ae
		}
		return api.Errorf(400, "SerializationException", "Could not parse the request body as CBOR.")
	})
}

func (rpcv2CBOR) Parameters(c *api.Call) map[string]any {
	m := map[string]any{}
	bodyParameters(c, m, gunzipped(c, cborUnmarshal))
	return nonEmpty(m)
}

// gunzipped returns unmarshal reading a body the client compressed
// (Content-Encoding: gzip, as the SDKs send PutMetricData), inflated to no
// more than the service's MaxBody.
func gunzipped(c *api.Call, unmarshal func([]byte, any) error) func([]byte, any) error {
	if c.HTTP == nil || !strings.EqualFold(strings.TrimSpace(c.HTTP.Header.Get("Content-Encoding")), "gzip") {
		return unmarshal
	}
	limit := int64(api.DefaultMaxBody)
	if c.Service != nil && c.Service.MaxBody > 0 {
		limit = c.Service.MaxBody
	}
	return func(b []byte, v any) error {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return err
		}
		inflated, err := io.ReadAll(io.LimitReader(zr, limit+1))
		if err != nil {
			return err
		}
		if int64(len(inflated)) > limit {
			return api.Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body is larger than %d bytes once decompressed.", limit)
		}
		return unmarshal(inflated, v)
	}
}

func (p rpcv2CBOR) WriteResult(w http.ResponseWriter, c *api.Call, v any) {
	writeCBORResult(w, c, v, p.write, p.WriteError)
}

func (p rpcv2CBOR) WriteError(w http.ResponseWriter, c *api.Call, e *api.Error) {
	setErrorHeaders(w, e)
	if c != nil && c.Service != nil && c.Service.QueryCompatible {
		w.Header().Set("x-amzn-query-error", c.Service.QueryCode(e.Code)+";"+faultType(e))
	}
	p.write(w, c, errorStatus(e), cborError(e))
}

func (rpcv2CBOR) write(w http.ResponseWriter, c *api.Call, st int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", rpcv2ContentType)
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	h.Set("x-amzn-RequestId", requestID(c))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(st)
	_, _ = w.Write(body)
}
