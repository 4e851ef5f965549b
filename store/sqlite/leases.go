package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

func getLease(ctx context.Context, q querier, key string) (switchyard.Lease, bool, error) {
	var l switchyard.Lease
	var expires int64
	err := q.QueryRowContext(ctx, `SELECT key, owner, expires, fence FROM leases WHERE key = ?`, key).
		Scan(&l.Key, &l.Owner, &expires, &l.Fence)
	if isNoRows(err) {
		return switchyard.Lease{}, false, nil
	}
	l.Expires = fromMS(expires)
	return l, err == nil, err
}

// AcquireLease claims key for owner at at for ttl; see store.Backend.
func (s *Store) AcquireLease(ctx context.Context, key, owner string, at time.Time, ttl time.Duration) (switchyard.Lease, bool, error) {
	if err := rules.CheckLeaseArgs(key, owner, ttl); err != nil {
		return switchyard.Lease{}, false, err
	}
	var out switchyard.Lease
	var won bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		cur, ok, err := getLease(ctx, tx, key)
		if err != nil {
			return err
		}
		out, won = rules.Acquire(cur, ok, key, owner, at, ttl)
		if !won {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO leases (key, owner, expires, fence) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires = excluded.expires, fence = excluded.fence`,
			out.Key, out.Owner, toMS(out.Expires), out.Fence)
		return err
	})
	if err != nil {
		return switchyard.Lease{}, false, fmt.Errorf("acquire lease %s: %w", key, err)
	}
	return out, won, nil
}

// ReleaseLease gives key up if owner holds it; see store.Backend.
func (s *Store) ReleaseLease(ctx context.Context, key, owner string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		// The fence is kept (the row stays, expired) so that the next
		// owner's fence is still greater than every earlier one's.
		_, err := tx.ExecContext(ctx, `UPDATE leases SET owner = '', expires = 0 WHERE key = ? AND owner = ?`, key, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", key, err)
	}
	return nil
}
