package main

import (
	"context"
	"errors"
	"io"
)

func runPolicyReplay(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("policy replay: not built yet")
}

func runPolicyCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("policy check: not built yet")
}
