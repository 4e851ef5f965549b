package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

func TestMigrateFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")

	// Build a file as the first release left it: schema 1, with data.
	old, err := open(ctx, path, Options{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := old.Version(ctx); v != 1 {
		t.Fatalf("old file has version %d, want 1", v)
	}
	if _, err := old.db.ExecContext(ctx, `INSERT INTO deployments (id, app, env, version, status, created, updated, observed)
		VALUES ('d-OLD', 'web', 'production', 'v1', 'InProgress', 1700000000000, 1700000000000, '{"traffic":{"Blue":90,"Green":10}}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := old.db.ExecContext(ctx, `INSERT INTO deployment_replies (deployment_id, key, ts, created) VALUES ('d-OLD', 'k', '1.1', 1)`); err != nil {
		t.Fatal(err)
	}
	var tables int
	old.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'pending'`).Scan(&tables)
	if tables != 0 {
		t.Fatalf("schema 1 already has the pending table")
	}
	old.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open old file: %v", err)
	}
	defer s.Close()
	if v, err := s.Version(ctx); err != nil || v != SchemaVersion() {
		t.Fatalf("version after upgrade = %d, %v; want %d", v, err, SchemaVersion())
	}
	rec, err := s.GetDeployment(ctx, "d-OLD")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Traffic.Green != 10 || rec.Status != switchyard.StatusInProgress || !rec.ObservedAt.IsZero() || rec.Rev != 1 {
		t.Errorf("old deployment after upgrade = %+v", rec)
	}
	if again, err := s.MarkReply(ctx, "d-OLD", "k", "2.2"); err != nil || again {
		t.Errorf("old reply lost in upgrade: %v, %v", again, err)
	}
	if _, err := s.CreatePending(ctx, samplePending()); err != nil {
		t.Errorf("pending table missing after upgrade: %v", err)
	}
	rec, err = s.UpdateDeploymentIf(ctx, "d-OLD", 1, func(r *switchyard.Record) error {
		r.ObservedAt = time.Unix(1700000001, 0)
		return nil
	})
	if err != nil || rec.ObservedAt.Unix() != 1700000001 {
		t.Errorf("observed_at after upgrade = %v, %v", rec.ObservedAt, err)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	s.Close()
	for range 3 {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != SchemaVersion() {
			t.Errorf("schema_migrations rows = %d, %v; want %d", n, err, SchemaVersion())
		}
		s.Close()
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, 0)`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, path); err == nil {
		s.Close()
		t.Fatal("opened a file with a newer schema")
	}
}
