package commands

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchyard/switchyard"
)

// lockAtConfirm is bob, on call, locking the app at the very moment alice's
// Confirm is being decided: the lock lands just before the request moves to
// confirmed, after every earlier check has passed.
type lockAtConfirm struct {
	Store
	taken atomic.Bool
}

func (s *lockAtConfirm) Transition(ctx context.Context, id string, from []switchyard.PendingState, to switchyard.PendingState, ch switchyard.Change) (switchyard.Pending, error) {
	if to == switchyard.StateConfirmed && s.taken.CompareAndSwap(false, true) {
		if _, err := s.Store.Lock(ctx, switchyard.Lock{App: "web", Reason: "incident: db failover", LockedBy: bob}); err != nil {
			return switchyard.Pending{}, err
		}
	}
	return s.Store.Transition(ctx, id, from, to, ch)
}

// A lock taken at the moment of Confirm stops the deployment: the lock is
// checked where the start is decided, not only before.
func TestLockAtTheMomentOfConfirmStopsTheStart(t *testing.T) {
	race := &lockAtConfirm{}
	w := newWorld(t, worldOptions{wrap: func(s Store) Store { race.Store = s; return race }})
	ts := w.request(alice, "web v1.4 to staging")
	w.click(alice, ts, "confirm")

	if !race.taken.Load() {
		t.Fatal("the lock was never taken at Confirm; the test did not test anything")
	}
	if n := w.dep.starts.Load(); n != 0 {
		t.Fatalf("the deployment started %d time(s) although web was locked when Confirm was decided", n)
	}
	wantIn(t, "alice's answer", w.lastEphemeral(deploys, alice), "*web* is locked by <@U0BOB>", "incident: db failover", "Nothing was deployed")
	if got := actions(w.card()); !slices.Contains(got, "confirm") {
		t.Errorf("the card lost its Confirm button (%v); it should wait for an unlock", got)
	}
	if a := w.lastAudit(); a.Action != actConfirm || a.Result != switchyard.ResultRefused || !strings.Contains(a.Detail, "locked by U0BOB") {
		t.Errorf("audit = %+v", a)
	}
}

// The other order: alice's Confirm wins, then bob locks while the
// deployment starts. The lock holds for what comes next, and bob is told
// in the same message that it did not stop what was already under way.
func TestLockAfterConfirmSaysWhatItDoesNotStop(t *testing.T) {
	w := newWorld(t, worldOptions{})
	ts := w.request(alice, "web v1.4 to staging")
	w.click(alice, ts, "confirm")
	if n := w.dep.starts.Load(); n != 1 {
		t.Fatalf("starts = %d", n)
	}
	w.slash(carol, deploys, "lock web incident: db failover")
	wantIn(t, "lock announcement", shown(w.card()), ":lock: *web* is locked by <@U0CAROL>",
		"web v1.4 to staging, asked by <@U0ALICE>, is already running as d-", "the lock does not stop it")
}
