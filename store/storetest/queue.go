package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

func sampleQueued(user string) switchyard.Queued {
	return switchyard.Queued{App: "web", Env: "production", Version: "v1.5", Config: "CodeDeployDefault.ECSAllAtOnce",
		Reason: "fix login", RequestedBy: user, Channel: "CDEPLOYS", Expires: t0.Add(4 * time.Hour)}
}

var waiting = []switchyard.QueueState{switchyard.QueueWaiting}

func testQueue(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	_, err := s.Enqueue(ctx, switchyard.Queued{App: "web"})
	wantCode(t, err, switchyard.EINVALID)

	a, err := s.Enqueue(ctx, sampleQueued("UALICE"))
	if err != nil || !strings.HasPrefix(a.ID, "q-") || a.State != switchyard.QueueWaiting || !a.Created.Equal(t0) || a.Rev != 1 || a.ChangedBy != "UALICE" {
		t.Fatalf("Enqueue = %+v, %v", a, err)
	}
	_, err = s.Enqueue(ctx, sampleQueued("UALICE"))
	wantCode(t, err, switchyard.ECONFLICT)
	e.clock.Advance(time.Second)
	b, err := s.Enqueue(ctx, sampleQueued("UBOB"))
	if err != nil {
		t.Fatal(err)
	}
	staging := sampleQueued("UALICE")
	staging.Env = "staging"
	if _, err := s.Enqueue(ctx, staging); err != nil {
		t.Fatalf("another line: %v", err)
	}
	got, err := s.GetQueued(ctx, a.ID)
	if err != nil || got.Version != "v1.5" || got.Config != "CodeDeployDefault.ECSAllAtOnce" || got.Reason != "fix login" ||
		got.Channel != "CDEPLOYS" || !got.Expires.Equal(t0.Add(4*time.Hour)) || got.Created.Location() != time.UTC {
		t.Errorf("GetQueued = %+v, %v", got, err)
	}
	_, err = s.GetQueued(ctx, "q-nope")
	wantCode(t, err, switchyard.ENOTFOUND)
	line, err := s.ListQueue(ctx, "web", "production")
	if err != nil || len(line) != 2 || line[0].ID != a.ID || line[1].ID != b.ID {
		t.Fatalf("ListQueue = %+v, %v", line, err)
	}
	if all, _ := s.ListQueue(ctx, "", ""); len(all) != 3 || all[0].Env != "production" || all[2].Env != "staging" {
		t.Errorf("ListQueue of everything = %+v", all)
	}

	// Alice withdraws; a second withdrawal is told what became of it.
	w, err := s.SettleQueued(ctx, a.ID, waiting, switchyard.QueueWithdrawn, "UALICE", time.Time{})
	if err != nil || w.State != switchyard.QueueWithdrawn || w.Rev != 2 || !w.Changed.Equal(t0.Add(time.Second)) {
		t.Fatalf("withdraw = %+v, %v", w, err)
	}
	_, err = s.SettleQueued(ctx, a.ID, waiting, switchyard.QueueWithdrawn, "UALICE", time.Time{})
	wantCode(t, err, switchyard.ECONFLICT)
	_, err = s.SettleQueued(ctx, a.ID, waiting, "gone", "UALICE", time.Time{})
	wantCode(t, err, switchyard.EINVALID)
	// Having left, she may queue again, at the end of the line.
	e.clock.Advance(time.Second)
	a2, err := s.Enqueue(ctx, sampleQueued("UALICE"))
	if err != nil {
		t.Fatalf("queue again after leaving: %v", err)
	}
	if line, _ := s.ListQueue(ctx, "web", "production"); len(line) != 2 || line[0].ID != b.ID || line[1].ID != a2.ID {
		t.Errorf("line after alice left and came back = %+v", line)
	}

	// Expiry: every place expires four hours after it was made, and an
	// expired place is never handed out.
	exp, err := s.ListQueueExpired(ctx, t0.Add(4*time.Hour))
	if err != nil || len(exp) != 3 {
		t.Fatalf("ListQueueExpired = %+v, %v", exp, err)
	}
	if exp, _ := s.ListQueueExpired(ctx, t0.Add(time.Hour)); len(exp) != 0 {
		t.Errorf("expired an hour in: %+v", exp)
	}
	if q, ok, err := s.HandOut(ctx, "web", "production", t0.Add(4*time.Hour), time.Minute); err != nil || ok {
		t.Errorf("HandOut past every expiry = %+v, %v, %v", q, ok, err)
	}
	q, ok, err := s.HandOut(ctx, "web", "production", t0.Add(time.Hour), time.Minute)
	if err != nil || !ok || q.ID != b.ID || q.State != switchyard.QueueHanded || !q.Handed.Equal(t0.Add(time.Hour)) {
		t.Fatalf("HandOut = %+v, %v, %v; want bob, first in line", q, ok, err)
	}
	_, err = s.SettleQueued(ctx, b.ID, waiting, switchyard.QueueWithdrawn, "UBOB", time.Time{})
	wantCode(t, err, switchyard.ECONFLICT)
	if line, _ := s.ListQueue(ctx, "web", "production"); len(line) != 2 || line[0].State != switchyard.QueueHanded {
		t.Errorf("a handed place leaves the list only when settled: %+v", line)
	}
	if err := s.SetQueuedPending(ctx, b.ID, "p-123"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.SetQueuedPending(ctx, "q-nope", "p-1"), switchyard.ENOTFOUND)
	if back, _ := s.GetQueued(ctx, b.ID); back.PendingID != "p-123" || !back.Handed.Equal(t0.Add(time.Hour)) {
		t.Errorf("linked = %+v", back)
	}
}

// testHandOutHoldsTheTurn: a handed place holds its line's turn while its
// card is being made (up to hold) and while its deploy request is open;
// once that request is cancelled, the next place gets the turn.
func testHandOutHoldsTheTurn(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	first, err := s.Enqueue(ctx, sampleQueued("UALICE"))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Millisecond)
	second, err := s.Enqueue(ctx, sampleQueued("UBOB"))
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Minute)
	if q, ok, err := s.HandOut(ctx, "web", "production", at, time.Minute); err != nil || !ok || q.ID != first.ID {
		t.Fatalf("first HandOut = %+v, %v, %v", q, ok, err)
	}
	// Its card is not made yet: the turn is held for a minute.
	if q, ok, _ := s.HandOut(ctx, "web", "production", at.Add(59*time.Second), time.Minute); ok {
		t.Fatalf("a second turn while the first is held: %+v", q)
	}
	// Its request is pending: held, however long.
	p, err := s.CreatePending(ctx, samplePending())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetQueuedPending(ctx, first.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	if q, ok, _ := s.HandOut(ctx, "web", "production", at.Add(10*time.Minute), time.Minute); ok {
		t.Fatalf("a second turn while the first card waits: %+v", q)
	}
	if _, err := s.Transition(ctx, p.ID, openStates, switchyard.StateCancelled, switchyard.Change{By: "UALICE"}); err != nil {
		t.Fatal(err)
	}
	if line, _ := s.ListQueue(ctx, "web", "production"); len(line) != 1 || line[0].ID != second.ID {
		t.Fatalf("a turn whose card was cancelled is still in line: %+v", line)
	}
	q, ok, err := s.HandOut(ctx, "web", "production", at.Add(10*time.Minute), time.Minute)
	if err != nil || !ok || q.ID != second.ID {
		t.Fatalf("HandOut after the first card was cancelled = %+v, %v, %v", q, ok, err)
	}
	if back, _ := s.GetQueued(ctx, first.ID); back.State != switchyard.QueueServed {
		t.Errorf("the first turn, over, is %s", back.State)
	}
	// A handed place without a request holds only for hold.
	if _, ok, _ := s.HandOut(ctx, "web", "production", at.Add(11*time.Minute), time.Minute); ok {
		t.Fatal("nothing waits, yet a turn was handed out")
	}
}

// testHandOutRaceAcrossHandles: replicas reacting at once to the same
// freedom hand out one turn.
func testHandOutRaceAcrossHandles(t *testing.T, e *env) {
	ctx := context.Background()
	for i, user := range []string{"UALICE", "UBOB", "UCAROL", "UDAVE"} {
		e.clock.Advance(time.Millisecond)
		if _, err := e.s.Enqueue(ctx, sampleQueued(user)); err != nil {
			t.Fatalf("enqueue %d: %v", i, err)
		}
	}
	handles := []interface {
		HandOut(ctx context.Context, app, env string, at time.Time, hold time.Duration) (switchyard.Queued, bool, error)
	}{e.s, e.open(t), e.open(t)}
	got := make([]string, 8)
	errs := race(len(got), func(i int) error {
		q, ok, err := handles[i%len(handles)].HandOut(ctx, "web", "production", t0.Add(time.Minute), time.Minute)
		if err == nil && ok {
			got[i] = q.RequestedBy
		}
		return err
	})
	var winners []string
	for i, err := range errs {
		if err != nil {
			t.Fatalf("contender %d: %v", i, err)
		}
		if got[i] != "" {
			winners = append(winners, got[i])
		}
	}
	if len(winners) != 1 || winners[0] != "UALICE" {
		t.Fatalf("turns handed out: %v; want alice's alone", winners)
	}
}

// testEnqueueRace: a double click queues a person once.
func testEnqueueRace(t *testing.T, e *env) {
	ctx := context.Background()
	other := e.open(t)
	errs := race(6, func(i int) error {
		s := e.s
		if i%2 == 1 {
			s = other
		}
		_, err := s.Enqueue(ctx, sampleQueued("UALICE"))
		return err
	})
	oneWinner(t, errs, switchyard.ECONFLICT)
	if line, _ := e.s.ListQueue(ctx, "web", "production"); len(line) != 1 {
		t.Errorf("line = %s", fmt.Sprint(line))
	}
}
