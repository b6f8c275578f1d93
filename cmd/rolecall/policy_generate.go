package main

import (
	"context"
	"errors"
	"io"
)

func runPolicyGenerate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("policy generate: not built yet")
}
