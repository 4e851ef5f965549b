// Package sqlite is the embedded store: what the bot must remember across
// restarts (the deployments it knows with their Slack cards and thread
// replies, pending confirmations, locks and the audit trail) in one SQLite
// file (modernc.org/sqlite, pure Go). It suits one process, or a few on one
// machine; several replicas share PostgreSQL instead (store/postgres).
//
// Every change that two people or two processes could race on goes through
// compare-and-set, so a double click, a redelivered event or a restart never
// applies the same change twice.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/switchyard/switchyard/store/internal/rules"
)

// busyTimeout is how long SQLite waits for another process's write lock
// before giving up with SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// Options tunes a Store. The zero value is ready to use.
type Options struct {
	// Now is the clock used for times the caller leaves zero (creation and
	// update times). Defaults to time.Now; tests pass a simulated clock.
	Now func() time.Time
}

// Store is the embedded database. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	now rules.Clock
	// writeMu serialises this process's write transactions, so writers queue
	// in Go instead of spinning in SQLite's busy handler. Other processes are
	// still kept out by SQLite's own lock and busy_timeout.
	writeMu sync.Mutex
}

// Open opens (creating if needed) the database file at path and brings its
// schema up to date. path ":memory:" gives a private in-memory database,
// handy in tests.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenOptions(ctx, path, Options{})
}

// OpenOptions is Open with options.
func OpenOptions(ctx context.Context, path string, o Options) (*Store, error) {
	return open(ctx, path, o, len(migrations))
}

// open opens the file and migrates it to schema version target.
func open(ctx context.Context, path string, o Options, target int) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open store %q: the path must be a file name without ? or #", path)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Write transactions take the write lock at BEGIN: a deferred transaction
	// that reads and then writes can fail with SQLITE_BUSY_SNAPSHOT in WAL
	// mode, which busy_timeout does not cover.
	q.Set("_txlock", "immediate")
	memory := path == ":memory:"
	if !memory {
		q.Add("_pragma", "journal_mode(WAL)")
		// SQLite says only "unable to open database file"; a folder that
		// is not there is the usual cause, and worth its own sentence.
		if dir := filepath.Dir(path); dir != "" {
			if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("open store %s: the folder %s does not exist: create it, or give the store a path in a folder that does", path, dir)
			}
		}
	}
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if memory {
		// Each connection to :memory: is its own database: keep exactly one.
		db.SetMaxOpenConns(1)
	}
	s := &Store{db: db, now: o.Now}
	if o.Now == nil {
		s.now = time.Now
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.migrate(ctx, target); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database. Calls in flight finish first.
func (s *Store) Close() error {
	return s.db.Close()
}

// write runs fn in one write transaction and commits it if fn returns nil.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Times are stored as Unix milliseconds, 0 for the zero time.
func toMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// isNoRows reports whether err says a single-row query found nothing.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// rowScanner is what *sql.Row and *sql.Rows share.
type rowScanner interface {
	Scan(dest ...any) error
}
