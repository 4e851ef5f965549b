package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
)

// confirmClick handles Confirm, Approve and Cancel on a confirmation card.
func (h *Handler) confirmClick(ctx context.Context, r request, action, id string) {
	p, err := h.st.GetPending(ctx, id)
	if err != nil {
		h.fail(ctx, r, action, "", "", err)
		return
	}
	plan, err := planOf(p)
	if err != nil {
		h.fail(ctx, r, action, p.App, p.Env, err)
		return
	}
	if p.MessageTS == "" { // clicked before the card's ts was saved
		p.Channel, p.MessageTS = r.channel, r.ts
	}
	a, ok := h.cfg.Lookup(p.App)
	if !ok {
		h.refuse(ctx, r, action, p.App, p.Env, blocks.AppGone(p.App))
		return
	}
	env, ok := a.Env(p.Env)
	if !ok {
		h.refuse(ctx, r, action, p.App, p.Env, blocks.EnvGone(p.App, p.Env))
		return
	}
	// A rollback asked for confirmation (it deploys another family or
	// repository) is the rollback's: it needs no approval, is allowed to
	// whoever may roll back, and no lock holds it back.
	rollback := p.Kind == switchyard.KindRollback
	// A deploy during a freeze needs a second person from the approve
	// list, like one to an environment that always does.
	needsApproval := (plan.Env.RequireApproval || env.RequireApproval || p.Override != "") && !rollback
	switch action {
	case blocks.ActionCancel:
		if r.user != p.RequestedBy {
			h.refuse(ctx, r, actCancel, p.App, p.Env, blocks.OnlyRequesterCancels(p.RequestedBy, rollback))
			return
		}
		h.cancel(ctx, r, p, plan)
	case blocks.ActionConfirm:
		switch {
		case needsApproval:
			h.refuse(ctx, r, actConfirm, p.App, p.Env, blocks.NeedsApprover(p.App, p.Env))
		case r.user != p.RequestedBy && rollback:
			h.refuse(ctx, r, actRollback, p.App, p.Env, blocks.OnlyRequesterConfirms(p.RequestedBy, true, false))
		case r.user != p.RequestedBy:
			mayDeploy, _ := h.allowed(ctx, r.user, a.Access.Deploy)
			h.refuse(ctx, r, actConfirm, p.App, p.Env, blocks.OnlyRequesterConfirms(p.RequestedBy, false, mayDeploy))
		case rollback:
			if h.inChannel(ctx, r, actRollback, a, env) &&
				h.permit(ctx, r, actRollback, a, env.Name, rollbackList(a)) {
				h.start(ctx, r, p, plan, false)
			}
		case h.inChannel(ctx, r, actConfirm, a, env) &&
			h.permit(ctx, r, actConfirm, a, env.Name, a.Access.Deploy):
			h.start(ctx, r, p, plan, false)
		}
	case blocks.ActionApprove:
		switch {
		case !needsApproval:
			h.refuse(ctx, r, actApprove, p.App, p.Env, blocks.NoApprovalNeeded(p.RequestedBy))
		case r.user == p.RequestedBy:
			h.refuse(ctx, r, actApprove, p.App, p.Env, blocks.OwnApproval(p.App, p.Env))
		case h.inChannel(ctx, r, actApprove, a, env) &&
			h.permit(ctx, r, actApprove, a, env.Name, a.Access.Approve):
			h.start(ctx, r, p, plan, true)
		}
	default:
		h.log.Debug("unknown action on a confirmation card", zap.String("action_id", action))
	}
}

func (h *Handler) cancel(ctx context.Context, r request, p switchyard.Pending, plan *switchyard.Plan) {
	moved, err := h.st.Transition(ctx, p.ID, openStates, switchyard.StateCancelled, switchyard.Change{By: r.user, At: h.now()})
	if err != nil {
		h.lostRace(ctx, r, actCancel, p, plan, err)
		return
	}
	if moved.MessageTS == "" { // clicked before the card's ts was saved
		moved.Channel, moved.MessageTS = p.Channel, p.MessageTS
	}
	h.setCard(ctx, moved, plan, blocks.ConfirmCancelled)
	h.done(ctx, r, actCancel, p.App, p.Env, "request "+p.ID)
	h.kickQueues() // a turn held by this card is over
}

// start moves the request to confirmed by compare-and-set (so that of a
// double click, or a Confirm racing a Cancel, exactly one wins; and a lock
// is checked in that same transaction, so a lock taken at the moment of
// Confirm either stops the start or is told that it came too late), shows
// "starting" on the card at once, starts the deployment with the request's
// id in its description, links the request to it, and hands it to the
// watcher, which makes the deployment's record from the request. From then
// on the card belongs to notify.
func (h *Handler) start(ctx context.Context, r request, p switchyard.Pending, plan *switchyard.Plan, approval bool) {
	action := actConfirm
	deploy := p.Kind != switchyard.KindRollback
	ch := switchyard.Change{By: r.user, At: h.now(), RefuseIfLocked: deploy,
		// Rollbacks are never frozen, nor a deploy whose override was
		// approved: a freeze starting now refuses anything else.
		RefuseIfFrozen: deploy && p.Override == "", Windows: h.cfg.FreezesOf(p.App)}
	if approval {
		action, ch.ApprovedBy = actApprove, r.user
	}
	if a, ok := h.cfg.Lookup(p.App); ok {
		if env, ok := a.Env(p.Env); ok && !sameTarget(plan.Env, env) {
			h.refuse(ctx, r, action, p.App, p.Env, blocks.EnvMoved(p.App, p.Env))
			return
		}
	}
	moved, err := h.st.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, ch)
	var held *switchyard.LockHeldError
	if errors.As(err, &held) {
		h.lockedOut(ctx, r, action, p.App, p.Env, held.Lock)
		return
	}
	if h.confirmFrozen(ctx, r, action, p, err) {
		return
	}
	if err != nil {
		h.lostRace(ctx, r, action, p, plan, err)
		return
	}
	moved.Channel, moved.MessageTS = p.Channel, p.MessageTS
	h.setCard(ctx, moved, plan, blocks.ConfirmStarting)
	h.done(ctx, r, action, p.App, p.Env, "request "+p.ID)

	id, err := h.dep.Start(ctx, plan, request{user: r.user, channel: p.Channel, team: r.team}.actor(p.ID))
	if err != nil {
		msg := startRefused(err)
		failed, terr := h.st.Transition(ctx, p.ID, []switchyard.PendingState{switchyard.StateConfirmed}, switchyard.StateFailed,
			switchyard.Change{By: r.user, At: moved.Changed, Error: msg})
		if terr != nil {
			h.log.Error("mark request failed", zap.String("pending_id", p.ID), zap.Error(terr))
			failed = moved
			failed.Error = msg
		}
		failed.Channel, failed.MessageTS = p.Channel, p.MessageTS
		failed.ChangedBy, failed.Changed = moved.ChangedBy, moved.Changed
		h.setCard(ctx, failed, plan, blocks.ConfirmFailed)
		h.log.Warn("start deployment", zap.String("pending_id", p.ID), zap.Error(err))
		h.audit(ctx, switchyard.AuditEntry{User: r.user, Action: actStart, App: p.App, Env: p.Env, Channel: p.Channel,
			MessageTS: p.MessageTS, Result: switchyard.ResultFailed, Detail: msg})
		return
	}
	log := h.log.With(zap.String("deployment_id", id))
	if _, err := h.st.Transition(ctx, p.ID, []switchyard.PendingState{switchyard.StateConfirmed}, switchyard.StateConfirmed,
		switchyard.Change{By: r.user, At: moved.Changed, DeploymentID: id}); err != nil {
		// notify still finds the request by the id in the description.
		log.Warn("link request to deployment", zap.String("pending_id", p.ID), zap.Error(err))
	}
	h.watch.Watch(ctx, id)
	h.changed(p.App)
	h.audit(ctx, switchyard.AuditEntry{User: r.user, Action: actStart, App: p.App, Env: p.Env, Channel: p.Channel,
		MessageTS: p.MessageTS, Result: switchyard.ResultOK, Detail: fmt.Sprintf("%s %s as %s", p.App, plan.Version, id)})
	log.Info("deployment started", zap.String("app", p.App), zap.String("env", p.Env), zap.String("by", r.user))
}

// sameTarget reports whether a plan made for was is still right for the
// environment the config names now: the same service and container, the
// same CodeDeploy group, and the same role (and so account). A plan made
// before the environment named a role would otherwise run with the bot's
// own credentials, in the bot's own account.
func sameTarget(was, now switchyard.Environment) bool {
	return was.Region == now.Region && was.Cluster == now.Cluster && was.Service == now.Service &&
		was.Container == now.Container && was.Application == now.Application &&
		was.DeploymentGroup == now.DeploymentGroup && was.RoleARN == now.RoleARN && was.ExternalID == now.ExternalID
}

// startRefused is why a start failed, as the card says it after "Nothing
// was deployed.": a group busy with another deployment in words of the
// bot's, anything else as the deployer's safe message.
func startRefused(err error) string {
	var busy *switchyard.BusyError
	if errors.As(err, &busy) {
		return blocks.GroupBusy(busy.Active)
	}
	return switchyard.ErrorMessage(err)
}

// lostRace tells the person whose click came too late what happened
// instead. A request found expired is expired now, card included.
func (h *Handler) lostRace(ctx context.Context, r request, action string, p switchyard.Pending, plan *switchyard.Plan, err error) {
	var se *switchyard.StateError
	if errors.As(err, &se) && se.State == switchyard.StateExpired {
		h.expire(ctx, p, plan)
	}
	if switchyard.ErrorCode(err) == switchyard.ECONFLICT {
		h.refuse(ctx, r, action, p.App, p.Env, switchyard.ErrorMessage(err))
		return
	}
	h.fail(ctx, r, action, p.App, p.Env, err)
}

// setCard rewrites the confirmation card for the request's new state.
func (h *Handler) setCard(ctx context.Context, p switchyard.Pending, plan *switchyard.Plan, state blocks.ConfirmState) {
	if p.MessageTS == "" {
		return
	}
	c := withState(confirmation(p, plan), p, state)
	if err := h.update(ctx, p.Channel, p.MessageTS, blocks.ConfirmCard(c)); err != nil {
		h.log.Warn("update confirmation card", zap.String("pending_id", p.ID), zap.String("state", string(state)), zap.Error(err))
	}
}

// startCutShort is how long a confirmed request may wait for AWS's answer
// before the sweeper takes it for a start cut short (the process died in
// between): far longer than any start takes.
const startCutShort = 5 * time.Minute

// Sweep expires every open request past its expiry: each moves to expired
// by compare-and-set (a click that won first keeps its result) and its
// card loses its buttons. It also closes requests confirmed long ago that
// were never linked to a deployment, so that nothing waits on them, closes
// the places in the queue whose time ran out, and gives the turn of every
// free line to its first place. It returns how many requests it expired.
// Run calls it every Options.SweepEvery; tests call it after moving the
// clock.
func (h *Handler) Sweep(ctx context.Context) (int, error) {
	h.closeCutShort(ctx)
	// Places in the queue: expired ones are told first, so that a turn
	// never goes to a place whose time ran out; then every free line gets
	// its turn (a freeze ended, a lock was lifted on another replica).
	defer h.serveQueues(ctx)
	h.expireQueue(ctx)
	list, err := h.st.ListExpired(ctx, h.now())
	if err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	n := 0
	for _, p := range list {
		plan, err := planOf(p)
		if err != nil {
			h.log.Error("expire request", zap.String("pending_id", p.ID), zap.Error(err))
			plan = &switchyard.Plan{Version: p.Version}
		}
		if h.expire(ctx, p, plan) {
			n++
		}
	}
	return n, nil
}

// closeCutShort fails the requests whose start was cut short. A deployment
// that AWS did create for one is still found by notify through the request
// id in its description.
func (h *Handler) closeCutShort(ctx context.Context) {
	list, err := h.st.ListUnlinked(ctx, h.now().Add(-startCutShort))
	if err != nil {
		h.log.Warn("list requests cut short", zap.Error(err))
		return
	}
	for _, p := range list {
		_, err := h.st.Transition(ctx, p.ID, []switchyard.PendingState{switchyard.StateConfirmed}, switchyard.StateFailed,
			switchyard.Change{At: h.now(), Error: blocks.RequestCutShort})
		if err != nil && switchyard.ErrorCode(err) != switchyard.ECONFLICT {
			h.log.Warn("close a request cut short", zap.String("pending_id", p.ID), zap.Error(err))
		}
	}
}

// expire moves p to expired and updates its card; false if p had already
// left the open states.
func (h *Handler) expire(ctx context.Context, p switchyard.Pending, plan *switchyard.Plan) bool {
	moved, err := h.st.Transition(ctx, p.ID, openStates, switchyard.StateExpired, switchyard.Change{At: h.now()})
	if err != nil {
		if switchyard.ErrorCode(err) != switchyard.ECONFLICT {
			h.log.Warn("expire request", zap.String("pending_id", p.ID), zap.Error(err))
		}
		return false
	}
	if moved.MessageTS == "" {
		moved.Channel, moved.MessageTS = p.Channel, p.MessageTS
	}
	h.setCard(ctx, moved, plan, blocks.ConfirmExpired)
	h.audit(ctx, switchyard.AuditEntry{Action: actExpire, App: p.App, Env: p.Env, Channel: moved.Channel, MessageTS: moved.MessageTS,
		Result: switchyard.ResultOK, Detail: "request " + p.ID + " of " + blocks.Mention(p.RequestedBy)})
	return true
}
