package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/switchyard/switchyard/store/storetest"
)

// The suite opens each database through store.Open, which takes a path for
// SQLite.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Target{
		Fresh: func(t *testing.T) string { return filepath.Join(t.TempDir(), "switchyard.db") },
		Exec: func(ctx context.Context, path, query string) error {
			db, err := sql.Open("sqlite", "file:"+path)
			if err == nil {
				defer db.Close()
				_, err = db.ExecContext(ctx, query)
			}
			return err
		},
	})
}
