package store

import (
	"context"
	"fmt"
	"time"

	"github.com/switchyard/switchyard"
)

// Result is how an audited action ended.
type Result string

// Audit results.
const (
	ResultOK      Result = "ok"      // done
	ResultRefused Result = "refused" // refused before anything changed (not allowed, locked, bad input)
	ResultFailed  Result = "failed"  // attempted and failed
)

// AuditEntry is one line of the audit trail: who did what, when, from which
// message, with what result. The trail is append-only; the database refuses
// updates and deletes.
type AuditEntry struct {
	// ID is assigned by Audit and increases with every entry.
	ID        int64
	At        time.Time
	User      string
	Action    string
	App       string
	Env       string
	Channel   string
	MessageTS string
	Result    Result
	Detail    string
}

// Audit appends an entry and returns it with its ID. At defaults to now;
// Action and a valid Result are required (EINVALID).
func (s *Store) Audit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	if e.Action == "" || (e.Result != ResultOK && e.Result != ResultRefused && e.Result != ResultFailed) {
		return AuditEntry{}, switchyard.Errorf(switchyard.EINVALID, "An audit entry needs an action and a result of ok, refused or failed.")
	}
	e.At = s.orNow(e.At)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	res, err := s.db.ExecContext(ctx, `INSERT INTO audit (at, user, action, app, env, channel, message_ts, result, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		toMS(e.At), e.User, e.Action, e.App, e.Env, e.Channel, e.MessageTS, string(e.Result), e.Detail)
	if err != nil {
		return AuditEntry{}, fmt.Errorf("audit %s: %w", e.Action, err)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return AuditEntry{}, fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return e, nil
}

// AuditByApp returns the latest limit entries about app, newest first
// (limit <= 0 means 50).
func (s *Store) AuditByApp(ctx context.Context, app string, limit int) ([]AuditEntry, error) {
	return s.listAudit(ctx, `WHERE app = ?`, app, limit)
}

// RecentAudit returns the latest limit entries, newest first (limit <= 0
// means 50).
func (s *Store) RecentAudit(ctx context.Context, limit int) ([]AuditEntry, error) {
	return s.listAudit(ctx, `WHERE ? = ''`, "", limit)
}

func (s *Store) listAudit(ctx context.Context, where, arg string, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, user, action, app, env, channel, message_ts, result, detail
		FROM audit `+where+` ORDER BY id DESC LIMIT ?`, arg, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		var result string
		if err := rows.Scan(&e.ID, &at, &e.User, &e.Action, &e.App, &e.Env, &e.Channel, &e.MessageTS, &result, &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		e.At, e.Result = fromMS(at), Result(result)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return out, nil
}
