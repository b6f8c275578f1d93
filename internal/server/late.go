package server

import (
	"context"

	"github.com/rolecall/rolecall/internal/api"
)

// lateInvoker invokes through the server's gateway, for a service the
// gateway itself needs at construction (Organizations places accounts for
// it, and calls IAM through it).
type lateInvoker struct{ s *Server }

func (l lateInvoker) Invoke(ctx context.Context, in api.Internal) (any, error) {
	return l.s.gateway.Invoke(ctx, in)
}
