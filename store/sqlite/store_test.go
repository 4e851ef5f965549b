package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

// clock is a settable clock for the store's default times.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

// openTemp opens a store in a fresh file and closes it when the test ends.
func openTemp(t *testing.T) (*Store, *clock, string) {
	t.Helper()
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "switchyard.db")
	s, err := OpenOptions(context.Background(), path, Options{Now: c.Now})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c, path
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := switchyard.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func TestOpenConfiguresTheFile(t *testing.T) {
	s, _, _ := openTemp(t)
	ctx := context.Background()
	var mode string
	if err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk, busy int
	if err := s.db.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
	if err := s.db.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil || busy != 5000 {
		t.Errorf("busy_timeout = %d, %v; want 5000", busy, err)
	}
	if v, err := s.Version(ctx); err != nil || v != SchemaVersion() {
		t.Errorf("Version = %d, %v; want %d", v, err, SchemaVersion())
	}
}

func TestOpenMemory(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateDeployment(ctx, sampleRecord("d-MEM")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetDeployment(ctx, "d-MEM"); err != nil {
		t.Fatalf("get from memory store: %v", err)
	}
}

func TestOpenRefusesBadPaths(t *testing.T) {
	ctx := context.Background()
	for _, p := range []string{"", "a.db?mode=ro", filepath.Join(t.TempDir(), "missing-dir", "x.db")} {
		if s, err := Open(ctx, p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
}

func TestReopenFindsEverything(t *testing.T) {
	s, _, path := openTemp(t)
	ctx := context.Background()
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

	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
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
