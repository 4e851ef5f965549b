package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// migrationFiles are the schema's history, NNN_what.sql, oldest first.
// Append only; never edit one that has shipped, because existing databases
// have already run it.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one step of the schema.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations is the history this build knows.
var migrations = mustLoad(migrationFiles)

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations) }

func mustLoad(fsys fs.FS) []migration {
	m, err := loadMigrations(fsys)
	if err != nil {
		panic(err)
	}
	return m
}

// loadMigrations reads migrations/*.sql and checks that their versions run
// 1, 2, 3… without gap or repeat.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration // fs.Glob sorts, and the numbers are zero-padded
	for i, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want a name NNN_what.sql numbered %d", name, i+1)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	return out, nil
}

// migrateLock is the advisory lock key that serialises migrations: the
// bytes of "swyd-mig".
const migrateLock int64 = 0x737779642d6d6967

// migrate applies the migrations of migs above the database's version, all
// in one transaction under a transaction-scoped advisory lock: replicas
// opening one database at once queue on the lock, and each finds the
// work done by the one before. The lock goes with the transaction, so a
// replica that dies mid-migration leaves neither a lock nor half a schema.
func (s *Store) migrate(ctx context.Context, migs []migration) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return fmt.Errorf("wait for the migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version integer PRIMARY KEY,
	name    text NOT NULL,
	applied timestamptz NOT NULL
)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		cur, err := schemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		if cur > len(migs) {
			return fmt.Errorf("the database has schema version %d, newer than this build's %d", cur, len(migs))
		}
		for _, m := range migs[cur:] {
			// Without arguments pgx sends the file as one simple query, so
			// it may hold many statements.
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, $3)`,
				m.version, m.name, s.now.Now()); err != nil {
				return fmt.Errorf("record migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}

// Version returns the schema version of the database.
func (s *Store) Version(ctx context.Context) (int, error) {
	return schemaVersion(ctx, s.pool)
}

// Ping takes a connection from the pool (a new one if those idle have
// died) and makes one round trip on it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	if err := q.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
