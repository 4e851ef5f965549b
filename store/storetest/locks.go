package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

func testLocks(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	if _, ok, err := s.GetLock(ctx, "web", "production"); err != nil || ok {
		t.Fatalf("GetLock on a fresh store = %v, %v", ok, err)
	}
	l, err := s.Lock(ctx, switchyard.Lock{App: "web", Env: "production", Reason: "incident 42", LockedBy: "UBOB"})
	if err != nil || !l.Created.Equal(t0) {
		t.Fatalf("Lock = %+v, %v", l, err)
	}
	_, err = s.Lock(ctx, switchyard.Lock{App: "web", Env: "production", Reason: "mine", LockedBy: "UALICE"})
	wantCode(t, err, switchyard.ECONFLICT)
	// The held lock travels as data; its reason (a person's text) is
	// never in the message, which callers may show as is.
	var held *switchyard.LockHeldError
	if !errors.As(err, &held) || held.Lock.LockedBy != "UBOB" || held.Lock.Reason != "incident 42" || !held.Lock.Created.Equal(t0) {
		t.Errorf("conflict cause = %#v", err)
	}
	if msg := switchyard.ErrorMessage(err); strings.Contains(msg, "incident 42") || !strings.Contains(msg, "web in production") {
		t.Errorf("conflict message = %q", msg)
	}
	// Other environments stay free, but an app-wide lock collides.
	if _, err := s.Lock(ctx, switchyard.Lock{App: "web", Env: "staging", Reason: "tests", LockedBy: "UALICE"}); err != nil {
		t.Errorf("lock staging: %v", err)
	}
	_, err = s.Lock(ctx, switchyard.Lock{App: "web", Reason: "all", LockedBy: "UALICE"})
	wantCode(t, err, switchyard.ECONFLICT)
	_, err = s.Lock(ctx, switchyard.Lock{App: "web"})
	wantCode(t, err, switchyard.EINVALID)

	got, ok, err := s.GetLock(ctx, "web", "production")
	if err != nil || !ok || got.LockedBy != "UBOB" || got.Env != "production" || !got.Created.Equal(t0) {
		t.Errorf("GetLock = %+v, %v, %v", got, ok, err)
	}
	if _, ok, _ := s.GetLock(ctx, "web", "dev"); ok {
		t.Error("dev reported locked")
	}
	if any, ok, _ := s.GetLock(ctx, "web", ""); !ok || any.Env != "production" {
		t.Errorf("GetLock(web, any) = %+v, %v; want the first by environment", any, ok)
	}
	all, err := s.ListLocks(ctx)
	if err != nil || len(all) != 2 || all[0].Env != "production" || all[1].Env != "staging" {
		t.Errorf("ListLocks = %+v, %v", all, err)
	}

	un, err := s.Unlock(ctx, "web", "production")
	if err != nil || un.Reason != "incident 42" || un.LockedBy != "UBOB" {
		t.Errorf("Unlock = %+v, %v", un, err)
	}
	_, err = s.Unlock(ctx, "web", "production")
	wantCode(t, err, switchyard.ENOTFOUND)
	if _, err := s.Unlock(ctx, "web", "staging"); err != nil {
		t.Fatal(err)
	}

	// An app-wide lock covers every environment.
	if _, err := s.Lock(ctx, switchyard.Lock{App: "api", Reason: "migration", LockedBy: "UCAROL"}); err != nil {
		t.Fatal(err)
	}
	if got, ok, _ := s.GetLock(ctx, "api", "production"); !ok || got.Env != "" || got.Reason != "migration" {
		t.Errorf("app-wide lock not found for production: %+v %v", got, ok)
	}
	_, err = s.Lock(ctx, switchyard.Lock{App: "api", Env: "staging", Reason: "x", LockedBy: "UALICE"})
	wantCode(t, err, switchyard.ECONFLICT)
	if all, _ := s.ListLocks(ctx); len(all) != 1 || all[0].App != "api" {
		t.Errorf("ListLocks after unlocks = %+v", all)
	}
}

// Locks on overlapping scopes taken at once, through two handles: the
// app-wide lock and each environment's collide, so exactly one is taken.
func testLockRace(t *testing.T, e *env) {
	ctx := context.Background()
	other := e.open(t)
	for round := range 10 {
		app := fmt.Sprint("app", round)
		envs := []string{"", "production", "", "production", "", "production"}
		errs := race(len(envs), func(i int) error {
			s := e.s
			if i%2 == 1 {
				s = other
			}
			_, err := s.Lock(ctx, switchyard.Lock{App: app, Env: envs[i], Reason: fmt.Sprint("contender ", i), LockedBy: "UBOB"})
			return err
		})
		won := oneWinner(t, errs, switchyard.ECONFLICT)
		if l, ok, err := e.s.GetLock(ctx, app, "production"); err != nil || !ok || l.Reason != fmt.Sprint("contender ", won) {
			t.Fatalf("round %d: lock held = %+v, %v, %v; want contender %d's", round, l, ok, err, won)
		}
	}
}

func testAudit(t *testing.T, e *env) {
	s, c, ctx := e.s, e.clock, context.Background()
	var last int64
	for i, a := range []switchyard.AuditEntry{
		{User: "UALICE", Action: "deploy", App: "web", Env: "production", Channel: "C1", MessageTS: "1.1", Result: switchyard.ResultOK, Detail: "v1.4"},
		{User: "UEVE", Action: "deploy", App: "web", Env: "production", Channel: "C1", Result: switchyard.ResultRefused, Detail: "not allowed"},
		{User: "UBOB", Action: "lock", App: "api", Result: switchyard.ResultOK},
		{User: "UBOB", Action: "rollback", App: "web", Result: switchyard.ResultFailed, Detail: "no previous revision"},
	} {
		c.Advance(time.Second)
		got, err := s.Audit(ctx, a)
		if err != nil || got.ID <= last || !got.At.Equal(c.Now()) {
			t.Fatalf("Audit #%d = %+v, %v; want a growing ID and the clock's time", i, got, err)
		}
		last = got.ID
	}
	at := t0.Add(time.Hour + 300*time.Microsecond)
	if got, err := s.Audit(ctx, switchyard.AuditEntry{Action: "note", Result: switchyard.ResultOK, At: at}); err != nil || !got.At.Equal(at.Truncate(time.Millisecond)) {
		t.Errorf("Audit with a time = %+v, %v", got, err)
	}
	_, err := s.Audit(ctx, switchyard.AuditEntry{Action: "deploy", Result: "maybe"})
	wantCode(t, err, switchyard.EINVALID)
	_, err = s.Audit(ctx, switchyard.AuditEntry{Result: switchyard.ResultOK})
	wantCode(t, err, switchyard.EINVALID)

	web, err := s.AuditByApp(ctx, "web", 10)
	if err != nil || len(web) != 3 || web[0].Action != "rollback" || web[2].MessageTS != "1.1" || web[1].Result != switchyard.ResultRefused ||
		web[2].User != "UALICE" || web[2].Channel != "C1" || web[2].Env != "production" || web[2].Detail != "v1.4" || !web[2].At.Equal(t0.Add(time.Second)) {
		t.Errorf("AuditByApp(web) = %+v, %v", web, err)
	}
	recent, err := s.RecentAudit(ctx, 2)
	if err != nil || len(recent) != 2 || recent[0].Action != "note" || recent[1].ID != last {
		t.Errorf("RecentAudit(2) = %+v, %v", recent, err)
	}
	for _, tc := range []struct {
		q    switchyard.AuditQuery
		want []string
	}{
		{switchyard.AuditQuery{App: "web", Since: t0.Add(2 * time.Second)}, []string{"rollback", "deploy"}},
		{switchyard.AuditQuery{Since: t0.Add(3 * time.Second)}, []string{"note", "rollback", "lock"}},
		{switchyard.AuditQuery{App: "web", Since: t0.Add(2 * time.Second), Limit: 1}, []string{"rollback"}},
		{switchyard.AuditQuery{App: "api"}, []string{"lock"}},
		{switchyard.AuditQuery{App: "nothing"}, nil},
	} {
		got, err := s.ReadAudit(ctx, tc.q)
		var actions []string
		for _, a := range got {
			actions = append(actions, a.Action)
		}
		if err != nil || !slices.Equal(actions, tc.want) {
			t.Errorf("ReadAudit(%+v) = %v, %v; want %v", tc.q, actions, err, tc.want)
		}
	}
	// The trail is append-only, even for someone with the database handle.
	for _, q := range []string{`UPDATE audit SET result = 'ok' WHERE action = 'deploy'`, `DELETE FROM audit`} {
		if err := e.target.Exec(ctx, e.addr, q); err == nil {
			t.Errorf("the database accepted %q", q)
		}
	}
	if all, _ := s.RecentAudit(ctx, 0); len(all) != 5 || all[3].Result != switchyard.ResultRefused {
		t.Errorf("the trail changed: %+v", all)
	}
}

// Limits of zero or less mean the documented defaults.
func testLimits(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	for i := range 12 {
		r := sampleRecord(fmt.Sprintf("d-%02d", i))
		if _, err := s.CreateDeployment(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.ListByApp(ctx, "web", "", 0); err != nil || len(got) != 10 || got[0].ID != "d-11" {
		t.Errorf("ListByApp(limit 0) = %d records, %v; want the newest 10", len(got), err)
	}
	if got, _ := s.ListByApp(ctx, "web", "", -1); len(got) != 10 {
		t.Errorf("ListByApp(limit -1) = %d records", len(got))
	}
	for range 52 {
		if _, err := s.Audit(ctx, switchyard.AuditEntry{Action: "x", App: "web", Result: switchyard.ResultOK}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.RecentAudit(ctx, 0); err != nil || len(got) != 50 {
		t.Errorf("RecentAudit(0) = %d entries, %v; want 50", len(got), err)
	}
	if got, err := s.AuditByApp(ctx, "web", -5); err != nil || len(got) != 50 {
		t.Errorf("AuditByApp(-5) = %d entries, %v; want 50", len(got), err)
	}
}
