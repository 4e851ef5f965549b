// Package postgres is the store on PostgreSQL, for several bot replicas
// sharing one database: the same records, methods and meaning as the
// embedded SQLite store (store/storetest holds the suite both pass), through
// pgx (pure Go) and a connection pool.
//
// Where SQLite serialises writers with one lock on the file, here each
// change holds only what it touches: a compare-and-set reads its row FOR
// UPDATE inside its transaction, so of several replicas racing on one
// deployment or one deploy request exactly one wins and the others see its
// result; a unique index, not a check beforehand, keeps two deployments off
// one card and two records off one ID; and the locks of one app are taken
// under a transaction-scoped advisory lock on the app, so an app-wide lock
// and an environment's cannot both be taken at once. Nothing is held
// between calls: a replica that dies leaves no lock behind.
//
// The schema is versioned SQL under migrations/, applied at Open inside one
// transaction that first takes a transaction-scoped advisory lock, so
// replicas starting together apply each migration once; a database newer
// than this build is refused, as an older binary must not write a schema it
// does not know.
//
// The database URL carries the password unless it comes from PGPASSWORD or
// a password file (pgx reads both); either way it never appears in an error
// of this package (see Redact).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

// Options tunes a Store. The zero value is ready to use.
type Options struct {
	// Now is the clock used for times the caller leaves zero. Defaults to
	// time.Now; tests pass a simulated clock.
	Now func() time.Time
}

// Store is the PostgreSQL store. It is safe for concurrent use, by any
// number of processes.
type Store struct {
	pool *pgxpool.Pool
	now  rules.Clock
}

// Open connects to the database at url (postgres://user:password@host/db)
// and brings its schema up to date.
func Open(ctx context.Context, url string) (*Store, error) {
	return OpenOptions(ctx, url, Options{})
}

// OpenOptions is Open with options.
func OpenOptions(ctx context.Context, url string, o Options) (*Store, error) {
	return open(ctx, url, o, migrations)
}

// open connects and migrates the schema to the end of migs.
func open(ctx context.Context, dsn string, o Options, migs []migration) (*Store, error) {
	if !IsURL(dsn) {
		return nil, fmt.Errorf("open store: %w", switchyard.Errorf(switchyard.EINVALID, "The PostgreSQL store takes a postgres:// or postgresql:// URL."))
	}
	if _, err := url.Parse(dsn); err != nil {
		// url.Error repeats the URL, password and all: say only what to check.
		return nil, fmt.Errorf("open store: %w", switchyard.Errorf(switchyard.EINVALID,
			"The PostgreSQL URL does not parse: check the port, and percent-encode any of : / @ ? # %% in the user name and password."))
	}
	// pgx knows the scheme only in lower case; URL schemes are any case.
	scheme, rest, _ := strings.Cut(dsn, "://")
	dsn = strings.ToLower(scheme) + "://" + rest
	where := Redact(dsn)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", where, scrub(err, dsn))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", where, scrub(err, dsn))
	}
	s := &Store{pool: pool, now: o.Now}
	if o.Now == nil {
		s.now = time.Now
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store %s: %w", where, scrub(err, dsn))
	}
	if err := s.migrate(ctx, migs); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store %s: %w", where, scrub(err, dsn))
	}
	return s, nil
}

// Close closes the pool. Calls in flight finish first.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// IsURL reports whether dsn is a PostgreSQL URL (postgres:// or
// postgresql://), the only form of address this package takes: pgx's
// keyword=value strings are refused, so a password cannot hide in a form
// Redact does not know.
func IsURL(dsn string) bool {
	scheme, _, ok := strings.Cut(dsn, "://")
	return ok && (strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql"))
}

// Redact returns the URL with its password (in the user part or a password
// parameter) replaced by xxxxx, fit for a log or an error. Anything else,
// or a URL that does not parse, is not shown at all.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || !IsURL(dsn) {
		return "(a PostgreSQL URL that does not parse)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// passwords returns the secrets in a URL: the user part's password and any
// password parameter.
func passwords(u *url.URL) []string {
	var out []string
	if pw, ok := u.User.Password(); ok && pw != "" {
		out = append(out, pw)
	}
	for _, pw := range u.Query()["password"] {
		if pw != "" {
			out = append(out, pw)
		}
	}
	return out
}

// scrub hides the passwords of dsn in err's text, in case a message below
// (a parse error of pgx, a server's) repeats the URL. errors.As still
// reaches the causes.
func scrub(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil {
		return &scrubbed{text: "the URL does not parse", err: err}
	}
	text := err.Error()
	for _, pw := range passwords(u) {
		for _, form := range []string{pw, url.QueryEscape(pw), url.PathEscape(pw), url.UserPassword("", pw).String()[1:]} {
			text = strings.ReplaceAll(text, form, "xxxxx")
		}
	}
	return &scrubbed{text: text, err: err}
}

type scrubbed struct {
	text string
	err  error
}

func (e *scrubbed) Error() string { return e.text }
func (e *scrubbed) Unwrap() error { return e.err }

// tx runs fn in one transaction and commits it if fn returns nil.
func (s *Store) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// querier is what the pool and a transaction share.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// rowScanner is what pgx.Row and pgx.Rows share.
type rowScanner interface {
	Scan(dest ...any) error
}

// isNoRows reports whether err says a single-row query found nothing.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// violates reports whether err is the database refusing a change because of
// the named constraint (a unique index, a foreign key).
func violates(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.ConstraintName == constraint
}

// badText turns the database's refusal of a NUL character or of bytes that
// are not UTF-8 (which SQLite would keep) into EINVALID.
func badText(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05") {
		return switchyard.Wrap(switchyard.EINVALID, "Text with a NUL character or bytes that are not UTF-8 cannot be stored.", err)
	}
	return err
}

// tsArg is t for a nullable timestamptz: NULL for the zero time.
func tsArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// fromTS reads a nullable timestamptz back, in UTC.
func fromTS(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
