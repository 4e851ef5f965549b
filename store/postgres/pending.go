package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

func scanPending(r rowScanner) (switchyard.Pending, error) {
	var (
		p                 switchyard.Pending
		plan, state, kind string
	)
	err := r.Scan(&p.ID, &p.App, &p.Env, &p.Version, &plan, &p.RequestedBy, &p.Reason, &p.Channel, &p.MessageTS,
		&state, &p.ApprovedBy, &p.ChangedBy, &p.Changed, &p.Created, &p.Expires, &p.DeploymentID, &p.Error, &p.Rev, &kind, &p.RollbackOf, &p.Override)
	if err != nil {
		return switchyard.Pending{}, err
	}
	p.State, p.Kind = switchyard.PendingState(state), switchyard.RequestKind(kind)
	p.Changed, p.Created, p.Expires = p.Changed.UTC(), p.Created.UTC(), p.Expires.UTC()
	p.Plan, err = rules.DecodePlan(p.ID, plan)
	return p, err
}

// CreatePending stores a new deploy request; see store.Backend.
func (s *Store) CreatePending(ctx context.Context, p switchyard.Pending) (switchyard.Pending, error) {
	if err := rules.NewPending(&p, s.now); err != nil {
		return switchyard.Pending{}, err
	}
	plan, err := rules.EncodePlan(p.Plan)
	if err != nil {
		return switchyard.Pending{}, err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO pending (`+rules.PendingColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
		p.ID, p.App, p.Env, p.Version, plan, p.RequestedBy, p.Reason, p.Channel, p.MessageTS, string(p.State),
		p.ApprovedBy, p.ChangedBy, p.Changed, p.Created, p.Expires, p.DeploymentID, p.Error, p.Rev, string(p.Kind), p.RollbackOf, p.Override)
	if violates(err, "pending_pkey") {
		err = rules.PendingExists(p.ID)
	}
	if err != nil {
		return switchyard.Pending{}, fmt.Errorf("create deploy request: %w", badText(err))
	}
	return p, nil
}

// GetPending returns the request with that ID, or ENOTFOUND.
func (s *Store) GetPending(ctx context.Context, id string) (switchyard.Pending, error) {
	return getPending(ctx, s.pool, "get deploy request "+id, id, "")
}

// getPending reads one request; lock is "" or a locking clause.
func getPending(ctx context.Context, q querier, what, id, lock string) (switchyard.Pending, error) {
	return one(ctx, q, what, scanPending, rules.NoPending, `SELECT `+rules.PendingColumns+` FROM pending WHERE id = $1`+lock, id)
}

// FindPendingByMessage returns the request shown by the message (channel,
// ts), or ENOTFOUND.
func (s *Store) FindPendingByMessage(ctx context.Context, channel, ts string) (switchyard.Pending, error) {
	return one(ctx, s.pool, "find deploy request by message "+channel+"/"+ts, scanPending, rules.NoPendingMessage,
		`SELECT `+rules.PendingColumns+` FROM pending WHERE channel = $1 AND message_ts = $2 AND message_ts <> ''`, channel, ts)
}

// SetPendingMessage records the message that shows the request, without
// changing its state or Rev.
func (s *Store) SetPendingMessage(ctx context.Context, id, channel, ts string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE pending SET channel = $1, message_ts = $2 WHERE id = $3`, channel, ts, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = rules.NoPending()
	}
	if err != nil {
		return fmt.Errorf("set message of deploy request %s: %w", id, badText(err))
	}
	return nil
}

// Transition moves a request between states as one compare-and-set; see
// store.Backend. The row is read FOR UPDATE, so of concurrent transitions
// the later ones wait and then judge the state the first one left.
func (s *Store) Transition(ctx context.Context, id string, from []switchyard.PendingState, to switchyard.PendingState, ch switchyard.Change) (switchyard.Pending, error) {
	if err := rules.CheckState(to); err != nil {
		return switchyard.Pending{}, err
	}
	at := s.now.Or(ch.At)
	p, err := txValue(ctx, s, func(tx pgx.Tx) (switchyard.Pending, error) {
		p, err := getPending(ctx, tx, "", id, ` FOR UPDATE`)
		if err == nil {
			err = rules.Transition(&p, from, to, ch, at, lockOf(ctx, tx), freezesOf(ctx, tx))
		}
		if err == nil {
			err = execOne(ctx, tx, `UPDATE pending SET state = $1, changed_by = $2, changed = $3, rev = $4,
				approved_by = $5, deployment_id = $6, error_text = $7 WHERE id = $8 AND rev = $9`,
				string(p.State), p.ChangedBy, p.Changed, p.Rev, p.ApprovedBy, p.DeploymentID, p.Error, id, p.Rev-1)
		}
		return p, err
	})
	return p, wrapf(badText(err), fmt.Sprintf("move deploy request %s to %s", id, to))
}

// ListStarting returns the confirmed requests of app whose deployment is
// not linked yet; see store.Backend.
func (s *Store) ListStarting(ctx context.Context, app, env string) ([]switchyard.Pending, error) {
	return all(ctx, s.pool, "list starting deploy requests of "+app, scanPending, `SELECT `+rules.PendingColumns+` FROM pending
		WHERE state = 'confirmed' AND deployment_id = '' AND app = $1 AND ($2::text = '' OR env = $2) ORDER BY changed, id`, app, env)
}

// ListUnlinked returns the confirmed requests never linked to a
// deployment that last changed before before; see store.Backend.
func (s *Store) ListUnlinked(ctx context.Context, before time.Time) ([]switchyard.Pending, error) {
	return all(ctx, s.pool, "list unlinked requests", scanPending, `SELECT `+rules.PendingColumns+` FROM pending
		WHERE state = 'confirmed' AND deployment_id = '' AND changed < $1 ORDER BY changed, id`, rules.Trunc(before))
}

// FindRequest returns the request that started deployment id; see
// store.Backend.
func (s *Store) FindRequest(ctx context.Context, id string) (switchyard.Pending, error) {
	return one(ctx, s.pool, "find the request of "+id, scanPending, func() error { return rules.NoRequest(id) },
		`SELECT `+rules.PendingColumns+` FROM pending
		WHERE deployment_id = $1 AND NOT (kind = 'rollback' AND rollback_of = deployment_id) ORDER BY created, id LIMIT 1`, id)
}

// ListRollbacksOf returns the rollback requests of deployment id, oldest
// first; see store.Backend.
func (s *Store) ListRollbacksOf(ctx context.Context, id string) ([]switchyard.Pending, error) {
	return all(ctx, s.pool, "list rollbacks of "+id, scanPending, `SELECT `+rules.PendingColumns+` FROM pending
		WHERE kind = 'rollback' AND rollback_of = $1 ORDER BY created, id`, id)
}

// ListExpired returns the open requests whose expiry is at or before now,
// oldest expiry first.
func (s *Store) ListExpired(ctx context.Context, now time.Time) ([]switchyard.Pending, error) {
	return all(ctx, s.pool, "list expired deploy requests", scanPending, `SELECT `+rules.PendingColumns+` FROM pending
		WHERE state IN ('pending', 'approved') AND expires <= $1 ORDER BY expires, id`, rules.Trunc(now))
}
