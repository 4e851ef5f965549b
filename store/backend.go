package store

import (
	"context"
	"time"

	"github.com/switchyard/switchyard"
)

// Backend is what every store implementation provides, with the same
// meaning: store/storetest holds the suite that each one passes. Errors are
// *switchyard.Error with the codes named below; anything else is a failure
// of the database itself. Times come back in UTC at millisecond precision.
// Every method is safe for concurrent use, also from several processes
// sharing one database.
type Backend interface {
	// CreateDeployment stores a new deployment and returns it as stored,
	// with Rev 1; Created defaults to now. ECONFLICT if the ID is taken or
	// another deployment already uses the same card; EINVALID if ID, App,
	// Env or Status is missing.
	CreateDeployment(ctx context.Context, rec switchyard.Record) (switchyard.Record, error)
	// GetDeployment returns the deployment with that ID, or ENOTFOUND.
	GetDeployment(ctx context.Context, id string) (switchyard.Record, error)
	// FindByCard returns the deployment whose live card is the message
	// (channel, ts), or ENOTFOUND.
	FindByCard(ctx context.Context, channel, ts string) (switchyard.Record, error)
	// ListActive returns every deployment whose status is not final, oldest
	// first (by Created, then ID).
	ListActive(ctx context.Context) ([]switchyard.Record, error)
	// ListUntold returns the deployments that ended at or after since, have
	// a card, and whose final result is neither told (a "final" reply with
	// a ts) nor kept quiet (a "quiet" mark): a replica that died between
	// seeing the end and telling it leaves them so. Oldest first.
	ListUntold(ctx context.Context, since time.Time) ([]switchyard.Record, error)
	// ListByApp returns the latest deployments of app, newest first (by
	// Created, then ID, both descending), at most limit (<= 0 means 10); an
	// empty env means every environment.
	ListByApp(ctx context.Context, app, env string, limit int) ([]switchyard.Record, error)
	// UpdateDeploymentIf applies mutate to the stored deployment and saves
	// it with Rev+1, atomically, only if the stored Rev is expectedRev (or
	// expectedRev is switchyard.AnyRev): else ECONFLICT and nothing changes.
	// ENOTFOUND for an unknown ID; ECONFLICT if the result takes another
	// deployment's card; EINVALID if it lacks App, Env or Status. An error
	// from mutate is returned as is and nothing is saved. mutate must not do
	// I/O and cannot change ID, Rev or Updated.
	UpdateDeploymentIf(ctx context.Context, id string, expectedRev int64, mutate func(*switchyard.Record) error) (switchyard.Record, error)
	// MarkReply records the thread reply key of a deployment, posted as
	// message ts (or about to be, with ts empty). true if this call
	// recorded it, false if the key was there already; of concurrent calls
	// with one key exactly one gets true. ENOTFOUND for an unknown
	// deployment; EINVALID for an empty key.
	MarkReply(ctx context.Context, deploymentID, key, ts string) (bool, error)
	// SetReplyTS fills in the ts of a marked reply; ENOTFOUND if the key
	// was never marked.
	SetReplyTS(ctx context.Context, deploymentID, key, ts string) error
	// Replies returns every recorded reply of a deployment as key → ts.
	Replies(ctx context.Context, deploymentID string) (map[string]string, error)
	// UpdateDeploymentUnder is UpdateDeploymentIf with AnyRev made under a
	// lease of the deployment's id: refused with ECONFLICT, cause
	// *switchyard.LeaseLostError, unless lease is still the holding of that
	// key (same owner, same fence), decided in the same transaction.
	UpdateDeploymentUnder(ctx context.Context, id string, lease switchyard.Lease, mutate func(*switchyard.Record) error) (switchyard.Record, error)

	// AcquireLease claims key for owner from at until at+ttl: it wins when
	// the key is free, its lease ran out, or owner holds it (a renewal,
	// same fence); a new owner's fence is greater than every earlier one's.
	// won is false, with the lease that stands, when another owner holds
	// it; of concurrent claims of a free key exactly one wins. EINVALID
	// without key, owner or a positive ttl. Times are the caller's (real
	// time, not a simulated clock).
	AcquireLease(ctx context.Context, key, owner string, at time.Time, ttl time.Duration) (l switchyard.Lease, won bool, err error)
	// ReleaseLease gives key up if owner holds it, so that another may take
	// it at once; otherwise it does nothing.
	ReleaseLease(ctx context.Context, key, owner string) error

	// CreatePending stores a new request (state pending unless given; a
	// random "p-…" ID when empty; the deploy kind when none) and returns it
	// as stored, its plan read back equal. EINVALID without App, Env,
	// Version, RequestedBy or Expires, or for a rollback that names no
	// deployment (or a deploy that names one); ECONFLICT if the ID is taken.
	CreatePending(ctx context.Context, p switchyard.Pending) (switchyard.Pending, error)
	// GetPending returns the request with that ID, or ENOTFOUND.
	GetPending(ctx context.Context, id string) (switchyard.Pending, error)
	// FindPendingByMessage returns the request shown by the message
	// (channel, ts), or ENOTFOUND.
	FindPendingByMessage(ctx context.Context, channel, ts string) (switchyard.Pending, error)
	// SetPendingMessage records the message showing the request without
	// changing its state or Rev; ENOTFOUND for an unknown ID.
	SetPendingMessage(ctx context.Context, id, channel, ts string) error
	// Transition moves the request from one of the states in from to the
	// state to as one compare-and-set: of concurrent transitions out of a
	// state exactly one succeeds. Otherwise ECONFLICT with a sentence for
	// the person and a *switchyard.StateError cause; a request past its
	// Expires cannot be approved or confirmed. With ch.RefuseIfLocked, a
	// lock covering the request refuses it too (cause
	// *switchyard.LockHeldError), decided so that a Lock at the same moment
	// either refuses it or, when the Lock returns, finds it in
	// ListStarting. With ch.RefuseIfFrozen, a stored freeze or one of
	// ch.Windows covering the request's app at the transition's time
	// refuses it (cause *switchyard.FrozenError). ENOTFOUND for an unknown
	// ID, EINVALID for an unknown state.
	Transition(ctx context.Context, id string, from []switchyard.PendingState, to switchyard.PendingState, ch switchyard.Change) (switchyard.Pending, error)
	// ListExpired returns the open requests whose Expires is at or before
	// now, oldest expiry first (then by ID).
	ListExpired(ctx context.Context, now time.Time) ([]switchyard.Pending, error)
	// ListStarting returns the confirmed requests of app (in env, or every
	// environment when env is empty) whose deployment is not linked yet,
	// by Changed then ID. A lock taken after such a Confirm does not stop
	// it: the one who takes it reads this to be told.
	ListStarting(ctx context.Context, app, env string) ([]switchyard.Pending, error)
	// ListUnlinked returns the confirmed requests never linked to a
	// deployment whose last change is before before, by Changed then ID:
	// starts cut short, for commands to close.
	ListUnlinked(ctx context.Context, before time.Time) ([]switchyard.Pending, error)
	// FindRequest returns the request that started deployment id (the one
	// linked to it, but not a rollback request that stopped it), or
	// ENOTFOUND.
	FindRequest(ctx context.Context, id string) (switchyard.Pending, error)
	// ListRollbacksOf returns the rollback requests of deployment id, in
	// any state, oldest first (by Created, then ID).
	ListRollbacksOf(ctx context.Context, id string) ([]switchyard.Pending, error)

	// Lock takes a lock: ECONFLICT, with the lock in the way as a
	// *switchyard.LockHeldError cause (its reason never in the message), if
	// one already covers the same scope (the environment, the whole app, or for
	// an app-wide lock any environment of it); of concurrent Locks on
	// overlapping scopes exactly one succeeds. EINVALID without App, Reason
	// or LockedBy; Created defaults to now.
	Lock(ctx context.Context, l switchyard.Lock) (switchyard.Lock, error)
	// Unlock removes the lock on exactly (app, env) and returns it, or
	// ENOTFOUND.
	Unlock(ctx context.Context, app, env string) (switchyard.Lock, error)
	// GetLock returns the lock that stops a deploy of app to env (that
	// environment's or the app-wide one; with env empty, any lock on the
	// app); ok is false if there is none.
	GetLock(ctx context.Context, app, env string) (l switchyard.Lock, ok bool, err error)
	// ListLocks returns every lock, by app and environment.
	ListLocks(ctx context.Context) ([]switchyard.Lock, error)
	// SetLockMessage records the message (channel, ts) that announced the
	// lock on exactly (app, env); ENOTFOUND if there is none.
	SetLockMessage(ctx context.Context, app, env, channel, ts string) error

	// Freeze stores a freeze a person made (a random "f-…" ID when empty;
	// Start defaults to now) and returns it. EINVALID without Reason or
	// By, or with an End not after Start. App "" freezes every app.
	Freeze(ctx context.Context, f switchyard.Freeze) (switchyard.Freeze, error)
	// Unfreeze ends, at at, the freezes made for exactly app ("" for the
	// ones of every app) that are in force then or still to come (those
	// end where they would have started), and returns them, by Start then
	// ID; ENOTFOUND if there is none.
	Unfreeze(ctx context.Context, app string, at time.Time) ([]switchyard.Freeze, error)
	// ListFreezes returns the freezes in force at at or still to come, by
	// Start then ID.
	ListFreezes(ctx context.Context, at time.Time) ([]switchyard.Freeze, error)

	// Enqueue stores a deploy waiting for its app and environment to be
	// free, in state waiting (a random "q-…" ID when empty; Created
	// defaults to now). EINVALID without App, Env, Version, RequestedBy,
	// Channel or Expires; ECONFLICT if RequestedBy already waits in that
	// line (of concurrent Enqueues of one person in one line exactly one
	// succeeds).
	Enqueue(ctx context.Context, q switchyard.Queued) (switchyard.Queued, error)
	// GetQueued returns the queued deploy with that ID, or ENOTFOUND.
	GetQueued(ctx context.Context, id string) (switchyard.Queued, error)
	// ListQueue returns the deploys of app ("" for every app) in env (""
	// for every environment) that are in line: waiting, or handed with no
	// deploy request linked yet or its request still pending or approved;
	// in line order: by app, environment, Created, then ID.
	ListQueue(ctx context.Context, app, env string) ([]switchyard.Queued, error)
	// ListQueueExpired returns the waiting deploys whose Expires is at or
	// before now, oldest expiry first (then by ID).
	ListQueueExpired(ctx context.Context, now time.Time) ([]switchyard.Queued, error)
	// HandOut gives the turn of app in env to the first waiting deploy
	// that has not expired at at (waiting → handed, Handed = at) and
	// returns it, as one compare-and-set: ok is false, and nothing
	// changes, when nothing waits or another deploy of that line still
	// holds its turn (handed less than hold ago with no deploy request
	// linked yet, or with its linked request still pending or approved).
	// Handed deploys that no longer hold it become served. Of concurrent
	// calls for one line exactly one hands a turn out.
	HandOut(ctx context.Context, app, env string, at time.Time, hold time.Duration) (q switchyard.Queued, ok bool, err error)
	// SetQueuedPending links a queued deploy to the deploy request made for
	// it when its turn came; ENOTFOUND for an unknown ID.
	SetQueuedPending(ctx context.Context, id, pendingID string) error
	// SettleQueued moves a queued deploy from one of the states in from to
	// the state to, by whom, at at, as one compare-and-set: of concurrent
	// moves out of a state exactly one succeeds; otherwise ECONFLICT with
	// a sentence saying what became of it. ENOTFOUND for an unknown ID,
	// EINVALID for an unknown state.
	SettleQueued(ctx context.Context, id string, from []switchyard.QueueState, to switchyard.QueueState, by string, at time.Time) (switchyard.Queued, error)

	// Audit appends an entry and returns it with its ID, which grows with
	// every entry; At defaults to now. EINVALID without Action or a valid
	// Result. The database refuses updates and deletes of the trail.
	Audit(ctx context.Context, e switchyard.AuditEntry) (switchyard.AuditEntry, error)
	// AuditByApp returns the latest limit entries about app, newest first
	// (limit <= 0 means 50).
	AuditByApp(ctx context.Context, app string, limit int) ([]switchyard.AuditEntry, error)
	// RecentAudit returns the latest limit entries, newest first (limit <=
	// 0 means 50).
	RecentAudit(ctx context.Context, limit int) ([]switchyard.AuditEntry, error)
	// ReadAudit returns the entries q selects, newest first.
	ReadAudit(ctx context.Context, q switchyard.AuditQuery) ([]switchyard.AuditEntry, error)

	// Version returns the schema version of the database.
	Version(ctx context.Context) (int, error)
	// Ping reports whether the database answers now, with one cheap round
	// trip: nil if it does. Readiness asks it every few seconds.
	Ping(ctx context.Context) error
	// Close releases the database; calls in flight finish first.
	Close() error
}
