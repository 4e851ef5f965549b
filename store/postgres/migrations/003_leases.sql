-- Leases, by which one replica at a time watches a deployment (or runs a
-- job), and fences the writes it makes under them. A released lease keeps
-- its row (no owner, expired) so that fences only ever grow.
CREATE TABLE leases (
	key     text COLLATE "C" PRIMARY KEY,
	owner   text COLLATE "C" NOT NULL,
	expires timestamptz NOT NULL,
	fence   bigint NOT NULL
);
