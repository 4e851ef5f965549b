package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

const pendingColumns = `id, app, env, version, plan, requested_by, reason, channel, message_ts, state,
	approved_by, changed_by, changed, created, expires, deployment_id, error_text, rev`

func scanPending(r rowScanner) (switchyard.Pending, error) {
	var (
		p           switchyard.Pending
		plan, state string
	)
	err := r.Scan(&p.ID, &p.App, &p.Env, &p.Version, &plan, &p.RequestedBy, &p.Reason, &p.Channel, &p.MessageTS,
		&state, &p.ApprovedBy, &p.ChangedBy, &p.Changed, &p.Created, &p.Expires, &p.DeploymentID, &p.Error, &p.Rev)
	if err != nil {
		return switchyard.Pending{}, err
	}
	p.Plan, p.State = json.RawMessage(plan), switchyard.PendingState(state)
	p.Changed, p.Created, p.Expires = p.Changed.UTC(), p.Created.UTC(), p.Expires.UTC()
	return p, nil
}

// CreatePending stores a new deploy request; see store.Backend.
func (s *Store) CreatePending(ctx context.Context, p switchyard.Pending) (switchyard.Pending, error) {
	if err := rules.NewPending(&p, s.now); err != nil {
		return switchyard.Pending{}, err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO pending (`+pendingColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		p.ID, p.App, p.Env, p.Version, string(p.Plan), p.RequestedBy, p.Reason, p.Channel, p.MessageTS, string(p.State),
		p.ApprovedBy, p.ChangedBy, p.Changed, p.Created, p.Expires, p.DeploymentID, p.Error, p.Rev)
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
	p, err := getPending(ctx, s.pool, id, "")
	if err != nil {
		return switchyard.Pending{}, fmt.Errorf("get deploy request %s: %w", id, err)
	}
	return p, nil
}

// getPending reads one request; lock is "" or a locking clause.
func getPending(ctx context.Context, q querier, id, lock string) (switchyard.Pending, error) {
	p, err := scanPending(q.QueryRow(ctx, `SELECT `+pendingColumns+` FROM pending WHERE id = $1`+lock, id))
	if isNoRows(err) {
		return switchyard.Pending{}, rules.NoPending()
	}
	return p, err
}

// FindPendingByMessage returns the request shown by the message (channel,
// ts), or ENOTFOUND.
func (s *Store) FindPendingByMessage(ctx context.Context, channel, ts string) (switchyard.Pending, error) {
	p, err := scanPending(s.pool.QueryRow(ctx, `SELECT `+pendingColumns+` FROM pending
		WHERE channel = $1 AND message_ts = $2 AND message_ts <> ''`, channel, ts))
	if isNoRows(err) {
		err = rules.NoPendingMessage()
	}
	if err != nil {
		return switchyard.Pending{}, fmt.Errorf("find deploy request by message %s/%s: %w", channel, ts, err)
	}
	return p, nil
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
	var out switchyard.Pending
	err := s.tx(ctx, func(tx pgx.Tx) error {
		p, err := getPending(ctx, tx, id, ` FOR UPDATE`)
		if err != nil {
			return err
		}
		if err := rules.Transition(&p, from, to, ch, at); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE pending SET state = $1, changed_by = $2, changed = $3, rev = $4,
			approved_by = $5, deployment_id = $6, error_text = $7 WHERE id = $8 AND rev = $9`,
			string(p.State), p.ChangedBy, p.Changed, p.Rev, p.ApprovedBy, p.DeploymentID, p.Error, id, p.Rev-1)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("compare-and-set matched %d rows", tag.RowsAffected())
		}
		out = p
		return nil
	})
	if err != nil {
		return switchyard.Pending{}, fmt.Errorf("move deploy request %s to %s: %w", id, to, badText(err))
	}
	return out, nil
}

// ListExpired returns the open requests whose expiry is at or before now,
// oldest expiry first.
func (s *Store) ListExpired(ctx context.Context, now time.Time) ([]switchyard.Pending, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pendingColumns+` FROM pending
		WHERE state IN ('pending', 'approved') AND expires <= $1 ORDER BY expires, id`, rules.Trunc(now))
	if err != nil {
		return nil, fmt.Errorf("list expired deploy requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (switchyard.Pending, error) { return scanPending(r) })
	if err != nil {
		return nil, fmt.Errorf("list expired deploy requests: %w", err)
	}
	return out, nil
}
