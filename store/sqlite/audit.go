package sqlite

import (
	"context"
	"fmt"
	"math"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

// Audit appends an entry and returns it with its ID. At defaults to now;
// Action and a valid Result are required (EINVALID).
func (s *Store) Audit(ctx context.Context, e switchyard.AuditEntry) (switchyard.AuditEntry, error) {
	if err := rules.CheckAudit(&e, s.now); err != nil {
		return switchyard.AuditEntry{}, err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	res, err := s.db.ExecContext(ctx, `INSERT INTO audit (at, user, action, app, env, channel, message_ts, result, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		toMS(e.At), e.User, e.Action, e.App, e.Env, e.Channel, e.MessageTS, string(e.Result), e.Detail)
	if err != nil {
		return switchyard.AuditEntry{}, fmt.Errorf("audit %s: %w", e.Action, err)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return switchyard.AuditEntry{}, fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return e, nil
}

// AuditByApp returns the latest limit entries about app, newest first
// (limit <= 0 means 50).
func (s *Store) AuditByApp(ctx context.Context, app string, limit int) ([]switchyard.AuditEntry, error) {
	return s.ReadAudit(ctx, switchyard.AuditQuery{App: app, Limit: limit})
}

// RecentAudit returns the latest limit entries, newest first (limit <= 0
// means 50).
func (s *Store) RecentAudit(ctx context.Context, limit int) ([]switchyard.AuditEntry, error) {
	return s.ReadAudit(ctx, switchyard.AuditQuery{Limit: limit})
}

// ReadAudit returns the entries q selects, newest first.
func (s *Store) ReadAudit(ctx context.Context, q switchyard.AuditQuery) ([]switchyard.AuditEntry, error) {
	since := int64(math.MinInt64)
	if !q.Since.IsZero() {
		since = toMS(q.Since)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, user, action, app, env, channel, message_ts, result, detail
		FROM audit WHERE (app = ? OR ? = '') AND at >= ? ORDER BY id DESC LIMIT ?`, q.App, q.App, since, rules.Limit(q.Limit, 50))
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []switchyard.AuditEntry
	for rows.Next() {
		var e switchyard.AuditEntry
		var at int64
		var result string
		if err := rows.Scan(&e.ID, &at, &e.User, &e.Action, &e.App, &e.Env, &e.Channel, &e.MessageTS, &result, &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		e.At, e.Result = fromMS(at), switchyard.Result(result)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return out, nil
}
