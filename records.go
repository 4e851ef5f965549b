package switchyard

import (
	"fmt"
	"time"
)

// The records below are what the bot remembers across restarts. The store
// persists them; commands and notify read and write them through small
// interfaces of their own, so they live here rather than in the store.

// Record is a deployment as the store keeps it: the domain deployment plus
// the Slack message that is its live card and the bookkeeping for
// compare-and-set.
type Record struct {
	Deployment
	// CardChannel and CardTS name the Slack message that is the deployment's
	// live card; empty until the card is posted.
	CardChannel string
	CardTS      string
	// ObservedAt is when AWS was last asked about the deployment.
	ObservedAt time.Time
	// Rev counts changes to the record, starting at 1. A compare-and-set
	// update applies a change only while Rev still has the value the caller
	// read.
	Rev int64
	// Updated is when the record last changed.
	Updated time.Time
}

// AnyRev, passed as the expected Rev of a compare-and-set update, applies
// the change whatever the current Rev: the change is computed from the
// record read inside the same write transaction, so it is still atomic.
const AnyRev int64 = 0

// PendingState is where a deploy request stands between /deploy and the
// start of the deployment.
type PendingState string

// Pending states. Pending and Approved are open (waiting for a click); the
// others are final.
const (
	StatePending   PendingState = "pending"   // waiting for the requester's Confirm (or an approval)
	StateApproved  PendingState = "approved"  // a second person approved; waiting for Confirm
	StateConfirmed PendingState = "confirmed" // confirmed; the deployment was started or is starting
	StateCancelled PendingState = "cancelled" // the requester cancelled
	StateExpired   PendingState = "expired"   // nobody confirmed in time
	StateFailed    PendingState = "failed"    // confirmed, but the deployment could not be started
)

// Open reports whether the request still waits for a click.
func (s PendingState) Open() bool { return s == StatePending || s == StateApproved }

// RequestKind says what a request asks for.
type RequestKind string

// Request kinds.
const (
	KindDeploy   RequestKind = "deploy"   // deploy a version; it waits on its confirmation card
	KindRollback RequestKind = "rollback" // undo RollbackOf; confirmed by the click that asks for it
)

// Pending is a request of a person's: a deploy waiting for confirmation
// (the plan that was shown, who asked and why, the message that shows it),
// or a rollback. commands owns requests; a deployment's record is made from
// its request by notify, the one writer of deployment records.
type Pending struct {
	ID      string
	Kind    RequestKind // KindDeploy when empty
	App     string
	Env     string
	Version string
	// Plan is the plan shown on the card, so that Confirm starts exactly
	// what people saw; nil for a rollback that is not confirmed on a card.
	Plan *Plan
	// RollbackOf is the deployment a rollback request undoes.
	RollbackOf  string
	RequestedBy string
	Reason      string
	// Override is why a deploy goes ahead during a freeze (--override);
	// such a deploy needs a second person from the approve list.
	Override   string
	Channel    string
	MessageTS  string
	State      PendingState
	ApprovedBy string
	// ChangedBy and Changed say who made the last transition and when.
	ChangedBy string
	Changed   time.Time
	Created   time.Time
	Expires   time.Time
	// DeploymentID is the deployment that carries the request out, once
	// AWS accepted it: the new deployment, or for a rollback that stopped
	// a running deployment, that deployment itself.
	DeploymentID string
	// Error says why a failed request failed.
	Error string
	// Rev counts changes, starting at 1.
	Rev int64
}

// Change is what a transition of a deploy request records besides the new
// state. Empty fields leave the stored value alone.
type Change struct {
	// By is the Slack user making the transition ("" for the bot itself,
	// for example on expiry).
	By string
	// At defaults to now.
	At           time.Time
	ApprovedBy   string
	DeploymentID string
	Error        string
	// RefuseIfLocked makes the transition fail with ECONFLICT (cause
	// *LockHeldError) when a lock covers the request's app and environment,
	// checked in the same transaction: a Confirm and a lock taken at the
	// same moment cannot both win.
	RefuseIfLocked bool
	// RefuseIfFrozen makes the transition fail with ECONFLICT (cause
	// *FrozenError) when a freeze covers the request's app at the
	// transition's time: one made with /deploy freeze, checked in the same
	// transaction, or one of Windows (the config's), so that a freeze that
	// starts at the moment of Confirm is honoured too.
	RefuseIfFrozen bool
	Windows        []FreezeWindow
}

// StateError is the cause inside the ECONFLICT error of a refused
// transition of a deploy request: the state the request is really in and
// who put it there. Callers find it with errors.As.
type StateError struct {
	ID    string
	State PendingState
	By    string
	At    time.Time
}

// Error says what state the request is in, by whom and since when.
func (e *StateError) Error() string {
	return fmt.Sprintf("deploy request %s is %s (by %q at %s)", e.ID, e.State, e.By, e.At.Format(time.RFC3339))
}

// Lock stops deploys of an app in one environment, or in all of them when
// Env is empty.
type Lock struct {
	App      string
	Env      string
	Reason   string
	LockedBy string
	Created  time.Time
	// Channel and MessageTS name the message that announced the lock, which
	// lists the deploys queued behind it; empty until it is posted.
	Channel   string
	MessageTS string
}

// LockHeldError is the cause inside the ECONFLICT error of a lock that
// could not be taken, or of a start refused because of a lock: the lock
// that is in the way. Callers find it with errors.As and render it; its
// reason is a person's text, so no message carries it unescaped.
type LockHeldError struct {
	Lock Lock
}

// Error names the lock for logs.
func (e *LockHeldError) Error() string {
	scope := e.Lock.App
	if e.Lock.Env != "" {
		scope += " in " + e.Lock.Env
	}
	return fmt.Sprintf("%s is locked by %s since %s", scope, e.Lock.LockedBy, e.Lock.Created.Format(time.RFC3339))
}

// Result is how an audited action ended.
type Result string

// Audit results.
const (
	ResultOK      Result = "ok"      // done
	ResultRefused Result = "refused" // refused before anything changed (not allowed, locked, bad input)
	ResultFailed  Result = "failed"  // attempted and failed
)

// AuditEntry is one line of the audit trail: who did what, when, from which
// message, with what result. The trail is append-only; the store refuses
// updates and deletes.
type AuditEntry struct {
	// ID is assigned when the entry is appended and increases with every
	// entry.
	ID        int64
	At        time.Time
	User      string
	Action    string
	App       string
	Env       string
	Channel   string
	MessageTS string
	Result    Result
	Detail    string
}

// AuditQuery selects audit entries, newest first: about App (any app when
// empty), at or after Since (any time when zero), at most Limit (50 when
// zero or less).
type AuditQuery struct {
	App   string
	Since time.Time
	Limit int
}

// Lease is a replica's hold on a deployment (its key is the deployment's
// id) or on a job only one replica should run at a time: until Expires
// only Owner acts for it. Fence grows at every change of owner; a write
// made under a lease names it, and the store refuses it once another owner
// holds the key, so a replica that lost its lease (paused, cut off) cannot
// undo its successor's work.
type Lease struct {
	Key     string
	Owner   string
	Expires time.Time
	Fence   int64
}

// Held reports whether the lease is still Owner's at at.
func (l Lease) Held(at time.Time) bool { return l.Owner != "" && at.Before(l.Expires) }

// LeaseLostError is the cause inside the ECONFLICT error of a write made
// under a lease that is no longer the holding: Now is who holds the key.
type LeaseLostError struct {
	Key string
	Now Lease
}

// Error names the key and its holder for logs.
func (e *LeaseLostError) Error() string {
	return fmt.Sprintf("lease of %s is held by %s (fence %d)", e.Key, e.Now.Owner, e.Now.Fence)
}
