// Package rolecall is rolecall's own API, for what AWS has no API for:
// replaying recorded traffic against a proposed policy change, the unused
// access of a principal over a time range, the explanation of a recorded
// decision with the smallest change that allows it, and the Lambda console's
// permission helpers (a function's resource summary, the default execution
// role, policy templates, and the permissions a feature needs). It speaks
// REST-JSON, signed with SigV4 for the signing name "rolecall", and every
// operation is authorized with the IAM actions of the AWS calls it stands
// for, so a principal may use it only as far as it may read or change the
// same things through IAM, Lambda and CloudTrail.
package rolecall

import (
	"context"
	"slices"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/iam"
	"github.com/rolecall/rolecall/internal/store"
)

// Config configures the API.
type Config struct {
	Account string
	Region  string
	Store   store.Store
	// IAM looks up principals and their policies.
	IAM *iam.IAM
	// Flush returns once the trail has stored every call made before it,
	// so that what is read from the trail includes them; nil waits for
	// nothing.
	Flush func(ctx context.Context) error
	// Invoker runs the IAM and Lambda operations the console helpers make
	// as the caller (the gateway).
	Invoker api.Invoker
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// API is rolecall's own service.
type API struct {
	cfg   Config
	reach *reachCache // GetResourceSummary's reach of recent policy sets
}

// New returns the API.
func New(cfg Config) *API {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &API{cfg: cfg, reach: newReachCache()}
}

// Service returns the operation table.
func (r *API) Service() *api.Service {
	return api.NewService(api.Service{
		Name:        "rolecall",
		EventSource: "rolecall.amazonaws.com",
		Protocols:   []string{"restJson1"},
	}, slices.Concat(r.replayOps(), r.unusedOps(), r.consoleOps(), r.explainOps(), r.eventsOps())...)
}
