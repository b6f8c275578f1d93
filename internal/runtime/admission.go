package runtime

import (
	"context"
	"sync"
)

// Admission decides whether an invocation may start under Lambda's
// concurrency limits: a function with reserved concurrency runs at most
// that many invocations at once (Lambda's PutFunctionConcurrency), and the
// unreserved functions of an account share the account's limit less what
// its functions reserve (Lambda's ConcurrentExecutions and
// UnreservedConcurrentExecutions, GetAccountSettings).
//
// The default, Options.Admission nil, counts the invocations of one
// Manager in memory, with the reservations given to
// Manager.SetReservedConcurrency. Processes that run the functions of one
// account together need an Admission that counts across them.
type Admission interface {
	// Acquire counts one invocation of the function version fn (its
	// account is fn.AccountID, or the account of fn.FunctionARN) and
	// returns the function that ends it, to be called exactly once when
	// the invocation is over. It returns a *ThrottleError with Reason
	// ReasonReservedLimit when the function's reserved concurrency is in
	// use, ReasonAccountLimit when its account's unreserved concurrency
	// is, ctx's error, or an error of the Admission's own state, upon
	// which the invocation does not run.
	Acquire(ctx context.Context, fn *Config) (release func(), err error)
}

// localAdmission is the in-memory Admission of one Manager.
type localAdmission struct {
	limit int // each account's concurrency limit

	mu       sync.Mutex
	reserved map[string]int         // unqualified function ARN -> reserved concurrency
	inflight map[string]int         // unqualified function ARN -> running invocations
	accounts map[string]*accountUse // account -> what its functions use
}

// accountUse is one account's share of the concurrency accounting: each
// account has its own limit (Options.AccountConcurrency).
type accountUse struct {
	reservedSum int // reserved by the account's functions
	unreserved  int // running invocations of its unreserved functions
}

func newLocalAdmission(limit int) *localAdmission {
	return &localAdmission{
		limit:    limit,
		reserved: map[string]int{},
		inflight: map[string]int{},
		accounts: map[string]*accountUse{},
	}
}

// account returns the use of account, made on first use. a.mu is held.
func (a *localAdmission) account(account string) *accountUse {
	u := a.accounts[account]
	if u == nil {
		u = &accountUse{}
		a.accounts[account] = u
	}
	return u
}

// setReserved reserves n for the unqualified function ARN fn; n < 0
// removes the reservation.
func (a *localAdmission) setReserved(fn string, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.account(arnAccount(fn))
	u.reservedSum -= a.reserved[fn]
	delete(a.reserved, fn)
	if n >= 0 {
		a.reserved[fn] = n
		u.reservedSum += n
	}
}

// running returns the invocations of the unqualified function ARN fn
// under way.
func (a *localAdmission) running(fn string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.inflight[fn]
}

// Acquire implements Admission.
func (a *localAdmission) Acquire(_ context.Context, cfg *Config) (func(), error) {
	function := unqualified(cfg.FunctionARN)
	account := arnAccount(function)
	if account == "" {
		account = cfg.AccountID
	}
	if function == "" {
		function = account + ":" + cfg.FunctionName
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	use := a.account(account)
	limit, reserved := a.reserved[function]
	if reserved {
		if a.inflight[function] >= limit {
			return nil, &ThrottleError{Reason: ReasonReservedLimit}
		}
	} else if use.unreserved >= a.limit-use.reservedSum {
		return nil, &ThrottleError{Reason: ReasonAccountLimit}
	}
	a.inflight[function]++
	if !reserved {
		use.unreserved++
	}
	return func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.inflight[function]--; a.inflight[function] <= 0 {
			delete(a.inflight, function)
		}
		if !reserved {
			use.unreserved--
		}
	}, nil
}
