package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

// openTemp opens a store in a fresh file and closes it when the test ends.
func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "switchyard.db")
	s, err := OpenOptions(context.Background(), path, Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// The behaviour every store shares is tested by store/storetest (see
// conformance_test.go); the tests here are about SQLite's file.

func sampleRecord(id string) switchyard.Record {
	return switchyard.Record{Deployment: switchyard.Deployment{ID: id, App: "web", Env: "production",
		Status: switchyard.StatusInProgress, Traffic: switchyard.Traffic{Blue: 90, Green: 10}}}
}

func samplePending() switchyard.Pending {
	return switchyard.Pending{App: "web", Env: "production", Version: "v1.4", RequestedBy: "UALICE", Expires: t0.Add(time.Hour)}
}

func TestOpenConfiguresTheFile(t *testing.T) {
	s, _ := openTemp(t)
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
	// A folder that is not there is named as such, once.
	dir := filepath.Join(t.TempDir(), "missing-dir")
	_, err := Open(ctx, filepath.Join(dir, "x.db"))
	if err == nil || !strings.Contains(err.Error(), "the folder "+dir+" does not exist") || strings.Count(err.Error(), dir) != 2 {
		t.Errorf("a missing folder: %v", err)
	}
}
