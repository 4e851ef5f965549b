// Package rules is what every store implementation decides the same way:
// which records are valid, the defaults they get, how a compare-and-set
// update and a deploy request's transition are judged, and the sentences
// people read when a change is refused. The SQL differs per database; none
// of this may.
package rules

import (
	"time"

	"github.com/switchyard/switchyard"
)

// Clock is a store's clock for the times callers leave zero.
type Clock func() time.Time

// Now is the clock's time in UTC at stored precision.
func (c Clock) Now() time.Time { return Trunc(c()) }

// Or returns t at stored precision, or the clock's time when t is zero.
func (c Clock) Or(t time.Time) time.Time {
	if t.IsZero() {
		return c.Now()
	}
	return Trunc(t)
}

// Trunc puts t in UTC at stored precision, the millisecond. Stores keep
// times no finer, so what a method returns equals what a later read gives.
func Trunc(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// Scope names the locked scope of app and env for a message.
func Scope(app, env string) string {
	if env == "" {
		return app
	}
	return app + " in " + env
}

// CheckLock refuses a lock without an app, a reason or who takes it, and
// defaults Created to now.
func CheckLock(l *switchyard.Lock, now Clock) error {
	if l.App == "" || l.Reason == "" || l.LockedBy == "" {
		return switchyard.Errorf(switchyard.EINVALID, "A lock needs an app, a reason and who takes it.")
	}
	l.Created = now.Or(l.Created)
	return nil
}

// Locked is the refusal of a lock because held already covers its scope.
// The reason is a person's text: it travels as data, the
// *switchyard.LockHeldError cause, for the caller to escape, never inside
// the message.
func Locked(held switchyard.Lock) error {
	return &switchyard.Error{Code: switchyard.ECONFLICT, Message: Scope(held.App, held.Env) + " is already locked.",
		Err: &switchyard.LockHeldError{Lock: held}}
}

// LockedOut is the refusal of a transition that asked to be refused while
// held covers the request (switchyard.Change.RefuseIfLocked).
func LockedOut(held switchyard.Lock) error {
	return &switchyard.Error{Code: switchyard.ECONFLICT, Message: Scope(held.App, held.Env) + " is locked.",
		Err: &switchyard.LockHeldError{Lock: held}}
}

// NotLocked is the refusal of an unlock with no lock to remove.
func NotLocked(app, env string) error {
	return switchyard.Errorf(switchyard.ENOTFOUND, "%s is not locked.", Scope(app, env))
}

// CheckAudit refuses an entry without an action or a valid result, and
// defaults At to now.
func CheckAudit(e *switchyard.AuditEntry, now Clock) error {
	if e.Action == "" || (e.Result != switchyard.ResultOK && e.Result != switchyard.ResultRefused && e.Result != switchyard.ResultFailed) {
		return switchyard.Errorf(switchyard.EINVALID, "An audit entry needs an action and a result of ok, refused or failed.")
	}
	e.At = now.Or(e.At)
	return nil
}

// Limit is limit, or def when limit is not positive.
func Limit(limit, def int) int {
	if limit <= 0 {
		return def
	}
	return limit
}
