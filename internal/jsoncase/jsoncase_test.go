package jsoncase_test

import (
	"encoding/json"
	"testing"

	"github.com/rolecall/rolecall/internal/jsoncase"
)

type inner struct {
	MaximumConcurrency *int
}

type input struct {
	BatchSize *int              `json:"BatchSize"`
	Scaling   *inner            `json:"ScalingConfig"`
	Filters   []inner           `json:"Filters"`
	Tags      map[string]string `json:"Tags"`
	Raw       json.RawMessage   `json:"Raw"`
	hidden    int
}

func TestMisspelt(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"BatchSize":1,"ScalingConfig":{"MaximumConcurrency":2}}`, ""},
		{`{"batchSize":1}`, "batchSize"},
		{`{"BatchSize":1,"BATCHSIZE":2}`, "BATCHSIZE"},
		{`{"ScalingConfig":{"maximumconcurrency":2}}`, "ScalingConfig.maximumconcurrency"},
		{`{"Filters":[{"MaximumConcurrency":1},{"maximumConcurrency":1}]}`, "Filters[].maximumConcurrency"},
		{`{"Tags":{"batchsize":"map keys are data"}}`, ""},
		{`{"Raw":{"anything":1},"Unknown":1,"hidden":2}`, ""},
		{`not json`, ""},
	}
	for _, tc := range cases {
		if got := jsoncase.Misspelt([]byte(tc.body), &input{}); got != tc.want {
			t.Errorf("Misspelt(%s) = %q, want %q", tc.body, got, tc.want)
		}
	}
	_ = input{}.hidden
}
