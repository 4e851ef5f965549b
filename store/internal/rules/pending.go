package rules

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchyard/switchyard"
)

// ValidState reports whether s is one of the pending states.
func ValidState(s switchyard.PendingState) bool {
	switch s {
	case switchyard.StatePending, switchyard.StateApproved, switchyard.StateConfirmed,
		switchyard.StateCancelled, switchyard.StateExpired, switchyard.StateFailed:
		return true
	}
	return false
}

// CheckState refuses a state that is not one of the pending states.
func CheckState(s switchyard.PendingState) error {
	if !ValidState(s) {
		return switchyard.Errorf(switchyard.EINVALID, "%q is not a deploy request state.", s)
	}
	return nil
}

// NewPending checks a request about to be created and sets what the store
// decides: a random "p-…" ID when empty, the deploy kind when none, state
// pending unless given, Created (default now), and Changed, ChangedBy and
// Rev as a first change by the requester. A rollback must name the
// deployment it undoes, and only a rollback may.
func NewPending(p *switchyard.Pending, now Clock) error {
	if p.App == "" || p.Env == "" || p.Version == "" || p.RequestedBy == "" || p.Expires.IsZero() {
		return switchyard.Errorf(switchyard.EINVALID, "A deploy request needs an app, an environment, a version, a requester and an expiry.")
	}
	if p.Kind == "" {
		p.Kind = switchyard.KindDeploy
	}
	if p.Kind != switchyard.KindDeploy && p.Kind != switchyard.KindRollback || (p.Kind == switchyard.KindRollback) != (p.RollbackOf != "") {
		return switchyard.Errorf(switchyard.EINVALID, "A request is a deploy, or a rollback of a named deployment.")
	}
	if p.State == "" {
		p.State = switchyard.StatePending
	}
	if err := CheckState(p.State); err != nil {
		return err
	}
	if p.ID == "" {
		var b [8]byte
		rand.Read(b[:])
		p.ID = "p-" + hex.EncodeToString(b[:])
	}
	p.Created = now.Or(p.Created)
	p.Expires = Trunc(p.Expires)
	p.Changed, p.ChangedBy, p.Rev = p.Created, p.RequestedBy, 1
	return nil
}

// PendingExists refuses a second request with the same ID.
func PendingExists(id string) error {
	return switchyard.Errorf(switchyard.ECONFLICT, "Deploy request %s already exists.", id)
}

// NoPending is the answer about an unknown deploy request.
func NoPending() error {
	return switchyard.Errorf(switchyard.ENOTFOUND, "I have no record of that deploy request; it may be from before a reset.")
}

// NoPendingMessage is the answer about a message that shows no request.
func NoPendingMessage() error {
	return switchyard.Errorf(switchyard.ENOTFOUND, "That message is not a deploy request I know.")
}

// LockOf finds the lock that covers app in env, inside the transaction
// of the caller; ok is false if there is none.
type LockOf func(app, env string) (l switchyard.Lock, ok bool, err error)

// FreezesOf lists the stored freezes that cover app at at, inside the
// transaction of the caller.
type FreezesOf func(app string, at time.Time) ([]switchyard.Freeze, error)

// Transition judges and applies the move of p, as stored, from one of the
// states in from to the state to at time at, recording ch. If p is in none
// of the from states, or the move would approve or confirm it past its
// expiry, p is left alone and the error has code ECONFLICT, a message for
// the person who clicked and a *switchyard.StateError cause. With
// ch.RefuseIfLocked, a lock that lockOf finds covering the request refuses
// the move the same way, with a *switchyard.LockHeldError cause; with
// ch.RefuseIfFrozen, so does a freeze that freezesOf finds or one of
// ch.Windows holds at at, with a *switchyard.FrozenError cause. On
// success p.Rev has grown by one.
func Transition(p *switchyard.Pending, from []switchyard.PendingState, to switchyard.PendingState, ch switchyard.Change, at time.Time, lockOf LockOf, freezesOf FreezesOf) error {
	if !slices.Contains(from, p.State) {
		return &switchyard.Error{
			Code:    switchyard.ECONFLICT,
			Message: conflictMessage(*p),
			Err:     &switchyard.StateError{ID: p.ID, State: p.State, By: p.ChangedBy, At: p.Changed},
		}
	}
	if (to == switchyard.StateApproved || to == switchyard.StateConfirmed) && !at.Before(p.Expires) {
		return &switchyard.Error{
			Code:    switchyard.ECONFLICT,
			Message: fmt.Sprintf("This deploy request for %s %s expired at %s; run /deploy again.", p.App, p.Version, p.Expires.Format("15:04 MST")),
			Err:     &switchyard.StateError{ID: p.ID, State: switchyard.StateExpired, At: p.Expires},
		}
	}
	if ch.RefuseIfLocked {
		held, ok, err := lockOf(p.App, p.Env)
		if err != nil {
			return err
		}
		if ok {
			return LockedOut(held)
		}
	}
	if ch.RefuseIfFrozen {
		stored, err := freezesOf(p.App, at)
		if err != nil {
			return err
		}
		if f, ok := switchyard.FreezeAt(p.App, at, stored, ch.Windows); ok {
			return FrozenOut(f)
		}
	}
	p.State, p.ChangedBy, p.Changed, p.Rev = to, ch.By, at, p.Rev+1
	if ch.ApprovedBy != "" {
		p.ApprovedBy = ch.ApprovedBy
	}
	if ch.DeploymentID != "" {
		p.DeploymentID = ch.DeploymentID
	}
	if ch.Error != "" {
		p.Error = ch.Error
	}
	return nil
}

// stateVerb is how a message says someone moved a request into state s.
func stateVerb(s switchyard.PendingState) string {
	switch s {
	case switchyard.StatePending:
		return "still pending"
	case switchyard.StateApproved:
		return "already approved"
	default:
		return "already " + string(s)
	}
}

// conflictMessage tells the person whose click lost what happened instead.
func conflictMessage(p switchyard.Pending) string {
	var b strings.Builder
	fmt.Fprintf(&b, "This deploy request for %s %s is %s", p.App, p.Version, stateVerb(p.State))
	switch {
	case p.State == switchyard.StateExpired:
		fmt.Fprintf(&b, " (at %s)", p.Changed.Format("15:04 MST"))
	case p.ChangedBy != "":
		fmt.Fprintf(&b, " by <@%s> at %s", p.ChangedBy, p.Changed.Format("15:04 MST"))
	}
	b.WriteString(".")
	return b.String()
}

// EncodePlan is the plan column of a request: its plan as JSON, "{}" for
// none.
func EncodePlan(p *switchyard.Plan) (string, error) {
	if p == nil {
		return "{}", nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode plan: %w", err)
	}
	return string(b), nil
}

// DecodePlan reads the plan column of request id; nil for none.
func DecodePlan(id, s string) (*switchyard.Plan, error) {
	if s == "" || s == "{}" || s == "null" {
		return nil, nil
	}
	var p switchyard.Plan
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, fmt.Errorf("deploy request %s: decode plan: %w", id, err)
	}
	return &p, nil
}

// NoRequest is the answer about a deployment no request started.
func NoRequest(id string) error {
	return switchyard.Errorf(switchyard.ENOTFOUND, "No request started deployment %s.", id)
}
