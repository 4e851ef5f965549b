package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

func TestLocks(t *testing.T) {
	s, _, _ := openTemp(t)
	ctx := context.Background()
	if _, ok, err := s.GetLock(ctx, "web", "production"); err != nil || ok {
		t.Fatalf("GetLock on a fresh store = %v, %v", ok, err)
	}
	l, err := s.Lock(ctx, switchyard.Lock{App: "web", Env: "production", Reason: "incident 42", LockedBy: "UBOB"})
	if err != nil || !l.Created.Equal(t0) {
		t.Fatalf("Lock = %+v, %v", l, err)
	}
	_, err = s.Lock(ctx, switchyard.Lock{App: "web", Env: "production", Reason: "mine", LockedBy: "UALICE"})
	wantCode(t, err, switchyard.ECONFLICT)
	if msg := switchyard.ErrorMessage(err); !strings.Contains(msg, "<@UBOB>") || !strings.Contains(msg, "incident 42") {
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
	if err != nil || !ok || got.LockedBy != "UBOB" || got.Env != "production" {
		t.Errorf("GetLock = %+v, %v, %v", got, ok, err)
	}
	if _, ok, _ := s.GetLock(ctx, "web", "dev"); ok {
		t.Error("dev reported locked")
	}
	all, err := s.ListLocks(ctx)
	if err != nil || len(all) != 2 || all[0].Env != "production" || all[1].Env != "staging" {
		t.Errorf("ListLocks = %+v, %v", all, err)
	}

	un, err := s.Unlock(ctx, "web", "production")
	if err != nil || un.Reason != "incident 42" {
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
}

func TestAudit(t *testing.T) {
	s, c, _ := openTemp(t)
	ctx := context.Background()
	for i, e := range []switchyard.AuditEntry{
		{User: "UALICE", Action: "deploy", App: "web", Env: "production", Channel: "C1", MessageTS: "1.1", Result: switchyard.ResultOK, Detail: "v1.4"},
		{User: "UEVE", Action: "deploy", App: "web", Env: "production", Channel: "C1", Result: switchyard.ResultRefused, Detail: "not allowed"},
		{User: "UBOB", Action: "lock", App: "api", Result: switchyard.ResultOK},
		{User: "UBOB", Action: "rollback", App: "web", Result: switchyard.ResultFailed, Detail: "no previous revision"},
	} {
		c.Advance(time.Second)
		got, err := s.Audit(ctx, e)
		if err != nil || got.ID != int64(i+1) || !got.At.Equal(c.Now()) {
			t.Fatalf("Audit #%d = %+v, %v", i, got, err)
		}
	}
	_, err := s.Audit(ctx, switchyard.AuditEntry{Action: "deploy", Result: "maybe"})
	wantCode(t, err, switchyard.EINVALID)

	web, err := s.AuditByApp(ctx, "web", 10)
	if err != nil || len(web) != 3 || web[0].Action != "rollback" || web[2].MessageTS != "1.1" || web[1].Result != switchyard.ResultRefused {
		t.Errorf("AuditByApp(web) = %+v, %v", web, err)
	}
	recent, err := s.RecentAudit(ctx, 2)
	if err != nil || len(recent) != 2 || recent[0].ID != 4 || recent[1].ID != 3 {
		t.Errorf("RecentAudit(2) = %+v, %v", recent, err)
	}
	// The trail is append-only, even for someone with the database handle.
	if _, err := s.db.ExecContext(ctx, `UPDATE audit SET result = 'ok' WHERE id = 2`); err == nil {
		t.Error("audit row updated")
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM audit`); err == nil {
		t.Error("audit rows deleted")
	}
}
