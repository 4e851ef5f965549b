package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

const pendingColumns = rules.PendingColumns

func scanPending(r rowScanner) (switchyard.Pending, error) {
	var (
		p                         switchyard.Pending
		plan, state, kind         string
		changed, created, expires int64
	)
	err := r.Scan(&p.ID, &p.App, &p.Env, &p.Version, &plan, &p.RequestedBy, &p.Reason, &p.Channel, &p.MessageTS,
		&state, &p.ApprovedBy, &p.ChangedBy, &changed, &created, &expires, &p.DeploymentID, &p.Error, &p.Rev, &kind, &p.RollbackOf, &p.Override)
	if err != nil {
		return switchyard.Pending{}, err
	}
	p.State, p.Kind = switchyard.PendingState(state), switchyard.RequestKind(kind)
	p.Changed, p.Created, p.Expires = fromMS(changed), fromMS(created), fromMS(expires)
	p.Plan, err = rules.DecodePlan(p.ID, plan)
	return p, err
}

// CreatePending stores a new request in state pending (or the state given)
// and returns it as stored; see store.Backend.
func (s *Store) CreatePending(ctx context.Context, p switchyard.Pending) (switchyard.Pending, error) {
	if err := rules.NewPending(&p, s.now); err != nil {
		return switchyard.Pending{}, err
	}
	plan, err := rules.EncodePlan(p.Plan)
	if err != nil {
		return switchyard.Pending{}, err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM pending WHERE id = ?`, p.ID).Scan(&one)
		if err == nil {
			return rules.PendingExists(p.ID)
		} else if !isNoRows(err) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO pending (`+pendingColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.App, p.Env, p.Version, plan, p.RequestedBy, p.Reason, p.Channel, p.MessageTS, string(p.State),
			p.ApprovedBy, p.ChangedBy, toMS(p.Changed), toMS(p.Created), toMS(p.Expires), p.DeploymentID, p.Error, p.Rev,
			string(p.Kind), p.RollbackOf, p.Override)
		return err
	})
	if err != nil {
		return switchyard.Pending{}, fmt.Errorf("create deploy request: %w", err)
	}
	return p, nil
}

// GetPending returns the request with that ID, or ENOTFOUND.
func (s *Store) GetPending(ctx context.Context, id string) (switchyard.Pending, error) {
	p, err := getPending(ctx, s.db, id)
	if err != nil {
		return switchyard.Pending{}, fmt.Errorf("get deploy request %s: %w", id, err)
	}
	return p, nil
}

func getPending(ctx context.Context, q querier, id string) (switchyard.Pending, error) {
	p, err := scanPending(q.QueryRowContext(ctx, `SELECT `+pendingColumns+` FROM pending WHERE id = ?`, id))
	if isNoRows(err) {
		return switchyard.Pending{}, rules.NoPending()
	}
	return p, err
}

// FindPendingByMessage returns the request shown by the message (channel,
// ts), or ENOTFOUND.
func (s *Store) FindPendingByMessage(ctx context.Context, channel, ts string) (switchyard.Pending, error) {
	p, err := scanPending(s.db.QueryRowContext(ctx, `SELECT `+pendingColumns+` FROM pending
		WHERE channel = ? AND message_ts = ? AND message_ts <> ''`, channel, ts))
	if isNoRows(err) {
		err = rules.NoPendingMessage()
	}
	if err != nil {
		return switchyard.Pending{}, fmt.Errorf("find deploy request by message %s/%s: %w", channel, ts, err)
	}
	return p, nil
}

// SetPendingMessage records the message that shows the request, once it is
// posted (the request is created first so that its buttons can carry its ID).
// It does not change the state or Rev.
func (s *Store) SetPendingMessage(ctx context.Context, id, channel, ts string) error {
	if err := s.setColumns(ctx, rules.NoPending, `UPDATE pending SET channel = ?, message_ts = ? WHERE id = ?`, channel, ts, id); err != nil {
		return fmt.Errorf("set message of deploy request %s: %w", id, err)
	}
	return nil
}

// Transition moves the request from one of the states in from to the state
// to, recording ch, as one compare-and-set: of any number of concurrent
// transitions out of a state, exactly one succeeds. If the request is in
// none of the from states, nothing changes and the error has code ECONFLICT,
// a message saying what state the request is in and who moved it there (for
// the person who clicked), and a *switchyard.StateError cause. Unknown IDs
// give ENOTFOUND. A request whose Expires has passed can no longer be
// approved or confirmed, even before the sweeper marks it expired.
//
// So Confirm is Transition(id, [pending, approved], confirmed) and Cancel is
// Transition(id, [pending, approved], cancelled): a double click confirms
// once, and a Confirm racing a Cancel ends in exactly one of them.
func (s *Store) Transition(ctx context.Context, id string, from []switchyard.PendingState, to switchyard.PendingState, ch switchyard.Change) (switchyard.Pending, error) {
	if err := rules.CheckState(to); err != nil {
		return switchyard.Pending{}, err
	}
	at := s.now.Or(ch.At)
	var out switchyard.Pending
	err := s.write(ctx, func(tx *sql.Tx) error {
		p, err := getPending(ctx, tx, id)
		if err != nil {
			return err
		}
		lockOf := func(app, env string) (switchyard.Lock, bool, error) {
			held, err := scanLock(tx.QueryRowContext(ctx, lockQuery, app, env, env, env))
			if isNoRows(err) {
				return switchyard.Lock{}, false, nil
			}
			return held, err == nil, err
		}
		freezesOf := func(app string, at time.Time) ([]switchyard.Freeze, error) {
			return queryFreezes(ctx, tx, `SELECT `+rules.FreezeColumns+` FROM freezes
				WHERE (app = ? OR app = '') AND starts <= ? AND ends > ? ORDER BY starts, id`, app, toMS(at), toMS(at))
		}
		if err := rules.Transition(&p, from, to, ch, at, lockOf, freezesOf); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE pending SET state = ?, changed_by = ?, changed = ?, rev = ?,
			approved_by = ?, deployment_id = ?, error_text = ? WHERE id = ? AND rev = ?`,
			string(p.State), p.ChangedBy, toMS(p.Changed), p.Rev, p.ApprovedBy, p.DeploymentID, p.Error, id, p.Rev-1)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("compare-and-set matched %d rows: %w", n, err)
		}
		out = p
		return nil
	})
	if err != nil {
		return switchyard.Pending{}, fmt.Errorf("move deploy request %s to %s: %w", id, to, err)
	}
	return out, nil
}

// ListExpired returns the open requests whose expiry is at or before now,
// oldest expiry first, for the sweeper to move to expired.
func (s *Store) ListExpired(ctx context.Context, now time.Time) ([]switchyard.Pending, error) {
	out, err := s.queryPending(ctx, `SELECT `+pendingColumns+` FROM pending
		WHERE state IN ('pending', 'approved') AND expires <= ? ORDER BY expires, id`, toMS(now))
	if err != nil {
		return nil, fmt.Errorf("list expired deploy requests: %w", err)
	}
	return out, nil
}

// ListStarting returns the confirmed requests of app whose deployment has
// not been linked yet: confirmed, so they passed every check, and about to
// start. An empty env means every environment of the app. A lock taken now
// does not stop them, and whoever takes it is told.
func (s *Store) ListStarting(ctx context.Context, app, env string) ([]switchyard.Pending, error) {
	out, err := s.queryPending(ctx, `SELECT `+pendingColumns+` FROM pending
		WHERE state = 'confirmed' AND deployment_id = '' AND app = ? AND (? = '' OR env = ?) ORDER BY changed, id`, app, env, env)
	if err != nil {
		return nil, fmt.Errorf("list starting deploy requests of %s: %w", app, err)
	}
	return out, nil
}

// ListUnlinked returns the confirmed requests never linked to a
// deployment that last changed before before; see store.Backend.
func (s *Store) ListUnlinked(ctx context.Context, before time.Time) ([]switchyard.Pending, error) {
	out, err := s.queryPending(ctx, `SELECT `+pendingColumns+` FROM pending
		WHERE state = 'confirmed' AND deployment_id = '' AND changed < ? ORDER BY changed, id`, toMS(before))
	if err != nil {
		return nil, fmt.Errorf("list unlinked requests: %w", err)
	}
	return out, nil
}

// FindRequest returns the request that started deployment id; see
// store.Backend.
func (s *Store) FindRequest(ctx context.Context, id string) (switchyard.Pending, error) {
	out, err := s.queryPending(ctx, `SELECT `+pendingColumns+` FROM pending
		WHERE deployment_id = ? AND NOT (kind = 'rollback' AND rollback_of = deployment_id) ORDER BY created, id LIMIT 1`, id)
	switch {
	case err != nil:
		return switchyard.Pending{}, fmt.Errorf("find the request of %s: %w", id, err)
	case len(out) == 0:
		return switchyard.Pending{}, rules.NoRequest(id)
	}
	return out[0], nil
}

// ListRollbacksOf returns the rollback requests of deployment id, oldest
// first; see store.Backend.
func (s *Store) ListRollbacksOf(ctx context.Context, id string) ([]switchyard.Pending, error) {
	out, err := s.queryPending(ctx, `SELECT `+pendingColumns+` FROM pending
		WHERE kind = 'rollback' AND rollback_of = ? ORDER BY created, id`, id)
	if err != nil {
		return nil, fmt.Errorf("list rollbacks of %s: %w", id, err)
	}
	return out, nil
}

func (s *Store) queryPending(ctx context.Context, query string, args ...any) ([]switchyard.Pending, error) {
	return collect(ctx, s.db, scanPending, query, args...)
}
