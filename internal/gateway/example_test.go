package gateway_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/sigv4"
)

// keys is a one-key identity store: the account's root user.
type keys struct{}

func (keys) LookupAccessKey(_ context.Context, id string) (*api.Principal, string, error) {
	if id != "AKIAEXAMPLEROOT00001" {
		return nil, "", gateway.ErrUnknownAccessKey
	}
	return &api.Principal{Type: api.Root, Account: "123456789012", ARN: "arn:aws:iam::123456789012:root", AccessKeyID: id}, "secret", nil
}

func (keys) PolicySet(context.Context, *api.Principal, []policy.Named) (*policy.PolicySet, error) {
	return nil, nil
}

// A service is a table of operations: each names its IAM action, how to
// find the resource it acts on, and its handler. The gateway routes,
// authenticates, authorizes, records and answers in the request's protocol.
func ExampleGateway_Register() {
	type greetInput struct {
		Name string `json:"Name"`
	}
	greeter := &api.Service{
		Name:         "greeter",
		EventSource:  "greeter.amazonaws.com",
		Protocols:    []string{"awsJson1_1"},
		TargetPrefix: "Greeter_20240101",
		Operations: map[string]*api.Operation{
			"Greet": {
				Name:   "Greet",
				Action: "greeter:Greet",
				Resource: func(c *api.Call) (api.Resource, error) {
					var in greetInput
					if err := c.Decode(&in); err != nil {
						return api.Resource{}, err
					}
					return api.Resource{ARN: "arn:aws:greeter:us-east-1:123456789012:name/" + in.Name}, nil
				},
				Handle: func(c *api.Call) (any, error) {
					var in greetInput
					if err := c.Decode(&in); err != nil {
						return nil, err
					}
					return map[string]string{"Greeting": "Hello, " + in.Name}, nil
				},
			},
		},
	}
	g := gateway.New(gateway.Config{Account: "123456789012", Region: "us-east-1", Identities: keys{}})
	g.Register(greeter)

	body := `{"Name":"Ada"}`
	r := httptest.NewRequest("POST", "http://127.0.0.1:4566/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "Greeter_20240101.Greet")
	creds := sigv4.Credentials{AccessKeyID: "AKIAEXAMPLEROOT00001", SecretAccessKey: "secret"}
	if err := sigv4.Sign(r, []byte(body), creds, "us-east-1", "greeter", time.Now()); err != nil {
		panic(err)
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())
	// Output: 200 {"Greeting":"Hello, Ada"}
}
