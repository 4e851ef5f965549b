package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

// Audit appends an entry and returns it with its ID; see store.Backend.
// IDs come from an identity column: they grow, but a transaction that
// fails leaves a gap.
func (s *Store) Audit(ctx context.Context, e switchyard.AuditEntry) (switchyard.AuditEntry, error) {
	err := rules.CheckAudit(&e, s.now)
	if err == nil {
		err = s.pool.QueryRow(ctx, `INSERT INTO audit (at, user_id, action, app, env, channel, message_ts, result, detail)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			e.At, e.User, e.Action, e.App, e.Env, e.Channel, e.MessageTS, string(e.Result), e.Detail).Scan(&e.ID)
	}
	if err != nil {
		return switchyard.AuditEntry{}, fmt.Errorf("audit %s: %w", e.Action, badText(err))
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
	var since *time.Time
	if !q.Since.IsZero() {
		since = &q.Since
	}
	return all(ctx, s.pool, "list audit", scanAudit, `SELECT id, at, user_id, action, app, env, channel, message_ts, result, detail
		FROM audit WHERE ($1::text = '' OR app = $1) AND ($2::timestamptz IS NULL OR at >= $2)
		ORDER BY id DESC LIMIT $3`, q.App, since, rules.Limit(q.Limit, 50))
}

func scanAudit(r rowScanner) (switchyard.AuditEntry, error) {
	var e switchyard.AuditEntry
	var result string
	err := r.Scan(&e.ID, &e.At, &e.User, &e.Action, &e.App, &e.Env, &e.Channel, &e.MessageTS, &result, &e.Detail)
	e.At, e.Result = e.At.UTC(), switchyard.Result(result)
	return e, err
}
