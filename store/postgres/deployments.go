package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

func scanDeployment(r rowScanner) (switchyard.Record, error) {
	var (
		rec              switchyard.Record
		d                = &rec.Deployment
		status, obs      string
		completed, obsAt *time.Time
	)
	err := r.Scan(&d.ID, &d.App, &d.Env, &d.Version, &d.ImageBefore, &d.ImageAfter, &d.Config, &status,
		&d.RequestedBy, &d.ConfirmedBy, &d.RolledBackBy, &d.RollbackID, &d.RollbackOf, &d.ErrorCode, &d.ErrorText,
		&d.Created, &completed, &rec.CardChannel, &rec.CardTS, &obs, &obsAt, &rec.Rev, &rec.Updated)
	if err != nil {
		return switchyard.Record{}, err
	}
	d.Status = switchyard.Status(status)
	d.Created, d.Completed = d.Created.UTC(), fromTS(completed)
	rec.ObservedAt, rec.Updated = fromTS(obsAt), rec.Updated.UTC()
	return rec, rules.DecodeObserved([]byte(obs), d)
}

// deploymentArgs returns the column values of rec in DeploymentColumns
// order, the zero time as NULL.
func deploymentArgs(rec *switchyard.Record) ([]any, error) {
	return rules.DeploymentValues(rec, tsArg)
}

// CreateDeployment stores a new deployment; see store.Backend.
func (s *Store) CreateDeployment(ctx context.Context, rec switchyard.Record) (switchyard.Record, error) {
	if err := rules.NewDeployment(&rec, s.now); err != nil {
		return switchyard.Record{}, err
	}
	args, err := deploymentArgs(&rec)
	if err == nil {
		_, err = s.pool.Exec(ctx, `INSERT INTO deployments (`+rules.DeploymentColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`, args...)
	}
	switch {
	case violates(err, "deployments_pkey"):
		err = rules.DeploymentExists(rec.ID)
	case violates(err, "deployments_by_card"):
		err = s.cardTaken(ctx, rec.CardChannel, rec.CardTS, rec.ID)
	}
	if err != nil {
		return switchyard.Record{}, fmt.Errorf("create deployment %s: %w", rec.ID, badText(err))
	}
	return rec, nil
}

// cardTaken is the refusal of a card that the unique index found taken,
// naming the deployment that has it.
func (s *Store) cardTaken(ctx context.Context, channel, ts, id string) error {
	var other string
	err := s.pool.QueryRow(ctx, `SELECT id FROM deployments WHERE card_channel = $1 AND card_ts = $2 AND id <> $3`,
		channel, ts, id).Scan(&other)
	if err != nil && !isNoRows(err) {
		return err
	}
	return rules.CardTaken(other)
}

// GetDeployment returns the deployment with that ID, or ENOTFOUND.
func (s *Store) GetDeployment(ctx context.Context, id string) (switchyard.Record, error) {
	return getDeployment(ctx, s.pool, "get deployment "+id, id, "")
}

// getDeployment reads one deployment; lock is "" or a locking clause.
func getDeployment(ctx context.Context, q querier, what, id, lock string) (switchyard.Record, error) {
	return one(ctx, q, what, scanDeployment, func() error { return rules.NoDeployment(id) },
		`SELECT `+rules.DeploymentColumns+` FROM deployments WHERE id = $1`+lock, id)
}

// FindByCard returns the deployment whose live card is the message
// (channel, ts), or ENOTFOUND.
func (s *Store) FindByCard(ctx context.Context, channel, ts string) (switchyard.Record, error) {
	return one(ctx, s.pool, "find deployment by card "+channel+"/"+ts, scanDeployment, rules.NoCard,
		`SELECT `+rules.DeploymentColumns+` FROM deployments WHERE card_channel = $1 AND card_ts = $2 AND card_ts <> ''`, channel, ts)
}

// ListActive returns every deployment whose status is not final, oldest
// first.
func (s *Store) ListActive(ctx context.Context) ([]switchyard.Record, error) {
	return all(ctx, s.pool, "list active deployments", scanDeployment, `SELECT `+rules.DeploymentColumns+` FROM deployments
		WHERE status NOT IN ('Succeeded', 'Failed', 'Stopped') ORDER BY created, id`)
}

// ListUntold returns the deployments that ended at or after since with a
// card whose final result is not told; see store.Backend.
func (s *Store) ListUntold(ctx context.Context, since time.Time) ([]switchyard.Record, error) {
	return all(ctx, s.pool, "list untold deployments", scanDeployment, `SELECT `+rules.DeploymentColumns+` FROM deployments d
		WHERE status IN ('Succeeded', 'Failed', 'Stopped') AND completed >= $1 AND card_ts <> ''
		AND NOT EXISTS (SELECT 1 FROM deployment_replies r WHERE r.deployment_id = d.id
			AND (r.key = 'quiet' OR (r.key = 'final' AND r.ts <> '')))
		ORDER BY created, id`, since)
}

// ListByApp returns the latest deployments of app, newest first; see
// store.Backend.
func (s *Store) ListByApp(ctx context.Context, app, env string, limit int) ([]switchyard.Record, error) {
	return all(ctx, s.pool, "list deployments of "+app, scanDeployment, `SELECT `+rules.DeploymentColumns+` FROM deployments
		WHERE app = $1 AND ($2::text = '' OR env = $2) ORDER BY created DESC, id DESC LIMIT $3`, app, env, rules.Limit(limit, 10))
}

// UpdateDeploymentIf is the compare-and-set update of a deployment; see
// store.Backend. The row is read FOR NO KEY UPDATE, so concurrent updates
// of one deployment queue behind each other and each sees the last one's
// result, while replies (which only reference the row) are not held up.
func (s *Store) UpdateDeploymentIf(ctx context.Context, id string, expectedRev int64, mutate func(*switchyard.Record) error) (switchyard.Record, error) {
	return s.updateDeployment(ctx, id, expectedRev, nil, mutate)
}

// updateDeployment is the compare-and-set of a deployment, after check
// (when set) allowed it in the same transaction.
func (s *Store) updateDeployment(ctx context.Context, id string, expectedRev int64, check func(pgx.Tx) error, mutate func(*switchyard.Record) error) (switchyard.Record, error) {
	var out switchyard.Record
	var mutateErr error
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		rec, err := getDeployment(ctx, tx, "", id, ` FOR NO KEY UPDATE`)
		if err != nil {
			return err
		}
		var prev int64
		if prev, mutateErr, err = rules.Mutate(&rec, expectedRev, s.now, mutate); err != nil {
			return err
		}
		out = rec // its card names the refusal if the unique index refuses it
		args, err := deploymentArgs(&rec)
		if err != nil {
			return err
		}
		return execOne(ctx, tx, `UPDATE deployments SET (`+rules.DeploymentColumns+`) =
			($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
			WHERE id = $1 AND rev = $24`, append(args, prev)...)
	})
	if mutateErr != nil {
		return switchyard.Record{}, mutateErr
	}
	if violates(err, "deployments_by_card") {
		err = s.cardTaken(ctx, out.CardChannel, out.CardTS, id)
	}
	if err != nil {
		return switchyard.Record{}, fmt.Errorf("update deployment %s: %w", id, badText(err))
	}
	return out, nil
}
