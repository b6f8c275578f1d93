package esm

import (
	"context"
	"errors"
)

type sqsSource struct{}

func (sqsSource) Check(ctx context.Context, w *Worker, fn Function) error {
	return errors.New("esm: sqs: not built")
}

func (sqsSource) Units(ctx context.Context, w *Worker) ([]string, error) {
	return nil, errors.New("esm: sqs: not built")
}

func (sqsSource) Poll(ctx context.Context, w *Worker) error { return errors.New("esm: sqs: not built") }
