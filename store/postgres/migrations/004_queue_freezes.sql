-- Freezes people make, the queue of deploys waiting for a free app, the
-- message that announced a lock (it lists the queue), and the reason a
-- deploy goes ahead during a freeze.
ALTER TABLE pending ADD COLUMN override text NOT NULL DEFAULT '';
ALTER TABLE locks ADD COLUMN channel text NOT NULL DEFAULT '';
ALTER TABLE locks ADD COLUMN message_ts text NOT NULL DEFAULT '';

CREATE TABLE freezes (
	id        text COLLATE "C" PRIMARY KEY,
	app       text COLLATE "C" NOT NULL,
	reason    text NOT NULL,
	frozen_by text NOT NULL,
	starts    timestamptz NOT NULL,
	ends      timestamptz NOT NULL
);
CREATE INDEX freezes_by_end ON freezes (ends);

CREATE TABLE queue (
	id           text COLLATE "C" PRIMARY KEY,
	app          text COLLATE "C" NOT NULL,
	env          text COLLATE "C" NOT NULL,
	version      text NOT NULL,
	config       text NOT NULL DEFAULT '',
	reason       text NOT NULL DEFAULT '',
	requested_by text COLLATE "C" NOT NULL,
	channel      text NOT NULL,
	state        text NOT NULL CHECK (state IN ('waiting', 'handed', 'withdrawn', 'expired', 'failed', 'served')),
	created      timestamptz NOT NULL,
	expires      timestamptz NOT NULL,
	handed       timestamptz,
	pending_id   text NOT NULL DEFAULT '',
	changed_by   text NOT NULL DEFAULT '',
	changed      timestamptz NOT NULL,
	rev          bigint NOT NULL DEFAULT 1
);
CREATE INDEX queue_line ON queue (app, env, created, id) WHERE state IN ('waiting', 'handed');
CREATE INDEX queue_waiting_by_expiry ON queue (expires, id) WHERE state = 'waiting';
CREATE UNIQUE INDEX queue_one_place ON queue (app, env, requested_by) WHERE state = 'waiting';
