package commands

import (
	"context"
	"fmt"
	"slices"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/config"
)

// openStates are the states of a request that still waits for a click.
var openStates = []switchyard.PendingState{switchyard.StatePending, switchyard.StateApproved}

// requestDeploy handles "/deploy <app> <version> …", a submitted deploy
// modal and a turn in the queue alike: every check that needs no AWS call
// first, then the plan, then the card in the channel. A lock, a freeze or
// a deploy under way refuses with a Queue me button. It returns the
// request, and whether its card was posted.
func (h *Handler) requestDeploy(ctx context.Context, r request, c Command) (switchyard.Pending, bool) {
	a, ok := h.lookupApp(ctx, r, actDeploy, c.App)
	if !ok {
		return switchyard.Pending{}, false
	}
	env, ok := h.lookupEnv(ctx, r, actDeploy, a, c.Env)
	if !ok || !h.inChannel(ctx, r, actDeploy, a, env) {
		return switchyard.Pending{}, false
	}
	if !h.permit(ctx, r, actDeploy, a, env.Name, a.Access.Deploy) {
		return switchyard.Pending{}, false
	}
	if c.Config != "" && !h.knownConfig(c.Config) {
		h.refuse(ctx, r, actDeploy, a.Name, env.Name, blocks.UnknownConfig(c.Config, append(config.PredefinedConfigs(), h.cfg.CustomConfigs...)))
		return switchyard.Pending{}, false
	}
	if !h.mayGoAhead(ctx, r, c, a.Name, env.Name) {
		return switchyard.Pending{}, false
	}
	plan, err := h.dep.Plan(ctx, env, c.Version, switchyard.PlanOptions{App: a.Name, Config: c.Config})
	if err != nil {
		h.fail(ctx, r, actDeploy, a.Name, env.Name, fmt.Errorf("plan %s %s to %s: %w", a.Name, c.Version, env.Name, err))
		return switchyard.Pending{}, false
	}
	now := h.now()
	p, ok := h.ask(ctx, r, actDeploy, switchyard.Pending{App: a.Name, Env: env.Name, Version: plan.Version, Plan: plan,
		RequestedBy: r.user, Reason: c.Reason, Override: c.Override, Channel: r.channel, Created: now, Expires: now.Add(h.opts.ApprovalTimeout)})
	if ok {
		r.ts = p.MessageTS
		h.done(ctx, r, actDeploy, a.Name, env.Name, fmt.Sprintf("asked for %s (%s), request %s", plan.Version, plan.Config, p.ID))
	}
	return p, ok
}

// mayGoAhead refuses, and reports false, when a lock, a freeze (unless
// overridden) or a deploy under way stops a deploy of app to env now; the
// refusal offers to queue it. An override without a freeze is refused
// too: it would ask an approver for nothing.
func (h *Handler) mayGoAhead(ctx context.Context, r request, c Command, app, env string) bool {
	offer := offerOf(c, env)
	l, err := h.lockOf(ctx, app, env)
	if err != nil {
		h.fail(ctx, r, actDeploy, app, env, err)
		return false
	}
	if l != nil {
		h.lockedOutOffer(ctx, r, actDeploy, app, env, *l, offer)
		return false
	}
	f, err := h.frozenAt(ctx, app, h.now())
	switch {
	case err != nil:
		h.fail(ctx, r, actDeploy, app, env, err)
		return false
	case f != nil && c.Override == "":
		h.frozenOut(ctx, r, actDeploy, app, env, *f, offer)
		return false
	case f == nil && c.Override != "":
		h.refuse(ctx, r, actDeploy, app, env, blocks.OverrideWithoutFreeze(app))
		return false
	}
	u, err := h.deploying(ctx, app, env)
	if err != nil {
		h.fail(ctx, r, actDeploy, app, env, err)
		return false
	}
	if u != nil {
		h.held(ctx, r, actDeploy, app, env, blocks.AlreadyDeploying(app, env, u.Version, u.By, u.DeploymentID), offer,
			fmt.Sprintf("already deploying %s %s", u.Version, u.DeploymentID))
		return false
	}
	return true
}

// ask records request p and posts its confirmation card in the channel,
// where it waits for a click. ok is false when either failed; the person
// was told, and a request whose card could not be posted is failed.
func (h *Handler) ask(ctx context.Context, r request, action string, p switchyard.Pending) (switchyard.Pending, bool) {
	p, err := h.st.CreatePending(ctx, p)
	if err != nil {
		h.fail(ctx, r, action, p.App, p.Env, err)
		return p, false
	}
	card := blocks.ConfirmCard(confirmation(p, p.Plan))
	if r.turn {
		card = blocks.TurnCame(card, p.RequestedBy, p.App, p.Env)
	}
	ts, err := h.post(ctx, r.channel, card)
	if err != nil {
		_, _ = h.st.Transition(ctx, p.ID, openStates, switchyard.StateFailed, switchyard.Change{By: r.user, At: h.now(), Error: blocks.RequestCardNotPosted})
		h.fail(ctx, r, action, p.App, p.Env, switchyard.Wrap(switchyard.EUNAVAILABLE, blocks.CardNotPosted(p.Kind == switchyard.KindRollback), err))
		return p, false
	}
	if err := h.st.SetPendingMessage(ctx, p.ID, r.channel, ts); err != nil {
		h.log.Error("remember the confirmation card", zap.String("pending_id", p.ID), zap.Error(err))
	}
	p.Channel, p.MessageTS = r.channel, ts
	h.changed(p.App)
	return p, true
}

// knownConfig reports whether name is a predefined or configured custom
// deployment config.
func (h *Handler) knownConfig(name string) bool {
	return slices.Contains(config.PredefinedConfigs(), name) || slices.Contains(h.cfg.CustomConfigs, name)
}

// confirmation is what the card shows of a request and its plan, pending.
func confirmation(p switchyard.Pending, plan *switchyard.Plan) blocks.Confirmation {
	return blocks.ConfirmationOf(p, plan)
}

// withState is the card after a click or an expiry.
func withState(c blocks.Confirmation, p switchyard.Pending, state blocks.ConfirmState) blocks.Confirmation {
	c.State, c.ActedBy, c.ActedAt = state, p.ChangedBy, p.Changed
	c.Failure = p.Error
	return c
}
