// Package accessanalyzer is IAM Access Analyzer over its REST-JSON protocol
// (model accessanalyzer-2019-11-01, signing name "access-analyzer"): policy
// generation from the trail (StartPolicyGeneration, GetGeneratedPolicy,
// ListPolicyGenerations, CancelPolicyGeneration), policy validation and the
// custom policy checks (ValidatePolicy, CheckNoNewAccess,
// CheckAccessNotGranted, CheckNoPublicAccess), and unused access analyzers
// with their findings.
package accessanalyzer

import (
	"context"
	"slices"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/shape"
	"github.com/rolecall/rolecall/internal/store"
)

// Config configures Access Analyzer.
type Config struct {
	Account string // the default account ("123456789012")
	Region  string // the Region it answers in ("us-east-1")
	Store   store.Store
	// Invoker runs the in-process calls policy generation makes as
	// access-analyzer.amazonaws.com (assuming the access role) and as the
	// access role's session (reading the trail).
	Invoker api.Invoker
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// IAM is where unused access analyzers read roles, users, access keys
	// and identity policies.
	IAM Directory
	// Flush returns once the trail has stored every call made before it,
	// so that what is read from the trail includes them; nil waits for
	// nothing.
	Flush func(ctx context.Context) error
}

// Analyzer is the Access Analyzer service.
type Analyzer struct {
	cfg Config
}

// New returns Access Analyzer keeping its data in cfg.Store.
func New(cfg Config) *Analyzer {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Analyzer{cfg: cfg}
}

// Service returns the operation table. The model's constraints are checked
// before authorization (shape.Hook), with Access Analyzer's
// ValidationException.
func (a *Analyzer) Service() *api.Service {
	return api.NewService(api.Service{
		Name:        "access-analyzer",
		EventSource: "access-analyzer.amazonaws.com",
		Protocols:   []string{"restJson1"},
		Validate:    withReason(shape.Hook("accessanalyzer", "ValidationException")),
	}, slices.Concat(a.generationOps(), a.validationOps(), a.findingOps())...)
}
