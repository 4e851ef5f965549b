package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

func scanFreeze(r rowScanner) (switchyard.Freeze, error) {
	var f switchyard.Freeze
	var starts, ends int64
	if err := r.Scan(&f.ID, &f.App, &f.Reason, &f.By, &starts, &ends); err != nil {
		return switchyard.Freeze{}, err
	}
	f.Start, f.End = fromMS(starts), fromMS(ends)
	return f, nil
}

func queryFreezes(ctx context.Context, q queryer, query string, args ...any) ([]switchyard.Freeze, error) {
	return collect(ctx, q, scanFreeze, query, args...)
}

// Freeze stores a freeze a person made; see store.Backend.
func (s *Store) Freeze(ctx context.Context, f switchyard.Freeze) (switchyard.Freeze, error) {
	if err := rules.CheckFreeze(&f, s.now); err != nil {
		return switchyard.Freeze{}, err
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO freezes (`+rules.FreezeColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			f.ID, f.App, f.Reason, f.By, toMS(f.Start), toMS(f.End))
		return err
	})
	if err != nil {
		return switchyard.Freeze{}, fmt.Errorf("freeze %s: %w", f.App, err)
	}
	return f, nil
}

// Unfreeze ends the freezes of exactly app that are in force at at or to
// come; see store.Backend.
func (s *Store) Unfreeze(ctx context.Context, app string, at time.Time) ([]switchyard.Freeze, error) {
	at = s.now.Or(at)
	var out []switchyard.Freeze
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = queryFreezes(ctx, tx, `SELECT `+rules.FreezeColumns+` FROM freezes WHERE app = ? AND ends > ? AND ends > starts ORDER BY starts, id`, app, toMS(at))
		if err != nil {
			return err
		}
		if len(out) == 0 {
			return rules.NotFrozen(app)
		}
		for i := range out {
			end := at
			if out[i].Start.After(at) {
				end = out[i].Start // one still to come never starts
			}
			if _, err := tx.ExecContext(ctx, `UPDATE freezes SET ends = ? WHERE id = ?`, toMS(end), out[i].ID); err != nil {
				return err
			}
			out[i].End = end
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("unfreeze %s: %w", app, err)
	}
	return out, nil
}

// ListFreezes returns the freezes in force at at or to come; see
// store.Backend.
func (s *Store) ListFreezes(ctx context.Context, at time.Time) ([]switchyard.Freeze, error) {
	out, err := queryFreezes(ctx, s.db, `SELECT `+rules.FreezeColumns+` FROM freezes WHERE ends > ? AND ends > starts ORDER BY starts, id`, toMS(s.now.Or(at)))
	if err != nil {
		return nil, fmt.Errorf("list freezes: %w", err)
	}
	return out, nil
}
