package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/pgtest"
	"github.com/switchyard/switchyard/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Open picks the implementation by the address, and both keep what they
// are given across a reopen.
func TestOpenChoosesByAddress(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Database(t)
	for _, c := range []struct{ dsn, kind string }{
		{filepath.Join(t.TempDir(), "bot.db"), "sqlite"},
		{url, "postgres"},
		{strings.Replace(url, "postgres://", "postgresql://", 1), "postgres"},
		{strings.Replace(url, "postgres://", "PostgreSQL://", 1), "postgres"},
	} {
		s, err := store.Open(ctx, c.dsn)
		if err != nil {
			t.Fatalf("%s: %v", store.Redact(c.dsn), err)
		}
		if s.Kind() != c.kind {
			t.Errorf("%s opened %s, want %s", store.Redact(c.dsn), s.Kind(), c.kind)
		}
		_, err = s.Lock(ctx, switchyard.Lock{App: "web", Reason: "seen by " + c.dsn, LockedBy: "U1"})
		if c.kind == "postgres" && c.dsn != url {
			// The same database under another spelling: the lock is there.
			wantCode(t, err, switchyard.ECONFLICT)
		} else if err != nil {
			t.Fatal(err)
		}
		s.Close()
		again, err := store.Open(ctx, c.dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := again.GetLock(ctx, "web", "production"); err != nil || !ok {
			t.Errorf("%s: lock lost across a reopen: %v, %v", c.kind, ok, err)
		}
		again.Close()
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"/var/lib/switchyard/bot.db":              "/var/lib/switchyard/bot.db",
		"postgres://bot:hunter2@db:5432/sy":       "postgres://bot:xxxxx@db:5432/sy",
		"postgresql://bot:hunter2@db/sy?sslmode=": "postgresql://bot:xxxxx@db/sy?sslmode=",
	} {
		if got := store.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// A store that cannot be opened says so without its password.
func TestOpenErrorHidesPassword(t *testing.T) {
	srv := pgtest.SharedServer(t)
	url := strings.Replace(srv.URL("postgres"), srv.Password(), "hunter2", 1)
	_, err := store.Open(context.Background(), url)
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "xxxxx") {
		t.Errorf("Open with a wrong password: %v", err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := switchyard.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}
