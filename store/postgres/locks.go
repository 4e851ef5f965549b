package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

// lockColumns are what scanLock reads.
const lockColumns = `app, env, reason, locked_by, created, channel, message_ts`

func scanLock(r rowScanner) (switchyard.Lock, error) {
	var l switchyard.Lock
	if err := r.Scan(&l.App, &l.Env, &l.Reason, &l.LockedBy, &l.Created, &l.Channel, &l.MessageTS); err != nil {
		return switchyard.Lock{}, err
	}
	l.Created = l.Created.UTC()
	return l, nil
}

// lockQuery finds the lock that covers (app, env): the lock on exactly that
// environment, the app-wide lock, or, when env is empty, any lock on the
// app. Exact matches come first.
const lockQuery = `SELECT ` + lockColumns + ` FROM locks
	WHERE app = $1 AND (env = $2 OR env = '' OR $2::text = '') ORDER BY env = $2 DESC, env LIMIT 1`

// locksOfApp is the advisory lock class under which Lock serialises the
// locks of one app (keyed by the hash of its name): "lock" in ASCII.
const locksOfApp int32 = 0x6c6f636b

// lockOf returns the function that finds the lock covering an app and
// environment inside tx, after taking the app's advisory lock for the rest
// of tx. Lock decides under it whether a lock is free, and a Transition
// that refuses under a lock decides under it whether one is held, so
// neither can miss what the other is committing.
func lockOf(ctx context.Context, tx pgx.Tx) rules.LockOf {
	return func(app, env string) (switchyard.Lock, bool, error) {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, locksOfApp, app); err != nil {
			return switchyard.Lock{}, false, err
		}
		held, err := scanLock(tx.QueryRow(ctx, lockQuery, app, env))
		if isNoRows(err) {
			return switchyard.Lock{}, false, nil
		}
		return held, err == nil, err
	}
}

// Lock takes the lock; see store.Backend. Whether a lock already covers the
// scope is decided while holding the app's advisory lock, so an app-wide
// lock and an environment's taken at once cannot both succeed.
func (s *Store) Lock(ctx context.Context, l switchyard.Lock) (switchyard.Lock, error) {
	if err := rules.CheckLock(&l, s.now); err != nil {
		return switchyard.Lock{}, err
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		held, ok, err := lockOf(ctx, tx)(l.App, l.Env)
		switch {
		case err != nil:
			return err
		case ok:
			return rules.Locked(held)
		}
		_, err = tx.Exec(ctx, `INSERT INTO locks (`+lockColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			l.App, l.Env, l.Reason, l.LockedBy, l.Created, l.Channel, l.MessageTS)
		return err
	})
	if err != nil {
		return switchyard.Lock{}, fmt.Errorf("lock %s: %w", rules.Scope(l.App, l.Env), badText(err))
	}
	return l, nil
}

// Unlock removes the lock on exactly (app, env) and returns it, or fails
// with ENOTFOUND.
func (s *Store) Unlock(ctx context.Context, app, env string) (switchyard.Lock, error) {
	return one(ctx, s.pool, "unlock "+rules.Scope(app, env), scanLock, func() error { return rules.NotLocked(app, env) },
		`DELETE FROM locks WHERE app = $1 AND env = $2 RETURNING `+lockColumns, app, env)
}

// GetLock returns the lock that stops a deploy of app to env; see
// store.Backend.
func (s *Store) GetLock(ctx context.Context, app, env string) (switchyard.Lock, bool, error) {
	l, err := one(ctx, s.pool, "get lock of "+rules.Scope(app, env), scanLock, noLock, lockQuery, app, env)
	if errors.Is(err, errNoLock) {
		return switchyard.Lock{}, false, nil
	}
	return l, err == nil, err
}

// errNoLock is "no row" where finding no lock is an answer, not a failure.
var errNoLock = errors.New("no lock")

func noLock() error { return errNoLock }

// ListLocks returns every lock, by app and environment.
func (s *Store) ListLocks(ctx context.Context) ([]switchyard.Lock, error) {
	return all(ctx, s.pool, "list locks", scanLock, `SELECT `+lockColumns+` FROM locks ORDER BY app, env`)
}

// SetLockMessage records the message that announced the lock on exactly
// (app, env); ENOTFOUND if there is no such lock.
func (s *Store) SetLockMessage(ctx context.Context, app, env, channel, ts string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE locks SET channel = $1, message_ts = $2 WHERE app = $3 AND env = $4`, channel, ts, app, env)
	if err == nil && tag.RowsAffected() == 0 {
		err = rules.NotLocked(app, env)
	}
	if err != nil {
		return fmt.Errorf("set message of lock %s: %w", rules.Scope(app, env), badText(err))
	}
	return nil
}
