package rules

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/switchyard/switchyard"
)

// The columns of the queue and freezes tables, in the order every store
// scans and inserts them.
const (
	QueueColumns = `id, app, env, version, config, reason, requested_by, channel, state,
	created, expires, handed, pending_id, changed_by, changed, rev`

	FreezeColumns = `id, app, reason, frozen_by, starts, ends`
)

// randomID is prefix followed by 16 random hex digits.
func randomID(prefix string) string {
	var b [8]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// ValidQueueState reports whether s is one of the queue states.
func ValidQueueState(s switchyard.QueueState) bool {
	switch s {
	case switchyard.QueueWaiting, switchyard.QueueHanded, switchyard.QueueWithdrawn, switchyard.QueueExpired, switchyard.QueueFailed, switchyard.QueueServed:
		return true
	}
	return false
}

// NewQueued checks a queued deploy about to be stored and sets what the
// store decides: a random "q-…" ID when empty, state waiting, Created
// (default now), Changed and ChangedBy as a first change by the requester,
// Rev 1.
func NewQueued(q *switchyard.Queued, now Clock) error {
	if q.App == "" || q.Env == "" || q.Version == "" || q.RequestedBy == "" || q.Channel == "" || q.Expires.IsZero() {
		return switchyard.Errorf(switchyard.EINVALID, "A queued deploy needs an app, an environment, a version, a requester, a channel and an expiry.")
	}
	if q.ID == "" {
		q.ID = randomID("q-")
	}
	q.State = switchyard.QueueWaiting
	q.Created = now.Or(q.Created)
	q.Expires = Trunc(q.Expires)
	q.Handed, q.PendingID = time.Time{}, ""
	q.Changed, q.ChangedBy, q.Rev = q.Created, q.RequestedBy, 1
	return nil
}

// AlreadyQueued refuses a second place in one line for the same person.
func AlreadyQueued(app, env string) error {
	return switchyard.Errorf(switchyard.ECONFLICT, "You are already in the queue for %s in %s.", app, env)
}

// NoQueued is the answer about an unknown queued deploy.
func NoQueued() error {
	return switchyard.Errorf(switchyard.ENOTFOUND, "I have no record of that place in the queue.")
}

// SettleQueued judges and applies the move of q, as stored, from one of
// the states in from to the state to, by who at at: ECONFLICT with a
// sentence saying what became of it when q is in none of them.
func SettleQueued(q *switchyard.Queued, from []switchyard.QueueState, to switchyard.QueueState, by string, at time.Time) error {
	if !ValidQueueState(to) {
		return switchyard.Errorf(switchyard.EINVALID, "%q is not a queue state.", to)
	}
	if !slices.Contains(from, q.State) {
		return switchyard.Errorf(switchyard.ECONFLICT, "Your place in the queue for %s %s is %s already.", q.App, q.Version, queueWord(q.State))
	}
	q.State, q.ChangedBy, q.Changed, q.Rev = to, by, at, q.Rev+1
	return nil
}

func queueWord(s switchyard.QueueState) string {
	switch s {
	case switchyard.QueueHanded:
		return "taken: its turn came"
	case switchyard.QueueWaiting:
		return "waiting"
	default:
		return string(s)
	}
}

// HoldsTurn reports whether a handed request still holds its app and
// environment's turn at at: its deploy request is not made yet and its
// turn came less than hold ago, or its deploy request is still open.
// pendingOpen says whether that request is open.
func HoldsTurn(q switchyard.Queued, pendingOpen bool, at time.Time, hold time.Duration) bool {
	if q.State != switchyard.QueueHanded {
		return false
	}
	if q.PendingID == "" {
		return at.Sub(q.Handed) < hold
	}
	return pendingOpen
}

// CheckFreeze refuses a freeze without a reason, who made it, or an end
// after its start, and sets what the store decides: a random "f-…" ID
// when empty, Start (default now).
func CheckFreeze(f *switchyard.Freeze, now Clock) error {
	f.Start = now.Or(f.Start)
	if f.Reason == "" || f.By == "" || f.End.IsZero() || !f.End.After(f.Start) {
		return switchyard.Errorf(switchyard.EINVALID, "A freeze needs a reason, who made it, and an end after its start.")
	}
	f.End = Trunc(f.End)
	f.Window = ""
	if f.ID == "" {
		f.ID = randomID("f-")
	}
	return nil
}

// NotFrozen is the answer to an unfreeze with nothing to end.
func NotFrozen(app string) error {
	if app == "" {
		return switchyard.Errorf(switchyard.ENOTFOUND, "There is no freeze of all apps to lift.")
	}
	return switchyard.Errorf(switchyard.ENOTFOUND, "There is no freeze of %s to lift that /deploy freeze made.", app)
}

// FrozenOut is the refusal of a transition that asked to be refused while
// f covers the request (switchyard.Change.RefuseIfFrozen).
func FrozenOut(f switchyard.Freeze) error {
	scope := f.App
	if scope == "" {
		scope = "Every app"
	}
	return &switchyard.Error{Code: switchyard.ECONFLICT, Message: fmt.Sprintf("%s is frozen until %s.", scope, f.End.Format("15:04 MST")),
		Err: &switchyard.FrozenError{Freeze: f}}
}
