package protocol

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/rolecall/rolecall/internal/api"
)

const cborContentType = "application/x-amz-cbor-1.1"

// cborProtocol is the CBOR form of the JSON protocols that Kinesis clients
// send (application/x-amz-cbor-1.1): the same X-Amz-Target and members as
// awsJson1_1, encoded as CBOR (RFC 8949). Structures decode and encode
// through their json tags, names matched exactly; a repeated key is a
// SerializationException; blobs ([]byte) are byte strings, not base64
// text; maps decode with string keys, as JSON objects do. A time.Time is
// written as tag 1 around the seconds since the epoch (an integer, or a
// float with a fraction); a service whose clients read another form of
// timestamp (Kinesis: milliseconds, as the AWS SDKs for Java write them)
// gives its members a type with its own MarshalCBOR.
type cborProtocol struct{}

// cborDecoding and cborEncoding are the modes of the CBOR protocol.
var (
	cborDecoding = func() cbor.DecMode {
		dm, err := cbor.DecOptions{
			DefaultMapType: reflect.TypeOf(map[string]any(nil)),
			// Members are matched by their exact names, as AWS matches
			// them ("limit" is not Limit), and a map that repeats a key is
			// refused rather than read one way here and another by a
			// service's model check.
			FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
			DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		}.DecMode()
		if err != nil {
			panic(err)
		}
		return dm
	}()
	cborEncoding = func() cbor.EncMode {
		em, err := cbor.EncOptions{Time: cbor.TimeUnixDynamic, TimeTag: cbor.EncTagRequired}.EncMode()
		if err != nil {
			panic(err)
		}
		return em
	}()
)

// cborUnmarshal decodes a CBOR payload in the protocol's mode.
func cborUnmarshal(b []byte, v any) error { return cborDecoding.Unmarshal(b, v) }

func (cborProtocol) Name() string { return NameCBOR }

func (cborProtocol) Detect(r *http.Request) bool {
	return r.Header.Get("X-Amz-Target") != "" && strings.HasPrefix(r.Header.Get("Content-Type"), cborContentType)
}

func (cborProtocol) Decode(c *api.Call, v any) error {
	return decodePayload(c, v, cborUnmarshal, func(error) *api.Error {
		return api.Errorf(400, "SerializationException", "Could not parse the request body as CBOR.")
	})
}

func (p cborProtocol) WriteResult(w http.ResponseWriter, c *api.Call, v any) {
	writeCBORResult(w, c, v, p.write, p.WriteError)
}

func (p cborProtocol) WriteError(w http.ResponseWriter, c *api.Call, e *api.Error) {
	setErrorHeaders(w, e)
	p.write(w, c, errorStatus(e), cborError(e))
}

// writeCBORResult writes a result of a CBOR protocol (awsJson's CBOR
// variant, Smithy RPC v2) with the protocol's write, or its error.
func writeCBORResult(w http.ResponseWriter, c *api.Call, v any, write func(http.ResponseWriter, *api.Call, int, []byte), writeError func(http.ResponseWriter, *api.Call, *api.Error)) {
	if raw, ok := v.(*api.Raw); ok {
		writeRaw(w, c, raw, "x-amzn-RequestId")
		return
	}
	if v == nil {
		v = map[string]any{}
	}
	body, err := cborEncoding.Marshal(v)
	if err != nil {
		writeError(w, c, api.InternalFailure(err))
		return
	}
	write(w, c, status(c, http.StatusOK), body)
}

// cborError is an error's body in a CBOR protocol: __type, message and
// the error's own fields.
func cborError(e *api.Error) []byte {
	m := map[string]any{"__type": jsonErrorCode(e), "message": e.Message}
	for k, v := range e.Fields {
		m[k] = v
	}
	body, _ := cborEncoding.Marshal(m)
	return body
}

func (cborProtocol) write(w http.ResponseWriter, c *api.Call, st int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", cborContentType)
	h.Set("x-amzn-RequestId", requestID(c))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(st)
	_, _ = w.Write(body)
}
