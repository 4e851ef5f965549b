package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store/internal/rules"
)

func scanFreeze(r rowScanner) (switchyard.Freeze, error) {
	var f switchyard.Freeze
	if err := r.Scan(&f.ID, &f.App, &f.Reason, &f.By, &f.Start, &f.End); err != nil {
		return switchyard.Freeze{}, err
	}
	f.Start, f.End = f.Start.UTC(), f.End.UTC()
	return f, nil
}

// freezesOf returns the function that lists the stored freezes covering an
// app at a moment inside tx. A freeze made at the same moment is either
// committed before tx reads, or made after the Confirm it could stop: a
// freeze, unlike a lock, says nothing of what it came too late for.
func freezesOf(ctx context.Context, tx pgx.Tx) rules.FreezesOf {
	return func(app string, at time.Time) ([]switchyard.Freeze, error) {
		return all(ctx, tx, "", scanFreeze, `SELECT `+rules.FreezeColumns+` FROM freezes
			WHERE (app = $1 OR app = '') AND starts <= $2 AND ends > $2 ORDER BY starts, id`, app, at)
	}
}

// Freeze stores a freeze a person made; see store.Backend.
func (s *Store) Freeze(ctx context.Context, f switchyard.Freeze) (switchyard.Freeze, error) {
	if err := rules.CheckFreeze(&f, s.now); err != nil {
		return switchyard.Freeze{}, err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO freezes (`+rules.FreezeColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		f.ID, f.App, f.Reason, f.By, f.Start, f.End)
	if err != nil {
		return switchyard.Freeze{}, fmt.Errorf("freeze %s: %w", f.App, badText(err))
	}
	return f, nil
}

// Unfreeze ends the freezes of exactly app that are in force at at or to
// come; see store.Backend.
func (s *Store) Unfreeze(ctx context.Context, app string, at time.Time) ([]switchyard.Freeze, error) {
	at = s.now.Or(at)
	out, err := txValue(ctx, s, func(tx pgx.Tx) ([]switchyard.Freeze, error) {
		// A freeze still to come ends where it would have started.
		list, err := all(ctx, tx, "", scanFreeze, `UPDATE freezes SET ends = GREATEST(starts, $2)
			WHERE app = $1 AND ends > $2 AND ends > starts RETURNING `+rules.FreezeColumns, app, at)
		if err == nil && len(list) == 0 {
			err = rules.NotFrozen(app)
		}
		return list, err
	})
	if err != nil {
		return nil, fmt.Errorf("unfreeze %s: %w", app, err)
	}
	sortFreezes(out)
	return out, nil
}

// ListFreezes returns the freezes in force at at or to come; see
// store.Backend.
func (s *Store) ListFreezes(ctx context.Context, at time.Time) ([]switchyard.Freeze, error) {
	return all(ctx, s.pool, "list freezes", scanFreeze, `SELECT `+rules.FreezeColumns+` FROM freezes
		WHERE ends > $1 AND ends > starts ORDER BY starts, id`, s.now.Or(at))
}

// sortFreezes puts freezes in the order the SQLite store returns them:
// by start, then ID.
func sortFreezes(fs []switchyard.Freeze) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && (fs[j].Start.Before(fs[j-1].Start) || fs[j].Start.Equal(fs[j-1].Start) && fs[j].ID < fs[j-1].ID); j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}
