package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

// getLease reads key's lease row, locked for the transaction.
func getLease(ctx context.Context, tx pgx.Tx, key string) (switchyard.Lease, bool, error) {
	var l switchyard.Lease
	err := tx.QueryRow(ctx, `SELECT key, owner, expires, fence FROM leases WHERE key = $1 FOR UPDATE`, key).
		Scan(&l.Key, &l.Owner, &l.Expires, &l.Fence)
	if isNoRows(err) {
		return switchyard.Lease{}, false, nil
	}
	l.Expires = l.Expires.UTC()
	return l, err == nil, err
}

// AcquireLease claims key for owner at at for ttl; see store.Backend. The
// row is made first if missing, then read FOR UPDATE, so that of
// concurrent claims the later ones wait and judge what the first left.
func (s *Store) AcquireLease(ctx context.Context, key, owner string, at time.Time, ttl time.Duration) (switchyard.Lease, bool, error) {
	if err := rules.CheckLeaseArgs(key, owner, ttl); err != nil {
		return switchyard.Lease{}, false, err
	}
	var won bool
	l, err := txValue(ctx, s, func(tx pgx.Tx) (switchyard.Lease, error) {
		if _, err := tx.Exec(ctx, `INSERT INTO leases (key, owner, expires, fence) VALUES ($1, '', 'epoch', 0)
			ON CONFLICT (key) DO NOTHING`, key); err != nil {
			return switchyard.Lease{}, err
		}
		cur, ok, err := getLease(ctx, tx, key)
		if err != nil {
			return switchyard.Lease{}, err
		}
		var next switchyard.Lease
		next, won = rules.Acquire(cur, ok, key, owner, at, ttl)
		if won {
			err = execOne(ctx, tx, `UPDATE leases SET owner = $2, expires = $3, fence = $4 WHERE key = $1`,
				next.Key, next.Owner, next.Expires, next.Fence)
		}
		return next, err
	})
	if err != nil {
		return switchyard.Lease{}, false, fmt.Errorf("acquire lease %s: %w", key, badText(err))
	}
	return l, won, nil
}

// ReleaseLease gives key up if owner holds it; see store.Backend.
func (s *Store) ReleaseLease(ctx context.Context, key, owner string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE leases SET owner = '', expires = 'epoch' WHERE key = $1 AND owner = $2`, key, owner); err != nil {
		return fmt.Errorf("release lease %s: %w", key, badText(err))
	}
	return nil
}

// UpdateDeploymentUnder is UpdateDeploymentIf(AnyRev) made under lease;
// see store.Backend.
func (s *Store) UpdateDeploymentUnder(ctx context.Context, id string, lease switchyard.Lease, mutate func(*switchyard.Record) error) (switchyard.Record, error) {
	return s.updateDeployment(ctx, id, switchyard.AnyRev, func(tx pgx.Tx) error {
		cur, ok, err := getLease(ctx, tx, id)
		if err != nil {
			return err
		}
		return rules.CheckLease(lease, cur, ok)
	}, mutate)
}
