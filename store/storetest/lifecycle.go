package storetest

import (
	"context"
	"testing"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

// Everything written survives closing the store and opening it again, as
// across a restart.
func testReopenFindsEverything(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	rec := sampleRecord("d-REOPEN1")
	rec.CardChannel, rec.CardTS = "C1", "1700000000.000100"
	if _, err := s.CreateDeployment(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkReply(ctx, "d-REOPEN1", "stage:Install", "1700000000.000200"); err != nil {
		t.Fatal(err)
	}
	p, err := s.CreatePending(ctx, samplePending())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(ctx, switchyard.Lock{App: "web", Env: "production", Reason: "incident", LockedBy: "U1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Audit(ctx, switchyard.AuditEntry{User: "U1", Action: "lock", App: "web", Result: switchyard.ResultOK}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := e.open(t)
	got, err := s2.FindByCard(ctx, "C1", "1700000000.000100")
	if err != nil || got.ID != "d-REOPEN1" || got.Traffic != rec.Traffic || len(got.Stages) != 2 {
		t.Errorf("FindByCard after reopen = %+v, %v", got, err)
	}
	if again, err := s2.MarkReply(ctx, "d-REOPEN1", "stage:Install", "x"); err != nil || again {
		t.Errorf("MarkReply of a reply posted before the restart = %v, %v; want false", again, err)
	}
	if gp, err := s2.GetPending(ctx, p.ID); err != nil || gp.State != switchyard.StatePending || gp.Reason != p.Reason {
		t.Errorf("GetPending after reopen = %+v, %v", gp, err)
	}
	if l, ok, err := s2.GetLock(ctx, "web", "production"); err != nil || !ok || l.Reason != "incident" {
		t.Errorf("GetLock after reopen = %+v, %v, %v", l, ok, err)
	}
	if a, err := s2.RecentAudit(ctx, 10); err != nil || len(a) != 1 || a[0].Action != "lock" {
		t.Errorf("RecentAudit after reopen = %+v, %v", a, err)
	}
}

// Replicas starting together on a database nobody has opened yet: every
// Open succeeds, each migration is applied once, and they all see one
// schema and one another's writes.
func testConcurrentOpen(t *testing.T, e *env) {
	ctx := context.Background()
	addr := e.target.Fresh(t)
	const replicas = 6
	stores := make([]store.Backend, replicas)
	errs := race(replicas, func(i int) error {
		var err error
		stores[i], err = e.target.Open(ctx, addr, e.clock.Now)
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: open: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	want, err := e.s.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range stores {
		if v, err := s.Version(ctx); err != nil || v != want {
			t.Errorf("replica %d: version %d, %v; want %d", i, v, err, want)
		}
	}
	if _, err := stores[0].CreateDeployment(ctx, sampleRecord("d-SEEN")); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[replicas-1].GetDeployment(ctx, "d-SEEN"); err != nil {
		t.Errorf("another replica does not see the write: %v", err)
	}
}

// Ping answers nil while the database answers, and an error once the store
// is closed: readiness relies on both.
func testPing(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.open(t)
	for i := range 3 {
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("ping %d of an open store: %v", i, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Error("ping of a closed store answered nil")
	}
	if err := e.s.Ping(ctx); err != nil {
		t.Errorf("another handle on the database stopped answering: %v", err)
	}
}
