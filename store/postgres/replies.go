package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard/store/internal/rules"
)

// MarkReply records that the thread reply key of a deployment is posted
// (or about to be); see store.Backend. The primary key decides which of
// concurrent calls records it, and the foreign key refuses an unknown
// deployment.
func (s *Store) MarkReply(ctx context.Context, deploymentID, key, ts string) (bool, error) {
	if err := rules.CheckReplyKey(key); err != nil {
		return false, err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO deployment_replies (deployment_id, key, ts, created)
		VALUES ($1, $2, $3, $4) ON CONFLICT (deployment_id, key) DO NOTHING`, deploymentID, key, ts, s.now.Now())
	if violates(err, "deployment_replies_deployment_id_fkey") {
		err = rules.NoDeployment(deploymentID)
	}
	if err != nil {
		return false, fmt.Errorf("mark reply %s of %s: %w", key, deploymentID, badText(err))
	}
	return tag.RowsAffected() == 1, nil
}

// SetReplyTS fills in the message ts of a reply claimed with MarkReply, or
// gives ENOTFOUND.
func (s *Store) SetReplyTS(ctx context.Context, deploymentID, key, ts string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE deployment_replies SET ts = $1 WHERE deployment_id = $2 AND key = $3`,
		ts, deploymentID, key)
	if err == nil && tag.RowsAffected() == 0 {
		err = rules.NoReply(deploymentID, key)
	}
	if err != nil {
		return fmt.Errorf("set reply ts %s of %s: %w", key, deploymentID, badText(err))
	}
	return nil
}

// Replies returns every recorded reply of a deployment as key → ts.
func (s *Store) Replies(ctx context.Context, deploymentID string) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, ts FROM deployment_replies WHERE deployment_id = $1`, deploymentID)
	if err != nil {
		return nil, fmt.Errorf("list replies of %s: %w", deploymentID, err)
	}
	out := map[string]string{}
	var k, ts string
	_, err = pgx.ForEachRow(rows, []any{&k, &ts}, func() error {
		out[k] = ts
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list replies of %s: %w", deploymentID, err)
	}
	return out, nil
}
