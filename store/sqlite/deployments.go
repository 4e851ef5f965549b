package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

const deploymentColumns = rules.DeploymentColumns

// deploymentSet assigns every column of deploymentColumns but id, in order.
const deploymentSet = `app = ?, env = ?, version = ?, image_before = ?, image_after = ?, config = ?, status = ?,
	requested_by = ?, confirmed_by = ?, rolled_back_by = ?, rollback_id = ?, rollback_of = ?, error_code = ?, error_text = ?,
	created = ?, completed = ?, card_channel = ?, card_ts = ?, observed = ?, observed_at = ?, rev = ?, updated = ?`

func scanDeployment(r rowScanner) (switchyard.Record, error) {
	var (
		rec                                switchyard.Record
		d                                  = &rec.Deployment
		status, obs                        string
		created, completed, obsAt, updated int64
	)
	err := r.Scan(&d.ID, &d.App, &d.Env, &d.Version, &d.ImageBefore, &d.ImageAfter, &d.Config, &status,
		&d.RequestedBy, &d.ConfirmedBy, &d.RolledBackBy, &d.RollbackID, &d.RollbackOf, &d.ErrorCode, &d.ErrorText,
		&created, &completed, &rec.CardChannel, &rec.CardTS, &obs, &obsAt, &rec.Rev, &updated)
	if err != nil {
		return switchyard.Record{}, err
	}
	d.Status = switchyard.Status(status)
	d.Created, d.Completed = fromMS(created), fromMS(completed)
	rec.ObservedAt, rec.Updated = fromMS(obsAt), fromMS(updated)
	if err := rules.DecodeObserved([]byte(obs), d); err != nil {
		return switchyard.Record{}, err
	}
	return rec, nil
}

// deploymentArgs returns the column values of rec in deploymentColumns
// order, times as Unix milliseconds.
func deploymentArgs(rec *switchyard.Record) ([]any, error) {
	return rules.DeploymentValues(rec, func(t time.Time) any { return toMS(t) })
}

// CreateDeployment stores a new deployment and returns it as stored, with Rev
// 1. Created defaults to now. It fails with ECONFLICT if the ID is taken or
// another deployment already uses the same card, and with EINVALID if ID, App,
// Env or Status is missing.
func (s *Store) CreateDeployment(ctx context.Context, rec switchyard.Record) (switchyard.Record, error) {
	d := &rec.Deployment
	if err := rules.NewDeployment(&rec, s.now); err != nil {
		return switchyard.Record{}, err
	}
	args, err := deploymentArgs(&rec)
	if err != nil {
		return switchyard.Record{}, fmt.Errorf("create deployment %s: %w", d.ID, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := deploymentExists(ctx, tx, d.ID); err == nil {
			return rules.DeploymentExists(d.ID)
		} else if switchyard.ErrorCode(err) != switchyard.ENOTFOUND {
			return err
		}
		if err := cardFree(ctx, tx, rec.CardChannel, rec.CardTS, d.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO deployments (`+deploymentColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		return err
	})
	if err != nil {
		return switchyard.Record{}, fmt.Errorf("create deployment %s: %w", d.ID, err)
	}
	return rec, nil
}

// GetDeployment returns the deployment with that ID, or ENOTFOUND.
func (s *Store) GetDeployment(ctx context.Context, id string) (switchyard.Record, error) {
	rec, err := getDeployment(ctx, s.db, id)
	if err != nil {
		return switchyard.Record{}, fmt.Errorf("get deployment %s: %w", id, err)
	}
	return rec, nil
}

func getDeployment(ctx context.Context, q querier, id string) (switchyard.Record, error) {
	rec, err := scanDeployment(q.QueryRowContext(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE id = ?`, id))
	if isNoRows(err) {
		return switchyard.Record{}, rules.NoDeployment(id)
	}
	return rec, err
}

// FindByCard returns the deployment whose live card is the message (channel,
// ts), or ENOTFOUND. Button clicks on a card carry exactly these two values.
func (s *Store) FindByCard(ctx context.Context, channel, ts string) (switchyard.Record, error) {
	rec, err := scanDeployment(s.db.QueryRowContext(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE card_channel = ? AND card_ts = ? AND card_ts <> ''`, channel, ts))
	if isNoRows(err) {
		err = rules.NoCard()
	}
	if err != nil {
		return switchyard.Record{}, fmt.Errorf("find deployment by card %s/%s: %w", channel, ts, err)
	}
	return rec, nil
}

// ListActive returns every deployment whose status is not final, oldest
// first: the ones the poller must keep watching.
func (s *Store) ListActive(ctx context.Context) ([]switchyard.Record, error) {
	recs, err := s.queryDeployments(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE status NOT IN ('Succeeded', 'Failed', 'Stopped') ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("list active deployments: %w", err)
	}
	return recs, nil
}

// ListUntold returns the deployments that ended at or after since with a
// card whose final result is not told; see store.Backend.
func (s *Store) ListUntold(ctx context.Context, since time.Time) ([]switchyard.Record, error) {
	recs, err := s.queryDeployments(ctx, `SELECT `+deploymentColumns+` FROM deployments d
		WHERE status IN ('Succeeded', 'Failed', 'Stopped') AND completed >= ? AND card_ts <> ''
		AND NOT EXISTS (SELECT 1 FROM deployment_replies r WHERE r.deployment_id = d.id
			AND (r.key = 'quiet' OR (r.key = 'final' AND r.ts <> '')))
		ORDER BY created, id`, toMS(since))
	if err != nil {
		return nil, fmt.Errorf("list untold deployments: %w", err)
	}
	return recs, nil
}

// ListByApp returns the latest deployments of app, newest first, at most
// limit of them (limit <= 0 means 10). An empty env means every environment.
func (s *Store) ListByApp(ctx context.Context, app, env string, limit int) ([]switchyard.Record, error) {
	recs, err := s.queryDeployments(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE app = ? AND (? = '' OR env = ?) ORDER BY created DESC, id DESC LIMIT ?`, app, env, env, rules.Limit(limit, 10))
	if err != nil {
		return nil, fmt.Errorf("list deployments of %s: %w", app, err)
	}
	return recs, nil
}

func (s *Store) queryDeployments(ctx context.Context, query string, args ...any) ([]switchyard.Record, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var recs []switchyard.Record
	for rows.Next() {
		rec, err := scanDeployment(rows)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, rows.Err()
}

// UpdateDeploymentIf applies mutate to the stored deployment and saves the
// result with Rev incremented, all in one write transaction, but only if the
// stored Rev equals expectedRev (or expectedRev is switchyard.AnyRev). A
// different Rev fails with ECONFLICT and changes nothing; an unknown ID gives ENOTFOUND. If
// mutate returns an error, nothing is saved and that error is returned as is.
//
// mutate sees the current record and must not do I/O: the write lock is held
// while it runs. It cannot change ID, Rev or Updated.
func (s *Store) UpdateDeploymentIf(ctx context.Context, id string, expectedRev int64, mutate func(*switchyard.Record) error) (switchyard.Record, error) {
	return s.updateDeployment(ctx, id, expectedRev, nil, mutate)
}

// UpdateDeploymentUnder is UpdateDeploymentIf(AnyRev) made under lease:
// refused with ECONFLICT (cause *switchyard.LeaseLostError) unless lease is
// the holding of the deployment's key, decided in the same transaction.
func (s *Store) UpdateDeploymentUnder(ctx context.Context, id string, lease switchyard.Lease, mutate func(*switchyard.Record) error) (switchyard.Record, error) {
	return s.updateDeployment(ctx, id, switchyard.AnyRev, func(tx *sql.Tx) error {
		cur, ok, err := getLease(ctx, tx, id)
		if err != nil {
			return err
		}
		return rules.CheckLease(lease, cur, ok)
	}, mutate)
}

// updateDeployment is the compare-and-set of a deployment, after check
// (when set) allowed it in the same transaction.
func (s *Store) updateDeployment(ctx context.Context, id string, expectedRev int64, check func(*sql.Tx) error, mutate func(*switchyard.Record) error) (switchyard.Record, error) {
	var out switchyard.Record
	var mutateErr error
	err := s.write(ctx, func(tx *sql.Tx) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		rec, err := getDeployment(ctx, tx, id)
		if err != nil {
			return err
		}
		var rev int64
		if rev, mutateErr, err = rules.Mutate(&rec, expectedRev, s.now, mutate); err != nil {
			return err
		}
		args, err := deploymentArgs(&rec)
		if err != nil {
			return err
		}
		if err := cardFree(ctx, tx, rec.CardChannel, rec.CardTS, id); err != nil {
			return err
		}
		args = append(args[1:], id, rev)
		res, err := tx.ExecContext(ctx, `UPDATE deployments SET `+deploymentSet+` WHERE id = ? AND rev = ?`, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("compare-and-set matched %d rows: %w", n, err)
		}
		out = rec
		return nil
	})
	if mutateErr != nil {
		return switchyard.Record{}, mutateErr
	}
	if err != nil {
		return switchyard.Record{}, fmt.Errorf("update deployment %s: %w", id, err)
	}
	return out, nil
}

// MarkReply records that the thread reply identified by key (for example
// "stage:AfterInstall:Succeeded") has been posted under deployment
// deploymentID as message ts. It reports true if this call recorded it and
// false if the key was already there, in which case the stored ts is kept and
// the caller must not post again. It is atomic: of several concurrent calls
// with one key, exactly one gets true.
//
// For at-most-once replies across crashes, call it with an empty ts before
// posting, post only on true, then SetReplyTS. Unknown deployments give
// ENOTFOUND.
func (s *Store) MarkReply(ctx context.Context, deploymentID, key, ts string) (bool, error) {
	if err := rules.CheckReplyKey(key); err != nil {
		return false, err
	}
	var recorded bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := deploymentExists(ctx, tx, deploymentID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO deployment_replies (deployment_id, key, ts, created)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, deploymentID, key, ts, toMS(s.now.Now()))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		recorded = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("mark reply %s of %s: %w", key, deploymentID, err)
	}
	return recorded, nil
}

// SetReplyTS fills in the message ts of a reply claimed with MarkReply.
// ENOTFOUND if the key was never marked.
func (s *Store) SetReplyTS(ctx context.Context, deploymentID, key, ts string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deployment_replies SET ts = ? WHERE deployment_id = ? AND key = ?`,
			ts, deploymentID, key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, rules.NoReply(deploymentID, key))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set reply ts %s of %s: %w", key, deploymentID, err)
	}
	return nil
}

// Replies returns every recorded reply of a deployment as key → ts.
func (s *Store) Replies(ctx context.Context, deploymentID string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, ts FROM deployment_replies WHERE deployment_id = ?`, deploymentID)
	if err != nil {
		return nil, fmt.Errorf("list replies of %s: %w", deploymentID, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, ts string
		if err := rows.Scan(&k, &ts); err != nil {
			return nil, fmt.Errorf("list replies of %s: %w", deploymentID, err)
		}
		out[k] = ts
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list replies of %s: %w", deploymentID, err)
	}
	return out, nil
}

// cardFree fails with ECONFLICT if a deployment other than id already uses
// the message (channel, ts) as its card.
func cardFree(ctx context.Context, q querier, channel, ts, id string) error {
	if ts == "" {
		return nil
	}
	var other string
	err := q.QueryRowContext(ctx, `SELECT id FROM deployments WHERE card_channel = ? AND card_ts = ? AND id <> ?`,
		channel, ts, id).Scan(&other)
	switch {
	case isNoRows(err):
		return nil
	case err != nil:
		return err
	default:
		return rules.CardTaken(other)
	}
}

func deploymentExists(ctx context.Context, q querier, id string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM deployments WHERE id = ?`, id).Scan(&one)
	if isNoRows(err) {
		return rules.NoDeployment(id)
	}
	return err
}
