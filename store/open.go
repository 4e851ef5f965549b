// Package store keeps what the bot must remember across restarts: the
// deployments it knows with their Slack cards and thread replies, pending
// confirmations, locks, freezes, the deploy queue and the audit trail. Two implementations keep them
// with the same meaning (both pass the suite in store/storetest):
//
//   - store/sqlite, an embedded SQLite file, the default: one process, no
//     server to run;
//   - store/postgres, PostgreSQL, for several replicas sharing one database.
//
// Open chooses by the address: a postgres:// or postgresql:// URL is
// PostgreSQL, anything else the path of a SQLite file.
//
// Every change that two people or two processes could race on goes through
// compare-and-set, so a double click, a redelivered event or a restart never
// applies the same change twice.
package store

import (
	"context"
	"time"

	"github.com/switchyard/switchyard/store/postgres"
	"github.com/switchyard/switchyard/store/sqlite"
)

// Options tunes a Store. The zero value is ready to use.
type Options struct {
	// Now is the clock used for times the caller leaves zero (creation and
	// update times). Defaults to time.Now; tests pass a simulated clock.
	Now func() time.Time
}

// Store is an open store: the Backend its address chose, whose methods it
// has.
type Store struct {
	Backend
	kind string
}

// Open opens the store at dsn and brings its schema up to date: a
// postgres:// or postgresql:// URL opens PostgreSQL, anything else is the
// path of a SQLite file, created if needed (":memory:" is a private
// in-memory database, handy in tests). Errors never show a URL's password.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return OpenOptions(ctx, dsn, Options{})
}

// OpenOptions is Open with options.
func OpenOptions(ctx context.Context, dsn string, o Options) (*Store, error) {
	if IsPostgres(dsn) {
		b, err := postgres.OpenOptions(ctx, dsn, postgres.Options{Now: o.Now})
		if err != nil {
			return nil, err
		}
		return &Store{Backend: b, kind: "postgres"}, nil
	}
	b, err := sqlite.OpenOptions(ctx, dsn, sqlite.Options{Now: o.Now})
	if err != nil {
		return nil, err
	}
	return &Store{Backend: b, kind: "sqlite"}, nil
}

// Kind says which implementation is open: "sqlite" or "postgres".
func (s *Store) Kind() string { return s.kind }

// IsPostgres reports whether dsn is a PostgreSQL URL rather than a path.
func IsPostgres(dsn string) bool { return postgres.IsURL(dsn) }

// Redact returns dsn fit for a log or an error: a URL with its password
// hidden, or the path as it is.
func Redact(dsn string) string {
	if IsPostgres(dsn) {
		return postgres.Redact(dsn)
	}
	return dsn
}

var (
	_ Backend = (*sqlite.Store)(nil)
	_ Backend = (*postgres.Store)(nil)
)
