package shape

import (
	"encoding/json"
	"testing"
)

// TestPrune checks that keys naming no member exactly are removed at every
// level of structures, and that map keys stay.
func TestPrune(t *testing.T) {
	m := &Model{
		Protocol:   JSON,
		Operations: map[string]string{"Op": "In"},
		Shapes: map[string]*Shape{
			"In":    {Type: "structure", Members: []Member{{Name: "Limit", Shape: "Int"}, {Name: "Items", Shape: "List"}, {Name: "Tags", Shape: "Map"}}},
			"Int":   {Type: "integer"},
			"List":  {Type: "list", Member: &Ref{Shape: "Entry"}},
			"Entry": {Type: "structure", Members: []Member{{Name: "Id", Shape: "Str"}}},
			"Map":   {Type: "map", Key: &Ref{Shape: "Str"}, Value: &Ref{Shape: "Str"}},
			"Str":   {Type: "string"},
		},
	}
	doc, err := decodeJSON([]byte(`{"Limit":5,"limit":-1,"Items":[{"Id":"a","id":"b"}],"Tags":{"limit":"kept"},"x":1e400}`))
	if err != nil {
		t.Fatal(err)
	}
	if !New(m).Prune("Op", doc) {
		t.Fatal("nothing pruned")
	}
	got, _ := json.Marshal(doc)
	if want := `{"Items":[{"Id":"a"}],"Limit":5,"Tags":{"limit":"kept"}}`; string(got) != want {
		t.Errorf("pruned body %s, want %s", got, want)
	}
	if v := floats(map[string]any{"n": json.Number("1e400")}).(map[string]any)["n"].(float64); v < 1e308 {
		t.Errorf("1e400 read as %v, want +Inf", v)
	}
}

// TestMisspelt checks that a key naming a body member only under case
// folding is found at every level, and that exact names, map keys,
// unknown keys and members bound to the URI are not.
func TestMisspelt(t *testing.T) {
	m := &Model{
		Protocol:   RESTJSON,
		Operations: map[string]string{"Op": "In"},
		Shapes: map[string]*Shape{
			"In": {Type: "structure", Members: []Member{{Name: "BatchSize", Shape: "Int"}, {Name: "Scaling", Shape: "Entry"},
				{Name: "Items", Shape: "List"}, {Name: "Tags", Shape: "Map"}, {Name: "FunctionName", Shape: "Str", Location: "uri"}}},
			"Int":   {Type: "integer"},
			"List":  {Type: "list", Member: &Ref{Shape: "Entry"}},
			"Entry": {Type: "structure", Members: []Member{{Name: "MaximumConcurrency", Shape: "Int"}}},
			"Map":   {Type: "map", Key: &Ref{Shape: "Str"}, Value: &Ref{Shape: "Str"}},
			"Str":   {Type: "string"},
		},
	}
	v := New(m)
	for _, tc := range []struct{ body, want string }{
		{`{"BatchSize":1,"Scaling":{"MaximumConcurrency":2}}`, ""},
		{`{"batchSize":1}`, "batchSize"},
		{`{"BatchSize":1,"BATCHSIZE":2}`, "BATCHSIZE"},
		{`{"Scaling":{"maximumconcurrency":2}}`, "Scaling.maximumconcurrency"},
		{`{"Items":[{"MaximumConcurrency":1},{"maximumConcurrency":1}]}`, "Items[].maximumConcurrency"},
		{`{"Tags":{"batchsize":"map keys are data"}}`, ""},
		{`{"Unknown":1,"functionName":"bound to the URI"}`, ""},
	} {
		doc, err := decodeJSON([]byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Misspelt("Op", doc); got != tc.want {
			t.Errorf("Misspelt(%s) = %q, want %q", tc.body, got, tc.want)
		}
	}
}
