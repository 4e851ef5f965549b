package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/config"
)

// slash handles one /deploy command, after its ack.
func (h *Handler) slash(ctx context.Context, cmd slack.SlashCommand) {
	r := request{user: cmd.UserID, channel: cmd.ChannelID, team: cmd.TeamID}
	c := Parse(cmd.Text)
	if c.Kind == KindDeploy || c.Kind == KindReply {
		// "/deploy histroy web" reads as a deploy of the app histroy: a
		// first word that is no app but close to a subcommand is a typo.
		if sub, ok := h.mistypedSubcommand(c.App); ok {
			h.refuse(ctx, r, actBadInput, c.App, "", blocks.MistypedSubcommand(c.App, sub))
			return
		}
	}
	switch c.Kind {
	case KindModal:
		h.openDeployModal(ctx, r.user, cmd.TriggerID, r.channel, "")
	case KindReply:
		if a, known := h.cfg.Lookup(c.App); c.App != "" && known {
			// "/deploy web" without a version: the modal, with web chosen.
			h.openDeployModal(ctx, r.user, cmd.TriggerID, r.channel, a.Name)
			return
		}
		if _, known := h.cfg.Lookup(c.App); c.App != "" && !known {
			// A lone unknown word is more likely a mistyped app or
			// subcommand than an app without its version.
			names := h.cfg.Names()
			h.refuse(ctx, r, actBadInput, c.App, "", blocks.UnknownCommand(c.App, Suggest(c.App, names), names))
			return
		}
		h.tell(ctx, r.channel, r.user, blocks.Notice(c.Reply))
		h.audit(ctx, switchyard.AuditEntry{User: r.user, Action: actBadInput, Channel: r.channel, Result: switchyard.ResultRefused, Detail: c.Reply})
	case KindHelp:
		h.tell(ctx, r.channel, r.user, blocks.Help(h.appNames()))
		h.done(ctx, r, actHelp, "", "", c.Topic)
	case KindList:
		h.list(ctx, r)
	case KindStatus:
		h.status(ctx, r, c)
	case KindHistory:
		h.history(ctx, r, c)
	case KindAudit:
		h.auditTrail(ctx, r, c)
	case KindDeploy:
		h.requestDeploy(ctx, r, c)
	case KindFreeze:
		h.freeze(ctx, r, c)
	case KindUnfreeze:
		h.unfreeze(ctx, r, c)
	case KindRollback:
		h.rollbackCommand(ctx, r, c)
	case KindLock:
		h.lock(ctx, r, c)
	case KindUnlock:
		h.unlock(ctx, r, c)
	default:
		h.tell(ctx, r.channel, r.user, blocks.Help(h.appNames()))
	}
}

// mistypedSubcommand returns the subcommand that name, a first word that
// names no app, is most likely a typo of: one close to it, and closer than
// any app's name (a typo of an app is told as such).
func (h *Handler) mistypedSubcommand(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	if _, ok := h.cfg.Lookup(name); ok {
		return "", false
	}
	sub := Suggest(name, Subcommands())
	if sub == "" {
		return "", false
	}
	if app := Suggest(name, h.cfg.Names()); app != "" && levenshtein(name, app) <= levenshtein(name, sub) {
		return "", false
	}
	return sub, true
}

func (h *Handler) appNames() []string {
	var out []string
	for _, a := range h.cfg.Apps {
		out = append(out, a.Name)
	}
	return out
}

func (h *Handler) list(ctx context.Context, r request) {
	var apps []blocks.AppInfo
	for i := range h.cfg.Apps {
		a := &h.cfg.Apps[i]
		info := blocks.AppInfo{Name: a.Name, Aliases: a.Aliases}
		for _, n := range a.EnvNames() {
			e := a.Environments[n]
			info.Envs = append(info.Envs, blocks.EnvInfo{Name: n, Default: n == a.DefaultEnv, Channels: e.Channels, RequireApproval: e.RequireApproval})
		}
		l, err := h.lockOf(ctx, a.Name, "")
		if err != nil {
			h.fail(ctx, r, actList, "", "", err)
			return
		}
		if l != nil {
			info.Locks = append(info.Locks, lockInfo(*l))
		}
		apps = append(apps, info)
	}
	h.tell(ctx, r.channel, r.user, blocks.AppList(apps))
	h.done(ctx, r, actList, "", "", "")
}

func (h *Handler) status(ctx context.Context, r request, c Command) {
	var apps []*config.App
	if c.App != "" {
		a, ok := h.lookupApp(ctx, r, actStatus, c.App)
		if !ok {
			return
		}
		apps = append(apps, a)
	} else {
		for i := range h.cfg.Apps {
			apps = append(apps, &h.cfg.Apps[i])
		}
	}
	var rows []blocks.EnvStatus
	for _, a := range apps {
		for _, env := range a.EnvNames() {
			row := blocks.EnvStatus{App: a.Name, Env: env}
			recs, err := h.st.ListByApp(ctx, a.Name, env, 1)
			if err != nil {
				h.fail(ctx, r, actStatus, a.Name, env, err)
				return
			}
			h.ownRollbacks(ctx, recs)
			if len(recs) > 0 {
				d := recs[0].Deployment
				row.Last = &d
			}
			l, err := h.lockOf(ctx, a.Name, env)
			if err != nil {
				h.fail(ctx, r, actStatus, a.Name, env, err)
				return
			}
			if l != nil {
				li := lockInfo(*l)
				row.Lock = &li
			}
			if f, err := h.frozenAt(ctx, a.Name, h.now()); err == nil && f != nil {
				fi := freezeInfo(*f)
				row.Freeze = &fi
			}
			if row.Queue, err = h.queueInfos(ctx, a.Name, env); err != nil {
				h.fail(ctx, r, actStatus, a.Name, env, err)
				return
			}
			rows = append(rows, row)
		}
	}
	name := ""
	if c.App != "" {
		name = apps[0].Name
	}
	h.tell(ctx, r.channel, r.user, blocks.Status(name, rows, h.now()))
	h.done(ctx, r, actStatus, name, "", "")
}

func (h *Handler) history(ctx context.Context, r request, c Command) {
	a, ok := h.lookupApp(ctx, r, actHistory, c.App)
	if !ok {
		return
	}
	n := c.N
	if n <= 0 {
		n = DefaultHistory
	}
	recs, err := h.st.ListByApp(ctx, a.Name, "", n)
	if err != nil {
		h.fail(ctx, r, actHistory, a.Name, "", err)
		return
	}
	h.ownRollbacks(ctx, recs)
	ds := make([]switchyard.Deployment, len(recs))
	for i, rec := range recs {
		ds[i] = rec.Deployment
	}
	h.tell(ctx, r.channel, r.user, blocks.History(a.Name, ds, h.now()))
	h.done(ctx, r, actHistory, a.Name, "", fmt.Sprintf("%d shown", len(ds)))
}

// auditTrail answers /deploy audit <app> [n] with the app's latest audit
// entries, to whoever may lock the app: the trail names who did what, so
// it is for the people who may stop deploys.
func (h *Handler) auditTrail(ctx context.Context, r request, c Command) {
	a, ok := h.lookupApp(ctx, r, actAudit, c.App)
	if !ok || !h.permit(ctx, r, actAudit, a, "", a.Access.Lock) {
		return
	}
	n := c.N
	if n <= 0 {
		n = DefaultAudit
	}
	entries, err := h.st.ReadAudit(ctx, switchyard.AuditQuery{App: a.Name, Limit: n})
	if err != nil {
		h.fail(ctx, r, actAudit, a.Name, "", err)
		return
	}
	h.tell(ctx, r.channel, r.user, blocks.AuditTrail(a.Name, entries))
	h.done(ctx, r, actAudit, a.Name, "", fmt.Sprintf("%d shown", len(entries)))
}

// lockScope resolves the app and optional environment of lock and unlock
// and checks channel and permission. env is "" for the whole app.
func (h *Handler) lockScope(ctx context.Context, r request, action string, c Command) (*config.App, string, bool) {
	a, ok := h.lookupApp(ctx, r, action, c.App)
	if !ok {
		return nil, "", false
	}
	var channels []string
	if c.Env != "" {
		e, ok := h.lookupEnv(ctx, r, action, a, c.Env)
		if !ok {
			return nil, "", false
		}
		channels = e.Channels
	} else {
		for _, n := range a.EnvNames() {
			channels = append(channels, a.Environments[n].Channels...)
		}
	}
	if !h.inChannel(ctx, r, action, a, switchyard.Environment{Name: c.Env, Channels: channels}) {
		return nil, "", false
	}
	if !h.permit(ctx, r, action, a, c.Env, a.Access.Lock) {
		return nil, "", false
	}
	return a, c.Env, true
}

// lock takes a lock and says so in the channel: a freeze concerns everyone
// who deploys from it.
func (h *Handler) lock(ctx context.Context, r request, c Command) {
	a, env, ok := h.lockScope(ctx, r, actLock, c)
	if !ok {
		return
	}
	l, err := h.st.Lock(ctx, switchyard.Lock{App: a.Name, Env: env, Reason: c.Reason, LockedBy: r.user, Created: h.now()})
	var held *switchyard.LockHeldError
	if errors.As(err, &held) {
		h.tell(ctx, r.channel, r.user, blocks.AlreadyLocked(lockInfo(held.Lock), r.user))
		h.audit(ctx, switchyard.AuditEntry{User: r.user, Action: actLock, App: a.Name, Env: env, Channel: r.channel, MessageTS: r.ts,
			Result: switchyard.ResultRefused, Detail: "already " + held.Error()})
		return
	}
	if err != nil {
		h.fail(ctx, r, actLock, a.Name, env, err)
		return
	}
	m := blocks.LockTaken(lockInfo(l), h.underWay(ctx, a.Name, env)...)
	if ts, err := h.post(ctx, r.channel, m); err != nil {
		h.log.Warn("announce the lock; telling the person instead", zap.String("channel", r.channel), zap.Error(err))
		h.tell(ctx, r.channel, r.user, m)
	} else if err := h.st.SetLockMessage(ctx, a.Name, env, r.channel, ts); err != nil {
		h.log.Warn("remember the lock's message", zap.String("app", a.Name), zap.Error(err))
	}
	h.done(ctx, r, actLock, a.Name, env, c.Reason)
	h.changed(a.Name)
}

// underWay lists the deploys of app in env (every environment when env is
// "") that a lock taken now does not stop. A failure to read them is
// logged: the lock itself holds either way.
func (h *Handler) underWay(ctx context.Context, app, env string) []blocks.UnderWay {
	var out []blocks.UnderWay
	starting, err := h.st.ListStarting(ctx, app, env)
	if err != nil {
		h.log.Warn("list starting deploys", zap.String("app", app), zap.Error(err))
	}
	for _, p := range starting {
		out = append(out, blocks.UnderWay{Env: p.Env, Version: p.Version, By: p.RequestedBy})
	}
	recs, err := h.st.ListByApp(ctx, app, env, 10)
	if err != nil {
		h.log.Warn("list running deploys", zap.String("app", app), zap.Error(err))
	}
	for _, rec := range recs {
		if !rec.Status.Done() {
			out = append(out, blocks.UnderWay{Env: rec.Env, Version: rec.Version, By: rec.RequestedBy, DeploymentID: rec.ID})
		}
	}
	return out
}

func (h *Handler) unlock(ctx context.Context, r request, c Command) {
	a, env, ok := h.lockScope(ctx, r, actUnlock, c)
	if !ok {
		return
	}
	l, err := h.st.Unlock(ctx, a.Name, env)
	if switchyard.ErrorCode(err) == switchyard.ENOTFOUND {
		why := switchyard.ErrorMessage(err)
		if held, _ := h.lockOf(ctx, a.Name, env); held != nil && held.Env != env {
			why = blocks.LockElsewhere(lockInfo(*held))
		}
		h.refuse(ctx, r, actUnlock, a.Name, env, why)
		return
	}
	if err != nil {
		h.fail(ctx, r, actUnlock, a.Name, env, err)
		return
	}
	h.announce(ctx, r, blocks.LockReleased(lockInfo(l), r.user))
	h.done(ctx, r, actUnlock, a.Name, env, "was: "+l.Reason)
	h.changed(a.Name)
	// The app may be free now: the first in its queue gets the turn.
	for _, n := range a.EnvNames() {
		if env == "" || n == env {
			h.serveLine(ctx, a.Name, n)
		}
	}
}

// announce posts m in the channel, falling back to telling the person
// (the bot may not be able to post there).
func (h *Handler) announce(ctx context.Context, r request, m blocks.Message) {
	if _, err := h.post(ctx, r.channel, m); err != nil {
		h.log.Warn("announce failed; telling the person instead", zap.String("channel", r.channel), zap.Error(err))
		h.tell(ctx, r.channel, r.user, m)
	}
}

// ownRollbacks gives each rollback deployment CodeDeploy created because a
// person pressed Rollback that person as its requester, read from the
// record of the deployment it rolls back: the bot's Rollback stops that
// deployment with rollback and CodeDeploy makes the deployment that carries
// it, which is theirs, not CodeDeploy's own after a failure. A rolled-back
// deployment outside recs is looked up; one the store cannot give leaves
// the rollback as CodeDeploy's, which is how it read before.
func (h *Handler) ownRollbacks(ctx context.Context, recs []switchyard.Record) {
	for i := range recs {
		d := &recs[i].Deployment
		if d.Creator != switchyard.CreatorRollback || d.RollbackOf == "" || d.RequestedBy != "" {
			continue
		}
		if j := slices.IndexFunc(recs, func(r switchyard.Record) bool { return r.ID == d.RollbackOf }); j >= 0 {
			d.RequestedBy = recs[j].RolledBackBy
		} else if parent, err := h.st.GetDeployment(ctx, d.RollbackOf); err == nil {
			d.RequestedBy = parent.RolledBackBy
		}
	}
}
