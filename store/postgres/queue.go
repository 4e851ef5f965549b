package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

func scanQueued(r rowScanner) (switchyard.Queued, error) {
	var (
		q      switchyard.Queued
		state  string
		handed *time.Time
	)
	err := r.Scan(&q.ID, &q.App, &q.Env, &q.Version, &q.Config, &q.Reason, &q.RequestedBy, &q.Channel, &state,
		&q.Created, &q.Expires, &handed, &q.PendingID, &q.ChangedBy, &q.Changed, &q.Rev)
	if err != nil {
		return switchyard.Queued{}, err
	}
	q.State = switchyard.QueueState(state)
	q.Created, q.Expires, q.Handed, q.Changed = q.Created.UTC(), q.Expires.UTC(), fromTS(handed), q.Changed.UTC()
	return q, nil
}

// queueOfApp is the advisory lock class under which the turns of one app
// and environment are handed out (keyed by the hash of "app/env"): "queu"
// in ASCII.
const queueOfApp int32 = 0x71756575

// Enqueue stores a deploy waiting for its turn; see store.Backend.
func (s *Store) Enqueue(ctx context.Context, q switchyard.Queued) (switchyard.Queued, error) {
	if err := rules.NewQueued(&q, s.now); err != nil {
		return switchyard.Queued{}, err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO queue (`+rules.QueueColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		q.ID, q.App, q.Env, q.Version, q.Config, q.Reason, q.RequestedBy, q.Channel, string(q.State),
		q.Created, q.Expires, tsArg(q.Handed), q.PendingID, q.ChangedBy, q.Changed, q.Rev)
	if violates(err, "queue_one_place") {
		err = rules.AlreadyQueued(q.App, q.Env)
	}
	if err != nil {
		return switchyard.Queued{}, fmt.Errorf("queue a deploy of %s: %w", q.App, badText(err))
	}
	return q, nil
}

func getQueued(ctx context.Context, q querier, id, lock string) (switchyard.Queued, error) {
	return one(ctx, q, "", scanQueued, rules.NoQueued, `SELECT `+rules.QueueColumns+` FROM queue WHERE id = $1`+lock, id)
}

// GetQueued returns the queued deploy with that ID, or ENOTFOUND.
func (s *Store) GetQueued(ctx context.Context, id string) (switchyard.Queued, error) {
	return one(ctx, s.pool, "get queued deploy "+id, scanQueued, rules.NoQueued, `SELECT `+rules.QueueColumns+` FROM queue WHERE id = $1`, id)
}

// ListQueue returns the waiting and handed deploys of app in env, in line
// order; see store.Backend.
func (s *Store) ListQueue(ctx context.Context, app, env string) ([]switchyard.Queued, error) {
	return all(ctx, s.pool, "list the queue of "+app, scanQueued, `SELECT `+rules.QueueColumns+` FROM queue
		WHERE (state = 'waiting' OR state = 'handed' AND (pending_id = '' OR pending_id IN (SELECT id FROM pending WHERE state IN ('pending', 'approved'))))
		AND ($1::text = '' OR app = $1) AND ($2::text = '' OR env = $2)
		ORDER BY app, env, created, id`, app, env)
}

// ListQueueExpired returns the waiting deploys whose expiry is at or
// before now, oldest expiry first.
func (s *Store) ListQueueExpired(ctx context.Context, now time.Time) ([]switchyard.Queued, error) {
	return all(ctx, s.pool, "list expired queued deploys", scanQueued, `SELECT `+rules.QueueColumns+` FROM queue
		WHERE state = 'waiting' AND expires <= $1 ORDER BY expires, id`, rules.Trunc(now))
}

// HandOut gives the first waiting deploy of app in env its turn, unless
// another holds it; see store.Backend. The decision is made under an
// advisory lock of the app and environment, so replicas reacting at once
// to the same freedom hand out one turn.
func (s *Store) HandOut(ctx context.Context, app, env string, at time.Time, hold time.Duration) (switchyard.Queued, bool, error) {
	at = s.now.Or(at)
	type result struct {
		q  switchyard.Queued
		ok bool
	}
	r, err := txValue(ctx, s, func(tx pgx.Tx) (result, error) {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, queueOfApp, app+"/"+env); err != nil {
			return result{}, err
		}
		type holder struct {
			q    switchyard.Queued
			open bool
		}
		holders, err := all(ctx, tx, "", func(r rowScanner) (holder, error) {
			var h holder
			var handed *time.Time
			var state string
			err := r.Scan(&h.q.ID, &state, &handed, &h.q.PendingID, &h.open)
			h.q.State, h.q.Handed = switchyard.QueueState(state), fromTS(handed)
			return h, err
		}, `SELECT q.id, q.state, q.handed, q.pending_id,
				EXISTS (SELECT 1 FROM pending p WHERE p.id = q.pending_id AND p.state IN ('pending', 'approved'))
			FROM queue q WHERE q.app = $1 AND q.env = $2 AND q.state = 'handed'`, app, env)
		if err != nil {
			return result{}, err
		}
		for _, h := range holders {
			if rules.HoldsTurn(h.q, h.open, at, hold) {
				return result{}, nil
			}
		}
		// The turns that are over leave the line.
		if _, err := tx.Exec(ctx, `UPDATE queue SET state = 'served', changed = $3, rev = rev + 1
			WHERE app = $1 AND env = $2 AND state = 'handed'`, app, env, at); err != nil {
			return result{}, err
		}
		first, err := all(ctx, tx, "", scanQueued, `SELECT `+rules.QueueColumns+` FROM queue
			WHERE app = $1 AND env = $2 AND state = 'waiting' AND expires > $3 ORDER BY created, id LIMIT 1 FOR UPDATE`, app, env, at)
		if err != nil || len(first) == 0 {
			return result{}, err
		}
		q := first[0]
		if err := rules.SettleQueued(&q, []switchyard.QueueState{switchyard.QueueWaiting}, switchyard.QueueHanded, "", at); err != nil {
			return result{}, err
		}
		q.Handed = at
		err = execOne(ctx, tx, `UPDATE queue SET state = $1, handed = $2, changed_by = $3, changed = $4, rev = $5 WHERE id = $6 AND rev = $7`,
			string(q.State), q.Handed, q.ChangedBy, q.Changed, q.Rev, q.ID, q.Rev-1)
		return result{q, true}, err
	})
	if err != nil {
		return switchyard.Queued{}, false, fmt.Errorf("hand out the turn of %s: %w", rules.Scope(app, env), err)
	}
	return r.q, r.ok, nil
}

// SetQueuedPending links a handed deploy to the deploy request made for
// it; ENOTFOUND for an unknown ID.
func (s *Store) SetQueuedPending(ctx context.Context, id, pendingID string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE queue SET pending_id = $1 WHERE id = $2`, pendingID, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = rules.NoQueued()
	}
	if err != nil {
		return fmt.Errorf("link queued deploy %s: %w", id, badText(err))
	}
	return nil
}

// SettleQueued moves a queued deploy between states by compare-and-set;
// see store.Backend. The row is read FOR UPDATE, so of concurrent moves
// the later ones judge the state the first one left.
func (s *Store) SettleQueued(ctx context.Context, id string, from []switchyard.QueueState, to switchyard.QueueState, by string, at time.Time) (switchyard.Queued, error) {
	at = s.now.Or(at)
	q, err := txValue(ctx, s, func(tx pgx.Tx) (switchyard.Queued, error) {
		q, err := getQueued(ctx, tx, id, ` FOR UPDATE`)
		if err == nil {
			err = rules.SettleQueued(&q, from, to, by, at)
		}
		if err == nil && to == switchyard.QueueHanded {
			q.Handed = at
		}
		if err == nil {
			err = execOne(ctx, tx, `UPDATE queue SET state = $1, handed = $2, changed_by = $3, changed = $4, rev = $5 WHERE id = $6 AND rev = $7`,
				string(q.State), tsArg(q.Handed), q.ChangedBy, q.Changed, q.Rev, id, q.Rev-1)
		}
		return q, err
	})
	return q, wrapf(badText(err), fmt.Sprintf("move queued deploy %s to %s", id, to))
}
