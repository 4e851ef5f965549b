package postgres_test

import (
	"testing"

	"github.com/switchyard/switchyard/internal/pgtest"
	"github.com/switchyard/switchyard/store/storetest"
)

// The suite opens each database through store.Open, which takes a
// postgres:// URL for PostgreSQL. The session's time zone is 12:45 ahead
// of UTC, so that a time read back in it instead of UTC shows.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Target{
		Fresh: func(t *testing.T) string { return pgtest.Database(t) + "&timezone=Pacific/Chatham" },
		Exec:  pgtest.Exec,
	})
}
