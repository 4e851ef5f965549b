package commands

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/config"
)

// cardClick handles Rollback, Shift traffic now and Finish now on a
// deployment's live card.
func (h *Handler) cardClick(ctx context.Context, r request, action, id string) {
	rec, err := h.st.GetDeployment(ctx, id)
	if err != nil {
		h.fail(ctx, r, action, "", "", err)
		return
	}
	a, ok := h.cfg.Lookup(rec.App)
	if !ok {
		h.refuse(ctx, r, action, rec.App, rec.Env, fmt.Sprintf("%s is not in the bot's config, so I can't act on its deployments.", rec.App))
		return
	}
	env, ok := a.Env(rec.Env)
	if !ok {
		h.refuse(ctx, r, action, rec.App, rec.Env, fmt.Sprintf("%s has no environment %s in the bot's config.", rec.App, rec.Env))
		return
	}
	if !h.inChannel(ctx, r, action, a, env) {
		return
	}
	switch action {
	case blocks.ActionRollback:
		if h.permit(ctx, r, actRollback, a, env.Name, rollbackList(a), fmt.Sprintf("roll back %s in %s", a.Name, env.Name)) {
			h.rollback(ctx, r, a, env, rec)
		}
	case blocks.ActionShiftNow, blocks.ActionFinish:
		act, wait, doing := actShift, deployer.WaitReady, "shift traffic of"
		if action == blocks.ActionFinish {
			act, wait, doing = actFinish, deployer.WaitTermination, "finish"
		}
		if !h.permit(ctx, r, act, a, env.Name, a.Access.Deploy, fmt.Sprintf("%s deployments of %s in %s", doing, a.Name, env.Name)) {
			return
		}
		if err := h.dep.Continue(ctx, env, id, wait); err != nil {
			h.fail(ctx, r, act, a.Name, env.Name, err)
			return
		}
		h.tell(ctx, r.channel, r.user, blocks.Continued(id, action == blocks.ActionFinish))
		h.done(ctx, r, act, a.Name, env.Name, id)
		h.watch.Watch(ctx, id)
	default:
		h.log.Debug("unknown action on a deployment card", zap.String("action_id", action))
	}
}

// rollbackCommand handles "/deploy rollback <app> [to <env>]": it rolls
// back the latest deployment of that environment the bot knows.
func (h *Handler) rollbackCommand(ctx context.Context, r request, c Command) {
	a, ok := h.lookupApp(ctx, r, actRollback, c.App)
	if !ok {
		return
	}
	env, ok := h.lookupEnv(ctx, r, actRollback, a, c.Env)
	if !ok || !h.inChannel(ctx, r, actRollback, a, env) {
		return
	}
	if !h.permit(ctx, r, actRollback, a, env.Name, rollbackList(a), fmt.Sprintf("roll back %s in %s", a.Name, env.Name)) {
		return
	}
	recs, err := h.st.ListByApp(ctx, a.Name, env.Name, 1)
	if err != nil {
		h.fail(ctx, r, actRollback, a.Name, env.Name, err)
		return
	}
	if len(recs) == 0 {
		h.refuse(ctx, r, actRollback, a.Name, env.Name, fmt.Sprintf("I know of no deployment of %s in %s to roll back.", a.Name, env.Name))
		return
	}
	h.rollback(ctx, r, a, env, recs[0])
}

// rollback undoes rec through the deployer and records who did it. When
// the deployer redeploys the previous revision, the new deployment is
// recorded without a card: notify posts one. With lock_on_rollback the app
// is locked so that nobody redeploys the bad version by mistake.
func (h *Handler) rollback(ctx context.Context, r request, a *config.App, env switchyard.Environment, rec switchyard.Record) {
	res, err := h.dep.Rollback(ctx, env, rec.ID, r.user)
	if err != nil {
		h.fail(ctx, r, actRollback, a.Name, env.Name, err)
		return
	}
	log := h.log.With(zap.String("deployment_id", rec.ID), zap.String("rollback_id", res.NewDeploymentID))
	_, err = h.st.UpdateDeploymentIf(ctx, rec.ID, switchyard.AnyRev, func(cur *switchyard.Record) error {
		cur.RolledBackBy = r.user
		if res.Kind == deployer.StoppedWithRollback && cur.RollbackID == "" {
			cur.RollbackID = res.NewDeploymentID
		}
		return nil
	})
	if err != nil {
		log.Error("record who rolled back", zap.Error(err))
	}
	redeploy := res.Kind == deployer.Redeployed
	if redeploy && res.NewDeploymentID != "" {
		nrec := switchyard.Record{Deployment: switchyard.Deployment{
			ID: res.NewDeploymentID, App: a.Name, Env: env.Name, Status: switchyard.StatusCreated,
			RequestedBy: r.user, ConfirmedBy: r.user, RollbackOf: rec.ID, Created: h.now(), Region: env.Region, Creator: "user",
		}}
		if res.Plan != nil {
			nrec.Version, nrec.ImageBefore, nrec.ImageAfter, nrec.Config = res.Plan.Version, res.Plan.ImageNow, res.Plan.ImageNext, res.Plan.Config
		}
		if err := h.record(ctx, nrec); err != nil {
			log.Error("record the rollback deployment", zap.Error(err))
		}
	}
	h.done(ctx, r, actRollback, a.Name, env.Name, fmt.Sprintf("%s (%s) %s", rec.ID, res.Kind, res.NewDeploymentID))
	if a.LockOnRollback {
		h.lockAfterRollback(ctx, r, a, env, rec)
	}
	h.tell(ctx, r.channel, r.user, blocks.RollbackStarted(a.Name, env.Name, rec.ID, res.NewDeploymentID, redeploy))
	h.watch.Watch(ctx, rec.ID)
	if res.NewDeploymentID != "" {
		h.watch.Watch(ctx, res.NewDeploymentID)
	}
}

func (h *Handler) lockAfterRollback(ctx context.Context, r request, a *config.App, env switchyard.Environment, rec switchyard.Record) {
	reason := fmt.Sprintf("%s %s was rolled back (%s); unlock when the fix is ready", a.Name, rec.Version, rec.ID)
	l, err := h.st.Lock(ctx, switchyard.Lock{App: a.Name, Reason: reason, LockedBy: r.user, Created: h.now()})
	switch {
	case switchyard.ErrorCode(err) == switchyard.ECONFLICT:
		return // already locked: the older lock says more
	case err != nil:
		h.log.Error("lock after rollback", zap.String("app", a.Name), zap.Error(err))
		h.audit(ctx, switchyard.AuditEntry{User: r.user, Action: actLock, App: a.Name, Env: env.Name, Channel: r.channel,
			MessageTS: r.ts, Result: switchyard.ResultFailed, Detail: "lock on rollback: " + switchyard.ErrorMessage(err)})
		return
	}
	h.announce(ctx, r, blocks.LockTaken(lockInfo(l)))
	h.done(ctx, r, actLock, a.Name, "", "lock on rollback: "+reason)
}
