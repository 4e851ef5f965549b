package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

// A lease is taken when free, renewed by its owner with the same fence,
// refused to others while it runs, taken over once it has run out or was
// given up, each new owner with a greater fence; and a write made under a
// lease that is no longer the holding is refused.
func testLeases(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	const ttl = 15 * time.Second
	a, won, err := s.AcquireLease(ctx, "d-LEASE0001", "replica-a", t0, ttl)
	if err != nil || !won || a.Owner != "replica-a" || a.Fence != 1 || !a.Expires.Equal(t0.Add(ttl)) {
		t.Fatalf("first claim = %+v, %v, %v", a, won, err)
	}
	a2, won, err := s.AcquireLease(ctx, "d-LEASE0001", "replica-a", t0.Add(5*time.Second), ttl)
	if err != nil || !won || a2.Fence != 1 || !a2.Expires.Equal(t0.Add(20*time.Second)) {
		t.Fatalf("renewal = %+v, %v, %v", a2, won, err)
	}
	b, won, err := s.AcquireLease(ctx, "d-LEASE0001", "replica-b", t0.Add(19*time.Second), ttl)
	if err != nil || won || b.Owner != "replica-a" || b.Fence != 1 {
		t.Fatalf("a claim while it runs = %+v, %v, %v", b, won, err)
	}
	b, won, err = s.AcquireLease(ctx, "d-LEASE0001", "replica-b", t0.Add(20*time.Second), ttl)
	if err != nil || !won || b.Owner != "replica-b" || b.Fence != 2 {
		t.Fatalf("takeover once it ran out = %+v, %v, %v", b, won, err)
	}
	if err := s.ReleaseLease(ctx, "d-LEASE0001", "replica-a"); err != nil {
		t.Fatal(err)
	}
	if cur, won, _ := s.AcquireLease(ctx, "d-LEASE0001", "replica-c", t0.Add(21*time.Second), ttl); won {
		t.Fatalf("a release by a former owner freed the lease: %+v", cur)
	}
	if err := s.ReleaseLease(ctx, "d-LEASE0001", "replica-b"); err != nil {
		t.Fatal(err)
	}
	c, won, err := s.AcquireLease(ctx, "d-LEASE0001", "replica-c", t0.Add(21*time.Second), ttl)
	if err != nil || !won || c.Fence != 3 {
		t.Fatalf("claim after a release = %+v, %v, %v", c, won, err)
	}
	_, _, err = s.AcquireLease(ctx, "", "x", t0, ttl)
	wantCode(t, err, switchyard.EINVALID)

	// Writes under a lease.
	rec := sampleRecord("d-LEASE0002")
	if _, err := s.CreateDeployment(ctx, rec); err != nil {
		t.Fatal(err)
	}
	old, _, _ := s.AcquireLease(ctx, rec.ID, "replica-a", t0, ttl)
	setVersion := func(v string) func(*switchyard.Record) error {
		return func(r *switchyard.Record) error { r.Version = v; return nil }
	}
	if _, err := s.UpdateDeploymentUnder(ctx, rec.ID, old, setVersion("v2")); err != nil {
		t.Fatalf("a write under the holding lease: %v", err)
	}
	if _, _, err := s.AcquireLease(ctx, rec.ID, "replica-b", t0.Add(time.Minute), ttl); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateDeploymentUnder(ctx, rec.ID, old, setVersion("v3"))
	wantCode(t, err, switchyard.ECONFLICT)
	var lost *switchyard.LeaseLostError
	if !errors.As(err, &lost) || lost.Now.Owner != "replica-b" || lost.Now.Fence != 2 {
		t.Fatalf("a write under a lost lease = %v", err)
	}
	if got, _ := s.GetDeployment(ctx, rec.ID); got.Version != "v2" {
		t.Fatalf("the refused write changed the record: %+v", got)
	}
	_, err = s.UpdateDeploymentUnder(ctx, "d-NOLEASE01", old, setVersion("v4"))
	wantCode(t, err, switchyard.ECONFLICT)
}

// Replicas claiming one free lease at once, through several handles on one
// database: exactly one holds it.
func testLeaseRace(t *testing.T, e *env) {
	ctx := context.Background()
	handles := []interface {
		AcquireLease(context.Context, string, string, time.Time, time.Duration) (switchyard.Lease, bool, error)
	}{e.s, e.open(t), e.open(t)}
	for round := range 20 {
		key := fmt.Sprintf("d-RACE%05d", round)
		errs := race(len(handles), func(i int) error {
			_, won, err := handles[i].AcquireLease(ctx, key, fmt.Sprint("replica-", i), t0, time.Minute)
			switch {
			case err != nil:
				return err
			case !won:
				return switchyard.Errorf(switchyard.ECONFLICT, "lost")
			}
			return nil
		})
		oneWinner(t, errs, switchyard.ECONFLICT)
	}
}
