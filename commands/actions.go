package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/config"
)

// cardClick handles Rollback, Shift traffic now and Finish now on a
// deployment's live card.
func (h *Handler) cardClick(ctx context.Context, r request, action, id string) {
	rec, a, env, ok := h.cardOf(ctx, r, action, id)
	if !ok {
		return
	}
	switch action {
	case blocks.ActionRollback:
		if h.permit(ctx, r, actRollback, a, env.Name, rollbackList(a)) {
			h.rollback(ctx, r, a, env, rec.ID)
		}
	case blocks.ActionShiftNow, blocks.ActionFinish:
		act, wait := actShift, switchyard.WaitReady
		if action == blocks.ActionFinish {
			act, wait = actFinish, switchyard.WaitTermination
		}
		// A rollback's own waits are the rollback's: whoever may roll
		// back may see it through (a redeploy of the previous version
		// waits for the go-ahead as any deployment of its group does).
		who := a.Access.Deploy
		if rec.RollbackOf != "" {
			who = append(slices.Clone(who), rollbackList(a)...)
		}
		if !h.permit(ctx, r, act, a, env.Name, who) {
			return
		}
		if err := h.dep.Continue(ctx, env, id, wait, r.actor("")); err != nil {
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
	if !h.permit(ctx, r, actRollback, a, env.Name, rollbackList(a)) {
		return
	}
	recs, err := h.st.ListByApp(ctx, a.Name, env.Name, 1)
	if err != nil {
		h.fail(ctx, r, actRollback, a.Name, env.Name, err)
		return
	}
	if len(recs) == 0 {
		h.refuse(ctx, r, actRollback, a.Name, env.Name, blocks.NothingToRollBack(a.Name, env.Name))
		return
	}
	h.rollback(ctx, r, a, env, recs[0].ID)
}

// rollback undoes deployment id through the deployer. The rollback is a
// request of its own, confirmed by the click that asks for it and recorded
// before AWS is called, then linked to the deployment that carries it (or
// failed): notify reads from it who rolled back, and makes the record of a
// redeployment from it. Rollbacks of one app and environment run one at a
// time in this process, each reading the record afresh, so that of a double
// submit the second is refused in words instead of undoing the first. A
// redeploy of another task definition family or image repository is not
// started but shown for confirmation. With lock_on_rollback the app is
// locked so that nobody redeploys the bad version by mistake.
func (h *Handler) rollback(ctx context.Context, r request, a *config.App, env switchyard.Environment, id string) {
	unlock := h.rollingBack.lock(a.Name + "/" + env.Name)
	defer unlock()
	rec, err := h.st.GetDeployment(ctx, id)
	if err != nil {
		h.fail(ctx, r, actRollback, a.Name, env.Name, err)
		return
	}
	req, err := h.rollbackRequest(ctx, r, a, env, rec)
	if err != nil {
		h.fail(ctx, r, actRollback, a.Name, env.Name, err)
		return
	}
	// No lock holds a rollback back; the one it goes past is said on the
	// card's thread once it has happened.
	past, err := h.lockOf(ctx, a.Name, env.Name)
	if err != nil {
		h.log.Warn("read the lock a rollback goes past", zap.String("app", a.Name), zap.Error(err))
	}
	res, err := h.dep.Rollback(ctx, env, rec.Deployment, r.actor(req.ID))
	h.settleRollbackRequest(ctx, req, rec.ID, res, err)
	if err != nil {
		h.rollbackRefused(ctx, r, a, env, rec, err)
		return
	}
	if res.Kind == switchyard.NeedsConfirmation {
		h.askToConfirmRollback(ctx, r, a, env, rec, res.Plan)
		return
	}
	redeploy := res.Kind == switchyard.Redeployed
	h.done(ctx, r, actRollback, a.Name, env.Name, fmt.Sprintf("%s (%s) %s", rec.ID, res.Kind, res.NewDeploymentID))
	if past != nil {
		h.sayPastLock(ctx, r, rec, *past)
	}
	if a.LockOnRollback {
		h.lockAfterRollback(ctx, r, a, env, rec)
	}
	h.tell(ctx, r.channel, r.user, blocks.RollbackStarted(a.Name, env.Name, rec.ID, res.NewDeploymentID, redeploy))
	h.watch.Watch(ctx, rec.ID)
	if res.NewDeploymentID != "" {
		h.watch.Watch(ctx, res.NewDeploymentID)
	}
}

// sayPastLock tells the channel, in the thread of rec's card, that r.user
// rolled rec back past lock l: /deploy rollback asks nobody first, so the
// card is where everyone learns that the lock did not hold it. Without a
// card the channel is told.
func (h *Handler) sayPastLock(ctx context.Context, r request, rec switchyard.Record, l switchyard.Lock) {
	m := blocks.RolledBackPastLock(r.user, rec.ID, lockInfo(l))
	if rec.CardChannel == "" || rec.CardTS == "" {
		h.announce(ctx, r, m)
		return
	}
	opts := append(msgOptions(m), slack.MsgOptionTS(rec.CardTS))
	if _, _, err := h.slack.PostMessageContext(ctx, rec.CardChannel, opts...); err != nil {
		h.log.Warn("say on the card that a rollback went past a lock", zap.String("deployment_id", rec.ID), zap.Error(err))
		h.announce(ctx, r, m)
	}
}

// rollbackRequest records the rollback of rec that r asked for, confirmed
// at once.
func (h *Handler) rollbackRequest(ctx context.Context, r request, a *config.App, env switchyard.Environment, rec switchyard.Record) (switchyard.Pending, error) {
	now := h.now()
	version := rec.Version
	if version == "" {
		version = "unknown"
	}
	p, err := h.st.CreatePending(ctx, switchyard.Pending{Kind: switchyard.KindRollback, RollbackOf: rec.ID,
		App: a.Name, Env: env.Name, Version: version, RequestedBy: r.user, Channel: r.channel,
		Created: now, Expires: now.Add(h.opts.ApprovalTimeout)})
	if err != nil {
		return p, err
	}
	return h.st.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, switchyard.Change{By: r.user, At: now})
}

// settleRollbackRequest records how the rollback request of deployment id
// ended: linked to the deployment that carries it (the redeployment, or the
// stopped deployment itself, which rolls back within), or failed.
func (h *Handler) settleRollbackRequest(ctx context.Context, p switchyard.Pending, id string, res *switchyard.RollbackResult, err error) {
	ch := switchyard.Change{By: p.RequestedBy, At: h.now()}
	to := switchyard.StateConfirmed
	switch {
	case err != nil:
		to, ch.Error = switchyard.StateFailed, switchyard.ErrorMessage(err)
	case res.Kind == switchyard.NeedsConfirmation:
		to, ch.Error = switchyard.StateCancelled, blocks.RequestOnOwnCard
	case res.Kind == switchyard.Redeployed:
		ch.DeploymentID = res.NewDeploymentID
	default:
		ch.DeploymentID = id
	}
	if _, terr := h.st.Transition(ctx, p.ID, []switchyard.PendingState{switchyard.StateConfirmed}, to, ch); terr != nil {
		h.log.Warn("settle rollback request", zap.String("pending_id", p.ID), zap.Error(terr))
	}
}

// rollbackRefused tells why a rollback of rec did not happen. A deployment
// group busy with a rollback of the same change is said as such.
func (h *Handler) rollbackRefused(ctx context.Context, r request, a *config.App, env switchyard.Environment, rec switchyard.Record, err error) {
	var busy *switchyard.BusyError
	if errors.As(err, &busy) && busy.Active != "" && h.rollsBack(ctx, busy.Active, rec.ID) {
		h.refuse(ctx, r, actRollback, a.Name, env.Name, blocks.AlreadyRollingBack(busy.Active, rec.ID))
		return
	}
	if switchyard.ErrorCode(err) == switchyard.ECONFLICT {
		h.refuse(ctx, r, actRollback, a.Name, env.Name, switchyard.ErrorMessage(err))
		return
	}
	h.fail(ctx, r, actRollback, a.Name, env.Name, err)
}

// rollsBack reports whether deployment active carries a rollback of id: a
// request of the bot's says so, whether or not notify has recorded it yet.
func (h *Handler) rollsBack(ctx context.Context, active, id string) bool {
	if rec, err := h.st.GetDeployment(ctx, active); err == nil && rec.RollbackOf == id {
		return true
	}
	req, err := h.st.FindRequest(ctx, active)
	return err == nil && req.Kind == switchyard.KindRollback && req.RollbackOf == id
}

// askToConfirmRollback posts a confirmation card for a rollback that would
// deploy another task definition family or image repository than the one
// running: only a person who has read that may start it.
func (h *Handler) askToConfirmRollback(ctx context.Context, r request, a *config.App, env switchyard.Environment, rec switchyard.Record, plan *switchyard.Plan) {
	now := h.now()
	p, ok := h.ask(ctx, r, actRollback, switchyard.Pending{Kind: switchyard.KindRollback, RollbackOf: rec.ID,
		App: a.Name, Env: env.Name, Version: plan.Version, Plan: plan,
		RequestedBy: r.user, Channel: r.channel, Created: now, Expires: now.Add(h.opts.ApprovalTimeout)})
	if ok {
		r.ts = p.MessageTS
		h.done(ctx, r, actRollback, a.Name, env.Name, fmt.Sprintf("%s needs confirmation: it deploys %s, request %s", rec.ID, plan.Deploy, p.ID))
	}
}

// keyedMutex is one mutex per key, made on first use.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*sync.Mutex
}

// lock locks key's mutex and returns its unlock.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*sync.Mutex{}
	}
	m := k.m[key]
	if m == nil {
		m = &sync.Mutex{}
		k.m[key] = m
	}
	k.mu.Unlock()
	m.Lock()
	return m.Unlock
}

func (h *Handler) lockAfterRollback(ctx context.Context, r request, a *config.App, env switchyard.Environment, rec switchyard.Record) {
	reason := blocks.RollbackLockReason(a.Name, rec.Version, rec.ID)
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

// cardOf reads the deployment a card's button names and the app and
// environment it belongs to, and checks the click came from a channel the
// environment is handled in. ok is false when the person has been told why
// not (and the click audited as act).
func (h *Handler) cardOf(ctx context.Context, r request, act, id string) (switchyard.Record, *config.App, switchyard.Environment, bool) {
	rec, err := h.st.GetDeployment(ctx, id)
	if err != nil {
		h.fail(ctx, r, act, "", "", err)
		return rec, nil, switchyard.Environment{}, false
	}
	a, ok := h.cfg.Lookup(rec.App)
	if !ok {
		h.refuse(ctx, r, act, rec.App, rec.Env, blocks.NotConfigured(rec.App))
		return rec, nil, switchyard.Environment{}, false
	}
	env, ok := a.Env(rec.Env)
	if !ok {
		h.refuse(ctx, r, act, rec.App, rec.Env, blocks.NoSuchEnv(rec.App, rec.Env))
		return rec, a, env, false
	}
	return rec, a, env, h.inChannel(ctx, r, act, a, env)
}
