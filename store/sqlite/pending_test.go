package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

var openStates = []switchyard.PendingState{switchyard.StatePending, switchyard.StateApproved}

func samplePending() switchyard.Pending {
	return switchyard.Pending{
		App: "web", Env: "production", Version: "v1.4",
		Plan:        json.RawMessage(`{"image_after":"web:v1.4","config":"CodeDeployDefault.ECSAllAtOnce"}`),
		RequestedBy: "UALICE", Reason: "fix login", Channel: "CDEPLOYS",
		Expires: t0.Add(15 * time.Minute),
	}
}

func TestCreateAndGetPending(t *testing.T) {
	s, _, _ := openTemp(t)
	ctx := context.Background()
	p, err := s.CreatePending(ctx, samplePending())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.ID, "p-") || p.State != switchyard.StatePending || p.Rev != 1 || !p.Created.Equal(t0) || p.ChangedBy != "UALICE" {
		t.Errorf("created = %+v", p)
	}
	got, err := s.GetPending(ctx, p.ID)
	if err != nil || got.ID != p.ID || string(got.Plan) != string(p.Plan) || !got.Expires.Equal(p.Expires) || got.Reason != "fix login" {
		t.Errorf("GetPending = %+v, %v", got, err)
	}
	_, err = s.CreatePending(ctx, switchyard.Pending{ID: p.ID, App: "web", Env: "production", Version: "v1", RequestedBy: "U", Expires: t0})
	wantCode(t, err, switchyard.ECONFLICT)
	_, err = s.CreatePending(ctx, switchyard.Pending{App: "web"})
	wantCode(t, err, switchyard.EINVALID)
	bad := samplePending()
	bad.Plan = json.RawMessage(`{not json`)
	_, err = s.CreatePending(ctx, bad)
	wantCode(t, err, switchyard.EINVALID)
	_, err = s.GetPending(ctx, "p-nope")
	wantCode(t, err, switchyard.ENOTFOUND)

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
}

func TestTransitions(t *testing.T) {
	s, c, _ := openTemp(t)
	ctx := context.Background()
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
	if !errors.As(err, &se) || se.State != switchyard.StateConfirmed || se.By != "UALICE" {
		t.Errorf("conflict cause = %#v", se)
	}

	fl, err := s.Transition(ctx, p.ID, []switchyard.PendingState{switchyard.StateConfirmed}, switchyard.StateFailed, switchyard.Change{Error: "the tag is gone"})
	if err != nil || fl.State != switchyard.StateFailed || fl.Error != "the tag is gone" || fl.DeploymentID != "d-NEW" {
		t.Errorf("fail = %+v, %v", fl, err)
	}
	got, _ := s.GetPending(ctx, p.ID)
	if got.State != switchyard.StateFailed || got.Rev != 4 {
		t.Errorf("stored = %s rev %d", got.State, got.Rev)
	}
	_, err = s.Transition(ctx, p.ID, openStates, "launched", switchyard.Change{})
	wantCode(t, err, switchyard.EINVALID)
	_, err = s.Transition(ctx, "p-nope", openStates, switchyard.StateCancelled, switchyard.Change{})
	wantCode(t, err, switchyard.ENOTFOUND)
}

func TestExpiry(t *testing.T) {
	s, c, _ := openTemp(t)
	ctx := context.Background()
	early := samplePending()
	early.Expires = t0.Add(5 * time.Minute)
	a, _ := s.CreatePending(ctx, early)
	b, _ := s.CreatePending(ctx, samplePending()) // expires at +15m
	done, _ := s.CreatePending(ctx, early)
	if _, err := s.Transition(ctx, done.ID, openStates, switchyard.StateCancelled, switchyard.Change{By: "UALICE"}); err != nil {
		t.Fatal(err)
	}

	if got, err := s.ListExpired(ctx, t0.Add(4*time.Minute)); err != nil || len(got) != 0 {
		t.Errorf("expired at +4m = %v, %v", got, err)
	}
	c.Advance(5 * time.Minute)
	got, err := s.ListExpired(ctx, c.Now())
	if err != nil || len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("expired at +5m = %+v, %v; want only %s", got, err, a.ID)
	}
	// Past its expiry a request cannot be confirmed even before the sweep.
	_, err = s.Transition(ctx, a.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UALICE"})
	wantCode(t, err, switchyard.ECONFLICT)
	if !strings.Contains(switchyard.ErrorMessage(err), "expired") {
		t.Errorf("message = %q", switchyard.ErrorMessage(err))
	}
	if _, err := s.Transition(ctx, a.ID, openStates, switchyard.StateExpired, switchyard.Change{}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Transition(ctx, a.ID, openStates, switchyard.StateCancelled, switchyard.Change{By: "UALICE"})
	if !strings.Contains(switchyard.ErrorMessage(err), "already expired") {
		t.Errorf("cancel after expiry: %q", switchyard.ErrorMessage(err))
	}
	c.Advance(10 * time.Minute)
	if got, _ := s.ListExpired(ctx, c.Now()); len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("expired at +15m = %+v; want only %s", got, b.ID)
	}
}

// race runs each transition once, all at the same moment, and returns the
// errors in order.
func race(s *Store, id string, moves []switchyard.PendingState) []error {
	errs := make([]error, len(moves))
	var start, wg sync.WaitGroup
	start.Add(1)
	for i, to := range moves {
		wg.Go(func() {
			start.Wait()
			_, errs[i] = s.Transition(context.Background(), id, openStates, to, switchyard.Change{By: "UALICE"})
		})
	}
	start.Done()
	wg.Wait()
	return errs
}

func TestDoubleConfirmAndConfirmVersusCancel(t *testing.T) {
	s, _, _ := openTemp(t)
	ctx := context.Background()
	const rounds = 200
	confirmed, cancelled := 0, 0
	for i := range rounds {
		moves := []switchyard.PendingState{switchyard.StateConfirmed, switchyard.StateConfirmed, switchyard.StateCancelled, switchyard.StateConfirmed}
		if i%2 == 0 {
			moves = []switchyard.PendingState{switchyard.StateConfirmed, switchyard.StateConfirmed}
		}
		p, err := s.CreatePending(ctx, samplePending())
		if err != nil {
			t.Fatal(err)
		}
		errs := race(s, p.ID, moves)
		winners := 0
		var won switchyard.PendingState
		for j, err := range errs {
			switch {
			case err == nil:
				winners++
				won = moves[j]
			case switchyard.ErrorCode(err) != switchyard.ECONFLICT:
				t.Fatalf("round %d: %v", i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d winners among %v, want exactly 1", i, winners, moves)
		}
		got, _ := s.GetPending(ctx, p.ID)
		if got.State != won || got.Rev != 2 {
			t.Fatalf("round %d: stored %s rev %d, winner %s", i, got.State, got.Rev, won)
		}
		if won == switchyard.StateConfirmed {
			confirmed++
		} else {
			cancelled++
		}
	}
	t.Logf("%d rounds: confirmed %d, cancelled %d", rounds, confirmed, cancelled)
}

// Two Store values on one file stand for two bot processes: their write
// lock is SQLite's, not the in-process mutex, and a confirm still wins once.
func TestConfirmRaceAcrossProcesses(t *testing.T) {
	a, _, path := openTemp(t)
	ctx := context.Background()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range 50 {
		p, err := a.CreatePending(ctx, samplePending())
		if err != nil {
			t.Fatal(err)
		}
		errs := make([]error, 4)
		var start, wg sync.WaitGroup
		start.Add(1)
		for j, s := range []*Store{a, b, a, b} {
			wg.Go(func() {
				start.Wait()
				_, errs[j] = s.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: "UALICE"})
			})
		}
		start.Done()
		wg.Wait()
		winners := 0
		for _, err := range errs {
			if err == nil {
				winners++
			} else if switchyard.ErrorCode(err) != switchyard.ECONFLICT {
				t.Fatalf("round %d: %v", i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d winners, want 1", i, winners)
		}
	}
}
