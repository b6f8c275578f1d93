package esm

import (
	"context"
	"errors"
)

type dynamodbSource struct{}

func (dynamodbSource) Check(ctx context.Context, w *Worker, fn Function) error {
	return errors.New("esm: dynamodb: not built")
}

func (dynamodbSource) Units(ctx context.Context, w *Worker) ([]string, error) {
	return nil, errors.New("esm: dynamodb: not built")
}

func (dynamodbSource) Poll(ctx context.Context, w *Worker) error {
	return errors.New("esm: dynamodb: not built")
}
