package notify

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// notify is the one writer of deployment records. A record is made here,
// once per deployment, from what AWS observed and, for a deployment the bot
// started, from the request that started it: who asked and who confirmed,
// the plan's version and task definitions, the confirmation card that
// becomes the live card. Two processes making the same record make the
// same record; the store keeps the first.

// record makes the record of deployment obs of app in env, unless one
// exists, and returns the stored record.
func (n *Notifier) record(ctx context.Context, app string, env switchyard.Environment, obs *switchyard.Observation) (switchyard.Record, error) {
	req, ok, err := n.requestOf(ctx, app, env, obs)
	if err != nil {
		return switchyard.Record{}, err
	}
	rec := switchyard.Record{Deployment: switchyard.Deployment{App: app, Env: env.Name, Region: env.Region}}
	if ok {
		fromRequest(&rec, req)
	}
	obs.Apply(&rec.Deployment)
	if rec.Created.IsZero() {
		rec.Created = n.opts.Now()
	}
	rec.ObservedAt = n.opts.Now()
	out, err := n.store.CreateDeployment(ctx, rec)
	switch {
	case err == nil:
		how := "recorded a deployment started outside Slack"
		if ok {
			how = "recorded a deployment from its request"
		}
		n.log.Info(how, zap.String("deployment_id", obs.ID), zap.String("app", app), zap.String("env", env.Name),
			zap.String("creator", obs.Creator), zap.String("request", req.ID))
		return out, nil
	case switchyard.ErrorCode(err) == switchyard.ECONFLICT:
		return n.store.GetDeployment(ctx, obs.ID) // made meanwhile, the same way
	default:
		return switchyard.Record{}, fmt.Errorf("record deployment %s: %w", obs.ID, err)
	}
}

// requestOf finds the request that started deployment obs: the one linked
// to it, or the one its description names. The description is anyone's
// text, so the request it names counts only when it is of this app and
// environment, was confirmed (or failed while AWS may still have started
// it), and is not carried out by another deployment.
func (n *Notifier) requestOf(ctx context.Context, app string, env switchyard.Environment, obs *switchyard.Observation) (switchyard.Pending, bool, error) {
	req, err := n.store.FindRequest(ctx, obs.ID)
	switch {
	case err == nil:
		return req, req.App == app && req.Env == env.Name, nil
	case switchyard.ErrorCode(err) != switchyard.ENOTFOUND:
		return switchyard.Pending{}, false, err
	case obs.RequestID == "":
		return switchyard.Pending{}, false, nil
	}
	req, err = n.store.GetPending(ctx, obs.RequestID)
	switch {
	case switchyard.ErrorCode(err) == switchyard.ENOTFOUND:
		return switchyard.Pending{}, false, nil
	case err != nil:
		return switchyard.Pending{}, false, err
	}
	ok := req.App == app && req.Env == env.Name && req.DeploymentID == "" &&
		(req.State == switchyard.StateConfirmed || req.State == switchyard.StateFailed) &&
		!(req.Kind == switchyard.KindRollback && req.Plan == nil && req.RollbackOf == obs.ID)
	if !ok {
		n.log.Warn("a description names a request that did not start this deployment; shown as started outside Slack",
			zap.String("deployment_id", obs.ID), zap.String("request", obs.RequestID))
	}
	return req, ok, nil
}

// fromRequest fills in what only the bot knows of a deployment it started.
func fromRequest(rec *switchyard.Record, req switchyard.Pending) {
	d := &rec.Deployment
	d.RequestedBy, d.ConfirmedBy, d.Reason = req.RequestedBy, req.RequestedBy, req.Reason
	if req.ApprovedBy != "" {
		d.ConfirmedBy = req.ApprovedBy
	}
	if req.Kind == switchyard.KindRollback {
		d.RollbackOf = req.RollbackOf
	}
	d.FreezeOverride = req.Override
	if p := req.Plan; p != nil {
		d.Version, d.ImageBefore, d.ImageAfter, d.Config = p.Version, p.ImageNow, p.ImageNext, p.Config
		d.TaskDefinition, d.PreviousTaskDefinition = p.Deploy, p.TaskDefinition
		if p.Env.Region != "" {
			d.Region = p.Env.Region
		}
	}
	rec.CardChannel, rec.CardTS = req.Channel, req.MessageTS
	if req.MessageTS == "" {
		rec.CardChannel = ""
	}
}

// rolledBack reads who rolled deployment id back: the requester of the
// latest rollback request AWS accepted. inFlight is true while a rollback
// request of it is confirmed but not yet answered by AWS; what it will say
// (who rolled back, or nothing) is then not known yet.
func (n *Notifier) rolledBack(ctx context.Context, id string) (by string, inFlight bool, err error) {
	reqs, err := n.store.ListRollbacksOf(ctx, id)
	if err != nil {
		return "", false, err
	}
	for _, r := range reqs {
		if r.State != switchyard.StateConfirmed {
			continue
		}
		if r.DeploymentID == "" {
			inFlight = true
			continue
		}
		by = r.RequestedBy
	}
	return by, inFlight, nil
}
