package kinesis

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/shape"
)

// validator checks a call's input against Kinesis's model, whether it came
// as JSON or as CBOR, and sees to it that the handler decodes exactly the
// members it checked. Members are matched by their exact names, as AWS
// matches them: a key that is no member of the input ("limit" beside
// "Limit") is dropped from a JSON body before the handler reads it (Go's
// JSON decoder would take it for the member, unchecked); the CBOR protocol
// decodes names case-sensitively already. A body that does not decode as
// an object of string keys, or that repeats a key in CBOR, is refused with
// SerializationException: a check that could not read the body never lets
// it through.
func validator() func(c *api.Call) *api.Error {
	v, err := shape.For("kinesis")
	if err != nil {
		panic(err)
	}
	return func(c *api.Call) *api.Error {
		if c.Operation == nil || c.Input != nil {
			return nil
		}
		body, err := c.Payload()
		if err != nil {
			return nil // the handler's decode answers the read error
		}
		cb := isCBOR(c)
		var doc map[string]any
		if len(bytes.TrimSpace(body)) > 0 {
			if doc, err = decodeDocument(body, cb); err != nil {
				return serializationError(cb)
			}
		}
		op := c.Operation.Name
		if v.Prune(op, doc) && !cb {
			b, err := json.Marshal(doc)
			if err != nil {
				return serializationError(cb)
			}
			c.SetPayload(b)
		}
		numbers(doc)
		if vs := v.Check(op, shape.Input{Body: doc}); len(vs) > 0 {
			return &api.Error{Code: "ValidationException", Status: http.StatusBadRequest, Message: shape.Message(vs)}
		}
		return nil
	}
}

// decodeDocument decodes a JSON or CBOR body into a map of its members,
// numbers as written (json.Number; CBOR integers, floats and bignums).
func decodeDocument(body []byte, cb bool) (map[string]any, error) {
	var doc map[string]any
	if cb {
		return doc, cborDecoder.Unmarshal(body, &doc)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}

func serializationError(cb bool) *api.Error {
	if cb {
		return kinesisError("SerializationException", "Could not parse the request body as CBOR.")
	}
	return kinesisError("SerializationException", "Could not parse the request body as JSON.")
}

// cborDecoder decodes CBOR maps into map[string]any, as JSON does, and
// refuses a map that repeats a key (the protocol's struct decoding would
// keep the first, a map the last).
var cborDecoder = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DefaultMapType: reflect.TypeOf(map[string]any(nil)),
		DupMapKey:      cbor.DupMapKeyEnforcedAPF,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// numbers returns v with its numbers as the model check reads them
// (float64: a number too large for one is infinite, out of every range),
// tagged CBOR values as their content and CBOR timestamps as seconds. Maps
// and lists are changed in place.
func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case json.Number:
		f, _ := strconv.ParseFloat(string(x), 64) // ±Inf when out of range
		return f
	case uint64:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	case big.Int:
		f, _ := new(big.Float).SetInt(&x).Float64()
		return f
	case float64:
		if math.IsNaN(x) {
			return math.Inf(1) // a NaN satisfies no bound
		}
	case cbor.Tag:
		return numbers(x.Content)
	case time.Time:
		return float64(x.UnixMilli()) / 1000
	}
	return v
}
