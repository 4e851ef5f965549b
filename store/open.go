// Package store keeps what the bot must remember across restarts. The
// embedded SQLite store lives in store/sqlite; this package names it for
// the packages that open a store.
package store

import (
	"context"

	"github.com/switchyard/switchyard/store/sqlite"
)

// Store is the embedded SQLite store.
type Store = sqlite.Store

// Options tunes a Store.
type Options = sqlite.Options

// Open opens the store at path; see sqlite.Open.
func Open(ctx context.Context, path string) (*Store, error) { return sqlite.Open(ctx, path) }

// OpenOptions is Open with options.
func OpenOptions(ctx context.Context, path string, o Options) (*Store, error) {
	return sqlite.OpenOptions(ctx, path, o)
}

var _ Backend = (*sqlite.Store)(nil)
