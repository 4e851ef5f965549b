package notify

import (
	"context"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// discoverLoop finds, every Options.Discover, deployments of configured
// groups that the store does not know (started in the console, the CLI or
// CI, or rollbacks CodeDeploy started) and records in flight that nobody
// asked notify to watch.
func (n *Notifier) discoverLoop(ctx context.Context) {
	t := time.NewTicker(n.opts.Discover)
	defer t.Stop()
	for {
		n.discover(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *Notifier) discover(ctx context.Context) {
	if !n.holdJob(ctx, discoverJob) {
		return // another replica discovers
	}
	for _, a := range n.cfg.Apps {
		for _, name := range a.EnvNames() {
			env, _ := a.Env(name)
			env.Name = name
			n.discoverEnv(ctx, a.Name, env)
		}
	}
}

// discoverEnv records the deployments of app's environment env the store
// does not know yet, and watches those in flight.
func (n *Notifier) discoverEnv(ctx context.Context, app string, env switchyard.Environment) {
	list, err := n.describe.Recent(ctx, env, n.started.Add(-n.opts.Lookback))
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn("list recent deployments", zap.String("app", app), zap.String("env", env.Name), zap.Error(err))
		}
		return
	}
	// Oldest first, so that a deployment is recorded before the
	// rollback CodeDeploy started for it.
	slices.Reverse(list)
	for _, obs := range list {
		n.discovered(ctx, app, env, obs)
	}
}

// discovered records obs if the store does not know it and watches it
// while it runs.
func (n *Notifier) discovered(ctx context.Context, app string, env switchyard.Environment, obs *switchyard.Observation) {
	if n.isKnown(obs.ID) {
		return
	}
	rec, err := n.store.GetDeployment(ctx, obs.ID)
	switch {
	case err == nil:
		n.markKnown(obs.ID)
		if !rec.Status.Done() && !n.isTracked(obs.ID) {
			n.Watch(ctx, obs.ID)
		}
		return
	case switchyard.ErrorCode(err) != switchyard.ENOTFOUND:
		n.log.Warn("read deployment", zap.String("deployment_id", obs.ID), zap.Error(err))
		return
	}
	full, err := n.describe.Describe(ctx, env, obs.ID)
	if err != nil {
		n.log.Warn("describe discovered deployment", zap.String("deployment_id", obs.ID), zap.Error(err))
		return
	}
	if n.startingHere(ctx, app, env, full) {
		return // a request of the bot's links it in a moment
	}
	if err := n.adopt(ctx, app, env, full); err != nil {
		n.log.Warn("record discovered deployment", zap.String("deployment_id", obs.ID), zap.Error(err))
		return
	}
	n.Watch(ctx, obs.ID)
}

// adopt records a deployment notify found itself (through discovery or an
// event): from its request when the bot started it, else as started
// outside Slack. Its first look posts its card (or, for a rollback
// CodeDeploy started, tells it in the thread of the deployment it rolls
// back, which is recorded first).
func (n *Notifier) adopt(ctx context.Context, app string, env switchyard.Environment, obs *switchyard.Observation) error {
	if obs.Creator == switchyard.CreatorRollback && obs.RollbackOf != "" {
		if _, err := n.store.GetDeployment(ctx, obs.RollbackOf); switchyard.ErrorCode(err) == switchyard.ENOTFOUND {
			if parent, err := n.describe.Describe(ctx, env, obs.RollbackOf); err == nil {
				if err := n.adopt(ctx, app, env, parent); err != nil {
					return err
				}
				n.Watch(ctx, parent.ID)
			}
		}
	}
	if _, err := n.record(ctx, app, env, obs); err != nil {
		return err
	}
	n.markKnown(obs.ID)
	return nil
}

// adoptRollback records and watches the rollback deployment CodeDeploy
// started for parent, once per process.
func (n *Notifier) adoptRollback(ctx context.Context, parent switchyard.Record, env switchyard.Environment, id string) {
	if n.isKnown(id) {
		return
	}
	if _, err := n.store.GetDeployment(ctx, id); err == nil {
		n.markKnown(id)
		n.Watch(ctx, id)
		return
	}
	obs, err := n.describe.Describe(ctx, env, id)
	if err != nil {
		n.log.Warn("describe rollback deployment", zap.String("deployment_id", id), zap.Error(err))
		return
	}
	if obs.RollbackOf == "" {
		obs.RollbackOf = parent.ID
	}
	if err := n.adopt(ctx, parent.App, env, obs); err != nil {
		n.log.Warn("record rollback deployment", zap.String("deployment_id", id), zap.Error(err))
		return
	}
	n.Watch(ctx, id)
}

func (n *Notifier) isKnown(id string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.known[id]
}

func (n *Notifier) markKnown(id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.known[id] = true
}

func (n *Notifier) isTracked(id string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.tracked[id] != nil
}

// followLoop keeps every deployment in flight in view, every third of a
// lease's time, until ctx ends: those this replica holds, and those it may
// have to take over when their holder stops renewing.
func (n *Notifier) followLoop(ctx context.Context) {
	t := time.NewTicker(n.opts.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		recs, err := n.store.ListActive(ctx)
		if err != nil {
			if ctx.Err() == nil {
				n.log.Warn("list active deployments", zap.Error(err))
			}
			continue
		}
		for _, r := range recs {
			if !n.isTracked(r.ID) {
				n.Watch(ctx, r.ID)
			}
		}
		n.retell(ctx)
	}
}

// untoldWindow is how long after a deployment ended its final result is
// still worth telling, when the replica that saw the end died first.
const untoldWindow = time.Hour

// retell watches, once per process, each deployment that ended with its
// final result untold: its replica died between seeing the end and telling
// it (the card still says it runs). Its lease, held until everything is
// sent, keeps a live replica's sending from being doubled.
func (n *Notifier) retell(ctx context.Context) {
	recs, err := n.store.ListUntold(ctx, n.opts.Now().Add(-untoldWindow))
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn("list deployments whose end is untold", zap.Error(err))
		}
		return
	}
	for _, r := range recs {
		if !n.isTracked(r.ID) && n.claimOnce(r.ID, "retell") {
			n.log.Info("telling how a deployment ended, which its replica did not", zap.String("deployment_id", r.ID))
			n.Watch(ctx, r.ID)
		}
	}
}
