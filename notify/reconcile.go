package notify

import (
	"context"
	"errors"
	"reflect"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// errUnchanged tells UpdateDeploymentIf to save nothing.
var errUnchanged = errors.New("unchanged")

// reconcile reads deployment id from AWS, merges it into the stored record,
// and publishes the card and the replies the new state calls for. A
// deployment with no record yet gets one, from the request that started it
// (Watch names a deployment commands just started). It returns when to look
// again, or a negative duration to stop watching.
func (n *Notifier) reconcile(ctx context.Context, id string) (time.Duration, error) {
	rec, env, ok, err := n.recordOrRequest(ctx, id)
	if err != nil || !ok {
		return -1, err
	}
	// The clock is read before AWS is: what Describe says is true at least
	// as of then.
	observed := n.opts.Now()
	obs, err := n.describe.Describe(ctx, env, id)
	if err != nil {
		return 0, err
	}
	if rec.ID == "" {
		if rec, err = n.record(ctx, rec.App, env, obs); err != nil {
			return 0, err
		}
	}
	last, posted := n.trackedState(id)
	// Alarm states are cached per group, but read afresh when the status
	// moves (an alarm may be why).
	obs.Alarms = n.alarms.get(ctx, env, last == nil || last.Status != obs.Status, n.log)
	by, inFlight, err := n.rolledBack(ctx, id)
	if err != nil {
		return 0, err
	}
	rec, err = n.merge(ctx, rec, obs, by, observed)
	if err != nil {
		return 0, err
	}
	d := rec.Deployment
	if obs.RollbackID != "" {
		n.adoptRollback(ctx, rec, env, obs.RollbackID)
	}
	if posted == nil {
		got, err := n.store.Replies(ctx, id)
		if err != nil {
			return 0, err
		}
		if _, ok := got[switchyard.KeyQuiet]; ok {
			return -1, nil
		}
		if quiet, err := n.quiet(ctx, rec); err != nil || quiet {
			return -1, err
		}
		posted = make(map[string]bool, len(got))
		for k, ts := range got {
			// A claimed reply without a ts was cut off before it was
			// posted. Only the final result is worth the risk of a repeat.
			if ts != "" || k != switchyard.KeyFinal {
				posted[k] = true
			}
		}
	}
	// While a rollback of it waits for AWS's answer, the final result
	// waits too: it will name who rolled back, or not.
	n.show(ctx, rec, d, obs, last, posted, inFlight)
	n.setTrackedState(id, d, posted, observed)
	if last == nil || !reflect.DeepEqual(*last, d) {
		n.opts.Changes.DeploymentChanged(ctx, d)
	}
	switch {
	case inFlight && d.Status.Done():
		return n.opts.FastPoll, nil
	case d.Status.Done():
		return -1, nil
	case n.fast(d):
		return n.opts.FastPoll, nil
	default:
		return n.opts.Poll, nil
	}
}

// quiet records, once and for every replica, that deployment rec is kept
// without a card: it ended before this process started, nobody asked for
// it in Slack, and it has no card (nor does the deployment it rolls back).
// A bot started on an empty store (a first start, a lost volume) records
// recent history this way instead of posting it as news; what is in flight,
// and anything that ends while the bot runs, gets its card.
func (n *Notifier) quiet(ctx context.Context, rec switchyard.Record) (bool, error) {
	if !rec.Status.Done() || rec.Completed.IsZero() || !rec.Completed.Before(n.started) ||
		rec.CardTS != "" || rec.RequestedBy != "" {
		return false, nil
	}
	if rec.RollbackOf != "" {
		parent, err := n.store.GetDeployment(ctx, rec.RollbackOf)
		switch {
		case err == nil && parent.CardTS != "":
			return false, nil
		case err != nil && switchyard.ErrorCode(err) != switchyard.ENOTFOUND:
			return false, err
		}
	}
	if _, err := n.store.MarkReply(ctx, rec.ID, switchyard.KeyQuiet, ""); err != nil {
		return false, err
	}
	n.log.Info("recorded a deployment that ended before the bot started, without a card",
		zap.String("deployment_id", rec.ID), zap.String("app", rec.App), zap.String("env", rec.Env))
	return true, nil
}

// recordOrRequest finds what reconcile starts from: the record of
// deployment id, or, when there is none yet, the request that started it
// (rec then has only App and Env). ok is false for an id that is neither
// (nothing to watch), or whose app or environment is no longer configured.
func (n *Notifier) recordOrRequest(ctx context.Context, id string) (rec switchyard.Record, env switchyard.Environment, ok bool, err error) {
	rec, err = n.store.GetDeployment(ctx, id)
	if switchyard.ErrorCode(err) == switchyard.ENOTFOUND {
		req, rerr := n.store.FindRequest(ctx, id)
		if switchyard.ErrorCode(rerr) == switchyard.ENOTFOUND {
			return rec, env, false, nil
		}
		if rerr != nil {
			return rec, env, false, rerr
		}
		rec = switchyard.Record{Deployment: switchyard.Deployment{App: req.App, Env: req.Env}}
	} else if err != nil {
		return rec, env, false, err
	}
	env, ok = n.envOf(rec)
	if !ok {
		n.log.Warn("deployment of an app or environment no longer configured; not watching it",
			zap.String("deployment_id", id), zap.String("app", rec.App), zap.String("env", rec.Env))
	}
	return rec, env, ok, nil
}

// fast reports whether a deployment is in a phase that changes quickly or
// that a person may end at any moment.
func (n *Notifier) fast(d switchyard.Deployment) bool {
	if d.Waiting != switchyard.WaitNone || (d.Traffic.Green > 0 && d.Traffic.Green < 100) {
		return true
	}
	for _, s := range d.Stages {
		if (s.Name == switchyard.AllowTraffic || s.ProductionStep()) && s.Status == switchyard.StageInProgress {
			return true
		}
	}
	return false
}

// merge saves what AWS reported, and who rolled the deployment back, into
// the stored record in one compare-and-set that keeps what only the bot
// knows (requester, confirmer) and never moves a finished deployment
// backwards.
func (n *Notifier) merge(ctx context.Context, rec switchyard.Record, obs *switchyard.Observation, rolledBackBy string, observed time.Time) (switchyard.Record, error) {
	var cur switchyard.Record
	out, err := n.store.UpdateDeploymentUnder(ctx, rec.ID, n.leaseOf(rec.ID), func(r *switchyard.Record) error {
		cur = *r
		if r.Status.Done() && !obs.Status.Done() {
			return errUnchanged // a stale read: finished is final
		}
		if r.ObservedAt.After(observed) {
			return errUnchanged // someone saw a later state already
		}
		before := r.Deployment
		before.Stages = append([]switchyard.Stage(nil), r.Stages...)
		obs.Apply(&r.Deployment)
		if rolledBackBy != "" {
			r.RolledBackBy = rolledBackBy
		}
		if r.Status.Done() && r.Completed.IsZero() {
			r.Completed = observed
		}
		if reflect.DeepEqual(before, r.Deployment) {
			return errUnchanged
		}
		r.ObservedAt = observed
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return cur, nil
	}
	return out, err
}

// envOf finds the configured environment of a record.
func (n *Notifier) envOf(rec switchyard.Record) (switchyard.Environment, bool) {
	app, ok := n.cfg.Lookup(rec.App)
	if !ok {
		return switchyard.Environment{}, false
	}
	return app.Env(rec.Env)
}
