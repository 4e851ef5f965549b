-- Requests of every kind (a rollback is one too), found by the deployment
-- that carries them out and by the deployment they undo, so that notify
-- makes a deployment's record from its request.
ALTER TABLE pending ADD COLUMN kind TEXT NOT NULL DEFAULT 'deploy' CHECK (kind IN ('deploy', 'rollback'));
ALTER TABLE pending ADD COLUMN rollback_of TEXT NOT NULL DEFAULT '';
CREATE INDEX pending_by_deployment ON pending (deployment_id) WHERE deployment_id <> '';
CREATE INDEX pending_by_rollback_of ON pending (rollback_of) WHERE rollback_of <> '';
