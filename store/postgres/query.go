package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// one runs a query for at most one row and scans it. No row is notFound();
// any failure is wrapped with what, unless what is empty (inside a
// transaction, whose caller wraps).
func one[T any](ctx context.Context, q querier, what string, scan func(rowScanner) (T, error), notFound func() error, sql string, args ...any) (T, error) {
	v, err := scan(q.QueryRow(ctx, sql, args...))
	if isNoRows(err) {
		err = notFound()
	}
	if err != nil {
		var zero T
		return zero, wrapf(err, what)
	}
	return v, nil
}

// all runs a query and scans every row, wrapping a failure with what.
func all[T any](ctx context.Context, q querier, what string, scan func(rowScanner) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrapf(err, what)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	return out, wrapf(err, what)
}

// txValue runs fn in one transaction, commits it if fn succeeds, and
// returns fn's value.
func txValue[T any](ctx context.Context, s *Store, fn func(pgx.Tx) (T, error)) (T, error) {
	var out T
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// execOne runs the write of a compare-and-set, which must change exactly
// the one row read and locked before it.
func execOne(ctx context.Context, tx pgx.Tx, sql string, args ...any) error {
	tag, err := tx.Exec(ctx, sql, args...)
	if err == nil && tag.RowsAffected() != 1 {
		err = fmt.Errorf("compare-and-set matched %d rows", tag.RowsAffected())
	}
	return err
}

func wrapf(err error, what string) error {
	if err == nil || what == "" {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}
