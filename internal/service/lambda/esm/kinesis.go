package esm

import (
	"context"
	"errors"
)

type kinesisSource struct{}

func (kinesisSource) Check(ctx context.Context, w *Worker, fn Function) error {
	return errors.New("esm: kinesis: not built")
}

func (kinesisSource) Units(ctx context.Context, w *Worker) ([]string, error) {
	return nil, errors.New("esm: kinesis: not built")
}

func (kinesisSource) Poll(ctx context.Context, w *Worker) error {
	return errors.New("esm: kinesis: not built")
}
