package protocol

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/rolecall/rolecall/internal/api"
)

// TestCBORDecode: members decode through json tags, blobs from byte
// strings, nested maps with string keys.
func TestCBORDecode(t *testing.T) {
	body, err := cbor.Marshal(map[string]any{
		"StreamName": "s",
		"Data":       []byte{0, 1, 0xff},
		"Records":    []any{map[string]any{"Data": []byte("x"), "PartitionKey": "k"}},
		"Tags":       map[string]any{"team": "blue"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var in struct {
		StreamName string            `json:"StreamName"`
		Data       []byte            `json:"Data"`
		Tags       map[string]string `json:"Tags"`
		Records    []struct {
			Data         []byte `json:"Data"`
			PartitionKey string `json:"PartitionKey"`
		} `json:"Records"`
	}
	c := &api.Call{Body: bytes.NewReader(body)}
	if err := (cborProtocol{}).Decode(c, &in); err != nil {
		t.Fatal(err)
	}
	if in.StreamName != "s" || !bytes.Equal(in.Data, []byte{0, 1, 0xff}) || in.Tags["team"] != "blue" ||
		len(in.Records) != 1 || string(in.Records[0].Data) != "x" || in.Records[0].PartitionKey != "k" {
		t.Fatalf("decoded %+v", in)
	}
	// Untyped members decode as JSON's do: maps with string keys.
	var doc map[string]any
	if err := cborUnmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["Records"].([]any)[0].(map[string]any); !ok {
		t.Fatalf("nested map decoded as %T", doc["Records"].([]any)[0])
	}
	bad := &api.Call{Body: bytes.NewReader([]byte{0xff, 0x00})}
	var e *api.Error
	if err := (cborProtocol{}).Decode(bad, &in); !asError(err, &e) || e.Code != "SerializationException" {
		t.Fatalf("malformed CBOR: %v", err)
	}
}

func asError(err error, e **api.Error) bool {
	ae, ok := err.(*api.Error)
	*e = ae
	return ok
}

// TestCBORWrite: results are CBOR with blobs as byte strings and times as
// tag 1; errors carry __type and message.
func TestCBORWrite(t *testing.T) {
	at := time.Unix(1700000000, 500_000_000).UTC()
	out := struct {
		Data []byte    `json:"Data"`
		When time.Time `json:"When"`
		Name string    `json:"Name,omitempty"`
	}{Data: []byte{1, 2}, When: at}
	w := httptest.NewRecorder()
	c := &api.Call{RequestID: "r-1", HTTP: httptest.NewRequest(http.MethodPost, "/", nil)}
	(cborProtocol{}).WriteResult(w, c, out)
	if w.Code != 200 || w.Header().Get("Content-Type") != cborContentType || w.Header().Get("x-amzn-RequestId") != "r-1" {
		t.Fatalf("answer %d %v", w.Code, w.Header())
	}
	var raw map[string]cbor.RawMessage
	if err := cbor.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["Name"]; ok {
		t.Fatal("omitempty member written")
	}
	if raw["Data"][0]>>5 != 2 {
		t.Fatalf("Data is CBOR major type %d, want a byte string", raw["Data"][0]>>5)
	}
	var tag cbor.RawTag
	if err := cbor.Unmarshal(raw["When"], &tag); err != nil || tag.Number != 1 {
		t.Fatalf("When = %x (%v), want tag 1", []byte(raw["When"]), err)
	}
	var secs float64
	if err := cbor.Unmarshal(tag.Content, &secs); err != nil || secs != 1700000000.5 {
		t.Fatalf("When's content %v (%v)", secs, err)
	}

	w = httptest.NewRecorder()
	(cborProtocol{}).WriteError(w, c, api.Errorf(400, "ResourceNotFoundException", "Stream s under account 1 not found."))
	var e map[string]string
	if err := cbor.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != 400 ||
		!reflect.DeepEqual(e, map[string]string{"__type": "ResourceNotFoundException", "message": "Stream s under account 1 not found."}) {
		t.Fatalf("error %d %v %v", w.Code, e, err)
	}
}
