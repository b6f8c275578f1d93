package protocol

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// jsonProtocol is awsJson1_0 (DynamoDB, SQS) or awsJson1_1 (Logs,
// CloudTrail, Kinesis, KMS): POST / with X-Amz-Target naming the operation
// and a JSON body.
type jsonProtocol struct {
	name        string
	contentType string
}

func (p jsonProtocol) Name() string { return p.name }

func (p jsonProtocol) Detect(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") == "" {
		return false
	}
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, p.contentType) {
		return true
	}
	// Clients that send no JSON content type speak the service's default
	// JSON version; 1.1 is the common one.
	return p.name == NameJSON11 && !strings.HasPrefix(ct, "application/x-amz-json-1.0") &&
		!strings.HasPrefix(ct, cborContentType)
}

func (p jsonProtocol) Decode(c *api.Call, v any) error { return decodeJSONBody(c, v) }

// decodeJSONBody decodes a JSON payload into v; an empty body is {}.
func decodeJSONBody(c *api.Call, v any) error {
	return decodePayload(c, v, json.Unmarshal, serializationError)
}

// decodePayload decodes the call's whole payload into v with unmarshal; an
// empty payload leaves v as it is. A payload that does not decode is the
// protocol's error, from invalid.
func decodePayload(c *api.Call, v any, unmarshal func([]byte, any) error, invalid func(error) *api.Error) error {
	body, err := c.Payload()
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := unmarshal(body, v); err != nil {
		return invalid(err)
	}
	return nil
}

// serializationError is the JSON protocols' answer to a body that does not
// decode into the operation's input.
func serializationError(err error) *api.Error {
	if te, ok := err.(*json.UnmarshalTypeError); ok && te.Field != "" {
		return api.Errorf(400, "SerializationException", "Unexpected value type in payload: field %s", te.Field)
	}
	return api.Errorf(400, "SerializationException", "Could not parse the request body as JSON.")
}

func (p jsonProtocol) WriteResult(w http.ResponseWriter, c *api.Call, v any) {
	if raw, ok := v.(*api.Raw); ok {
		writeRaw(w, c, raw, "x-amzn-RequestId")
		return
	}
	writeJSON(w, p.contentType, status(c, http.StatusOK), requestID(c), v)
}

func (p jsonProtocol) WriteError(w http.ResponseWriter, c *api.Call, e *api.Error) {
	setErrorHeaders(w, e)
	m := map[string]any{"__type": jsonErrorCode(e), "message": e.Message}
	for k, v := range e.Fields {
		m[k] = v
	}
	body, _ := json.Marshal(m)
	h := w.Header()
	h.Set("Content-Type", p.contentType)
	h.Set("x-amzn-RequestId", requestID(c))
	if c != nil && c.Service != nil && c.Service.QueryCompatible {
		h.Set("x-amzn-query-error", c.Service.QueryCode(e.Code)+";"+faultType(e))
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(errorStatus(e))
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, contentType string, st int, requestID string, v any) {
	var body []byte
	if v == nil {
		body = []byte("{}")
	} else {
		var err error
		if body, err = json.Marshal(v); err != nil {
			body = []byte(`{"__type":"InternalFailure","message":"We encountered an internal error. Please try again."}`)
			st = http.StatusInternalServerError
		}
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("x-amzn-RequestId", requestID)
	if st == http.StatusNoContent {
		w.WriteHeader(st)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(st)
	_, _ = w.Write(body)
}
