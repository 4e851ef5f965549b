package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchyard/switchyard"
)

// validState reports whether s is one of the pending states.
func validState(s switchyard.PendingState) bool {
	switch s {
	case switchyard.StatePending, switchyard.StateApproved, switchyard.StateConfirmed,
		switchyard.StateCancelled, switchyard.StateExpired, switchyard.StateFailed:
		return true
	}
	return false
}

// stateVerb is how a message says someone moved a request into state s.
func stateVerb(s switchyard.PendingState) string {
	switch s {
	case switchyard.StatePending:
		return "still pending"
	case switchyard.StateApproved:
		return "already approved"
	default:
		return "already " + string(s)
	}
}

const pendingColumns = `id, app, env, version, plan, requested_by, reason, channel, message_ts, state,
	approved_by, changed_by, changed, created, expires, deployment_id, error_text, rev`

func scanPending(r rowScanner) (switchyard.Pending, error) {
	var (
		p                         switchyard.Pending
		plan, state               string
		changed, created, expires int64
	)
	err := r.Scan(&p.ID, &p.App, &p.Env, &p.Version, &plan, &p.RequestedBy, &p.Reason, &p.Channel, &p.MessageTS,
		&state, &p.ApprovedBy, &p.ChangedBy, &changed, &created, &expires, &p.DeploymentID, &p.Error, &p.Rev)
	if err != nil {
		return switchyard.Pending{}, err
	}
	p.Plan, p.State = json.RawMessage(plan), switchyard.PendingState(state)
	p.Changed, p.Created, p.Expires = fromMS(changed), fromMS(created), fromMS(expires)
	return p, nil
}

// CreatePending stores a new request in state pending (or the state given)
// and returns it as stored. An empty ID gets a random "p-…" one; Created
// defaults to now. App, Env, Version, RequestedBy and Expires are required
// (EINVALID); Plan must be valid JSON if set.
func (s *Store) CreatePending(ctx context.Context, p switchyard.Pending) (switchyard.Pending, error) {
	if p.App == "" || p.Env == "" || p.Version == "" || p.RequestedBy == "" || p.Expires.IsZero() {
		return switchyard.Pending{}, switchyard.Errorf(switchyard.EINVALID, "A deploy request needs an app, an environment, a version, a requester and an expiry.")
	}
	if len(p.Plan) == 0 {
		p.Plan = json.RawMessage("{}")
	}
	if !json.Valid(p.Plan) {
		return switchyard.Pending{}, switchyard.Errorf(switchyard.EINVALID, "The plan of a deploy request must be JSON.")
	}
	if p.State == "" {
		p.State = switchyard.StatePending
	}
	if !validState(p.State) {
		return switchyard.Pending{}, switchyard.Errorf(switchyard.EINVALID, "%q is not a deploy request state.", p.State)
	}
	if p.ID == "" {
		var b [8]byte
		rand.Read(b[:])
		p.ID = "p-" + hex.EncodeToString(b[:])
	}
	p.Created = s.orNow(p.Created)
	p.Expires = p.Expires.UTC().Truncate(time.Millisecond)
	p.Changed, p.ChangedBy, p.Rev = p.Created, p.RequestedBy, 1
	err := s.write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM pending WHERE id = ?`, p.ID).Scan(&one)
		if err == nil {
			return switchyard.Errorf(switchyard.ECONFLICT, "Deploy request %s already exists.", p.ID)
		} else if !isNoRows(err) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO pending (`+pendingColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.App, p.Env, p.Version, string(p.Plan), p.RequestedBy, p.Reason, p.Channel, p.MessageTS, string(p.State),
			p.ApprovedBy, p.ChangedBy, toMS(p.Changed), toMS(p.Created), toMS(p.Expires), p.DeploymentID, p.Error, p.Rev)
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
		return switchyard.Pending{}, switchyard.Errorf(switchyard.ENOTFOUND, "I have no record of that deploy request; it may be from before a reset.")
	}
	return p, err
}

// FindPendingByMessage returns the request shown by the message (channel,
// ts), or ENOTFOUND.
func (s *Store) FindPendingByMessage(ctx context.Context, channel, ts string) (switchyard.Pending, error) {
	p, err := scanPending(s.db.QueryRowContext(ctx, `SELECT `+pendingColumns+` FROM pending
		WHERE channel = ? AND message_ts = ? AND message_ts <> ''`, channel, ts))
	if isNoRows(err) {
		err = switchyard.Errorf(switchyard.ENOTFOUND, "That message is not a deploy request I know.")
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE pending SET channel = ?, message_ts = ? WHERE id = ?`, channel, ts, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return switchyard.Errorf(switchyard.ENOTFOUND, "I have no record of that deploy request.")
		}
		return nil
	})
	if err != nil {
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
	if !validState(to) {
		return switchyard.Pending{}, switchyard.Errorf(switchyard.EINVALID, "%q is not a deploy request state.", to)
	}
	at := s.orNow(ch.At)
	var out switchyard.Pending
	err := s.write(ctx, func(tx *sql.Tx) error {
		p, err := getPending(ctx, tx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, p.State) {
			return &switchyard.Error{
				Code:    switchyard.ECONFLICT,
				Message: conflictMessage(p),
				Err:     &switchyard.StateError{ID: p.ID, State: p.State, By: p.ChangedBy, At: p.Changed},
			}
		}
		if (to == switchyard.StateApproved || to == switchyard.StateConfirmed) && !at.Before(p.Expires) {
			return &switchyard.Error{
				Code:    switchyard.ECONFLICT,
				Message: fmt.Sprintf("This deploy request for %s %s expired at %s; run /deploy again.", p.App, p.Version, p.Expires.Format("15:04 MST")),
				Err:     &switchyard.StateError{ID: p.ID, State: switchyard.StateExpired, At: p.Expires},
			}
		}
		p.State, p.ChangedBy, p.Changed, p.Rev = to, ch.By, at, p.Rev+1
		if ch.ApprovedBy != "" {
			p.ApprovedBy = ch.ApprovedBy
		}
		if ch.DeploymentID != "" {
			p.DeploymentID = ch.DeploymentID
		}
		if ch.Error != "" {
			p.Error = ch.Error
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

// conflictMessage tells the person whose click lost what happened instead.
func conflictMessage(p switchyard.Pending) string {
	var b strings.Builder
	fmt.Fprintf(&b, "This deploy request for %s %s is %s", p.App, p.Version, stateVerb(p.State))
	switch {
	case p.State == switchyard.StateExpired:
		fmt.Fprintf(&b, " (at %s)", p.Changed.Format("15:04 MST"))
	case p.ChangedBy != "":
		fmt.Fprintf(&b, " by <@%s> at %s", p.ChangedBy, p.Changed.Format("15:04 MST"))
	}
	b.WriteString(".")
	return b.String()
}

// ListExpired returns the open requests whose expiry is at or before now,
// oldest expiry first, for the sweeper to move to expired.
func (s *Store) ListExpired(ctx context.Context, now time.Time) ([]switchyard.Pending, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+pendingColumns+` FROM pending
		WHERE state IN ('pending', 'approved') AND expires <= ? ORDER BY expires, id`, toMS(now))
	if err != nil {
		return nil, fmt.Errorf("list expired deploy requests: %w", err)
	}
	defer rows.Close()
	var out []switchyard.Pending
	for rows.Next() {
		p, err := scanPending(rows)
		if err != nil {
			return nil, fmt.Errorf("list expired deploy requests: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list expired deploy requests: %w", err)
	}
	return out, nil
}
