package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/blocks"
)

// click routes one button press by its block: "confirm:<request id>" or
// "deploy:<deployment id>". Anything else is not ours and is ignored.
func (h *Handler) click(ctx context.Context, cb slack.InteractionCallback) {
	r := request{user: cb.User.ID, channel: channelOf(cb), ts: cb.Container.MessageTs}
	if r.ts == "" {
		r.ts = cb.Message.Timestamp
	}
	for _, a := range cb.ActionCallback.BlockActions {
		kind, id, _ := strings.Cut(a.BlockID, ":")
		switch kind {
		case "confirm":
			h.confirmClick(ctx, r, a.ActionID, id)
		case "deploy":
			h.cardClick(ctx, r, a.ActionID, id)
		default:
			h.log.Debug("click on a block that is not ours", zap.String("block_id", a.BlockID))
		}
	}
}

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
		h.refuse(ctx, r, action, p.App, p.Env, fmt.Sprintf("%s is no longer in the bot's config; nothing was deployed.", p.App))
		return
	}
	env, ok := a.Env(p.Env)
	if !ok {
		h.refuse(ctx, r, action, p.App, p.Env, fmt.Sprintf("%s has no environment %s any more; nothing was deployed.", p.App, p.Env))
		return
	}
	// A rollback asked for confirmation (it deploys another family or
	// repository) is the rollback's: it needs no approval, is allowed to
	// whoever may roll back, and no lock holds it back.
	rollback := plan.RollbackOf != ""
	needsApproval := (plan.Env.RequireApproval || env.RequireApproval) && !rollback
	owner := blocks.Mention(p.RequestedBy)
	switch action {
	case blocks.ActionCancel:
		if r.user != p.RequestedBy {
			h.refuse(ctx, r, actCancel, p.App, p.Env, fmt.Sprintf("Only %s, who asked for this deploy, can cancel it.", owner))
			return
		}
		h.cancel(ctx, r, p, plan)
	case blocks.ActionConfirm:
		switch {
		case needsApproval:
			h.refuse(ctx, r, actConfirm, p.App, p.Env, fmt.Sprintf("%s in %s needs a second person: someone allowed to approve presses Approve.", p.App, p.Env))
		case r.user != p.RequestedBy && rollback:
			h.refuse(ctx, r, actRollback, p.App, p.Env, fmt.Sprintf("Only %s, who asked for this rollback, can confirm it.", owner))
		case r.user != p.RequestedBy:
			h.refuse(ctx, r, actConfirm, p.App, p.Env, fmt.Sprintf("Only %s, who asked for this deploy, can confirm it. Run `/deploy` yourself to deploy.", owner))
		case rollback:
			if h.inChannel(ctx, r, actRollback, a, env) &&
				h.permit(ctx, r, actRollback, a, env.Name, rollbackList(a), fmt.Sprintf("roll back %s in %s", a.Name, env.Name)) {
				h.start(ctx, r, p, plan, false)
			}
		case h.inChannel(ctx, r, actConfirm, a, env) &&
			h.permit(ctx, r, actConfirm, a, env.Name, a.Access.Deploy, fmt.Sprintf("deploy %s to %s", a.Name, env.Name)):
			h.start(ctx, r, p, plan, false)
		}
	case blocks.ActionApprove:
		switch {
		case !needsApproval:
			h.refuse(ctx, r, actApprove, p.App, p.Env, fmt.Sprintf("This deploy needs no approval; only %s can confirm it.", owner))
		case r.user == p.RequestedBy:
			h.refuse(ctx, r, actApprove, p.App, p.Env, fmt.Sprintf("You can't approve your own deploy: %s in %s needs a second person allowed to approve.", p.App, p.Env))
		case h.inChannel(ctx, r, actApprove, a, env) &&
			h.permit(ctx, r, actApprove, a, env.Name, a.Access.Approve, fmt.Sprintf("approve deploys of %s to %s", a.Name, env.Name)):
			h.start(ctx, r, p, plan, true)
		}
	default:
		h.log.Debug("unknown action on a confirmation card", zap.String("action_id", action))
	}
}

func (h *Handler) cancel(ctx context.Context, r request, p switchyard.Pending, plan *deployer.Plan) {
	moved, err := h.st.Transition(ctx, p.ID, openStates, switchyard.StateCancelled, switchyard.Change{By: r.user, At: h.now()})
	if err != nil {
		h.lostRace(ctx, r, actCancel, p, plan, err)
		return
	}
	h.setCard(ctx, moved, plan, blocks.ConfirmCancelled)
	h.done(ctx, r, actCancel, p.App, p.Env, "request "+p.ID)
}

// start moves the request to confirmed by compare-and-set (so that of a
// double click, or a Confirm racing a Cancel, exactly one wins; and a lock
// is checked in that same transaction, so a lock taken at the moment of
// Confirm either stops the start or is told that it came too late), shows
// "starting" on the card at once, starts the deployment, records it with
// this card as its live card, and hands it to the watcher. From then on the
// card belongs to notify.
func (h *Handler) start(ctx context.Context, r request, p switchyard.Pending, plan *deployer.Plan, approval bool) {
	action := actConfirm
	ch := switchyard.Change{By: r.user, At: h.now(), RefuseIfLocked: plan.RollbackOf == ""}
	if approval {
		action, ch.ApprovedBy = actApprove, r.user
	}
	moved, err := h.st.Transition(ctx, p.ID, openStates, switchyard.StateConfirmed, ch)
	var held *switchyard.LockHeldError
	if errors.As(err, &held) {
		h.lockedOut(ctx, r, action, p.App, p.Env, held.Lock)
		return
	}
	if err != nil {
		h.lostRace(ctx, r, action, p, plan, err)
		return
	}
	moved.Channel, moved.MessageTS = p.Channel, p.MessageTS
	h.setCard(ctx, moved, plan, blocks.ConfirmStarting)
	h.done(ctx, r, action, p.App, p.Env, "request "+p.ID)

	id, err := h.dep.Start(ctx, plan, p.RequestedBy, p.Channel)
	if err != nil {
		msg := switchyard.ErrorMessage(err)
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
	rec := switchyard.Record{
		Deployment: switchyard.Deployment{
			ID: id, App: p.App, Env: p.Env, Version: plan.Version, ImageBefore: plan.ImageNow, ImageAfter: plan.ImageNext,
			Config: plan.Config, Status: switchyard.StatusCreated, RequestedBy: p.RequestedBy, ConfirmedBy: r.user,
			Created: moved.Changed, Region: plan.Env.Region, Creator: "user", BlueAlive: true,
			RollbackOf: plan.RollbackOf, TaskDefinition: plan.Deploy, PreviousTaskDefinition: plan.TaskDefinition,
		},
		CardChannel: p.Channel, CardTS: p.MessageTS,
	}
	for _, al := range plan.Alarms {
		rec.Alarms = append(rec.Alarms, switchyard.Alarm{Name: al.Name, State: al.State})
	}
	if err := h.record(ctx, rec); err != nil {
		log.Error("record the started deployment", zap.Error(err))
	}
	if _, err := h.st.Transition(ctx, p.ID, []switchyard.PendingState{switchyard.StateConfirmed}, switchyard.StateConfirmed,
		switchyard.Change{By: r.user, At: moved.Changed, DeploymentID: id}); err != nil {
		log.Warn("link request to deployment", zap.String("pending_id", p.ID), zap.Error(err))
	}
	h.watch.Watch(ctx, id)
	h.audit(ctx, switchyard.AuditEntry{User: r.user, Action: actStart, App: p.App, Env: p.Env, Channel: p.Channel,
		MessageTS: p.MessageTS, Result: switchyard.ResultOK, Detail: fmt.Sprintf("%s %s as %s", p.App, plan.Version, id)})
	log.Info("deployment started", zap.String("app", p.App), zap.String("env", p.Env), zap.String("by", r.user))
}

// record stores a deployment the handler started. notify may have found it
// first (it discovers deployments it has no record of); then the record is
// completed with what only the bot knows, keeping what notify observed.
func (h *Handler) record(ctx context.Context, rec switchyard.Record) error {
	_, err := h.st.CreateDeployment(ctx, rec)
	if switchyard.ErrorCode(err) != switchyard.ECONFLICT {
		return err
	}
	_, err = h.st.UpdateDeploymentIf(ctx, rec.ID, switchyard.AnyRev, func(cur *switchyard.Record) error {
		if cur.CardTS == "" {
			cur.CardChannel, cur.CardTS = rec.CardChannel, rec.CardTS
		}
		if cur.RequestedBy == "" {
			cur.RequestedBy = rec.RequestedBy
		}
		if cur.ConfirmedBy == "" {
			cur.ConfirmedBy = rec.ConfirmedBy
		}
		if cur.RollbackOf == "" {
			cur.RollbackOf = rec.RollbackOf
		}
		return nil
	})
	return err
}

// lostRace tells the person whose click came too late what happened
// instead. A request found expired is expired now, card included.
func (h *Handler) lostRace(ctx context.Context, r request, action string, p switchyard.Pending, plan *deployer.Plan, err error) {
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
func (h *Handler) setCard(ctx context.Context, p switchyard.Pending, plan *deployer.Plan, state blocks.ConfirmState) {
	if p.MessageTS == "" {
		return
	}
	c := withState(confirmation(p, plan), p, state)
	if err := h.update(ctx, p.Channel, p.MessageTS, blocks.ConfirmCard(c)); err != nil {
		h.log.Warn("update confirmation card", zap.String("pending_id", p.ID), zap.String("state", string(state)), zap.Error(err))
	}
}

// Sweep expires every open request past its expiry: each moves to expired
// by compare-and-set (a click that won first keeps its result) and its
// card loses its buttons. It returns how many it expired. Run calls it
// every Options.SweepEvery; tests call it after moving the clock.
func (h *Handler) Sweep(ctx context.Context) (int, error) {
	list, err := h.st.ListExpired(ctx, h.now())
	if err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	n := 0
	for _, p := range list {
		plan, err := planOf(p)
		if err != nil {
			h.log.Error("expire request", zap.String("pending_id", p.ID), zap.Error(err))
			plan = &deployer.Plan{Version: p.Version}
		}
		if h.expire(ctx, p, plan) {
			n++
		}
	}
	return n, nil
}

// expire moves p to expired and updates its card; false if p had already
// left the open states.
func (h *Handler) expire(ctx context.Context, p switchyard.Pending, plan *deployer.Plan) bool {
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
