package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

func testCreateAndGetDeployment(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	in := fullRecord(t, "d-ABC123")
	in.CardChannel, in.CardTS = "CDEPLOYS", "1700000000.000100"
	in.Created = t0.Add(123456 * time.Nanosecond) // below stored precision
	in.ObservedAt = t0.Add(time.Minute + 999*time.Microsecond)
	created, err := s.CreateDeployment(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if created.Rev != 1 || !created.Updated.Equal(t0) || !created.Created.Equal(t0) || !created.ObservedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("created = rev %d updated %v created %v observed %v", created.Rev, created.Updated, created.Created, created.ObservedAt)
	}
	got, err := s.GetDeployment(ctx, "d-ABC123")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, created) {
		t.Errorf("Get differs from what Create returned:\n got %+v\nwant %+v", got, created)
	}
	if _, err := s.CreateDeployment(ctx, in); err == nil {
		t.Error("second create with the same ID succeeded")
	} else {
		wantCode(t, err, switchyard.ECONFLICT)
	}
	other := sampleRecord("d-OTHER")
	other.CardChannel, other.CardTS = in.CardChannel, in.CardTS
	_, err = s.CreateDeployment(ctx, other)
	wantCode(t, err, switchyard.ECONFLICT)
	if _, err := s.GetDeployment(ctx, "d-OTHER"); switchyard.ErrorCode(err) != switchyard.ENOTFOUND {
		t.Errorf("a refused deployment was stored: %v", err)
	}
	_, err = s.CreateDeployment(ctx, switchyard.Record{Deployment: switchyard.Deployment{ID: "d-X"}})
	wantCode(t, err, switchyard.EINVALID)
	_, err = s.GetDeployment(ctx, "d-NOPE")
	wantCode(t, err, switchyard.ENOTFOUND)
}

func testCreateDeploymentDefaultsCreatedToNow(t *testing.T, e *env) {
	e.clock.Advance(time.Hour + 1234*time.Microsecond)
	rec := sampleRecord("d-NOW")
	rec.Created = time.Time{}
	got, err := e.s.CreateDeployment(context.Background(), rec)
	if err != nil || !got.Created.Equal(e.clock.Now().Truncate(time.Millisecond)) || !got.Completed.IsZero() || !got.ObservedAt.IsZero() {
		t.Errorf("Created = %v, Completed %v, ObservedAt %v, %v; want the clock's %v and zero times",
			got.Created, got.Completed, got.ObservedAt, err, e.clock.Now())
	}
	read, err := e.s.GetDeployment(context.Background(), "d-NOW")
	if err != nil || !reflect.DeepEqual(read, got) {
		t.Errorf("stored differs from returned:\n got %+v\nwant %+v (%v)", read, got, err)
	}
}

// Several replicas recording the same deployment at once: one records it,
// the others are told it is there.
func testCreateDeploymentRace(t *testing.T, e *env) {
	ctx := context.Background()
	other := e.open(t)
	errs := race(8, func(i int) error {
		s := e.s
		if i%2 == 1 {
			s = other
		}
		_, err := s.CreateDeployment(ctx, sampleRecord("d-SAME"))
		return err
	})
	oneWinner(t, errs, switchyard.ECONFLICT)
}

func testFindByCard(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	a := sampleRecord("d-A")
	a.CardChannel, a.CardTS = "C1", "1.000001"
	if _, err := s.CreateDeployment(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDeployment(ctx, sampleRecord("d-NOCARD")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDeployment(ctx, sampleRecord("d-NOCARD2")); err != nil {
		t.Fatalf("two deployments without a card: %v", err)
	}
	got, err := s.FindByCard(ctx, "C1", "1.000001")
	if err != nil || got.ID != "d-A" {
		t.Errorf("FindByCard = %s, %v", got.ID, err)
	}
	_, err = s.FindByCard(ctx, "C2", "1.000001")
	wantCode(t, err, switchyard.ENOTFOUND)
	_, err = s.FindByCard(ctx, "", "") // deployments without a card never match
	wantCode(t, err, switchyard.ENOTFOUND)
}

// idsOf returns a function that gives the IDs of a list call's records, or
// fails t with its error.
func idsOf(t *testing.T) func([]switchyard.Record, error) []string {
	return func(recs []switchyard.Record, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range recs {
			out = append(out, r.ID)
		}
		return out
	}
}

func testListActiveAndByApp(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	mk := func(id, app, env string, st switchyard.Status, minutes int) {
		r := sampleRecord(id)
		r.App, r.Env, r.Status, r.Created = app, env, st, t0.Add(time.Duration(minutes)*time.Minute)
		if _, err := s.CreateDeployment(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	ids := idsOf(t)
	mk("d-1", "web", "production", switchyard.StatusSucceeded, 1)
	mk("d-2", "web", "staging", switchyard.StatusInProgress, 2)
	mk("d-3", "api", "production", switchyard.StatusReady, 3)
	mk("d-4", "web", "production", switchyard.StatusFailed, 4)
	mk("d-5", "web", "production", switchyard.StatusCreated, 5)
	mk("d-6", "web", "production", switchyard.StatusStopped, 6)
	// Ties on Created are broken by ID, bytewise: "d-B" before "d-a".
	mk("d-a", "web", "production", switchyard.StatusInProgress, 7)
	mk("d-B", "web", "production", switchyard.StatusInProgress, 7)

	if got := ids(s.ListActive(ctx)); !reflect.DeepEqual(got, []string{"d-2", "d-3", "d-5", "d-B", "d-a"}) {
		t.Errorf("ListActive = %v", got)
	}
	if got := ids(s.ListByApp(ctx, "web", "production", 10)); !reflect.DeepEqual(got, []string{"d-a", "d-B", "d-6", "d-5", "d-4", "d-1"}) {
		t.Errorf("ListByApp(web, production) = %v", got)
	}
	if got := ids(s.ListByApp(ctx, "web", "", 4)); !reflect.DeepEqual(got, []string{"d-a", "d-B", "d-6", "d-5"}) {
		t.Errorf("ListByApp(web, all, 4) = %v", got)
	}
	if got := ids(s.ListByApp(ctx, "nope", "", 0)); len(got) != 0 {
		t.Errorf("ListByApp(nope) = %v", got)
	}
}

// A deployment that ended with a card but whose final result was never
// told (its replica died in between) is listed, once it ended at or after
// since; told, quiet, card-less and running ones are not.
func testListUntold(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	mk := func(id string, st switchyard.Status, minutes int, card bool, replies map[string]string) {
		r := sampleRecord(id)
		r.Status, r.Created = st, t0.Add(time.Duration(minutes)*time.Minute)
		if st.Done() {
			r.Completed = r.Created.Add(30 * time.Second)
		}
		if card {
			r.CardChannel, r.CardTS = "C1", fmt.Sprintf("%d.000100", 1000+minutes)
		}
		if _, err := s.CreateDeployment(ctx, r); err != nil {
			t.Fatal(err)
		}
		for k, ts := range replies {
			if _, err := s.MarkReply(ctx, id, k, ts); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("u-1", switchyard.StatusSucceeded, 1, true, map[string]string{"stage:Install:Succeeded": "5.5"})
	mk("u-2", switchyard.StatusSucceeded, 2, true, map[string]string{"final": "6.6"})
	mk("u-3", switchyard.StatusFailed, 3, true, map[string]string{"final": ""}) // claimed, never posted
	mk("u-4", switchyard.StatusStopped, 4, true, map[string]string{"quiet": ""})
	mk("u-5", switchyard.StatusSucceeded, 5, false, nil)
	mk("u-6", switchyard.StatusInProgress, 6, true, nil)
	mk("u-7", switchyard.StatusSucceeded, -60, true, nil) // ended before since

	ids := idsOf(t)
	if got := ids(s.ListUntold(ctx, t0)); !reflect.DeepEqual(got, []string{"u-1", "u-3"}) {
		t.Errorf("ListUntold(t0) = %v, want [u-1 u-3]", got)
	}
	if got := ids(s.ListUntold(ctx, t0.Add(time.Hour))); len(got) != 0 {
		t.Errorf("ListUntold(an hour later) = %v", got)
	}
	if _, err := s.MarkReply(ctx, "u-1", "final", "7.7"); err != nil {
		t.Fatal(err)
	}
	if got := ids(s.ListUntold(ctx, t0.Add(-2*time.Hour))); !reflect.DeepEqual(got, []string{"u-7", "u-3"}) {
		t.Errorf("ListUntold(two hours before) after u-1 was told = %v, want [u-7 u-3]", got)
	}
}

func testUpdateDeploymentIf(t *testing.T, e *env) {
	s, c, ctx := e.s, e.clock, context.Background()
	if _, err := s.CreateDeployment(ctx, sampleRecord("d-U")); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	got, err := s.UpdateDeploymentIf(ctx, "d-U", 1, func(r *switchyard.Record) error {
		r.Status = switchyard.StatusSucceeded
		r.Completed = c.Now()
		r.ObservedAt = c.Now().Add(time.Microsecond)
		r.Traffic = switchyard.Traffic{Green: 100}
		r.CardChannel, r.CardTS = "C1", "2.000001"
		r.ID, r.Rev = "d-HIJACK", 99 // ignored
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "d-U" || got.Rev != 2 || !got.Updated.Equal(c.Now().Truncate(time.Millisecond)) {
		t.Errorf("after update: id %s rev %d updated %v", got.ID, got.Rev, got.Updated)
	}
	read, _ := s.GetDeployment(ctx, "d-U")
	if !reflect.DeepEqual(read, got) {
		t.Errorf("stored differs from returned:\n got %+v\nwant %+v", read, got)
	}
	if act, _ := s.ListActive(ctx); len(act) != 0 {
		t.Errorf("a succeeded deployment is still active: %v", act)
	}
	if _, err := s.GetDeployment(ctx, "d-HIJACK"); switchyard.ErrorCode(err) != switchyard.ENOTFOUND {
		t.Errorf("mutate renamed the deployment: %v", err)
	}

	// A stale revision changes nothing.
	_, err = s.UpdateDeploymentIf(ctx, "d-U", 1, func(r *switchyard.Record) error {
		r.Status = switchyard.StatusFailed
		return nil
	})
	wantCode(t, err, switchyard.ECONFLICT)
	if r, _ := s.GetDeployment(ctx, "d-U"); r.Status != switchyard.StatusSucceeded || r.Rev != 2 {
		t.Errorf("stale update changed the record: %s rev %d", r.Status, r.Rev)
	}

	// mutate's own error comes back untouched and nothing is saved.
	stop := errors.New("nothing to do")
	_, err = s.UpdateDeploymentIf(ctx, "d-U", switchyard.AnyRev, func(r *switchyard.Record) error {
		r.Status = switchyard.StatusFailed
		return stop
	})
	if err != stop {
		t.Errorf("mutate error = %v, want %v", err, stop)
	}
	if r, _ := s.GetDeployment(ctx, "d-U"); r.Rev != 2 {
		t.Errorf("rev after refused mutate = %d", r.Rev)
	}

	// Taking another deployment's card is refused.
	if _, err := s.CreateDeployment(ctx, sampleRecord("d-V")); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateDeploymentIf(ctx, "d-V", switchyard.AnyRev, func(r *switchyard.Record) error {
		r.CardChannel, r.CardTS = "C1", "2.000001"
		return nil
	})
	wantCode(t, err, switchyard.ECONFLICT)
	_, err = s.UpdateDeploymentIf(ctx, "d-V", switchyard.AnyRev, func(r *switchyard.Record) error {
		r.Status = ""
		return nil
	})
	wantCode(t, err, switchyard.EINVALID)
	if r, _ := s.GetDeployment(ctx, "d-V"); r.Rev != 1 || r.CardTS != "" {
		t.Errorf("refused updates changed the record: rev %d card %q", r.Rev, r.CardTS)
	}
	_, err = s.UpdateDeploymentIf(ctx, "d-NOPE", switchyard.AnyRev, func(*switchyard.Record) error { return nil })
	wantCode(t, err, switchyard.ENOTFOUND)
}

// Many writers that each read a revision and then compare-and-set: exactly
// one wins per revision, and switchyard.AnyRev updates never lose an
// increment, whichever handle on the database they come through.
func testUpdateDeploymentIfConcurrent(t *testing.T, e *env) {
	ctx := context.Background()
	if _, err := e.s.CreateDeployment(ctx, sampleRecord("d-C")); err != nil {
		t.Fatal(err)
	}
	handles := []interface {
		UpdateDeploymentIf(context.Context, string, int64, func(*switchyard.Record) error) (switchyard.Record, error)
	}{e.s, e.open(t)}
	const workers = 16
	errs := race(workers, func(i int) error {
		_, err := handles[i%2].UpdateDeploymentIf(ctx, "d-C", 1, func(r *switchyard.Record) error {
			r.ErrorText = fmt.Sprint("writer ", i)
			return nil
		})
		return err
	})
	won := oneWinner(t, errs, switchyard.ECONFLICT)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			if _, err := handles[i%2].UpdateDeploymentIf(ctx, "d-C", switchyard.AnyRev, func(r *switchyard.Record) error {
				r.Traffic.Green++
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	r, _ := e.s.GetDeployment(ctx, "d-C")
	if r.Traffic.Green != 10+workers || r.Rev != 2+workers || r.ErrorText != fmt.Sprint("writer ", won) {
		t.Errorf("after %d increments: green %v rev %d text %q", workers, r.Traffic.Green, r.Rev, r.ErrorText)
	}
}

// Two deployments claiming one card at once, by create or by update: one
// gets it.
func testCardRace(t *testing.T, e *env) {
	ctx := context.Background()
	other := e.open(t)
	for i := range 4 {
		if _, err := e.s.CreateDeployment(ctx, sampleRecord(fmt.Sprint("d-U", i))); err != nil {
			t.Fatal(err)
		}
	}
	errs := race(8, func(i int) error {
		s := e.s
		if i%2 == 1 {
			s = other
		}
		if i < 4 {
			rec := sampleRecord(fmt.Sprint("d-N", i))
			rec.CardChannel, rec.CardTS = "C1", "7.000001"
			_, err := s.CreateDeployment(ctx, rec)
			return err
		}
		_, err := s.UpdateDeploymentIf(ctx, fmt.Sprint("d-U", i-4), switchyard.AnyRev, func(r *switchyard.Record) error {
			r.CardChannel, r.CardTS = "C1", "7.000001"
			return nil
		})
		return err
	})
	won := oneWinner(t, errs, switchyard.ECONFLICT)
	got, err := e.s.FindByCard(ctx, "C1", "7.000001")
	want := fmt.Sprint("d-N", won)
	if won >= 4 {
		want = fmt.Sprint("d-U", won-4)
	}
	if err != nil || got.ID != want {
		t.Errorf("card belongs to %s (%v), want the winner %s", got.ID, err, want)
	}
}

func testMarkReply(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	if _, err := s.CreateDeployment(ctx, sampleRecord("d-R")); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.MarkReply(ctx, "d-R", "stage:Install:Succeeded", "1.1"); err != nil || !ok {
		t.Fatalf("first MarkReply = %v, %v; want true", ok, err)
	}
	if ok, err := s.MarkReply(ctx, "d-R", "stage:Install:Succeeded", "9.9"); err != nil || ok {
		t.Fatalf("second MarkReply = %v, %v; want false", ok, err)
	}
	if ok, err := s.MarkReply(ctx, "d-R", "traffic:100", ""); err != nil || !ok {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	if err := s.SetReplyTS(ctx, "d-R", "traffic:100", "2.2"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.SetReplyTS(ctx, "d-R", "never", "3.3"), switchyard.ENOTFOUND)
	got, err := s.Replies(ctx, "d-R")
	want := map[string]string{"stage:Install:Succeeded": "1.1", "traffic:100": "2.2"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Replies = %v, %v; want %v", got, err, want)
	}
	if got, err := s.Replies(ctx, "d-NOPE"); err != nil || len(got) != 0 {
		t.Errorf("Replies of an unknown deployment = %v, %v", got, err)
	}
	_, err = s.MarkReply(ctx, "d-NOPE", "k", "1")
	wantCode(t, err, switchyard.ENOTFOUND)
	_, err = s.MarkReply(ctx, "d-R", "", "1")
	wantCode(t, err, switchyard.EINVALID)

	// Concurrent marks of one key, through two handles: exactly one caller
	// may post.
	other := e.open(t)
	var firsts atomic.Int32
	errs := race(20, func(i int) error {
		h := s
		if i%2 == 1 {
			h = other
		}
		ok, err := h.MarkReply(ctx, "d-R", "rollback", fmt.Sprint(i))
		if ok {
			firsts.Add(1)
		}
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if firsts.Load() != 1 {
		t.Errorf("%d concurrent MarkReply calls got true, want 1", firsts.Load())
	}
}
