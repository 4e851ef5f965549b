package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

// lockColumns are what scanLock reads.
const lockColumns = `app, env, reason, locked_by, created, channel, message_ts`

func scanLock(r rowScanner) (switchyard.Lock, error) {
	var l switchyard.Lock
	var created int64
	if err := r.Scan(&l.App, &l.Env, &l.Reason, &l.LockedBy, &created, &l.Channel, &l.MessageTS); err != nil {
		return switchyard.Lock{}, err
	}
	l.Created = fromMS(created)
	return l, nil
}

// lockQuery finds the lock that covers (app, env): the lock on exactly that
// environment, the app-wide lock, or, when env is empty, any lock on the app.
// Exact matches come first.
const lockQuery = `SELECT ` + lockColumns + ` FROM locks
	WHERE app = ? AND (env = ? OR env = '' OR ? = '') ORDER BY env = ? DESC, env LIMIT 1`

// Lock takes the lock. It fails with ECONFLICT, naming who holds it and why,
// if a lock already covers the same scope (the same environment, the whole
// app, or, for an app-wide lock, any environment of it). App, Reason and
// LockedBy are required (EINVALID); Created defaults to now.
func (s *Store) Lock(ctx context.Context, l switchyard.Lock) (switchyard.Lock, error) {
	if err := rules.CheckLock(&l, s.now); err != nil {
		return switchyard.Lock{}, err
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		held, err := scanLock(tx.QueryRowContext(ctx, lockQuery, l.App, l.Env, l.Env, l.Env))
		switch {
		case err == nil:
			return rules.Locked(held)
		case !isNoRows(err):
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO locks (`+lockColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			l.App, l.Env, l.Reason, l.LockedBy, toMS(l.Created), l.Channel, l.MessageTS)
		return err
	})
	if err != nil {
		return switchyard.Lock{}, fmt.Errorf("lock %s: %w", rules.Scope(l.App, l.Env), err)
	}
	return l, nil
}

// Unlock removes the lock on exactly (app, env) and returns it, or fails with
// ENOTFOUND if there is none.
func (s *Store) Unlock(ctx context.Context, app, env string) (switchyard.Lock, error) {
	var l switchyard.Lock
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		l, err = scanLock(tx.QueryRowContext(ctx, `SELECT `+lockColumns+` FROM locks
			WHERE app = ? AND env = ?`, app, env))
		if isNoRows(err) {
			return rules.NotLocked(app, env)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM locks WHERE app = ? AND env = ?`, app, env)
		return err
	})
	if err != nil {
		return switchyard.Lock{}, fmt.Errorf("unlock %s: %w", rules.Scope(app, env), err)
	}
	return l, nil
}

// GetLock returns the lock that stops a deploy of app to env: the lock on
// that environment or the app-wide one. ok is false if there is none. With
// an empty env it returns any lock on the app.
func (s *Store) GetLock(ctx context.Context, app, env string) (l switchyard.Lock, ok bool, err error) {
	l, err = scanLock(s.db.QueryRowContext(ctx, lockQuery, app, env, env, env))
	switch {
	case isNoRows(err):
		return switchyard.Lock{}, false, nil
	case err != nil:
		return switchyard.Lock{}, false, fmt.Errorf("get lock of %s: %w", rules.Scope(app, env), err)
	}
	return l, true, nil
}

// ListLocks returns every lock, by app and environment.
func (s *Store) ListLocks(ctx context.Context) ([]switchyard.Lock, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+lockColumns+` FROM locks ORDER BY app, env`)
	if err != nil {
		return nil, fmt.Errorf("list locks: %w", err)
	}
	defer rows.Close()
	var out []switchyard.Lock
	for rows.Next() {
		l, err := scanLock(rows)
		if err != nil {
			return nil, fmt.Errorf("list locks: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list locks: %w", err)
	}
	return out, nil
}

// SetLockMessage records the message that announced the lock on exactly
// (app, env); ENOTFOUND if there is no such lock.
func (s *Store) SetLockMessage(ctx context.Context, app, env, channel, ts string) error {
	err := s.setColumns(ctx, func() error { return rules.NotLocked(app, env) },
		`UPDATE locks SET channel = ?, message_ts = ? WHERE app = ? AND env = ?`, channel, ts, app, env)
	if err != nil {
		return fmt.Errorf("set message of lock %s: %w", rules.Scope(app, env), err)
	}
	return nil
}
