package rules

import (
	"time"

	"github.com/switchyard/switchyard"
)

// The tables that every store keeps under the same names, with the same
// columns in the same order, so that a store's scan function and insert
// read and write the same fields whichever database is behind it.
const (
	DeploymentColumns = `id, app, env, version, image_before, image_after, config, status,
	requested_by, confirmed_by, rolled_back_by, rollback_id, rollback_of, error_code, error_text,
	created, completed, card_channel, card_ts, observed, observed_at, rev, updated`

	PendingColumns = `id, app, env, version, plan, requested_by, reason, channel, message_ts, state,
	approved_by, changed_by, changed, created, expires, deployment_id, error_text, rev, kind, rollback_of, override`
)

// DeploymentValues returns rec's values in DeploymentColumns order, with
// times as ts gives them (each database keeps times its own way).
func DeploymentValues(rec *switchyard.Record, ts func(time.Time) any) ([]any, error) {
	d := &rec.Deployment
	obs, err := EncodeObserved(d)
	if err != nil {
		return nil, err
	}
	return []any{d.ID, d.App, d.Env, d.Version, d.ImageBefore, d.ImageAfter, d.Config, string(d.Status),
		d.RequestedBy, d.ConfirmedBy, d.RolledBackBy, d.RollbackID, d.RollbackOf, d.ErrorCode, d.ErrorText,
		ts(d.Created), ts(d.Completed), rec.CardChannel, rec.CardTS, obs, ts(rec.ObservedAt), rec.Rev, ts(rec.Updated)}, nil
}
