package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

func scanQueued(r rowScanner) (switchyard.Queued, error) {
	var (
		q                                 switchyard.Queued
		state                             string
		created, expires, handed, changed int64
	)
	err := r.Scan(&q.ID, &q.App, &q.Env, &q.Version, &q.Config, &q.Reason, &q.RequestedBy, &q.Channel, &state,
		&created, &expires, &handed, &q.PendingID, &q.ChangedBy, &changed, &q.Rev)
	if err != nil {
		return switchyard.Queued{}, err
	}
	q.State = switchyard.QueueState(state)
	q.Created, q.Expires, q.Handed, q.Changed = fromMS(created), fromMS(expires), fromMS(handed), fromMS(changed)
	return q, nil
}

func queryQueued(ctx context.Context, q queryer, query string, args ...any) ([]switchyard.Queued, error) {
	return collect(ctx, q, scanQueued, query, args...)
}

func getQueued(ctx context.Context, q querier, id string) (switchyard.Queued, error) {
	e, err := scanQueued(q.QueryRowContext(ctx, `SELECT `+rules.QueueColumns+` FROM queue WHERE id = ?`, id))
	if isNoRows(err) {
		return switchyard.Queued{}, rules.NoQueued()
	}
	return e, err
}

// Enqueue stores a deploy waiting for its turn; see store.Backend.
func (s *Store) Enqueue(ctx context.Context, q switchyard.Queued) (switchyard.Queued, error) {
	if err := rules.NewQueued(&q, s.now); err != nil {
		return switchyard.Queued{}, err
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		// The write lock makes this check and the insert one step; the
		// unique index queue_one_place stands behind it.
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM queue WHERE app = ? AND env = ? AND requested_by = ? AND state = 'waiting'`,
			q.App, q.Env, q.RequestedBy).Scan(&one)
		switch {
		case err == nil:
			return rules.AlreadyQueued(q.App, q.Env)
		case !isNoRows(err):
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO queue (`+rules.QueueColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			q.ID, q.App, q.Env, q.Version, q.Config, q.Reason, q.RequestedBy, q.Channel, string(q.State),
			toMS(q.Created), toMS(q.Expires), toMS(q.Handed), q.PendingID, q.ChangedBy, toMS(q.Changed), q.Rev)
		return err
	})
	if err != nil {
		return switchyard.Queued{}, fmt.Errorf("queue a deploy of %s: %w", q.App, err)
	}
	return q, nil
}

// GetQueued returns the queued deploy with that ID, or ENOTFOUND.
func (s *Store) GetQueued(ctx context.Context, id string) (switchyard.Queued, error) {
	q, err := getQueued(ctx, s.db, id)
	return q, wrapf(err, "get queued deploy "+id)
}

// ListQueue returns the waiting and handed deploys of app in env, in line
// order; see store.Backend.
func (s *Store) ListQueue(ctx context.Context, app, env string) ([]switchyard.Queued, error) {
	out, err := queryQueued(ctx, s.db, `SELECT `+rules.QueueColumns+` FROM queue
		WHERE (state = 'waiting' OR state = 'handed' AND (pending_id = '' OR pending_id IN (SELECT id FROM pending WHERE state IN ('pending', 'approved'))))
		AND (? = '' OR app = ?) AND (? = '' OR env = ?) ORDER BY app, env, created, id`,
		app, app, env, env)
	if err != nil {
		return nil, fmt.Errorf("list the queue of %s: %w", app, err)
	}
	return out, nil
}

// ListQueueExpired returns the waiting deploys whose expiry is at or
// before now, oldest expiry first.
func (s *Store) ListQueueExpired(ctx context.Context, now time.Time) ([]switchyard.Queued, error) {
	out, err := queryQueued(ctx, s.db, `SELECT `+rules.QueueColumns+` FROM queue
		WHERE state = 'waiting' AND expires <= ? ORDER BY expires, id`, toMS(now))
	if err != nil {
		return nil, fmt.Errorf("list expired queued deploys: %w", err)
	}
	return out, nil
}

// HandOut gives the first waiting deploy of app in env its turn, unless
// another holds it; see store.Backend. The write lock makes it one
// compare-and-set across processes.
func (s *Store) HandOut(ctx context.Context, app, env string, at time.Time, hold time.Duration) (switchyard.Queued, bool, error) {
	at = s.now.Or(at)
	var out switchyard.Queued
	var ok bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		handed, err := queryQueued(ctx, tx, `SELECT `+rules.QueueColumns+` FROM queue WHERE app = ? AND env = ? AND state = 'handed'`, app, env)
		if err != nil {
			return err
		}
		for _, h := range handed {
			open := false
			if h.PendingID != "" {
				var one int
				err := tx.QueryRowContext(ctx, `SELECT 1 FROM pending WHERE id = ? AND state IN ('pending', 'approved')`, h.PendingID).Scan(&one)
				if err != nil && !isNoRows(err) {
					return err
				}
				open = err == nil
			}
			if rules.HoldsTurn(h, open, at, hold) {
				return nil
			}
		}
		// The turns that are over leave the line.
		for _, h := range handed {
			if _, err := tx.ExecContext(ctx, `UPDATE queue SET state = 'served', changed = ?, rev = rev + 1 WHERE id = ? AND state = 'handed'`,
				toMS(at), h.ID); err != nil {
				return err
			}
		}
		first, err := queryQueued(ctx, tx, `SELECT `+rules.QueueColumns+` FROM queue
			WHERE app = ? AND env = ? AND state = 'waiting' AND expires > ? ORDER BY created, id LIMIT 1`, app, env, toMS(at))
		if err != nil || len(first) == 0 {
			return err
		}
		q := first[0]
		if err := rules.SettleQueued(&q, []switchyard.QueueState{switchyard.QueueWaiting}, switchyard.QueueHanded, "", at); err != nil {
			return err
		}
		q.Handed = at
		if _, err := tx.ExecContext(ctx, `UPDATE queue SET state = ?, handed = ?, changed_by = ?, changed = ?, rev = ? WHERE id = ? AND rev = ?`,
			string(q.State), toMS(q.Handed), q.ChangedBy, toMS(q.Changed), q.Rev, q.ID, q.Rev-1); err != nil {
			return err
		}
		out, ok = q, true
		return nil
	})
	if err != nil {
		return switchyard.Queued{}, false, fmt.Errorf("hand out the turn of %s: %w", rules.Scope(app, env), err)
	}
	return out, ok, nil
}

// SetQueuedPending links a handed deploy to the deploy request made for
// it; ENOTFOUND for an unknown ID.
func (s *Store) SetQueuedPending(ctx context.Context, id, pendingID string) error {
	if err := s.setColumns(ctx, rules.NoQueued, `UPDATE queue SET pending_id = ? WHERE id = ?`, pendingID, id); err != nil {
		return fmt.Errorf("link queued deploy %s: %w", id, err)
	}
	return nil
}

// SettleQueued moves a queued deploy between states by compare-and-set;
// see store.Backend.
func (s *Store) SettleQueued(ctx context.Context, id string, from []switchyard.QueueState, to switchyard.QueueState, by string, at time.Time) (switchyard.Queued, error) {
	at = s.now.Or(at)
	var out switchyard.Queued
	err := s.write(ctx, func(tx *sql.Tx) error {
		q, err := getQueued(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := rules.SettleQueued(&q, from, to, by, at); err != nil {
			return err
		}
		if to == switchyard.QueueHanded {
			q.Handed = at
		}
		_, err = tx.ExecContext(ctx, `UPDATE queue SET state = ?, handed = ?, changed_by = ?, changed = ?, rev = ? WHERE id = ? AND rev = ?`,
			string(q.State), toMS(q.Handed), q.ChangedBy, toMS(q.Changed), q.Rev, id, q.Rev-1)
		out = q
		return err
	})
	if err != nil {
		return switchyard.Queued{}, fmt.Errorf("move queued deploy %s to %s: %w", id, to, err)
	}
	return out, nil
}
