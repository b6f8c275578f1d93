package lambda

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/runtime"
	"github.com/rolecall/rolecall/internal/service/lambda/esm"
)

// mappingFunctions is what the event source mappings see of Lambda
// (esm.Functions).
type mappingFunctions struct{ l *Lambda }

// Resolve finds the function a mapping names.
func (m mappingFunctions) Resolve(ctx context.Context, account, name string) (esm.Function, error) {
	l := m.l
	ref, err := parseFunctionName(name, account, l.cfg.Region, false)
	if err != nil {
		return esm.Function{}, err
	}
	f, cfg, err := l.resolve(ctx, ref)
	if err != nil {
		return esm.Function{}, err
	}
	cfg = f.runnable(cfg)
	return esm.Function{
		Account: ref.Account, Name: ref.Name, ARN: ref.arn(), QualifiedARN: ref.qualifiedARN(),
		Role: cfg.Role, Timeout: cfg.Timeout,
	}, nil
}

// Invoke runs the function synchronously for a mapping, as Lambda's
// pollers do: the version or alias of the ARN, the alias's weights
// applied.
func (m mappingFunctions) Invoke(ctx context.Context, qualifiedARN string, payload []byte) (*esm.Result, error) {
	l := m.l
	ref, err := parseFunctionName(qualifiedARN, "", l.cfg.Region, false)
	if err != nil {
		return nil, err
	}
	f, cfg, err := l.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	if a := ref.Qualifier; a != "" && a != latest && !reNumeric.MatchString(a) {
		if cfg, err = l.route(ctx, ref, cfg); err != nil {
			return nil, err
		}
	}
	if cfg.State == statePending {
		return nil, errState(cfg.State)
	}
	cfg = f.runnable(cfg)
	inv := &invocation{account: ref.Account, cfg: cfg, invokedARN: ref.qualifiedARN(), payload: payload,
		opts: runtime.InvokeOptions{RequestID: uuid.NewString()}, received: time.Now()}
	res, err := l.run(ctx, inv)
	if err != nil {
		return nil, err
	}
	return &esm.Result{Payload: res.Payload, FunctionError: res.FunctionError, ExecutedVersion: cfg.Version,
		RequestID: inv.opts.RequestID}, nil
}

// RoleSession assumes the function's role as Lambda does for the calls it
// makes on the function's behalf outside its environments.
func (m mappingFunctions) RoleSession(ctx context.Context, fn esm.Function) (*api.Principal, time.Time, error) {
	l := m.l
	s, err := l.assumeRole(ctx, fn.Account, fn.Role, fn.Name, nil)
	if err != nil {
		return nil, time.Time{}, err
	}
	return s.principal(fn.Account, fn.Role, fn.Name, "", l.now()), s.Expiration, nil
}
