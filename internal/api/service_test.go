package api_test

import (
	"reflect"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
)

func handle(*api.Call) (any, error) { return nil, nil }

func TestNewService(t *testing.T) {
	base := api.Service{Name: "lambda", Protocols: []string{"restJson1"}}
	svc := api.NewService(base,
		&api.Operation{Name: "GetFunction", HTTP: api.HTTP{Method: "GET", Path: "/f/{FunctionName}"}, Handle: handle},
		&api.Operation{Name: "ListTags", HTTP: api.HTTP{Method: "GET", Path: "/tags/{Resource}", Query: []string{"x"}}, Handle: handle},
		&api.Operation{Name: "Internal", Handle: handle},
	)
	if len(svc.Operations) != 3 || svc.Operations["GetFunction"].Name != "GetFunction" {
		t.Fatalf("operations %v", svc.Operations)
	}
	want := []api.Route{
		{Method: "GET", Path: "/f/{FunctionName}", Operation: "GetFunction"},
		{Method: "GET", Path: "/tags/{Resource}", Query: []string{"x"}, Operation: "ListTags"},
	}
	if !reflect.DeepEqual(svc.Routes, want) {
		t.Errorf("routes %+v", svc.Routes)
	}
	if base.Operations != nil || base.Routes != nil {
		t.Error("NewService changed its argument")
	}
}

func TestNewServiceRefuses(t *testing.T) {
	for name, ops := range map[string][]*api.Operation{
		"duplicate name": {{Name: "A", Handle: handle}, {Name: "A", Handle: handle}},
		"no name":        {{Handle: handle}},
		"no handler":     {{Name: "A"}},
		"duplicate route": {
			{Name: "A", HTTP: api.HTTP{Method: "GET", Path: "/a"}, Handle: handle},
			{Name: "B", HTTP: api.HTTP{Method: "GET", Path: "/a"}, Handle: handle},
		},
		"relative path": {{Name: "A", HTTP: api.HTTP{Method: "GET", Path: "a"}, Handle: handle}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			api.NewService(api.Service{Name: "x"}, ops...)
		})
	}
}
