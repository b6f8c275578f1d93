package main

import (
	"context"
	"errors"
	"io"
)

func runPolicyUnused(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("policy unused: not built yet")
}
