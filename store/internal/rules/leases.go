package rules

import (
	"time"

	"github.com/switchyard/switchyard"
)

// Acquire decides a claim of key by owner at at for ttl, given the lease
// held now (ok false when there is none): the claim wins when the key is
// free, its lease has run out, or owner holds it already (a renewal). A
// winning claim returns the lease to store, whose fence grows when the
// owner changes; a losing one returns the lease that stands.
func Acquire(cur switchyard.Lease, ok bool, key, owner string, at time.Time, ttl time.Duration) (next switchyard.Lease, won bool) {
	switch {
	case !ok:
		return switchyard.Lease{Key: key, Owner: owner, Expires: Trunc(at.Add(ttl)), Fence: 1}, true
	case cur.Owner == owner:
		cur.Expires = Trunc(at.Add(ttl))
		return cur, true
	case !cur.Held(at):
		return switchyard.Lease{Key: key, Owner: owner, Expires: Trunc(at.Add(ttl)), Fence: cur.Fence + 1}, true
	default:
		return cur, false
	}
}

// CheckLease refuses a write made under l when the lease of its key held
// now (ok false when none) is another: another owner, or a later fence.
func CheckLease(l, cur switchyard.Lease, ok bool) error {
	if ok && cur.Owner == l.Owner && cur.Fence == l.Fence {
		return nil
	}
	if !ok {
		cur = switchyard.Lease{Key: l.Key}
	}
	return &switchyard.Error{Code: switchyard.ECONFLICT, Message: "Another replica now watches this deployment.",
		Err: &switchyard.LeaseLostError{Key: l.Key, Now: cur}}
}

// CheckLeaseArgs refuses a claim without a key or an owner, or for no time.
func CheckLeaseArgs(key, owner string, ttl time.Duration) error {
	if key == "" || owner == "" || ttl <= 0 {
		return switchyard.Errorf(switchyard.EINVALID, "A lease needs a key, an owner and a duration.")
	}
	return nil
}
