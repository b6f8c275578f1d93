package protocol

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/rolecall/rolecall/internal/api"
)

const cborContentType = "application/x-amz-cbor-1.1"

// cborProtocol is the CBOR form of the JSON protocols that Kinesis clients
// send (application/x-amz-cbor-1.1): the same X-Amz-Target and members as
// awsJson1_1, encoded as CBOR. Structures decode through their json tags.
type cborProtocol struct{}

func (cborProtocol) Name() string { return NameCBOR }

func (cborProtocol) Detect(r *http.Request) bool {
	return r.Header.Get("X-Amz-Target") != "" && strings.HasPrefix(r.Header.Get("Content-Type"), cborContentType)
}

func (cborProtocol) Decode(c *api.Call, v any) error {
	return decodePayload(c, v, cbor.Unmarshal, func(error) *api.Error {
		return api.Errorf(400, "SerializationException", "Could not parse the request body as CBOR.")
	})
}

func (p cborProtocol) WriteResult(w http.ResponseWriter, c *api.Call, v any) {
	if raw, ok := v.(*api.Raw); ok {
		writeRaw(w, c, raw, "x-amzn-RequestId")
		return
	}
	if v == nil {
		v = map[string]any{}
	}
	body, err := cbor.Marshal(v)
	if err != nil {
		p.WriteError(w, c, api.InternalFailure(err))
		return
	}
	p.write(w, c, status(c, http.StatusOK), body)
}

func (p cborProtocol) WriteError(w http.ResponseWriter, c *api.Call, e *api.Error) {
	setErrorHeaders(w, e)
	m := map[string]any{"__type": jsonErrorCode(e), "message": e.Message}
	for k, v := range e.Fields {
		m[k] = v
	}
	body, _ := cbor.Marshal(m)
	p.write(w, c, errorStatus(e), body)
}

func (cborProtocol) write(w http.ResponseWriter, c *api.Call, st int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", cborContentType)
	h.Set("x-amzn-RequestId", requestID(c))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(st)
	_, _ = w.Write(body)
}
