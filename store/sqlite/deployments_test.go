package sqlite

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

func sampleRecord(id string) switchyard.Record {
	return switchyard.Record{Deployment: switchyard.Deployment{
		ID: id, App: "web", Env: "production", Version: "v1.4",
		ImageBefore: "123.dkr.ecr.eu-west-1.amazonaws.com/web:v1.3",
		ImageAfter:  "123.dkr.ecr.eu-west-1.amazonaws.com/web:v1.4",
		Config:      "CodeDeployDefault.ECSCanary10Percent5Minutes",
		Status:      switchyard.StatusInProgress,
		RequestedBy: "UALICE", ConfirmedBy: "UALICE",
		Stages: []switchyard.Stage{
			{Name: switchyard.BeforeInstall, Status: switchyard.StageSucceeded, Start: t0, End: t0.Add(3 * time.Second)},
			{Name: switchyard.Install, Status: switchyard.StageInProgress, Start: t0.Add(4 * time.Second)},
		},
		Traffic: switchyard.Traffic{Blue: 90, Green: 10},
		Created: t0,
		Region:  "eu-west-1", Creator: "user", Waiting: switchyard.WaitReady, BlueAlive: true,
		Alarms: []switchyard.Alarm{{Name: "web-5xx", State: "OK"}},
	}}
}

// fullRecord sets every field of the domain deployment, so that a round trip
// proves each one is stored.
func fullRecord(t *testing.T, id string) switchyard.Record {
	r := sampleRecord(id)
	r.RolledBackBy, r.RollbackID, r.RollbackOf = "UBOB", "d-RB", "d-PREV"
	r.ErrorCode, r.ErrorText, r.Completed = "HEALTH_CONSTRAINTS", "too many failed tasks", t0.Add(time.Hour)
	v := reflect.ValueOf(r.Deployment)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("switchyard.Deployment.%s is not set in the test record: set it, and store it", v.Type().Field(i).Name)
		}
	}
	return r
}

func TestCreateAndGetDeployment(t *testing.T) {
	s, _, _ := openTemp(t)
	ctx := context.Background()
	in := fullRecord(t, "d-ABC123")
	in.CardChannel, in.CardTS = "CDEPLOYS", "1700000000.000100"
	in.Created = t0.Add(123456 * time.Nanosecond) // below stored precision
	created, err := s.CreateDeployment(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if created.Rev != 1 || !created.Updated.Equal(t0.Truncate(time.Millisecond)) || !created.Created.Equal(t0) {
		t.Errorf("created = rev %d updated %v created %v", created.Rev, created.Updated, created.Created)
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
	_, err = s.CreateDeployment(ctx, switchyard.Record{Deployment: switchyard.Deployment{ID: "d-X"}})
	wantCode(t, err, switchyard.EINVALID)
	_, err = s.GetDeployment(ctx, "d-NOPE")
	wantCode(t, err, switchyard.ENOTFOUND)
}

func TestCreateDeploymentDefaultsCreatedToNow(t *testing.T) {
	s, c, _ := openTemp(t)
	c.Advance(time.Hour)
	rec := sampleRecord("d-NOW")
	rec.Created = time.Time{}
	got, err := s.CreateDeployment(context.Background(), rec)
	if err != nil || !got.Created.Equal(c.Now().Truncate(time.Millisecond)) {
		t.Errorf("Created = %v, %v; want the clock's %v", got.Created, err, c.Now())
	}
}

func TestFindByCard(t *testing.T) {
	s, _, _ := openTemp(t)
	ctx := context.Background()
	a := sampleRecord("d-A")
	a.CardChannel, a.CardTS = "C1", "1.000001"
	if _, err := s.CreateDeployment(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDeployment(ctx, sampleRecord("d-NOCARD")); err != nil {
		t.Fatal(err)
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

func TestListActiveAndByApp(t *testing.T) {
	s, _, _ := openTemp(t)
	ctx := context.Background()
	mk := func(id, app, env string, st switchyard.Status, minutes int) {
		r := sampleRecord(id)
		r.App, r.Env, r.Status, r.Created = app, env, st, t0.Add(time.Duration(minutes)*time.Minute)
		if _, err := s.CreateDeployment(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	mk("d-1", "web", "production", switchyard.StatusSucceeded, 1)
	mk("d-2", "web", "staging", switchyard.StatusInProgress, 2)
	mk("d-3", "api", "production", switchyard.StatusReady, 3)
	mk("d-4", "web", "production", switchyard.StatusFailed, 4)
	mk("d-5", "web", "production", switchyard.StatusCreated, 5)
	mk("d-6", "web", "production", switchyard.StatusStopped, 6)

	ids := func(recs []switchyard.Record, err error) []string {
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
	if got := ids(s.ListActive(ctx)); !reflect.DeepEqual(got, []string{"d-2", "d-3", "d-5"}) {
		t.Errorf("ListActive = %v", got)
	}
	if got := ids(s.ListByApp(ctx, "web", "production", 10)); !reflect.DeepEqual(got, []string{"d-6", "d-5", "d-4", "d-1"}) {
		t.Errorf("ListByApp(web, production) = %v", got)
	}
	if got := ids(s.ListByApp(ctx, "web", "", 2)); !reflect.DeepEqual(got, []string{"d-6", "d-5"}) {
		t.Errorf("ListByApp(web, all, 2) = %v", got)
	}
	if got := ids(s.ListByApp(ctx, "nope", "", 0)); len(got) != 0 {
		t.Errorf("ListByApp(nope) = %v", got)
	}
}

func TestUpdateDeploymentIf(t *testing.T) {
	s, c, _ := openTemp(t)
	ctx := context.Background()
	if _, err := s.CreateDeployment(ctx, sampleRecord("d-U")); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	got, err := s.UpdateDeploymentIf(ctx, "d-U", 1, func(r *switchyard.Record) error {
		r.Status = switchyard.StatusSucceeded
		r.Completed = c.Now()
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
	_, err = s.UpdateDeploymentIf(ctx, "d-NOPE", switchyard.AnyRev, func(*switchyard.Record) error { return nil })
	wantCode(t, err, switchyard.ENOTFOUND)
}

// Many writers that each read a revision and then compare-and-set: exactly
// one wins per revision, and switchyard.AnyRev updates never lose an increment.
func TestUpdateDeploymentIfConcurrent(t *testing.T) {
	s, _, _ := openTemp(t)
	ctx := context.Background()
	if _, err := s.CreateDeployment(ctx, sampleRecord("d-C")); err != nil {
		t.Fatal(err)
	}
	const workers = 16
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			_, err := s.UpdateDeploymentIf(ctx, "d-C", 1, func(r *switchyard.Record) error {
				r.ErrorText = fmt.Sprint("writer ", i)
				return nil
			})
			if err == nil {
				wins.Add(1)
			} else if switchyard.ErrorCode(err) != switchyard.ECONFLICT {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d writers won revision 1, want exactly 1", wins.Load())
	}
	for range workers {
		wg.Go(func() {
			if _, err := s.UpdateDeploymentIf(ctx, "d-C", switchyard.AnyRev, func(r *switchyard.Record) error {
				r.Traffic.Green++
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	r, _ := s.GetDeployment(ctx, "d-C")
	if r.Traffic.Green != 10+workers || r.Rev != 2+workers {
		t.Errorf("after %d increments: green %v rev %d", workers, r.Traffic.Green, r.Rev)
	}
}

func TestMarkReply(t *testing.T) {
	s, _, _ := openTemp(t)
	ctx := context.Background()
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
	_, err = s.MarkReply(ctx, "d-NOPE", "k", "1")
	wantCode(t, err, switchyard.ENOTFOUND)
	_, err = s.MarkReply(ctx, "d-R", "", "1")
	wantCode(t, err, switchyard.EINVALID)

	// Concurrent marks of one key: exactly one caller may post.
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			ok, err := s.MarkReply(ctx, "d-R", "rollback", "4.4")
			if err != nil {
				t.Error(err)
			}
			if ok {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if firsts.Load() != 1 {
		t.Errorf("%d concurrent MarkReply calls got true, want 1", firsts.Load())
	}
}
