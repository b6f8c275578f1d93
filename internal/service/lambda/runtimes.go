package lambda

import (
	"context"
	"errors"
	"fmt"

	"github.com/rolecall/rolecall/internal/runtime"
	"github.com/rolecall/rolecall/internal/store"
)

const stateFailed = "Failed"

// checkRuntime applies Lambda's rules on a function's runtime to an
// operation: a runtime AWS has retired for the operation is refused with
// AWS's message, and one that this host cannot run (a family rolecall does
// not run, or no interpreter of the runtime's version) is refused rather
// than accepted and failed at every invoke. host is false when the runtime
// is not being set (UpdateFunctionCode, or a configuration update that
// keeps it): only the lifecycle applies then.
func (l *Lambda) checkRuntime(ctx context.Context, name string, op runtime.Operation, host bool) error {
	if err := runtime.CheckLifecycle(name, op, l.now()); err != nil {
		return runtimeError(err)
	}
	if !host {
		return nil
	}
	return runtimeError(l.rt.CheckRuntime(ctx, name))
}

// checkCreateRuntime is checkRuntime for CreateFunction.
func (l *Lambda) checkCreateRuntime(ctx context.Context, name string) error {
	return l.checkRuntime(ctx, name, runtime.OpCreate, true)
}

// checkUpdateRuntime is checkRuntime for an update; changed says whether
// the update sets a new runtime.
func (l *Lambda) checkUpdateRuntime(ctx context.Context, name string, changed bool) error {
	return l.checkRuntime(ctx, name, runtime.OpUpdate, changed)
}

func runtimeError(err error) error {
	var re *runtime.RuntimeError
	if errors.As(err, &re) {
		return errInvalidParam("%s", re.Message)
	}
	return err
}

// prepareRuntime makes ready what the function's runtime needs (the SDK
// its Lambda runtime ships, installed once when the host lacks it) while
// the function is Pending or its update InProgress. It returns false when
// the function failed to become ready, which it has recorded: State Failed
// (a new function) or LastUpdateStatus Failed (an update), with reason
// code InvalidRuntime and the cause.
func (l *Lambda) prepareRuntime(account, name string) bool {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-l.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	f, err := l.load(ctx, l.cfg.Store, fnRef{Account: account, Region: l.cfg.Region, Name: name})
	if err != nil {
		return true // gone, or unreadable: settle decides
	}
	dir, err := l.ensureCode(ctx, account, &f.Config)
	if err == nil {
		err = l.rt.Prepare(ctx, f.Config.Runtime, dir)
	}
	if err == nil || ctx.Err() != nil {
		return err == nil
	}
	reason := fmt.Sprintf("The runtime %s could not be prepared: %v", f.Config.Runtime, err)
	_, werr := l.cfg.Store.Update(ctx, func(tx store.Tx) error {
		var cur function
		if err := store.GetJSON(ctx, tx, tableFunctions, account+"/"+name, &cur); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		if cur.Config.RevisionID != f.Config.RevisionID {
			return nil // changed meanwhile: the change's own settle decides
		}
		c := &cur.Config
		if c.State != statePending && c.LastUpdateStatus != updateInProgress {
			return nil // settled, or failed, by another settle of the same change
		}
		if c.State == statePending {
			c.State, c.StateReason, c.StateReasonCode = stateFailed, reason, "InvalidRuntime"
		}
		c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateReasonCode = stateFailed, reason, "InvalidRuntime"
		return store.PutJSON(ctx, tx, tableFunctions, account+"/"+name, &cur)
	})
	if werr != nil {
		l.cfg.Logger.Error("lambda: recording a runtime that failed to prepare", "function", name, "error", werr)
	}
	return false
}
