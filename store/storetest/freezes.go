package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

func testLockMessage(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	wantCode(t, s.SetLockMessage(ctx, "web", "", "CDEPLOYS", "1.000001"), switchyard.ENOTFOUND)
	if _, err := s.Lock(ctx, switchyard.Lock{App: "web", Reason: "incident", LockedBy: "UBOB"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLockMessage(ctx, "web", "", "CDEPLOYS", "1.000001"); err != nil {
		t.Fatal(err)
	}
	l, ok, err := s.GetLock(ctx, "web", "production")
	if err != nil || !ok || l.Channel != "CDEPLOYS" || l.MessageTS != "1.000001" {
		t.Errorf("GetLock = %+v, %v, %v; want the announcing message", l, ok, err)
	}
	un, err := s.Unlock(ctx, "web", "")
	if err != nil || un.MessageTS != "1.000001" {
		t.Errorf("Unlock = %+v, %v; want the announcing message with the lock", un, err)
	}
}

func testFreezes(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	_, err := s.Freeze(ctx, switchyard.Freeze{App: "web", By: "UBOB", End: t0.Add(time.Hour)})
	wantCode(t, err, switchyard.EINVALID)
	_, err = s.Freeze(ctx, switchyard.Freeze{App: "web", Reason: "release week", By: "UBOB", End: t0})
	wantCode(t, err, switchyard.EINVALID)

	f, err := s.Freeze(ctx, switchyard.Freeze{App: "web", Reason: "release week", By: "UBOB", End: t0.Add(30*time.Minute + 1500*time.Microsecond)})
	if err != nil || !strings.HasPrefix(f.ID, "f-") || !f.Start.Equal(t0) || !f.End.Equal(t0.Add(30*time.Minute+time.Millisecond)) {
		t.Fatalf("Freeze = %+v, %v", f, err)
	}
	all, err := s.Freeze(ctx, switchyard.Freeze{Reason: "holidays", By: "UALICE", Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListFreezes(ctx, t0)
	if err != nil || len(list) != 2 || list[0].ID != f.ID || list[1].ID != all.ID || list[0].Reason != "release week" ||
		list[0].By != "UBOB" || list[1].App != "" || list[0].Start.Location() != time.UTC {
		t.Fatalf("ListFreezes = %+v, %v", list, err)
	}
	if list, _ := s.ListFreezes(ctx, t0.Add(90*time.Minute)); len(list) != 1 || list[0].ID != all.ID {
		t.Errorf("ListFreezes later = %+v; want the one still in force", list)
	}

	// Lifting web's freeze ends it now; the freeze of every app is another
	// scope and stays, and one still to come ends where it would start.
	e.clock.Advance(10 * time.Minute)
	lifted, err := s.Unfreeze(ctx, "web", time.Time{})
	if err != nil || len(lifted) != 1 || lifted[0].ID != f.ID || !lifted[0].End.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("Unfreeze(web) = %+v, %v", lifted, err)
	}
	_, err = s.Unfreeze(ctx, "web", time.Time{})
	wantCode(t, err, switchyard.ENOTFOUND)
	lifted, err = s.Unfreeze(ctx, "", time.Time{})
	if err != nil || len(lifted) != 1 || !lifted[0].End.Equal(lifted[0].Start) {
		t.Fatalf("Unfreeze(all) = %+v, %v", lifted, err)
	}
	if list, _ := s.ListFreezes(ctx, time.Time{}); len(list) != 0 {
		t.Errorf("freezes after lifting them all: %+v", list)
	}
}

// testConfirmRefusedByAFreeze: a Confirm that asks to be refused under a
// freeze is, by a stored freeze of the app or of every app and by a
// config window, including one that starts at the very moment of the
// Confirm; a rollback (not asking) goes ahead.
func testConfirmRefusedByAFreeze(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	newReq := func() switchyard.Pending {
		in := samplePending()
		in.Expires = t0.Add(24 * time.Hour)
		p, err := s.CreatePending(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	frozen := switchyard.Change{By: "UALICE", RefuseIfFrozen: true}

	if _, err := s.Freeze(ctx, switchyard.Freeze{App: "web", Reason: "release week", By: "UBOB", End: t0.Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	p := newReq()
	_, err := s.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, frozen)
	wantCode(t, err, switchyard.ECONFLICT)
	var fe *switchyard.FrozenError
	if !errors.As(err, &fe) || fe.Freeze.Reason != "release week" || !fe.Freeze.End.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("refusal cause = %#v", err)
	}
	if msg := switchyard.ErrorMessage(err); strings.Contains(msg, "release week") {
		t.Errorf("the freeze's reason is in the message: %q", msg)
	}
	if got, _ := s.GetPending(ctx, p.ID); got.State != switchyard.StatePending || got.Rev != 1 {
		t.Errorf("a refused Confirm changed the request: %+v", got)
	}
	// Without asking (a rollback, or an approved override) it goes ahead.
	if _, err := s.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UALICE"}); err != nil {
		t.Fatalf("a Confirm that does not ask about freezes: %v", err)
	}

	// After the freeze ends, a freeze of every app that starts at the
	// moment of the Confirm refuses it.
	e.clock.Advance(30 * time.Minute)
	p = newReq()
	if _, err := s.Transition(ctx, p.ID, openStates, switchyard.StateApproved, frozen); err != nil {
		t.Fatalf("after the freeze: %v", err)
	}
	at := t0.Add(40 * time.Minute)
	if _, err := s.Freeze(ctx, switchyard.Freeze{Reason: "holidays", By: "UBOB", Start: at, End: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ch := frozen
	ch.At = at
	_, err = s.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, ch)
	if !errors.As(err, &fe) || fe.Freeze.Reason != "holidays" || fe.Freeze.App != "" {
		t.Fatalf("a freeze of every app starting at the Confirm: %v", err)
	}
	if _, err := s.Unfreeze(ctx, "", at); err != nil {
		t.Fatal(err)
	}

	// A config window, evaluated at the transition's own time.
	window := switchyard.FreezeWindow{Name: "deploy-free-hour", Apps: []string{"web"}, Reason: "change board", Location: time.UTC,
		Dates: []switchyard.Span{{Start: at, End: at.Add(time.Hour)}}}
	ch.Windows = []switchyard.FreezeWindow{window}
	ch.At = at.Add(-time.Millisecond)
	p2, err := s.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, ch)
	if err != nil {
		t.Fatalf("a millisecond before the window: %v", err)
	}
	p = newReq()
	ch.At = at
	_, err = s.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, ch)
	if !errors.As(err, &fe) || fe.Freeze.Window != "deploy-free-hour" || !fe.Freeze.End.Equal(at.Add(time.Hour)) {
		t.Fatalf("the window at its start: %v (earlier confirm %s)", err, p2.State)
	}
	// The window is web's: another app's request goes ahead.
	other := samplePending()
	other.App, other.Expires = "api", t0.Add(24*time.Hour)
	op, err := s.CreatePending(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(ctx, op.ID, openStates, switchyard.StateConfirmed, ch); err != nil {
		t.Errorf("web's window refused api: %v", err)
	}

	// The override reason is kept with the request.
	ov := samplePending()
	ov.Override = "hotfix for checkout"
	created, err := s.CreatePending(ctx, ov)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := s.GetPending(ctx, created.ID); err != nil || back.Override != "hotfix for checkout" {
		t.Errorf("override = %q, %v", back.Override, err)
	}
}
