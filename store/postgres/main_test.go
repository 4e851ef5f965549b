package postgres

import (
	"context"
	"testing"

	"github.com/switchyard/switchyard/internal/pgtest"
)

// The package's tests share one throwaway server, stopped at the end.
func TestMain(m *testing.M) { pgtest.Main(m) }

// openFresh opens a store on a new database and closes it when t ends.
func openFresh(t *testing.T) (*Store, string) {
	t.Helper()
	url := pgtest.Database(t)
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url
}
