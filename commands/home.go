package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/config"
)

// DeploymentChanged is told by notify (through internal/app) that what it
// knows of a deployment changed: the Home tabs looked at are republished,
// and a deployment that ended frees its app and environment for the next
// in the queue. It must be cheap and must not block.
func (h *Handler) DeploymentChanged(_ context.Context, d switchyard.Deployment) {
	h.changed(d.App)
	if d.Status.Done() {
		h.versions.forget(d.App, d.Env)
		h.kickQueues()
	}
}

// changed says that what the Home tab shows of app changed. Every app is
// on everyone's tab, so every tab looked at is out of date.
func (h *Handler) changed(string) { h.home.changed() }

// publishHome publishes user's Home tab as of now.
func (h *Handler) publishHome(ctx context.Context, user string) error {
	home, err := h.homeOf(ctx, user, true)
	if err != nil {
		h.log.Warn("read the Home tab's state", zap.String("user", user), zap.Error(err))
		return err
	}
	if _, err := h.slack.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: blocks.HomeView(home)}); err != nil {
		h.log.Warn("publish the Home tab", zap.String("user", user), zap.Error(err))
		return fmt.Errorf("publish the Home tab of %s: %w", user, err)
	}
	return nil
}

// homeOf is what user's Home tab shows: every configured app (everyone may
// see what /deploy status shows), with the buttons user may press, each
// decided by the access list its command checks; what each environment
// runs as ECS says when ecsRunning is set.
func (h *Handler) homeOf(ctx context.Context, user string, ecsRunning bool) (blocks.Home, error) {
	now := h.now()
	home := blocks.Home{User: user, Now: now}
	for i := range h.cfg.Apps {
		a, err := h.homeApp(ctx, &h.cfg.Apps[i], user, now, ecsRunning)
		if err != nil {
			return home, err
		}
		home.Apps = append(home.Apps, a)
	}
	return home, nil
}

// homeApp is what a Home tab shows of a as of now, asking ECS what each
// environment runs when ecsRunning is set (else the last success the bot
// knows is shown).
func (h *Handler) homeApp(ctx context.Context, a *config.App, user string, now time.Time, ecsRunning bool) (blocks.HomeApp, error) {
	out := blocks.HomeApp{Name: a.Name}
	here := len(appChannels(a)) > 0
	canDeploy, _ := h.allowed(ctx, user, a.Access.Deploy)
	canLock, _ := h.allowed(ctx, user, a.Access.Lock)
	canRollback, _ := h.allowed(ctx, user, rollbackList(a))
	out.CanDeploy, out.CanLock = canDeploy && here, canLock && here
	recs, err := h.st.ListByApp(ctx, a.Name, "", 20)
	if err != nil {
		return out, err
	}
	h.ownRollbacks(ctx, recs)
	for i, rec := range recs {
		if i == 5 {
			break
		}
		out.Recent = append(out.Recent, blocks.HomeDeployment{Deployment: rec.Deployment, Link: blocks.CardLink(rec.CardChannel, rec.CardTS)})
	}
	if l, err := h.lockOf(ctx, a.Name, ""); err != nil {
		return out, err
	} else if l != nil {
		li := lockInfo(*l)
		out.Lock = &li
	}
	var freeze *blocks.FreezeInfo
	if f, err := h.frozenAt(ctx, a.Name, now); err != nil {
		return out, err
	} else if f != nil {
		fi := freezeInfo(*f)
		freeze = &fi
	}
	for _, name := range a.EnvNames() {
		e := blocks.HomeEnv{Name: name, Freeze: freeze}
		for _, rec := range recs {
			if rec.Env != name {
				continue
			}
			e.CanRollback = canRollback && len(a.Environments[name].Channels) > 0
			if !rec.Status.Done() && e.InFlight == nil {
				e.InFlight = &blocks.HomeDeployment{Deployment: rec.Deployment, Link: blocks.CardLink(rec.CardChannel, rec.CardTS)}
			}
			if rec.Status == switchyard.StatusSucceeded && e.Running == "" {
				e.Running = rec.Version
			}
		}
		if ecsRunning {
			if vs := h.runningNow(ctx, a.Name, a.Environments[name]); vs != "" {
				e.Running = vs
			}
		}
		if e.Queue, err = h.queueInfos(ctx, a.Name, name); err != nil {
			return out, err
		}
		out.Envs = append(out.Envs, e)
	}
	return out, nil
}

// runningNow is the version env runs as ECS says, when it answers within a
// moment (the list of versions is cached), else "".
func (h *Handler) runningNow(ctx context.Context, app string, env switchyard.Environment) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	vs, err := h.versions.get(ctx, app, env, false)
	if err != nil || vs.Running == "" {
		return ""
	}
	for _, img := range vs.Images {
		if vs.Runs(img) {
			return img.Label()
		}
	}
	return switchyard.VersionOf(vs.Running)
}

// homeClick handles a button of the Home tab. Each does what its command
// does, in the app's channel, with the same checks: the buttons shown are
// a courtesy, not the authorisation.
func (h *Handler) homeClick(ctx context.Context, cb slack.InteractionCallback, actionID string) {
	user := cb.User.ID
	defer h.home.touch(user)
	kind, subject := blocks.HomeAction(actionID)
	if len(subject) == 0 {
		return
	}
	if kind == blocks.HomeLeave {
		q, err := h.st.GetQueued(ctx, subject[0])
		if err != nil {
			h.log.Warn("leave the queue from Home", zap.String("user", user), zap.Error(err))
			return
		}
		h.leaveQueue(ctx, request{user: user, channel: q.Channel, team: teamOf(cb)}, q.ID)
		return
	}
	a, ok := h.cfg.Lookup(subject[0])
	if !ok || len(appChannels(a)) == 0 {
		return
	}
	r := request{user: user, channel: appChannels(a)[0], team: teamOf(cb)}
	switch kind {
	case blocks.HomeDeploy:
		h.openDeployModal(ctx, user, cb.TriggerID, "", a.Name)
	case blocks.HomeRollback:
		if len(subject) < 2 {
			return
		}
		if env, ok := a.Env(subject[1]); ok && len(env.Channels) > 0 {
			r.channel = env.Channels[0]
		}
		h.rollbackCommand(ctx, r, Command{Kind: KindRollback, App: a.Name, Env: subject[1]})
	case blocks.HomeLock:
		if _, err := h.slack.OpenViewContext(ctx, cb.TriggerID, blocks.LockModal(a.Name, modalMeta{App: a.Name}.String())); err != nil {
			h.log.Warn("open the lock modal", zap.String("user", user), zap.Error(err))
		}
	case blocks.HomeUnlock:
		l, err := h.lockOf(ctx, a.Name, "")
		if err != nil || l == nil {
			h.refuse(ctx, r, actUnlock, a.Name, "", fmt.Sprintf("%s is not locked.", blocks.Escape(a.Name)))
			return
		}
		h.unlock(ctx, r, Command{Kind: KindUnlock, App: a.Name, Env: l.Env})
	}
}
