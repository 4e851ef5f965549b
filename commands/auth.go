package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/config"
)

// Actions, as the audit trail names them and the access lists decide them.
const (
	actDeploy   = "deploy"
	actApprove  = "approve"
	actConfirm  = "confirm"
	actCancel   = "cancel"
	actExpire   = "expire"
	actStart    = "start"
	actRollback = "rollback"
	actShift    = "shift_now"
	actFinish   = "finish_now"
	actLock     = "lock"
	actUnlock   = "unlock"
	actStatus   = "status"
	actHistory  = "history"
	actList     = "list"
	actHelp     = "help"
	actBadInput = "bad_input"
)

// groupCache remembers user-group members for ttl, so that a burst of
// clicks costs one usergroups.users.list per group.
type groupCache struct {
	api Groups
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[string]groupEntry
}

type groupEntry struct {
	members []string
	at      time.Time
}

func newGroupCache(api Groups, ttl time.Duration, now func() time.Time) *groupCache {
	return &groupCache{api: api, ttl: ttl, now: now, m: map[string]groupEntry{}}
}

func (g *groupCache) members(ctx context.Context, id string) ([]string, error) {
	g.mu.Lock()
	e, ok := g.m[id]
	g.mu.Unlock()
	if ok && g.now().Sub(e.at) < g.ttl {
		return e.members, nil
	}
	users, err := g.api.GetUserGroupMembersContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read members of user group %s: %w", id, err)
	}
	g.mu.Lock()
	g.m[id] = groupEntry{members: users, at: g.now()}
	g.mu.Unlock()
	return users, nil
}

// allowed reports whether user is in list, by user ID or through a user
// group. A group that cannot be read counts as not containing the user;
// the error says so, for the refusal.
func (h *Handler) allowed(ctx context.Context, user string, list []string) (bool, error) {
	if slices.Contains(list, user) {
		return true, nil
	}
	var failed error
	for _, id := range list {
		if !strings.HasPrefix(id, "S") {
			continue
		}
		users, err := h.groups.members(ctx, id)
		if err != nil {
			failed = err
			continue
		}
		if slices.Contains(users, user) {
			return true, nil
		}
	}
	return false, failed
}

// request is who asked for something, where, and from which message.
type request struct {
	user    string
	channel string
	ts      string // the message clicked, if any
}

// refuse tells the person why not, in a message only they see, and audits
// the refusal. Nothing else changes.
func (h *Handler) refuse(ctx context.Context, r request, action, app, env, why string) {
	h.tell(ctx, r.channel, r.user, blocks.Refusal(why))
	h.audit(ctx, switchyard.AuditEntry{User: r.user, Action: action, App: app, Env: env, Channel: r.channel,
		MessageTS: r.ts, Result: switchyard.ResultRefused, Detail: why})
}

// permit checks that r.user is in list for action, and refuses otherwise.
func (h *Handler) permit(ctx context.Context, r request, action string, app *config.App, env string, list []string, doing string) bool {
	ok, err := h.allowed(ctx, r.user, list)
	if ok {
		return true
	}
	why := fmt.Sprintf("You may not %s: you are not on the %s list of %s in the bot's config.", doing, accessName(action), app.Name)
	if err != nil {
		h.log.Warn("user group lookup failed", zap.String("user", r.user), zap.Error(err))
		why = fmt.Sprintf("You may not %s: I couldn't check your user groups with Slack just now. Try again in a minute.", doing)
	}
	h.refuse(ctx, r, action, app.Name, env, why)
	return false
}

func accessName(action string) string {
	switch action {
	case actShift, actFinish, actConfirm:
		return "deploy"
	case actUnlock:
		return "lock"
	}
	return action
}

// rollbackList is who may roll back: the rollback list (the on-call group,
// who may roll back without being allowed to deploy) and, so that whoever
// shipped a bad version can take it back at once, the deploy list.
func rollbackList(a *config.App) []string {
	return append(slices.Clone(a.Access.Rollback), a.Access.Deploy...)
}

// inChannel checks that r happens in a channel the environment is deployed
// from, and refuses otherwise. Direct messages never are: a deploy is done
// where the team sees it.
func (h *Handler) inChannel(ctx context.Context, r request, action string, app *config.App, env switchyard.Environment) bool {
	if slices.Contains(env.Channels, r.channel) {
		return true
	}
	where := blocks.Channels(env.Channels)
	why := fmt.Sprintf("%s in %s is handled in %s only, where the team sees it. Run the command there.", app.Name, env.Name, where)
	if strings.HasPrefix(r.channel, "D") {
		why = fmt.Sprintf("I don't take that in a direct message: %s in %s is handled in %s, where the team sees it.", app.Name, env.Name, where)
	}
	h.refuse(ctx, r, action, app.Name, env.Name, why)
	return false
}

// lookupApp finds the app named in a command, or refuses with the closest
// known name.
func (h *Handler) lookupApp(ctx context.Context, r request, action, name string) (*config.App, bool) {
	if a, ok := h.cfg.Lookup(name); ok {
		return a, true
	}
	h.refuse(ctx, r, action, name, "", h.unknownApp(name))
	return nil, false
}

// unknownApp says that name is no app, with the closest one or the list.
func (h *Handler) unknownApp(name string) string {
	why := fmt.Sprintf("I don't know the app `%s`.", name)
	if s := Suggest(name, h.cfg.Names()); s != "" {
		why += fmt.Sprintf(" Did you mean `%s`?", s)
	} else if names := h.cfg.Names(); len(names) > 0 {
		why += " I know " + codeJoin(names) + "."
	}
	return why
}

// lookupEnv finds the environment named (or the default), or refuses.
func (h *Handler) lookupEnv(ctx context.Context, r request, action string, a *config.App, name string) (switchyard.Environment, bool) {
	if e, ok := a.Env(name); ok {
		return e, true
	}
	why := fmt.Sprintf("%s has no environment `%s`: use %s.", a.Name, name, codeJoin(a.EnvNames()))
	if s := Suggest(name, a.EnvNames()); s != "" {
		why = fmt.Sprintf("%s has no environment `%s`. Did you mean `%s`?", a.Name, name, s)
	}
	h.refuse(ctx, r, action, a.Name, name, why)
	return switchyard.Environment{}, false
}

// lockOf returns the lock that stops app in env, if any.
func (h *Handler) lockOf(ctx context.Context, app, env string) (*switchyard.Lock, error) {
	l, ok, err := h.st.GetLock(ctx, app, env)
	if err != nil || !ok {
		return nil, err
	}
	return &l, nil
}

// unlocked refuses, and reports false, when a lock stops app in env.
func (h *Handler) unlocked(ctx context.Context, r request, action string, app, env string) bool {
	l, err := h.lockOf(ctx, app, env)
	if err != nil {
		h.fail(ctx, r, action, app, env, err)
		return false
	}
	if l == nil {
		return true
	}
	h.lockedOut(ctx, r, action, app, env, *l)
	return false
}

// lockedOut tells the person that lock l stops what they asked of app in
// env, and audits the refusal.
func (h *Handler) lockedOut(ctx context.Context, r request, action, app, env string, l switchyard.Lock) {
	h.tell(ctx, r.channel, r.user, blocks.LockedRefusal(lockInfo(l)))
	h.audit(ctx, switchyard.AuditEntry{User: r.user, Action: action, App: app, Env: env, Channel: r.channel, MessageTS: r.ts,
		Result: switchyard.ResultRefused, Detail: fmt.Sprintf("locked by %s: %s", l.LockedBy, l.Reason)})
}

func lockInfo(l switchyard.Lock) blocks.LockInfo {
	return blocks.LockInfo{App: l.App, Env: l.Env, Reason: l.Reason, By: l.LockedBy, Since: l.Created}
}

func codeJoin(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}
