package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
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
	actAudit    = "audit"
	actBadInput = "bad_input"
)

// groupCache remembers user-group members for ttl, so that a burst of
// clicks costs one usergroups.users.list per group. When Slack cannot be
// asked (rate limited, unreachable), members read within groupStale still
// answer: the on-call person's Rollback must not fail because Slack is
// busy, and someone removed from a group keeps its rights at most that
// long after, and only while Slack does not answer.
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

// groupStale is how old the members of a group may be when Slack cannot
// be asked for them now.
const groupStale = time.Hour

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
		if ok && g.now().Sub(e.at) < max(g.ttl, groupStale) && !refusedGroup(err) {
			return e.members, nil
		}
		return nil, fmt.Errorf("read members of user group %s: %w", id, err)
	}
	g.mu.Lock()
	g.m[id] = groupEntry{members: users, at: g.now()}
	g.mu.Unlock()
	return users, nil
}

// refusedGroup reports whether Slack answered that the group is not there
// to read (deleted, disabled, or not the bot's to see): then what it had
// is no longer to be trusted.
func refusedGroup(err error) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && se.Err != "ratelimited"
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
	team    string // the Slack workspace (T…) it came from, "" when unknown
	ts      string // the message clicked, if any
	// turn marks a deploy whose turn in the queue came: its card names
	// the person, so that Slack tells them.
	turn bool
}

// actor is who AWS is told a write is for: the person, where they asked,
// and the deploy request carried out ("" for none).
func (r request) actor(requestID string) switchyard.Actor {
	return switchyard.Actor{User: r.user, Channel: r.channel, Request: requestID, Team: r.team}
}

// teamOf is the workspace an interaction came from.
func teamOf(cb slack.InteractionCallback) string {
	if cb.Team.ID != "" {
		return cb.Team.ID
	}
	return cb.User.TeamID
}

// refuse tells the person why not, in a message only they see, and audits
// the refusal. Nothing else changes.
func (h *Handler) refuse(ctx context.Context, r request, action, app, env, why string) {
	h.tell(ctx, r.channel, r.user, blocks.Refusal(why))
	h.audit(ctx, switchyard.AuditEntry{User: r.user, Action: action, App: app, Env: env, Channel: r.channel,
		MessageTS: r.ts, Result: switchyard.ResultRefused, Detail: why})
}

// permit checks that r.user is in list for action, and refuses otherwise.
func (h *Handler) permit(ctx context.Context, r request, action string, app *config.App, env string, list []string) bool {
	ok, err := h.allowed(ctx, r.user, list)
	if ok {
		return true
	}
	why := blocks.NotOnList(actOf(action), app.Name, env, accessName(action))
	if err != nil {
		h.log.Warn("user group lookup failed", zap.String("user", r.user), zap.Error(err))
		why = blocks.GroupsUnchecked(actOf(action), app.Name, env)
	}
	h.refuse(ctx, r, action, app.Name, env, why)
	return false
}

// actOf is how a refusal names action: a Confirm is a deploy.
func actOf(action string) blocks.Act {
	switch action {
	case actApprove:
		return blocks.ActApprove
	case actRollback:
		return blocks.ActRollback
	case actShift:
		return blocks.ActShift
	case actFinish:
		return blocks.ActFinish
	case actLock:
		return blocks.ActLock
	case actUnlock:
		return blocks.ActUnlock
	case actAudit:
		return blocks.ActAudit
	case actFreeze:
		return blocks.ActFreeze
	case actUnfreeze:
		return blocks.ActUnfreeze
	}
	return blocks.ActDeploy
}

func accessName(action string) string {
	switch action {
	case actShift, actFinish, actConfirm:
		return "deploy"
	case actUnlock, actAudit, actFreeze, actUnfreeze:
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
	why := blocks.NotHere(app.Name, env.Name, env.Channels, strings.HasPrefix(r.channel, "D"))
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
	names := h.cfg.Names()
	return blocks.UnknownApp(name, Suggest(name, names), names)
}

// lookupEnv finds the environment named (or the default), or refuses.
func (h *Handler) lookupEnv(ctx context.Context, r request, action string, a *config.App, name string) (switchyard.Environment, bool) {
	if e, ok := a.Env(name); ok {
		return e, true
	}
	envs := a.EnvNames()
	h.refuse(ctx, r, action, a.Name, name, blocks.UnknownEnv(a.Name, name, Suggest(name, envs), envs))
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
	h.lockedOutOffer(ctx, r, action, app, env, l, "")
}

// lockedOutOffer is lockedOut with a Queue me button carrying offer, when
// not empty.
func (h *Handler) lockedOutOffer(ctx context.Context, r request, action, app, env string, l switchyard.Lock, offer string) {
	mayUnlock := false
	if a, ok := h.cfg.Lookup(app); ok {
		mayUnlock, _ = h.allowed(ctx, r.user, a.Access.Lock)
	}
	h.held(ctx, r, action, app, env, blocks.LockedRefusal(lockInfo(l), r.user, mayUnlock), offer,
		fmt.Sprintf("locked by %s: %s", l.LockedBy, l.Reason))
}

// held tells the person m, why what they asked of app in env waits (a
// lock, a freeze, a deploy under way), with a Queue me button carrying
// offer when not empty, and audits the refusal with detail.
func (h *Handler) held(ctx context.Context, r request, action, app, env string, m blocks.Message, offer, detail string) {
	if offer != "" {
		m = blocks.WithQueueMe(m, offer)
	}
	h.tell(ctx, r.channel, r.user, m)
	h.audit(ctx, switchyard.AuditEntry{User: r.user, Action: action, App: app, Env: env, Channel: r.channel, MessageTS: r.ts,
		Result: switchyard.ResultRefused, Detail: detail})
}

func lockInfo(l switchyard.Lock) blocks.LockInfo {
	return blocks.LockInfo{App: l.App, Env: l.Env, Reason: l.Reason, By: l.LockedBy, Since: l.Created}
}
