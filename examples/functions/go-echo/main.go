// Command go-echo is the smallest useful provided.al2023 function: it returns
// its event. It measures what a cold start costs apart from a function's own
// initialisation. Build it as "bootstrap":
//
//	GOOS=linux CGO_ENABLED=0 go build -o bootstrap ./examples/functions/go-echo
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, event json.RawMessage) (json.RawMessage, error) {
		return event, nil
	})
}
