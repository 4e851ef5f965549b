package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/sqlite"
	"github.com/switchyard/switchyard/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Target{
		Fresh: func(t *testing.T) string { return filepath.Join(t.TempDir(), "switchyard.db") },
		Open: func(ctx context.Context, path string, now func() time.Time) (store.Backend, error) {
			return sqlite.OpenOptions(ctx, path, sqlite.Options{Now: now})
		},
		Exec: func(ctx context.Context, path, query string) error {
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				return err
			}
			defer db.Close()
			_, err = db.ExecContext(ctx, query)
			return err
		},
	})
}
