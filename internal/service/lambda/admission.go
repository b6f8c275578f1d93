package lambda

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/rolecall/rolecall/internal/runtime"
	"github.com/rolecall/rolecall/internal/store"
)

// tableSlots holds a slot for each running invocation when the processes
// sharing the store count concurrency together (Config.SharedConcurrency):
//
//	<account>/r/<name>/<slot id>  an invocation of a function that reserves concurrency
//	<account>/u/<name>/<slot id>  an invocation of an unreserved function
//
// -> the slot's expiry, in Unix milliseconds, decimal. The unreserved
// slots of an account share the prefix "<account>/u/", so counting them
// is one List.
const tableSlots = "lambda_slots"

// Slot kinds: the key segment after the account.
const (
	slotsReserved   = "r"
	slotsUnreserved = "u"
)

// Slot lifetimes.
const (
	// slotMargin is how long a slot outlives its function's timeout and
	// init phase: the time to ship the invocation's logs and delete the
	// slot. A slot whose holder died stops counting that long after its
	// invocation would have been timed out.
	slotMargin = time.Minute
	// defaultInitTimeout is the runtime's init phase bound when
	// runtime.Options.InitTimeout is not set (Lambda's 10 seconds).
	defaultInitTimeout = 10 * time.Second
	// releaseTimeout bounds one attempt to delete a slot.
	releaseTimeout = 10 * time.Second
	// releaseRetry is the wait between attempts to delete a slot after a
	// failed one.
	releaseRetry = time.Second
)

// storeAdmission is the runtime.Admission of processes that share the
// store: Lambda's concurrency limits (a function's reserved concurrency,
// PutFunctionConcurrency; the account's ConcurrentExecutions less what its
// functions reserve, GetAccountSettings' UnreservedConcurrentExecutions)
// hold across all of them.
//
// Acquire reads, in one serializable Update, the function's reservation
// (tableReserved), the live slots it counts against and, for an unreserved
// function, the account's reserved total, and writes a slot. Two processes
// that acquire the last free slot at once read the same slots and write
// different keys; the store's serializable transactions let one of them
// commit and run the other again, which then sees the first's slot.
//
// A slot expires its function's timeout plus its init phase (up to the
// runtime's init timeout, or the function's timeout when that is longer:
// an init that misses 10 seconds goes on within the invocation) plus
// slotMargin after it is taken, so the slots of a process that dies during
// an invocation are freed at last: an expired slot does not count, and an
// Acquire that sees it deletes it. The processes' clocks must agree to
// well within slotMargin.
type storeAdmission struct {
	l *Lambda
	// initTimeout is the runtime's bound on an init phase.
	initTimeout time.Duration
}

// newStoreAdmission returns the admission of l over its store, for
// functions whose init phase lasts up to initTimeout (0: the runtime's
// default).
func newStoreAdmission(l *Lambda, initTimeout time.Duration) *storeAdmission {
	if initTimeout <= 0 {
		initTimeout = defaultInitTimeout
	}
	return &storeAdmission{l: l, initTimeout: initTimeout}
}

// slotPrefix returns the prefix of the slots of kind of the function name
// of account.
func slotPrefix(account, kind, name string) string {
	return account + "/" + kind + "/" + name + "/"
}

// Acquire implements runtime.Admission. It counts the invocation of
// fn.FunctionName in fn.AccountID; the release it returns deletes the
// slot, retrying in the background until the slot expires or Lambda
// closes when the store fails.
func (a *storeAdmission) Acquire(ctx context.Context, fn *runtime.Config) (func(), error) {
	account, name := fn.AccountID, fn.FunctionName
	if account == "" || name == "" {
		return nil, fmt.Errorf("lambda: admit %q: no account or function name", fn.FunctionARN)
	}
	now := a.l.now()
	expires := now.Add(fn.Timeout + max(a.initTimeout, fn.Timeout) + slotMargin)
	id := newSlotID()
	var key, throttle string
	_, err := a.l.cfg.Store.Update(ctx, func(tx store.Tx) error {
		key, throttle = "", ""
		limit, reserved, err := reservation(ctx, tx, account+"/"+name)
		if err != nil {
			return err
		}
		kind := slotsUnreserved
		if reserved {
			// The function's invocations that began before its
			// reservation count too.
			used := 0
			for _, k := range []string{slotsReserved, slotsUnreserved} {
				n, err := liveSlots(ctx, tx, slotPrefix(account, k, name), now)
				if err != nil {
					return err
				}
				used += n
			}
			if used >= limit {
				throttle = runtime.ReasonReservedLimit
				return nil
			}
			kind = slotsReserved
		} else {
			total, err := a.l.reservedTotal(ctx, tx, account, "")
			if err != nil {
				return err
			}
			used, err := liveSlots(ctx, tx, account+"/"+slotsUnreserved+"/", now)
			if err != nil {
				return err
			}
			if used >= a.l.cfg.ConcurrentExecutions-total {
				throttle = runtime.ReasonAccountLimit
				return nil
			}
		}
		key = slotPrefix(account, kind, name) + id
		return tx.Put(ctx, tableSlots, key, []byte(strconv.FormatInt(expires.UnixMilli(), 10)))
	})
	if err != nil {
		return nil, fmt.Errorf("lambda: admit %s/%s: %w", account, name, err)
	}
	if throttle != "" {
		return nil, &runtime.ThrottleError{Reason: throttle}
	}
	return func() { a.release(context.WithoutCancel(ctx), key, expires) }, nil
}

// release deletes the slot key; when the store fails, it tries again in
// the background until the slot expires (and no longer counts) or Lambda
// closes.
func (a *storeAdmission) release(ctx context.Context, key string, expires time.Time) {
	if a.deleteSlot(ctx, key) == nil {
		return
	}
	a.l.goBackground(func() {
		t := time.NewTicker(releaseRetry)
		defer t.Stop()
		for a.l.now().Before(expires) {
			select {
			case <-a.l.done:
				return
			case <-t.C:
			}
			if a.deleteSlot(ctx, key) == nil {
				return
			}
		}
	})
}

// deleteSlot deletes the slot key, waiting releaseTimeout at most.
func (a *storeAdmission) deleteSlot(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, releaseTimeout)
	defer cancel()
	_, err := a.l.cfg.Store.Update(ctx, func(tx store.Tx) error {
		return tx.Delete(ctx, tableSlots, key)
	})
	return err
}

// liveSlots counts the slots under prefix that expire after now, and
// deletes those that do not.
func liveSlots(ctx context.Context, tx store.Tx, prefix string, now time.Time) (int, error) {
	items, err := tx.List(ctx, tableSlots, prefix, "", 0)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, it := range items {
		ms, err := strconv.ParseInt(string(it.Value), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("lambda: read %s/%s: %w", tableSlots, it.Key, err)
		}
		if now.UnixMilli() < ms {
			n++
			continue
		}
		if err := tx.Delete(ctx, tableSlots, it.Key); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// newSlotID returns a random slot id, 32 hex digits.
func newSlotID() string {
	var b [16]byte
	crand.Read(b[:])
	return hex.EncodeToString(b[:])
}
