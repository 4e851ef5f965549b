package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/switchyard/switchyard"
)

// observed is the JSON kept in deployments.observed: the parts of the last
// observed state that have no column of their own because nothing queries
// them. A new field of switchyard.Deployment goes here or in a column; a test
// fails until it does.
type observed struct {
	Stages    []switchyard.Stage `json:"stages,omitempty"`
	Traffic   switchyard.Traffic `json:"traffic"`
	Region    string             `json:"region,omitempty"`
	Creator   string             `json:"creator,omitempty"`
	Waiting   switchyard.Wait    `json:"waiting,omitempty"`
	BlueAlive bool               `json:"blue_alive,omitempty"`
	Alarms    []switchyard.Alarm `json:"alarms,omitempty"`
}

const deploymentColumns = `id, app, env, version, image_before, image_after, config, status,
	requested_by, confirmed_by, rolled_back_by, rollback_id, rollback_of, error_code, error_text,
	created, completed, card_channel, card_ts, observed, observed_at, rev, updated`

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
	var o observed
	if err := json.Unmarshal([]byte(obs), &o); err != nil {
		return switchyard.Record{}, fmt.Errorf("deployment %s: decode observed state: %w", d.ID, err)
	}
	d.Stages, d.Traffic, d.Region, d.Creator = o.Stages, o.Traffic, o.Region, o.Creator
	d.Waiting, d.BlueAlive, d.Alarms = o.Waiting, o.BlueAlive, o.Alarms
	return rec, nil
}

// deploymentArgs returns the column values of rec in deploymentColumns order,
// without rev and updated.
func deploymentArgs(rec *switchyard.Record) ([]any, error) {
	d := &rec.Deployment
	obs, err := json.Marshal(observed{Stages: d.Stages, Traffic: d.Traffic, Region: d.Region, Creator: d.Creator,
		Waiting: d.Waiting, BlueAlive: d.BlueAlive, Alarms: d.Alarms})
	if err != nil {
		return nil, fmt.Errorf("encode observed state: %w", err)
	}
	return []any{d.ID, d.App, d.Env, d.Version, d.ImageBefore, d.ImageAfter, d.Config, string(d.Status),
		d.RequestedBy, d.ConfirmedBy, d.RolledBackBy, d.RollbackID, d.RollbackOf, d.ErrorCode, d.ErrorText,
		toMS(d.Created), toMS(d.Completed), rec.CardChannel, rec.CardTS, string(obs), toMS(rec.ObservedAt)}, nil
}

// normalise puts times at stored precision so that what a method returns
// equals what a later Get reads.
func normalise(rec *switchyard.Record) {
	d := &rec.Deployment
	d.Created = d.Created.UTC().Truncate(time.Millisecond)
	if !d.Completed.IsZero() {
		d.Completed = d.Completed.UTC().Truncate(time.Millisecond)
	}
	if !rec.ObservedAt.IsZero() {
		rec.ObservedAt = rec.ObservedAt.UTC().Truncate(time.Millisecond)
	}
	for i := range d.Stages {
		s := &d.Stages[i]
		if !s.Start.IsZero() {
			s.Start = s.Start.UTC()
		}
		if !s.End.IsZero() {
			s.End = s.End.UTC()
		}
	}
}

// CreateDeployment stores a new deployment and returns it as stored, with Rev
// 1. Created defaults to now. It fails with ECONFLICT if the ID is taken or
// another deployment already uses the same card, and with EINVALID if ID, App,
// Env or Status is missing.
func (s *Store) CreateDeployment(ctx context.Context, rec switchyard.Record) (switchyard.Record, error) {
	d := &rec.Deployment
	if d.ID == "" || d.App == "" || d.Env == "" || d.Status == "" {
		return switchyard.Record{}, switchyard.Errorf(switchyard.EINVALID, "A deployment needs an ID, an app, an environment and a status.")
	}
	d.Created = s.orNow(d.Created)
	normalise(&rec)
	rec.Rev, rec.Updated = 1, s.nowUTC()
	args, err := deploymentArgs(&rec)
	if err != nil {
		return switchyard.Record{}, fmt.Errorf("create deployment %s: %w", d.ID, err)
	}
	args = append(args, rec.Rev, toMS(rec.Updated))
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := deploymentExists(ctx, tx, d.ID); err == nil {
			return switchyard.Errorf(switchyard.ECONFLICT, "Deployment %s is already recorded.", d.ID)
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
		return switchyard.Record{}, switchyard.Errorf(switchyard.ENOTFOUND, "I have no record of deployment %s.", id)
	}
	return rec, err
}

// FindByCard returns the deployment whose live card is the message (channel,
// ts), or ENOTFOUND. Button clicks on a card carry exactly these two values.
func (s *Store) FindByCard(ctx context.Context, channel, ts string) (switchyard.Record, error) {
	rec, err := scanDeployment(s.db.QueryRowContext(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE card_channel = ? AND card_ts = ? AND card_ts <> ''`, channel, ts))
	if isNoRows(err) {
		err = switchyard.Errorf(switchyard.ENOTFOUND, "That message is not the card of any deployment I know.")
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

// ListByApp returns the latest deployments of app, newest first, at most
// limit of them (limit <= 0 means 10). An empty env means every environment.
func (s *Store) ListByApp(ctx context.Context, app, env string, limit int) ([]switchyard.Record, error) {
	if limit <= 0 {
		limit = 10
	}
	recs, err := s.queryDeployments(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE app = ? AND (? = '' OR env = ?) ORDER BY created DESC, id DESC LIMIT ?`, app, env, env, limit)
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
	var out switchyard.Record
	var mutateErr error
	err := s.write(ctx, func(tx *sql.Tx) error {
		rec, err := getDeployment(ctx, tx, id)
		if err != nil {
			return err
		}
		if expectedRev != switchyard.AnyRev && rec.Rev != expectedRev {
			return switchyard.Errorf(switchyard.ECONFLICT,
				"Deployment %s changed while this was being decided (revision %d, expected %d); look again and retry.",
				id, rec.Rev, expectedRev)
		}
		rev := rec.Rev
		if err := mutate(&rec); err != nil {
			mutateErr = err
			return err
		}
		rec.ID, rec.Rev, rec.Updated = id, rev+1, s.nowUTC()
		normalise(&rec)
		if rec.App == "" || rec.Env == "" || rec.Status == "" {
			return switchyard.Errorf(switchyard.EINVALID, "A deployment needs an app, an environment and a status.")
		}
		args, err := deploymentArgs(&rec)
		if err != nil {
			return err
		}
		if err := cardFree(ctx, tx, rec.CardChannel, rec.CardTS, id); err != nil {
			return err
		}
		args = append(args[1:], rec.Rev, toMS(rec.Updated), id, rev)
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
	if key == "" {
		return false, switchyard.Errorf(switchyard.EINVALID, "A reply needs a key.")
	}
	var recorded bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := deploymentExists(ctx, tx, deploymentID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO deployment_replies (deployment_id, key, ts, created)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, deploymentID, key, ts, toMS(s.nowUTC()))
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
			return errors.Join(err, switchyard.Errorf(switchyard.ENOTFOUND, "No reply %q was recorded for deployment %s.", key, deploymentID))
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
		return switchyard.Errorf(switchyard.ECONFLICT, "That message is already the card of deployment %s.", other)
	}
}

func deploymentExists(ctx context.Context, q querier, id string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM deployments WHERE id = ?`, id).Scan(&one)
	if isNoRows(err) {
		return switchyard.Errorf(switchyard.ENOTFOUND, "I have no record of deployment %s.", id)
	}
	return err
}
