package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations is the schema's history, oldest first: migration i+1 is
// migrations[i]. Append only; never edit one that has shipped, because
// existing files have already run it. Each runs in its own transaction
// together with the schema_migrations row that records it.
var migrations = []string{
	// 1: deployments with their Slack card and posted thread replies, locks,
	// and the append-only audit trail.
	`
CREATE TABLE deployments (
	id             TEXT PRIMARY KEY,
	app            TEXT NOT NULL,
	env            TEXT NOT NULL,
	version        TEXT NOT NULL DEFAULT '',
	image_before   TEXT NOT NULL DEFAULT '',
	image_after    TEXT NOT NULL DEFAULT '',
	config         TEXT NOT NULL DEFAULT '',
	status         TEXT NOT NULL,
	requested_by   TEXT NOT NULL DEFAULT '',
	confirmed_by   TEXT NOT NULL DEFAULT '',
	rolled_back_by TEXT NOT NULL DEFAULT '',
	rollback_id    TEXT NOT NULL DEFAULT '',
	rollback_of    TEXT NOT NULL DEFAULT '',
	error_code     TEXT NOT NULL DEFAULT '',
	error_text     TEXT NOT NULL DEFAULT '',
	created        INTEGER NOT NULL,
	completed      INTEGER NOT NULL DEFAULT 0,
	card_channel   TEXT NOT NULL DEFAULT '',
	card_ts        TEXT NOT NULL DEFAULT '',
	observed       TEXT NOT NULL DEFAULT '{}',
	rev            INTEGER NOT NULL DEFAULT 1,
	updated        INTEGER NOT NULL
) STRICT;
CREATE INDEX deployments_by_app ON deployments (app, env, created DESC);
CREATE INDEX deployments_active ON deployments (created)
	WHERE status NOT IN ('Succeeded', 'Failed', 'Stopped');
CREATE UNIQUE INDEX deployments_by_card ON deployments (card_channel, card_ts)
	WHERE card_ts <> '';

CREATE TABLE deployment_replies (
	deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
	key           TEXT NOT NULL,
	ts            TEXT NOT NULL DEFAULT '',
	created       INTEGER NOT NULL,
	PRIMARY KEY (deployment_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE locks (
	app       TEXT NOT NULL,
	env       TEXT NOT NULL,
	reason    TEXT NOT NULL,
	locked_by TEXT NOT NULL,
	created   INTEGER NOT NULL,
	PRIMARY KEY (app, env)
) STRICT;

CREATE TABLE audit (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	at         INTEGER NOT NULL,
	user       TEXT NOT NULL DEFAULT '',
	action     TEXT NOT NULL,
	app        TEXT NOT NULL DEFAULT '',
	env        TEXT NOT NULL DEFAULT '',
	channel    TEXT NOT NULL DEFAULT '',
	message_ts TEXT NOT NULL DEFAULT '',
	result     TEXT NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
	detail     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_by_app ON audit (app, id DESC);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
`,
	// 2: pending confirmations, for the confirm/approve flow.
	`
CREATE TABLE pending (
	id            TEXT PRIMARY KEY,
	app           TEXT NOT NULL,
	env           TEXT NOT NULL,
	version       TEXT NOT NULL,
	plan          TEXT NOT NULL DEFAULT '{}',
	requested_by  TEXT NOT NULL,
	reason        TEXT NOT NULL DEFAULT '',
	channel       TEXT NOT NULL DEFAULT '',
	message_ts    TEXT NOT NULL DEFAULT '',
	state         TEXT NOT NULL
		CHECK (state IN ('pending', 'approved', 'confirmed', 'cancelled', 'expired', 'failed')),
	approved_by   TEXT NOT NULL DEFAULT '',
	changed_by    TEXT NOT NULL DEFAULT '',
	changed       INTEGER NOT NULL,
	created       INTEGER NOT NULL,
	expires       INTEGER NOT NULL,
	deployment_id TEXT NOT NULL DEFAULT '',
	error_text    TEXT NOT NULL DEFAULT '',
	rev           INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX pending_open_by_expiry ON pending (expires)
	WHERE state IN ('pending', 'approved');
CREATE INDEX pending_by_message ON pending (channel, message_ts)
	WHERE message_ts <> '';
`,
	// 3: when AWS was last asked about a deployment, so the poller can
	// resume its schedule after a restart instead of polling everything at once.
	`
ALTER TABLE deployments ADD COLUMN observed_at INTEGER NOT NULL DEFAULT 0;
`,
	// 4: requests of every kind (a rollback is one too), found by the
	// deployment that carries them out and by the deployment they undo, so
	// that notify makes a deployment's record from its request.
	`
ALTER TABLE pending ADD COLUMN kind TEXT NOT NULL DEFAULT 'deploy' CHECK (kind IN ('deploy', 'rollback'));
ALTER TABLE pending ADD COLUMN rollback_of TEXT NOT NULL DEFAULT '';
CREATE INDEX pending_by_deployment ON pending (deployment_id) WHERE deployment_id <> '';
CREATE INDEX pending_by_rollback_of ON pending (rollback_of) WHERE rollback_of <> '';
`,
	// 5: leases, by which one replica at a time watches a deployment (or
	// runs a job), and fences the writes it makes under them.
	`
CREATE TABLE leases (
	key     TEXT PRIMARY KEY,
	owner   TEXT NOT NULL,
	expires INTEGER NOT NULL,
	fence   INTEGER NOT NULL
) STRICT;
`,
	// 6: freezes people make, the queue of deploys waiting for a free app,
	// the message that announced a lock (it lists the queue), and the
	// reason a deploy goes ahead during a freeze.
	`
ALTER TABLE pending ADD COLUMN override TEXT NOT NULL DEFAULT '';
ALTER TABLE locks ADD COLUMN channel TEXT NOT NULL DEFAULT '';
ALTER TABLE locks ADD COLUMN message_ts TEXT NOT NULL DEFAULT '';

CREATE TABLE freezes (
	id        TEXT PRIMARY KEY,
	app       TEXT NOT NULL,
	reason    TEXT NOT NULL,
	frozen_by TEXT NOT NULL,
	starts    INTEGER NOT NULL,
	ends      INTEGER NOT NULL
) STRICT;
CREATE INDEX freezes_by_end ON freezes (ends);

CREATE TABLE queue (
	id           TEXT PRIMARY KEY,
	app          TEXT NOT NULL,
	env          TEXT NOT NULL,
	version      TEXT NOT NULL,
	config       TEXT NOT NULL DEFAULT '',
	reason       TEXT NOT NULL DEFAULT '',
	requested_by TEXT NOT NULL,
	channel      TEXT NOT NULL,
	state        TEXT NOT NULL CHECK (state IN ('waiting', 'handed', 'withdrawn', 'expired', 'failed', 'served')),
	created      INTEGER NOT NULL,
	expires      INTEGER NOT NULL,
	handed       INTEGER NOT NULL DEFAULT 0,
	pending_id   TEXT NOT NULL DEFAULT '',
	changed_by   TEXT NOT NULL DEFAULT '',
	changed      INTEGER NOT NULL,
	rev          INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX queue_line ON queue (app, env, created, id) WHERE state IN ('waiting', 'handed');
CREATE INDEX queue_waiting_by_expiry ON queue (expires) WHERE state = 'waiting';
CREATE UNIQUE INDEX queue_one_place ON queue (app, env, requested_by) WHERE state = 'waiting';
`,
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations) }

// migrate applies every migration above the file's version up to target.
// Migrations are checked and applied under the write lock, so two processes
// opening the same file at once apply each migration once.
func (s *Store) migrate(ctx context.Context, target int) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	applied INTEGER NOT NULL
) STRICT`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for v := 1; v <= target; v++ {
		err := s.write(ctx, func(tx *sql.Tx) error {
			cur, err := schemaVersion(ctx, tx)
			if err != nil {
				return err
			}
			if cur > len(migrations) {
				return fmt.Errorf("the database has schema version %d, newer than this build's %d", cur, len(migrations))
			}
			if cur >= v {
				return nil
			}
			if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`, v, toMS(s.now.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate to %d: %w", v, err)
		}
	}
	return nil
}

// Version returns the schema version of the open database.
func (s *Store) Version(ctx context.Context) (int, error) {
	return schemaVersion(ctx, s.db)
}

// Ping reads the schema table: an answer means the file is there and
// readable, not only that a connection is open.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
