package switchyard

import "time"

// QueueState is where a queued deploy request stands.
type QueueState string

// Queue states. Waiting is the only one that moves up the line; Handed
// means its turn came and its confirmation card was (or is being) posted.
const (
	QueueWaiting   QueueState = "waiting"
	QueueHanded    QueueState = "handed"
	QueueWithdrawn QueueState = "withdrawn" // the person left the queue
	QueueExpired   QueueState = "expired"   // its turn did not come in time
	QueueFailed    QueueState = "failed"    // its turn came but the deploy was refused
	// QueueServed: its turn came and is over: its card was confirmed,
	// cancelled or expired (or never came, the replica that took the
	// turn having died), so the next in line may have the turn.
	QueueServed QueueState = "served"
)

// Queued is a deploy waiting for its app and environment to be free: not
// locked, not frozen, not deploying. Requests wait in order per app and
// environment; when the first one's turn comes it gets a confirmation card
// like a typed /deploy, and the person still confirms.
type Queued struct {
	ID      string
	App     string
	Env     string
	Version string
	Config  string // "" for the environment's default
	Reason  string
	// RequestedBy asked from Channel, where the card will be posted.
	RequestedBy string
	Channel     string
	State       QueueState
	Created     time.Time
	Expires     time.Time
	// Handed is when its turn came; PendingID the deploy request made for
	// it then, once made.
	Handed    time.Time
	PendingID string
	ChangedBy string
	Changed   time.Time
	Rev       int64
}

// Open reports whether a request in state s still waits for its turn.
func (s QueueState) Open() bool { return s == QueueWaiting }
