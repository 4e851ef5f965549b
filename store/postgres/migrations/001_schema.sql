-- 1: deployments with their Slack card and posted thread replies, pending
-- confirmations, locks, and the append-only audit trail: what the SQLite
-- store reached in its versions 1 to 3.
--
-- Text that is compared or sorted uses the C collation, so that order is
-- bytewise, as in SQLite, whatever locale the database was created with.
-- Times are timestamptz at millisecond precision; NULL is the zero time.
-- JSON is json, not jsonb: it keeps the text it was given, byte for byte.

CREATE TABLE deployments (
	id             text COLLATE "C" PRIMARY KEY,
	app            text COLLATE "C" NOT NULL,
	env            text COLLATE "C" NOT NULL,
	version        text NOT NULL DEFAULT '',
	image_before   text NOT NULL DEFAULT '',
	image_after    text NOT NULL DEFAULT '',
	config         text NOT NULL DEFAULT '',
	status         text NOT NULL,
	requested_by   text NOT NULL DEFAULT '',
	confirmed_by   text NOT NULL DEFAULT '',
	rolled_back_by text NOT NULL DEFAULT '',
	rollback_id    text NOT NULL DEFAULT '',
	rollback_of    text NOT NULL DEFAULT '',
	error_code     text NOT NULL DEFAULT '',
	error_text     text NOT NULL DEFAULT '',
	created        timestamptz NOT NULL,
	completed      timestamptz,
	card_channel   text COLLATE "C" NOT NULL DEFAULT '',
	card_ts        text COLLATE "C" NOT NULL DEFAULT '',
	observed       json NOT NULL DEFAULT '{}',
	observed_at    timestamptz,
	rev            bigint NOT NULL DEFAULT 1,
	updated        timestamptz NOT NULL
);
CREATE INDEX deployments_by_app ON deployments (app, env, created DESC);
CREATE INDEX deployments_active ON deployments (created, id)
	WHERE status NOT IN ('Succeeded', 'Failed', 'Stopped');
CREATE UNIQUE INDEX deployments_by_card ON deployments (card_channel, card_ts)
	WHERE card_ts <> '';

CREATE TABLE deployment_replies (
	deployment_id text COLLATE "C" NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
	key           text COLLATE "C" NOT NULL,
	ts            text NOT NULL DEFAULT '',
	created       timestamptz NOT NULL,
	PRIMARY KEY (deployment_id, key)
);

CREATE TABLE pending (
	id            text COLLATE "C" PRIMARY KEY,
	app           text NOT NULL,
	env           text NOT NULL,
	version       text NOT NULL,
	plan          json NOT NULL DEFAULT '{}',
	requested_by  text NOT NULL,
	reason        text NOT NULL DEFAULT '',
	channel       text COLLATE "C" NOT NULL DEFAULT '',
	message_ts    text COLLATE "C" NOT NULL DEFAULT '',
	state         text NOT NULL
		CHECK (state IN ('pending', 'approved', 'confirmed', 'cancelled', 'expired', 'failed')),
	approved_by   text NOT NULL DEFAULT '',
	changed_by    text NOT NULL DEFAULT '',
	changed       timestamptz NOT NULL,
	created       timestamptz NOT NULL,
	expires       timestamptz NOT NULL,
	deployment_id text NOT NULL DEFAULT '',
	error_text    text NOT NULL DEFAULT '',
	rev           bigint NOT NULL DEFAULT 1
);
CREATE INDEX pending_open_by_expiry ON pending (expires, id)
	WHERE state IN ('pending', 'approved');
CREATE INDEX pending_by_message ON pending (channel, message_ts)
	WHERE message_ts <> '';
CREATE INDEX pending_starting ON pending (app, changed)
	WHERE state = 'confirmed' AND deployment_id = '';

CREATE TABLE locks (
	app       text COLLATE "C" NOT NULL,
	env       text COLLATE "C" NOT NULL,
	reason    text NOT NULL,
	locked_by text NOT NULL,
	created   timestamptz NOT NULL,
	PRIMARY KEY (app, env)
);

CREATE TABLE audit (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at         timestamptz NOT NULL,
	user_id    text NOT NULL DEFAULT '',
	action     text NOT NULL,
	app        text COLLATE "C" NOT NULL DEFAULT '',
	env        text NOT NULL DEFAULT '',
	channel    text NOT NULL DEFAULT '',
	message_ts text NOT NULL DEFAULT '',
	result     text NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
	detail     text NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_app ON audit (app, id DESC);

-- The trail is append-only for anyone with a connection, not only for the
-- bot: statement triggers refuse even an UPDATE or DELETE that matches no
-- row, and TRUNCATE.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
	FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
