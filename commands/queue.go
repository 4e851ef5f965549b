package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
)

// Queues keeps the deploys waiting for their app and environment to be
// free; HandOut gives out one turn per line by compare-and-set, so that
// replicas reacting to the same freedom post one card.
type Queues interface {
	Enqueue(ctx context.Context, q switchyard.Queued) (switchyard.Queued, error)
	GetQueued(ctx context.Context, id string) (switchyard.Queued, error)
	ListQueue(ctx context.Context, app, env string) ([]switchyard.Queued, error)
	ListQueueExpired(ctx context.Context, now time.Time) ([]switchyard.Queued, error)
	HandOut(ctx context.Context, app, env string, at time.Time, hold time.Duration) (switchyard.Queued, bool, error)
	SetQueuedPending(ctx context.Context, id, pendingID string) error
	SettleQueued(ctx context.Context, id string, from []switchyard.QueueState, to switchyard.QueueState, by string, at time.Time) (switchyard.Queued, error)
}

// Actions of the audit trail for the queue.
const (
	actQueue       = "queue"
	actQueueLeave  = "queue_leave"
	actQueueTurn   = "queue_turn"
	actQueueExpire = "queue_expire"
)

// turnHold is how long a turn handed out is held for its card to be
// planned and posted; past it, a turn whose card never came (the replica
// died) goes to the next in line.
const turnHold = 2 * time.Minute

var waitingStates = []switchyard.QueueState{switchyard.QueueWaiting}

// queueOffer is what a Queue me button carries: the deploy as it was
// asked, but for an override (a queued deploy waits for the freeze to
// end instead). It comes back from Slack, so it is read like typed text.
type queueOffer struct {
	App     string `json:"a"`
	Env     string `json:"e"`
	Version string `json:"v"`
	Config  string `json:"c,omitempty"`
	Reason  string `json:"r,omitempty"`
}

// maxButtonValue is Slack's limit on a button's value.
const maxButtonValue = 2000

// offerOf encodes the deploy of c to env for a Queue me button.
func offerOf(c Command, env string) string {
	o := queueOffer{App: c.App, Env: env, Version: c.Version, Config: c.Config, Reason: c.Reason}
	for {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(o); err != nil {
			return ""
		}
		if s := strings.TrimSpace(b.String()); len(s) <= maxButtonValue || o.Reason == "" {
			return s
		}
		o.Reason = string([]rune(o.Reason)[:len([]rune(o.Reason))/2]) + "…"
	}
}

// readOffer checks a Queue me button's value as the parser checks typed
// text, and returns the deploy it asks for.
func readOffer(value string) (Command, bool) {
	var o queueOffer
	if len(value) > maxButtonValue || json.Unmarshal([]byte(value), &o) != nil {
		return Command{}, false
	}
	c := Command{Kind: KindDeploy}
	var bad string
	if c.App, bad = checkName(blocks.FieldApp, o.App); bad != "" {
		return c, false
	}
	if c.Env, bad = checkName(blocks.FieldEnv, o.Env); bad != "" {
		return c, false
	}
	if c.Version, c.VersionKind, bad = checkVersion(o.Version); bad != "" {
		return c, false
	}
	if o.Config != "" {
		if c.Config, bad = checkConfig(o.Config); bad != "" {
			return c, false
		}
	}
	if c.Reason, bad = readReason([]token{{raw: o.Reason, val: o.Reason, quoted: true}}); bad != "" {
		return c, false
	}
	return c, true
}

// queueClick handles Queue me and Leave the queue on a message.
func (h *Handler) queueClick(ctx context.Context, r request, action, value string) {
	switch action {
	case blocks.ActionQueueMe:
		c, ok := readOffer(value)
		if !ok {
			h.refuse(ctx, r, actQueue, "", "", "That Queue me button carries a deploy I can't read; run /deploy again.")
			return
		}
		h.enqueue(ctx, r, c)
	case blocks.ActionQueueLeave:
		h.leaveQueue(ctx, r, value)
	}
}

// enqueue puts the deploy c in line, after the same checks a deploy gets
// (the app, the environment, the channel, the deploy list, the config),
// but for what makes it wait.
func (h *Handler) enqueue(ctx context.Context, r request, c Command) {
	a, ok := h.lookupApp(ctx, r, actQueue, c.App)
	if !ok {
		return
	}
	env, ok := h.lookupEnv(ctx, r, actQueue, a, c.Env)
	if !ok || !h.inChannel(ctx, r, actQueue, a, env) || !h.permit(ctx, r, actDeploy, a, env.Name, a.Access.Deploy) {
		return
	}
	if c.Config != "" && !h.knownConfig(c.Config) {
		h.refuse(ctx, r, actQueue, a.Name, env.Name, blocks.UnknownConfig(c.Config, h.cfg.CustomConfigs))
		return
	}
	now := h.now()
	q, err := h.st.Enqueue(ctx, switchyard.Queued{App: a.Name, Env: env.Name, Version: c.Version, Config: c.Config, Reason: c.Reason,
		RequestedBy: r.user, Channel: r.channel, Created: now, Expires: now.Add(h.opts.QueueTimeout)})
	if switchyard.ErrorCode(err) == switchyard.ECONFLICT {
		if mine, ok := h.placeOf(ctx, a.Name, env.Name, r.user); ok {
			h.tell(ctx, r.channel, r.user, blocks.AlreadyInLine(mine))
		}
		h.audit(ctx, switchyard.AuditEntry{User: r.user, Action: actQueue, App: a.Name, Env: env.Name, Channel: r.channel,
			Result: switchyard.ResultRefused, Detail: "already in the queue"})
		return
	}
	if err != nil {
		h.fail(ctx, r, actQueue, a.Name, env.Name, err)
		return
	}
	info, _ := h.placeOf(ctx, a.Name, env.Name, r.user)
	if info.ID == "" {
		info = blocks.QueueInfo{ID: q.ID, App: q.App, Env: q.Env, Version: q.Version, By: q.RequestedBy, Position: 1, Expires: q.Expires}
	}
	h.tell(ctx, r.channel, r.user, blocks.Queued(info))
	h.done(ctx, r, actQueue, a.Name, env.Name, fmt.Sprintf("%s as %s, number %d", q.Version, q.ID, info.Position))
	h.queueChanged(ctx, a.Name)
}

// placeOf finds user's waiting place in the line of app in env.
func (h *Handler) placeOf(ctx context.Context, app, env, user string) (blocks.QueueInfo, bool) {
	line, err := h.queueInfos(ctx, app, env)
	if err != nil {
		return blocks.QueueInfo{}, false
	}
	for _, q := range line {
		if q.By == user && !q.Handed {
			return q, true
		}
	}
	return blocks.QueueInfo{}, false
}

// queueInfos is the line of app in env as messages show it.
func (h *Handler) queueInfos(ctx context.Context, app, env string) ([]blocks.QueueInfo, error) {
	list, err := h.st.ListQueue(ctx, app, env)
	if err != nil {
		return nil, err
	}
	out := make([]blocks.QueueInfo, 0, len(list))
	for i, q := range list {
		out = append(out, blocks.QueueInfo{ID: q.ID, App: q.App, Env: q.Env, Version: q.Version, By: q.RequestedBy,
			Position: i + 1, Expires: q.Expires, Handed: q.State == switchyard.QueueHanded})
	}
	return out, nil
}

// leaveQueue takes a place out of its line, for the person who queued.
func (h *Handler) leaveQueue(ctx context.Context, r request, id string) {
	q, err := h.st.GetQueued(ctx, id)
	if err != nil {
		h.fail(ctx, r, actQueueLeave, "", "", err)
		return
	}
	if q.RequestedBy != r.user {
		h.refuse(ctx, r, actQueueLeave, q.App, q.Env, blocks.NotYourPlace(q.RequestedBy))
		return
	}
	if _, err := h.st.SettleQueued(ctx, id, waitingStates, switchyard.QueueWithdrawn, r.user, h.now()); err != nil {
		if switchyard.ErrorCode(err) == switchyard.ECONFLICT {
			h.refuse(ctx, r, actQueueLeave, q.App, q.Env, switchyard.ErrorMessage(err))
		} else {
			h.fail(ctx, r, actQueueLeave, q.App, q.Env, err)
		}
		return
	}
	h.tell(ctx, r.channel, r.user, blocks.LeftQueue(q.App, q.Env, q.Version))
	h.done(ctx, r, actQueueLeave, q.App, q.Env, id)
	h.queueChanged(ctx, q.App)
}

// queueChanged shows a line's change where it is listed: the lock's
// message and the Home tab.
func (h *Handler) queueChanged(ctx context.Context, app string) {
	h.refreshLockMessages(ctx, app)
	h.changed(app)
}

// refreshLockMessages rewrites the messages that announced the locks of
// app, so that they list the deploys queued behind them now.
func (h *Handler) refreshLockMessages(ctx context.Context, app string) {
	locks, err := h.st.ListLocks(ctx)
	if err != nil {
		h.log.Warn("list locks", zap.Error(err))
		return
	}
	a, ok := h.cfg.Lookup(app)
	if !ok {
		return
	}
	for _, l := range locks {
		if l.App != app || l.MessageTS == "" {
			continue
		}
		envs := a.EnvNames()
		if l.Env != "" {
			envs = []string{l.Env}
		}
		var lines [][]blocks.QueueInfo
		for _, env := range envs {
			if line, err := h.queueInfos(ctx, app, env); err == nil && len(line) > 0 {
				lines = append(lines, line)
			}
		}
		m := blocks.LockAnnouncement(lockInfo(l), h.underWay(ctx, app, l.Env), lines)
		if err := h.update(ctx, l.Channel, l.MessageTS, m); err != nil {
			h.log.Warn("update the lock's message", zap.String("app", app), zap.Error(err))
		}
	}
}

// kickQueues asks the sweep loop to serve the queues now.
func (h *Handler) kickQueues() {
	select {
	case h.queueKick <- struct{}{}:
	default:
	}
}

// serveQueues hands the next turn of every line whose app and environment
// are free to its first waiting deploy.
func (h *Handler) serveQueues(ctx context.Context) {
	list, err := h.st.ListQueue(ctx, "", "")
	if err != nil {
		h.log.Warn("list the queues", zap.Error(err))
		return
	}
	seen := map[string]bool{}
	for _, q := range list {
		if key := q.App + "/" + q.Env; q.State == switchyard.QueueWaiting && !seen[key] {
			seen[key] = true
			h.serveLine(ctx, q.App, q.Env)
		}
	}
}

// serveLine gives the turn of app in env, if it is free, to the first in
// line: its confirmation card is posted in its channel with a mention, as
// a typed /deploy would post it, after the same checks.
func (h *Handler) serveLine(ctx context.Context, app, env string) {
	if free, err := h.free(ctx, app, env); err != nil || !free {
		if err != nil {
			h.log.Warn("is it free", zap.String("app", app), zap.String("env", env), zap.Error(err))
		}
		return
	}
	q, ok, err := h.st.HandOut(ctx, app, env, h.now(), turnHold)
	if err != nil || !ok {
		if err != nil {
			h.log.Warn("hand out a turn", zap.String("app", app), zap.String("env", env), zap.Error(err))
		}
		return
	}
	r := request{user: q.RequestedBy, channel: q.Channel, turn: true}
	h.audit(ctx, switchyard.AuditEntry{User: q.RequestedBy, Action: actQueueTurn, App: app, Env: env, Channel: q.Channel,
		Result: switchyard.ResultOK, Detail: q.ID})
	c := Command{Kind: KindDeploy, App: q.App, Env: q.Env, Version: q.Version, Config: q.Config, Reason: q.Reason}
	p, ok := h.requestDeploy(ctx, r, c)
	if ok {
		if err := h.st.SetQueuedPending(ctx, q.ID, p.ID); err != nil {
			h.log.Warn("link a turn to its request", zap.String("queued", q.ID), zap.Error(err))
		}
	} else if _, err := h.st.SettleQueued(ctx, q.ID, []switchyard.QueueState{switchyard.QueueHanded}, switchyard.QueueFailed, "", h.now()); err != nil {
		h.log.Warn("close a refused turn", zap.String("queued", q.ID), zap.Error(err))
	}
	h.queueChanged(ctx, app)
}

// free reports whether a deploy of app to env would go ahead now: no
// lock, no freeze, nothing deploying.
func (h *Handler) free(ctx context.Context, app, env string) (bool, error) {
	if l, err := h.lockOf(ctx, app, env); err != nil || l != nil {
		return false, err
	}
	if f, err := h.frozenAt(ctx, app, h.now()); err != nil || f != nil {
		return false, err
	}
	d, err := h.deploying(ctx, app, env)
	return d == nil, err
}

// deploying returns the deploy of app to env that is starting or running,
// or nil.
func (h *Handler) deploying(ctx context.Context, app, env string) (*blocks.UnderWay, error) {
	starting, err := h.st.ListStarting(ctx, app, env)
	if err != nil {
		return nil, err
	}
	if len(starting) > 0 {
		p := starting[0]
		return &blocks.UnderWay{Env: p.Env, Version: p.Version, By: p.RequestedBy}, nil
	}
	recs, err := h.st.ListByApp(ctx, app, env, 5)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		if !rec.Status.Done() {
			return &blocks.UnderWay{Env: rec.Env, Version: rec.Version, By: rec.RequestedBy, DeploymentID: rec.ID}, nil
		}
	}
	return nil, nil
}

// expireQueue closes the places whose time ran out and tells each person:
// nothing is posted for them.
func (h *Handler) expireQueue(ctx context.Context) {
	list, err := h.st.ListQueueExpired(ctx, h.now())
	if err != nil {
		h.log.Warn("list expired places", zap.Error(err))
		return
	}
	for _, q := range list {
		if _, err := h.st.SettleQueued(ctx, q.ID, waitingStates, switchyard.QueueExpired, "", h.now()); err != nil {
			continue // left or handed meanwhile
		}
		h.tell(ctx, q.Channel, q.RequestedBy, blocks.QueueExpired(q.App, q.Env, q.Version, q.Expires))
		h.audit(ctx, switchyard.AuditEntry{User: q.RequestedBy, Action: actQueueExpire, App: q.App, Env: q.Env, Channel: q.Channel,
			Result: switchyard.ResultOK, Detail: q.ID})
		h.queueChanged(ctx, q.App)
	}
}
