package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

var openStates = []switchyard.PendingState{switchyard.StatePending, switchyard.StateApproved}

func samplePending() switchyard.Pending {
	return switchyard.Pending{
		App: "web", Env: "production", Version: "v1.4",
		Plan: &switchyard.Plan{App: "web", Version: "v1.4", ImageNext: "web:v1.4", Config: "CodeDeployDefault.ECSAllAtOnce",
			Traffic: switchyard.TrafficShape{Type: switchyard.RoutingAllAtOnce}, Alarms: []switchyard.Alarm{{Name: "web-5xx", State: "OK"}},
			Hooks: map[string]string{switchyard.BeforeAllowTraffic: "smoke"}, PlannedAt: t0},
		RequestedBy: "UALICE", Reason: "fix login", Channel: "CDEPLOYS",
		Expires: t0.Add(15 * time.Minute),
	}
}

func testCreateAndGetPending(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	in := samplePending()
	in.Expires = in.Expires.Add(1500 * time.Microsecond) // below stored precision
	p, err := s.CreatePending(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.ID, "p-") || p.State != switchyard.StatePending || p.Rev != 1 || !p.Created.Equal(t0) ||
		p.ChangedBy != "UALICE" || !p.Changed.Equal(t0) || !p.Expires.Equal(t0.Add(15*time.Minute+time.Millisecond)) {
		t.Errorf("created = %+v", p)
	}
	got, err := s.GetPending(ctx, p.ID)
	if err != nil || got.ID != p.ID || !reflect.DeepEqual(got.Plan, p.Plan) || !got.Expires.Equal(p.Expires) || got.Reason != "fix login" ||
		got.Kind != switchyard.KindDeploy || got.RollbackOf != "" {
		t.Errorf("GetPending = %+v, %v", got, err)
	}
	if got.Expires.Location() != time.UTC || got.Created.Location() != time.UTC || got.Changed.Location() != time.UTC {
		t.Errorf("times not in UTC: %v %v %v", got.Expires, got.Created, got.Changed)
	}
	_, err = s.CreatePending(ctx, switchyard.Pending{ID: p.ID, App: "web", Env: "production", Version: "v1", RequestedBy: "U", Expires: t0})
	wantCode(t, err, switchyard.ECONFLICT)
	_, err = s.CreatePending(ctx, switchyard.Pending{App: "web"})
	wantCode(t, err, switchyard.EINVALID)
	// A rollback names what it undoes; a deploy does not.
	bad := samplePending()
	bad.Kind = switchyard.KindRollback
	_, err = s.CreatePending(ctx, bad)
	wantCode(t, err, switchyard.EINVALID)
	bad = samplePending()
	bad.RollbackOf = "d-ABCDEFGHI"
	_, err = s.CreatePending(ctx, bad)
	wantCode(t, err, switchyard.EINVALID)
	bad = samplePending()
	bad.Kind = "redeploy"
	_, err = s.CreatePending(ctx, bad)
	wantCode(t, err, switchyard.EINVALID)
	_, err = s.GetPending(ctx, "p-nope")
	wantCode(t, err, switchyard.ENOTFOUND)
	empty := samplePending()
	empty.Plan = nil
	if ep, err := s.CreatePending(ctx, empty); err != nil || ep.Plan != nil {
		t.Errorf("a request without a plan = %+v, %v", ep.Plan, err)
	} else if back, err := s.GetPending(ctx, ep.ID); err != nil || back.Plan != nil {
		t.Errorf("a request without a plan reads back %+v, %v", back.Plan, err)
	}

	if err := s.SetPendingMessage(ctx, p.ID, "CDEPLOYS", "5.000001"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.SetPendingMessage(ctx, "p-nope", "C", "1"), switchyard.ENOTFOUND)
	byMsg, err := s.FindPendingByMessage(ctx, "CDEPLOYS", "5.000001")
	if err != nil || byMsg.ID != p.ID || byMsg.Rev != 1 {
		t.Errorf("FindPendingByMessage = %+v, %v", byMsg, err)
	}
	_, err = s.FindPendingByMessage(ctx, "CDEPLOYS", "6.000001")
	wantCode(t, err, switchyard.ENOTFOUND)
	_, err = s.FindPendingByMessage(ctx, "CDEPLOYS", "")
	wantCode(t, err, switchyard.ENOTFOUND)
}

func testTransitions(t *testing.T, e *env) {
	s, c, ctx := e.s, e.clock, context.Background()
	p, _ := s.CreatePending(ctx, samplePending())

	c.Advance(time.Minute)
	ap, err := s.Transition(ctx, p.ID, []switchyard.PendingState{switchyard.StatePending}, switchyard.StateApproved, switchyard.Change{By: "UBOB", ApprovedBy: "UBOB"})
	if err != nil || ap.State != switchyard.StateApproved || ap.ApprovedBy != "UBOB" || ap.Rev != 2 || !ap.Changed.Equal(c.Now()) {
		t.Fatalf("approve = %+v, %v", ap, err)
	}
	cf, err := s.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UALICE", DeploymentID: "d-NEW"})
	if err != nil || cf.State != switchyard.StateConfirmed || cf.DeploymentID != "d-NEW" || cf.ApprovedBy != "UBOB" {
		t.Fatalf("confirm = %+v, %v", cf, err)
	}

	// The second click is told what happened, by whom.
	_, err = s.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UALICE"})
	wantCode(t, err, switchyard.ECONFLICT)
	msg := switchyard.ErrorMessage(err)
	if !strings.Contains(msg, "already confirmed") || !strings.Contains(msg, "<@UALICE>") {
		t.Errorf("conflict message = %q", msg)
	}
	var se *switchyard.StateError
	if !errors.As(err, &se) || se.State != switchyard.StateConfirmed || se.By != "UALICE" || !se.At.Equal(c.Now()) {
		t.Errorf("conflict cause = %#v", se)
	}

	at := t0.Add(2*time.Minute + 700*time.Microsecond)
	fl, err := s.Transition(ctx, p.ID, []switchyard.PendingState{switchyard.StateConfirmed}, switchyard.StateFailed, switchyard.Change{Error: "the tag is gone", At: at})
	if err != nil || fl.State != switchyard.StateFailed || fl.Error != "the tag is gone" || fl.DeploymentID != "d-NEW" || !fl.Changed.Equal(at.Truncate(time.Millisecond)) {
		t.Errorf("fail = %+v, %v", fl, err)
	}
	got, _ := s.GetPending(ctx, p.ID)
	if got.State != switchyard.StateFailed || got.Rev != 4 || got.Error != "the tag is gone" || !got.Changed.Equal(fl.Changed) || got.ChangedBy != "" {
		t.Errorf("stored = %+v", got)
	}
	_, err = s.Transition(ctx, p.ID, openStates, "launched", switchyard.Change{})
	wantCode(t, err, switchyard.EINVALID)
	_, err = s.Transition(ctx, "p-nope", openStates, switchyard.StateCancelled, switchyard.Change{})
	wantCode(t, err, switchyard.ENOTFOUND)
}

func testExpiry(t *testing.T, e *env) {
	s, c, ctx := e.s, e.clock, context.Background()
	early := samplePending()
	early.Expires = t0.Add(5 * time.Minute)
	a, _ := s.CreatePending(ctx, early)
	a2, _ := s.CreatePending(ctx, early)
	b, _ := s.CreatePending(ctx, samplePending()) // expires at +15m
	done, _ := s.CreatePending(ctx, early)
	if _, err := s.Transition(ctx, done.ID, openStates, switchyard.StateCancelled, switchyard.Change{By: "UALICE"}); err != nil {
		t.Fatal(err)
	}
	first, second := a, a2
	if second.ID < first.ID {
		first, second = second, first
	}

	if got, err := s.ListExpired(ctx, t0.Add(5*time.Minute-time.Millisecond)); err != nil || len(got) != 0 {
		t.Errorf("expired a millisecond early = %v, %v", got, err)
	}
	c.Advance(5 * time.Minute)
	got, err := s.ListExpired(ctx, c.Now())
	if err != nil || len(got) != 2 || got[0].ID != first.ID || got[1].ID != second.ID {
		t.Fatalf("expired at +5m = %+v, %v; want %s then %s", got, err, first.ID, second.ID)
	}
	// Past its expiry a request cannot be confirmed even before the sweep.
	_, err = s.Transition(ctx, a.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UALICE"})
	wantCode(t, err, switchyard.ECONFLICT)
	var se *switchyard.StateError
	if !strings.Contains(switchyard.ErrorMessage(err), "expired") || !errors.As(err, &se) || se.State != switchyard.StateExpired {
		t.Errorf("message = %q, cause %#v", switchyard.ErrorMessage(err), se)
	}
	if _, err := s.Transition(ctx, a.ID, openStates, switchyard.StateExpired, switchyard.Change{}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Transition(ctx, a.ID, openStates, switchyard.StateCancelled, switchyard.Change{By: "UALICE"})
	if !strings.Contains(switchyard.ErrorMessage(err), "already expired") {
		t.Errorf("cancel after expiry: %q", switchyard.ErrorMessage(err))
	}
	if _, err := s.Transition(ctx, a2.ID, openStates, switchyard.StateExpired, switchyard.Change{}); err != nil {
		t.Fatal(err)
	}
	c.Advance(10 * time.Minute)
	if got, _ := s.ListExpired(ctx, c.Now()); len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("expired at +15m = %+v; want only %s", got, b.ID)
	}
}

// A double click, and a Confirm racing a Cancel: exactly one transition
// wins each round, and the stored state is the winner's.
func testDoubleConfirmAndConfirmVersusCancel(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	const rounds = 100
	for i := range rounds {
		moves := []switchyard.PendingState{switchyard.StateConfirmed, switchyard.StateConfirmed, switchyard.StateCancelled, switchyard.StateConfirmed}
		if i%2 == 0 {
			moves = []switchyard.PendingState{switchyard.StateConfirmed, switchyard.StateConfirmed}
		}
		p, err := s.CreatePending(ctx, samplePending())
		if err != nil {
			t.Fatal(err)
		}
		errs := race(len(moves), func(j int) error {
			_, err := s.Transition(ctx, p.ID, openStates, moves[j], switchyard.Change{By: "UALICE"})
			return err
		})
		won := moves[oneWinner(t, errs, switchyard.ECONFLICT)]
		got, _ := s.GetPending(ctx, p.ID)
		if got.State != won || got.Rev != 2 {
			t.Fatalf("round %d: stored %s rev %d, winner %s", i, got.State, got.Rev, won)
		}
	}
}

// Two handles on one database stand for two bot processes: a confirm still
// wins once.
func testConfirmRaceAcrossHandles(t *testing.T, e *env) {
	ctx := context.Background()
	a, b := e.s, e.open(t)
	for range 30 {
		p, err := a.CreatePending(ctx, samplePending())
		if err != nil {
			t.Fatal(err)
		}
		handles := []interface {
			Transition(context.Context, string, []switchyard.PendingState, switchyard.PendingState, switchyard.Change) (switchyard.Pending, error)
		}{a, b, a, b}
		errs := race(len(handles), func(j int) error {
			_, err := handles[j].Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UALICE"})
			return err
		})
		oneWinner(t, errs, switchyard.ECONFLICT)
	}
}

// A Confirm that asks for it is refused in its own transaction when a lock
// covers the request; one that lost no race to a lock lists as starting
// until its deployment is linked.
func testConfirmRefusedByALockAndStartingRequests(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	p, err := s.CreatePending(ctx, samplePending())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(ctx, switchyard.Lock{App: "web", Reason: "freeze", LockedBy: "UBOB"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UALICE", RefuseIfLocked: true})
	wantCode(t, err, switchyard.ECONFLICT)
	var held *switchyard.LockHeldError
	if !errors.As(err, &held) || held.Lock.LockedBy != "UBOB" || strings.Contains(switchyard.ErrorMessage(err), "freeze") {
		t.Fatalf("refusal = %v", err)
	}
	if got, _ := s.GetPending(ctx, p.ID); got.State != switchyard.StatePending || got.Rev != 1 {
		t.Fatalf("a refused Confirm moved the request to %s", got.State)
	}
	if _, err := s.Unlock(ctx, "web", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UALICE", RefuseIfLocked: true}); err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"", "production"} {
		got, err := s.ListStarting(ctx, "web", env)
		if err != nil || len(got) != 1 || got[0].ID != p.ID {
			t.Errorf("ListStarting(web, %q) = %+v, %v", env, got, err)
		}
	}
	if got, _ := s.ListStarting(ctx, "web", "staging"); len(got) != 0 {
		t.Errorf("staging lists %+v", got)
	}
	if got, _ := s.ListStarting(ctx, "api", ""); len(got) != 0 {
		t.Errorf("another app lists %+v", got)
	}
	confirmed := []switchyard.PendingState{switchyard.StateConfirmed}
	if _, err := s.Transition(ctx, p.ID, confirmed, switchyard.StateConfirmed, switchyard.Change{DeploymentID: "d-ABCDEFGHI"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ListStarting(ctx, "web", ""); len(got) != 0 {
		t.Errorf("a linked request still lists as starting: %+v", got)
	}
}

// A Confirm and a lock at the same moment, through two handles: either the
// lock refuses the Confirm, or the Confirm went first and whoever took the
// lock finds it among the starting requests right after. Never a Confirm
// that neither saw the lock nor shows to the locker.
func testLockVersusConfirm(t *testing.T, e *env) {
	ctx := context.Background()
	other := e.open(t)
	refused, started := 0, 0
	for round := range 30 {
		p := samplePending()
		p.App = fmt.Sprint("app", round)
		p, err := e.s.CreatePending(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		var starting []switchyard.Pending
		errs := race(2, func(i int) error {
			if i == 0 {
				if _, err := other.Lock(ctx, switchyard.Lock{App: p.App, Reason: "freeze", LockedBy: "UBOB"}); err != nil {
					return err
				}
				var err error
				starting, err = other.ListStarting(ctx, p.App, "")
				return err
			}
			_, err := e.s.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UALICE", RefuseIfLocked: true})
			return err
		})
		var held *switchyard.LockHeldError
		switch {
		case errs[0] != nil:
			t.Fatalf("round %d: lock: %v", round, errs[0])
		case errs[1] == nil && (len(starting) != 1 || starting[0].ID != p.ID):
			t.Fatalf("round %d: the Confirm won but the locker was not told: starting = %+v", round, starting)
		case errs[1] == nil:
			started++
		case errors.As(errs[1], &held):
			refused++
		default:
			t.Fatalf("round %d: confirm: %v", round, errs[1])
		}
	}
	t.Logf("30 rounds: the lock refused %d confirms, %d confirms went first", refused, started)
}

// A deployment's request is found by the deployment, and a rollback by the
// deployment it undoes; a rollback that stopped a deployment is not taken
// for the request that started it; a confirmed request never linked lists
// as cut short once old enough.
func testRequestsOfADeployment(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	confirmed := []switchyard.PendingState{switchyard.StateConfirmed}
	deploy, err := s.CreatePending(ctx, samplePending())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(ctx, deploy.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UALICE"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindRequest(ctx, "d-ABCDEFGHI")
	wantCode(t, err, switchyard.ENOTFOUND)
	if _, err := s.Transition(ctx, deploy.ID, confirmed, switchyard.StateConfirmed, switchyard.Change{DeploymentID: "d-ABCDEFGHI"}); err != nil {
		t.Fatal(err)
	}
	stop := samplePending()
	stop.Kind, stop.RollbackOf, stop.Plan, stop.RequestedBy = switchyard.KindRollback, "d-ABCDEFGHI", nil, "UBOB"
	stop.Created = t0.Add(time.Minute)
	stop, err = s.CreatePending(ctx, stop)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(ctx, stop.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UBOB"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(ctx, stop.ID, confirmed, switchyard.StateConfirmed, switchyard.Change{DeploymentID: "d-ABCDEFGHI"}); err != nil {
		t.Fatal(err)
	}
	redeploy := samplePending()
	redeploy.Kind, redeploy.RollbackOf, redeploy.RequestedBy = switchyard.KindRollback, "d-ABCDEFGHI", "UCAROL"
	redeploy.Created = t0.Add(2 * time.Minute)
	redeploy, err = s.CreatePending(ctx, redeploy)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(ctx, redeploy.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UCAROL", DeploymentID: "d-REDEPLOY1"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindRequest(ctx, "d-ABCDEFGHI")
	if err != nil || got.ID != deploy.ID {
		t.Errorf("FindRequest = %+v, %v; want the deploy request", got, err)
	}
	if got, err := s.FindRequest(ctx, "d-REDEPLOY1"); err != nil || got.ID != redeploy.ID || got.Kind != switchyard.KindRollback {
		t.Errorf("FindRequest of the redeployment = %+v, %v", got, err)
	}
	rbs, err := s.ListRollbacksOf(ctx, "d-ABCDEFGHI")
	if err != nil || len(rbs) != 2 || rbs[0].ID != stop.ID || rbs[0].Plan != nil || rbs[0].RequestedBy != "UBOB" || rbs[1].ID != redeploy.ID {
		t.Errorf("ListRollbacksOf = %+v, %v", rbs, err)
	}
	cut, err := s.CreatePending(ctx, samplePending())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(ctx, cut.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UALICE", At: t0}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ListUnlinked(ctx, t0); err != nil || len(got) != 0 {
		t.Errorf("ListUnlinked at the confirmation = %+v, %v", got, err)
	}
	if got, err := s.ListUnlinked(ctx, t0.Add(time.Minute)); err != nil || len(got) != 1 || got[0].ID != cut.ID {
		t.Errorf("ListUnlinked after = %+v, %v", got, err)
	}
}
