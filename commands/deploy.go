package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/config"
)

// openStates are the states of a request that still waits for a click.
var openStates = []switchyard.PendingState{switchyard.StatePending, switchyard.StateApproved}

// requestDeploy handles "/deploy <app> <version> …": every check that
// needs no AWS call first, then the plan, then the card in the channel.
func (h *Handler) requestDeploy(ctx context.Context, r request, c Command) {
	a, ok := h.lookupApp(ctx, r, actDeploy, c.App)
	if !ok {
		return
	}
	env, ok := h.lookupEnv(ctx, r, actDeploy, a, c.Env)
	if !ok || !h.inChannel(ctx, r, actDeploy, a, env) {
		return
	}
	if !h.permit(ctx, r, actDeploy, a, env.Name, a.Access.Deploy, fmt.Sprintf("deploy %s to %s", a.Name, env.Name)) {
		return
	}
	if !h.unlocked(ctx, r, actDeploy, a.Name, env.Name) {
		return
	}
	if c.Config != "" && !h.knownConfig(c.Config) {
		h.refuse(ctx, r, actDeploy, a.Name, env.Name, fmt.Sprintf("I don't know the deployment config `%s`: use canary, linear, all-at-once, %s.",
			c.Config, codeJoin(append(config.PredefinedConfigs(), h.cfg.CustomConfigs...))))
		return
	}
	plan, err := h.dep.Plan(ctx, env, c.Version, deployer.PlanOptions{App: a.Name, Config: c.Config})
	if err != nil {
		h.fail(ctx, r, actDeploy, a.Name, env.Name, fmt.Errorf("plan %s %s to %s: %w", a.Name, c.Version, env.Name, err))
		return
	}
	raw, err := json.Marshal(plan)
	if err != nil {
		h.fail(ctx, r, actDeploy, a.Name, env.Name, fmt.Errorf("encode plan: %w", err))
		return
	}
	now := h.now()
	p, err := h.st.CreatePending(ctx, switchyard.Pending{App: a.Name, Env: env.Name, Version: plan.Version, Plan: raw,
		RequestedBy: r.user, Reason: c.Reason, Channel: r.channel, Created: now, Expires: now.Add(h.opts.ApprovalTimeout)})
	if err != nil {
		h.fail(ctx, r, actDeploy, a.Name, env.Name, err)
		return
	}
	conf := confirmation(p, plan)
	ts, err := h.post(ctx, r.channel, blocks.ConfirmCard(conf))
	if err != nil {
		_, _ = h.st.Transition(ctx, p.ID, openStates, switchyard.StateFailed, switchyard.Change{By: r.user, At: h.now(), Error: "the card could not be posted"})
		h.fail(ctx, r, actDeploy, a.Name, env.Name, switchyard.Wrap(switchyard.EUNAVAILABLE,
			"I couldn't post the confirmation card in this channel; nothing was deployed. Is the bot allowed to post here?", err))
		return
	}
	if err := h.st.SetPendingMessage(ctx, p.ID, r.channel, ts); err != nil {
		h.log.Error("remember the confirmation card", zap.String("pending_id", p.ID), zap.Error(err))
	}
	r.ts = ts
	h.done(ctx, r, actDeploy, a.Name, env.Name, fmt.Sprintf("asked for %s (%s), request %s", plan.Version, plan.Config, p.ID))
}

// knownConfig reports whether name is a predefined or configured custom
// deployment config.
func (h *Handler) knownConfig(name string) bool {
	return slices.Contains(config.PredefinedConfigs(), name) || slices.Contains(h.cfg.CustomConfigs, name)
}

// confirmation is what the card shows of a request and its plan, pending.
func confirmation(p switchyard.Pending, plan *deployer.Plan) blocks.Confirmation {
	c := blocks.Confirmation{
		ID: p.ID, App: p.App, Env: p.Env, Version: plan.Version,
		ImageBefore: plan.ImageNow, ImageAfter: plan.ImageNext,
		Config: plan.Config, ConfigSummary: plan.ConfigWords,
		ReadyWait:      sentence(plan.ReadyWait.String()),
		Termination:    sentence(plan.Termination.String()),
		AutoRollback:   autoRollbackWords(plan.AutoRollback),
		AlreadyRunning: plan.AlreadyRunning,
		RequestedBy:    p.RequestedBy, Reason: p.Reason,
		NeedsApproval: plan.Env.RequireApproval,
		Created:       p.Created, Expires: p.Expires,
		State: blocks.ConfirmPending,
	}
	// An image from another repository must not pass for a new version of
	// the running one: the header names the whole reference and the first
	// note says what changes.
	if from, to, changed := plan.RepositoryChange(); changed {
		c.Version = plan.ImageNext
		c.Notes = append(c.Notes, fmt.Sprintf(":warning: *This changes the image repository:* `%s` → `%s`", blocks.Escape(from), blocks.Escape(to)))
	}
	if plan.RollbackOf != "" {
		c.RollbackOf = plan.RollbackOf
		if from, to, changed := plan.FamilyChange(); changed {
			c.Warnings = append(c.Warnings, fmt.Sprintf("*This deploys another task definition family:* `%s` (the service runs `%s`).",
				blocks.Escape(to), blocks.Escape(from)))
		}
		if from, to, changed := plan.RepositoryChange(); changed {
			c.Warnings = append(c.Warnings, fmt.Sprintf("*This deploys from another image repository:* `%s` (the service runs `%s`).",
				blocks.Escape(to), blocks.Escape(from)))
		}
	}
	if plan.ImageNote != "" {
		c.Notes = append(c.Notes, plan.ImageNote)
	}
	c.Notes = append(c.Notes, plan.Notes...)
	for _, stage := range switchyard.HookStages() {
		if fn := plan.Hooks[stage]; fn != "" {
			c.Hooks = append(c.Hooks, stage+": "+functionName(fn))
		}
	}
	for _, al := range plan.Alarms {
		c.Alarms = append(c.Alarms, switchyard.Alarm{Name: al.Name, State: al.State})
	}
	if plan.ActiveDeployment != "" {
		c.Notes = append(c.Notes, fmt.Sprintf("Deployment %s of this group is still running; Confirm will be refused until it ends.", plan.ActiveDeployment))
	}
	return c
}

// withState is the card after a click or an expiry.
func withState(c blocks.Confirmation, p switchyard.Pending, state blocks.ConfirmState) blocks.Confirmation {
	c.State, c.ActedBy, c.ActedAt = state, p.ChangedBy, p.Changed
	c.Failure = p.Error
	return c
}

func sentence(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func autoRollbackWords(a deployer.AutoRollback) string {
	if !a.Enabled {
		return "CodeDeploy does not roll back by itself; Rollback on the card does"
	}
	var on []string
	for _, e := range a.Events {
		switch e {
		case "DEPLOYMENT_FAILURE":
			on = append(on, "failure")
		case "DEPLOYMENT_STOP_ON_ALARM":
			on = append(on, "alarm")
		case "DEPLOYMENT_STOP_ON_REQUEST":
			on = append(on, "a stop")
		}
	}
	if len(on) == 0 {
		return "CodeDeploy rolls back by itself"
	}
	return "CodeDeploy rolls back by itself on " + strings.Join(on, " or ")
}

// functionName shortens a Lambda ARN to the function's name.
func functionName(fn string) string {
	if _, after, ok := strings.Cut(fn, ":function:"); ok {
		name, _, _ := strings.Cut(after, ":")
		return name
	}
	return fn
}
