package postgres

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard/internal/pgtest"
)

// withExtra is this build's migrations and one more, as a later build
// would have them.
func withExtra(sql string) []migration {
	return append(append([]migration(nil), migrations...),
		migration{version: len(migrations) + 1, name: "999_extra.sql", sql: sql})
}

func count(t *testing.T, url, query string, args ...any) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Replicas starting together on an empty database, each with the newer
// build: every Open succeeds and each migration runs exactly once (the
// extra one has no IF NOT EXISTS, so a second run would fail).
func TestMigrationsRaceOnAFreshDatabase(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Database(t)
	migs := withExtra(`CREATE TABLE extra (x integer)`)
	const replicas = 8
	start, results := make(chan struct{}), make(chan error, replicas)
	for range replicas {
		go func() {
			<-start
			s, err := open(ctx, url, Options{}, migs)
			if err == nil {
				s.Close()
			}
			results <- err
		}()
	}
	close(start)
	for range replicas {
		if err := <-results; err != nil {
			t.Errorf("a replica: %v", err)
		}
	}
	if n := count(t, url, `SELECT count(*) FROM schema_migrations`); n != len(migs) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(migs))
	}
}

// An upgrade applies only the missing migrations, records their names, and
// then the older build refuses the newer database.
func TestUpgradeThenOlderBuildRefuses(t *testing.T) {
	ctx := context.Background()
	s, url := openFresh(t)
	if v, err := s.Version(ctx); err != nil || v != SchemaVersion() {
		t.Fatalf("Version = %d, %v; want %d", v, err, SchemaVersion())
	}
	if _, err := s.CreatePending(ctx, samplePending()); err != nil {
		t.Fatal(err)
	}
	s.Close()

	migs := withExtra(`CREATE TABLE extra (x integer); INSERT INTO extra SELECT count(*) FROM pending`)
	for range 2 { // the second open finds nothing to do
		newer, err := open(ctx, url, Options{}, migs)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := newer.Version(ctx); v != len(migs) {
			t.Errorf("version after upgrade = %d, want %d", v, len(migs))
		}
		newer.Close()
	}
	if n := count(t, url, `SELECT x FROM extra`); n != 1 {
		t.Errorf("the upgrade did not see the existing data: %d pending", n)
	}
	if n := count(t, url, `SELECT count(*) FROM schema_migrations WHERE name = $1`, "999_extra.sql"); n != 1 {
		t.Errorf("extra migration recorded %d times", n)
	}

	_, err := Open(ctx, url)
	if err == nil || !strings.Contains(err.Error(), "newer than this build") {
		t.Fatalf("older build opened a newer database: %v", err)
	}
}

// A migration that fails leaves the database as it was: the statements
// before the failure are rolled back with it, and the next Open retries.
func TestFailedMigrationLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s, url := openFresh(t)
	s.Close()
	_, err := open(ctx, url, Options{}, withExtra(`CREATE TABLE half (x integer); SELEC broken`))
	if err == nil || !strings.Contains(err.Error(), "999_extra.sql") {
		t.Fatalf("broken migration: %v; want its name in the error", err)
	}
	if n := count(t, url, `SELECT count(*) FROM pg_tables WHERE tablename = 'half'`); n != 0 {
		t.Error("half a migration stayed")
	}
	if n := count(t, url, `SELECT max(version) FROM schema_migrations`); n != SchemaVersion() {
		t.Errorf("version after a failed migration = %d", n)
	}
	again, err := open(ctx, url, Options{}, withExtra(`CREATE TABLE half (x integer)`))
	if err != nil {
		t.Fatalf("retry with a fixed migration: %v", err)
	}
	again.Close()
}

func TestLoadMigrations(t *testing.T) {
	if len(migrations) == 0 || migrations[0].version != 1 || !strings.Contains(migrations[0].sql, "CREATE TABLE deployments") {
		t.Fatalf("embedded migrations = %+v", migrations)
	}
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	good := fstest.MapFS{"migrations/001_a.sql": file("A"), "migrations/002_b.sql": file("B"), "migrations/readme.txt": file("")}
	if m, err := loadMigrations(good); err != nil || len(m) != 2 || m[1].sql != "B" || m[1].name != "002_b.sql" {
		t.Errorf("loadMigrations = %+v, %v", m, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":        {"migrations/001_a.sql": file("A"), "migrations/003_c.sql": file("C")},
		"repeat":     {"migrations/001_a.sql": file("A"), "migrations/001_b.sql": file("B")},
		"unnumbered": {"migrations/schema.sql": file("A")},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}
