package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard/internal/pgtest"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/postgres"
	"github.com/switchyard/switchyard/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Target{
		// A server time zone 12:45 ahead of UTC, so that a time read back
		// in the session's zone instead of UTC shows.
		Fresh: func(t *testing.T) string { return pgtest.Database(t) + "&timezone=Pacific/Chatham" },
		Open: func(ctx context.Context, url string, now func() time.Time) (store.Backend, error) {
			return postgres.OpenOptions(ctx, url, postgres.Options{Now: now})
		},
		Exec: func(ctx context.Context, url, query string) error {
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			_, err = conn.Exec(ctx, query)
			return err
		},
	})
}
