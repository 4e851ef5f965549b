package notify

import (
	"context"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
)

// adoptGrace is how long a deployment the bot started is left for
// commands to record before notify records it itself (commands creates the
// record right after starting the deployment, so this only matters when
// commands died in between).
const adoptGrace = 2 * time.Minute

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
	if recs, err := n.store.ListActive(ctx); err == nil {
		for _, r := range recs {
			if !n.isTracked(r.ID) {
				n.Watch(ctx, r.ID)
			}
		}
	} else if ctx.Err() == nil {
		n.log.Warn("list active deployments", zap.Error(err))
	}
	since := n.started.Add(-n.opts.Lookback)
	for _, a := range n.cfg.Apps {
		for _, name := range a.EnvNames() {
			env, _ := a.Env(name)
			env.Name = name
			list, err := n.describe.Recent(ctx, env, since)
			if err != nil {
				if ctx.Err() == nil {
					n.log.Warn("list recent deployments", zap.String("app", a.Name), zap.String("env", name), zap.Error(err))
				}
				continue
			}
			// Oldest first, so that a deployment is recorded before the
			// rollback CodeDeploy started for it.
			slices.Reverse(list)
			for _, st := range list {
				n.discovered(ctx, a.Name, env, st)
			}
		}
	}
}

// discovered records st if the store does not know it and watches it while
// it runs.
func (n *Notifier) discovered(ctx context.Context, app string, env switchyard.Environment, st *deployer.Status) {
	if n.isKnown(st.ID) {
		return
	}
	rec, err := n.store.GetDeployment(ctx, st.ID)
	switch {
	case err == nil:
		n.markKnown(st.ID)
		if !rec.Status.Done() && !n.isTracked(st.ID) {
			n.Watch(ctx, st.ID)
		}
		return
	case switchyard.ErrorCode(err) != switchyard.ENOTFOUND:
		n.log.Warn("read deployment", zap.String("deployment_id", st.ID), zap.Error(err))
		return
	}
	if !n.mayAdopt(ctx, app, env, st) {
		return
	}
	full, err := n.describe.Describe(ctx, env, st.ID)
	if err != nil {
		n.log.Warn("describe discovered deployment", zap.String("deployment_id", st.ID), zap.Error(err))
		return
	}
	if err := n.adopt(ctx, app, env, full); err != nil {
		n.log.Warn("record discovered deployment", zap.String("deployment_id", st.ID), zap.Error(err))
		return
	}
	n.Watch(ctx, st.ID)
}

// mayAdopt reports whether notify should record a deployment it found of
// app in env. A deployment whose description looks like the bot's is left
// to commands, which records it with its card, for a while after it was
// created, but only while commands really has a start of that app and
// environment in hand: the description is anyone's text, and on its own
// must not hold back the card of a deployment started outside Slack.
func (n *Notifier) mayAdopt(ctx context.Context, app string, env switchyard.Environment, st *deployer.Status) bool {
	if !st.ByBot || n.opts.Now().Sub(st.Created) >= adoptGrace {
		return true
	}
	starting, err := n.store.ListStarting(ctx, app, env.Name)
	if err != nil {
		n.log.Warn("list starting deploys", zap.String("app", app), zap.Error(err))
		return false // look again at the next event or discovery
	}
	return len(starting) == 0
}

// adopt creates the record of a deployment notify found itself, with no
// card: its first look posts one (or, for a rollback CodeDeploy started,
// tells it in the thread of the deployment it rolls back). A record
// created meanwhile by someone else is kept as it is.
func (n *Notifier) adopt(ctx context.Context, app string, env switchyard.Environment, st *deployer.Status) error {
	if st.Creator == "codeDeployRollback" && st.RollbackOf != "" {
		if _, err := n.store.GetDeployment(ctx, st.RollbackOf); switchyard.ErrorCode(err) == switchyard.ENOTFOUND {
			if parent, err := n.describe.Describe(ctx, env, st.RollbackOf); err == nil {
				if err := n.adopt(ctx, app, env, parent); err != nil {
					return err
				}
				n.Watch(ctx, parent.ID)
			}
		}
	}
	rec := switchyard.Record{Deployment: switchyard.Deployment{App: app, Env: env.Name}}
	st.Apply(&rec.Deployment)
	if rec.Created.IsZero() {
		rec.Created = n.opts.Now()
	}
	rec.ObservedAt = n.opts.Now()
	_, err := n.store.CreateDeployment(ctx, rec)
	if err != nil && switchyard.ErrorCode(err) != switchyard.ECONFLICT {
		return err
	}
	if err == nil {
		n.log.Info("recorded a deployment started outside Slack", zap.String("deployment_id", st.ID),
			zap.String("app", app), zap.String("env", env.Name), zap.String("creator", st.Creator))
	}
	n.markKnown(st.ID)
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
	st, err := n.describe.Describe(ctx, env, id)
	if err != nil {
		n.log.Warn("describe rollback deployment", zap.String("deployment_id", id), zap.Error(err))
		return
	}
	if st.RollbackOf == "" {
		st.RollbackOf = parent.ID
	}
	if err := n.adopt(ctx, parent.App, env, st); err != nil {
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
