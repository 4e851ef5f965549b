// Package commands is what an engineer types and clicks: the Socket Mode
// loop, /deploy and its subcommands, the confirmation card and its buttons,
// the buttons of deployment cards, authorisation, locks, freezes, the deploy
// queue and the audit trail; and the Slack-native ways in: the deploy modal
// (modal.go), the Home tab (home.go, homepub.go) and the Deploy… shortcut.
//
// Every envelope is acked at once, before any work: a slash command with an
// empty ack (Slack then shows nothing until the bot's answer, which arrives
// as an ephemeral message or as the card in the channel), a click with an
// empty ack (Slack ignores ack payloads for block actions). The work runs
// afterwards in a bounded pool of workers that survives a panic in one job.
// Two kinds are answered in their ack, so their work comes first, within
// 2.5 s: a view_submission (the errors under the modal's fields) and a
// block_suggestion (the version menu's options).
//
// The package declares the small interfaces it needs; cmd/bot plugs in
// *slack.Client, the deployer, the store and notify's Notifier. It owns
// requests and locks; deployment records are notify's, made from requests.
package commands

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/config"
)

// Slack is the Web API the handler writes with. Errors are slack-go's
// (slack.SlackErrorResponse, *slack.RateLimitedError).
type Slack interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
	Views
}

// Views opens and updates modals and publishes the Home tab. Errors are
// slack-go's; a trigger past its 3 s is slack.SlackErrorResponse
// expired_trigger_id.
type Views interface {
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	UpdateViewContext(ctx context.Context, view slack.ModalViewRequest, externalID, hash, viewID string) (*slack.ViewResponse, error)
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
}

// Groups reads the members of a Slack user group (usergroups.users.list).
type Groups interface {
	GetUserGroupMembersContext(ctx context.Context, userGroup string, options ...slack.GetUserGroupMembersOption) ([]string, error)
}

// Starter plans and starts deployments. Errors are *switchyard.Error with a
// message safe to show.
type Starter interface {
	Plan(ctx context.Context, env switchyard.Environment, version string, opts switchyard.PlanOptions) (*switchyard.Plan, error)
	Start(ctx context.Context, plan *switchyard.Plan, by switchyard.Actor) (string, error)
}

// Operator rolls back and continues running deployments. Errors are
// *switchyard.Error with a message safe to show.
type Operator interface {
	Rollback(ctx context.Context, env switchyard.Environment, target switchyard.Deployment, by switchyard.Actor) (*switchyard.RollbackResult, error)
	Continue(ctx context.Context, env switchyard.Environment, id string, wait switchyard.Wait, by switchyard.Actor) error
}

// Deployer is everything the handler asks of AWS.
type Deployer interface {
	Starter
	Operator
	HookAnswerer
	Versioner
}

// Pendings keeps deploy requests waiting for a click.
type Pendings interface {
	CreatePending(ctx context.Context, p switchyard.Pending) (switchyard.Pending, error)
	SetPendingMessage(ctx context.Context, id, channel, ts string) error
	GetPending(ctx context.Context, id string) (switchyard.Pending, error)
	// ListStarting lists confirmed requests of app (in env, or any when
	// env is "") whose deployment is not linked yet.
	ListStarting(ctx context.Context, app, env string) ([]switchyard.Pending, error)
	// ListUnlinked lists confirmed requests whose deployment was never
	// linked and that last changed before the time given.
	ListUnlinked(ctx context.Context, before time.Time) ([]switchyard.Pending, error)
	// FindRequest finds the request that started a deployment (ENOTFOUND
	// when none did).
	FindRequest(ctx context.Context, deploymentID string) (switchyard.Pending, error)
}

// Transitions moves deploy requests by compare-and-set; a transition out of
// a state the request is no longer in fails with ECONFLICT.
type Transitions interface {
	Transition(ctx context.Context, id string, from []switchyard.PendingState, to switchyard.PendingState, ch switchyard.Change) (switchyard.Pending, error)
	ListExpired(ctx context.Context, now time.Time) ([]switchyard.Pending, error)
}

// Deployments reads the deployments notify records; the handler never
// writes one (it writes requests, and notify makes records from them).
type Deployments interface {
	GetDeployment(ctx context.Context, id string) (switchyard.Record, error)
}

// History reads deployments for status, history and rollback.
type History interface {
	ListByApp(ctx context.Context, app, env string, limit int) ([]switchyard.Record, error)
}

// Locks takes, releases and reads app locks, and remembers the message
// that announced each (it lists the deploys queued behind it).
type Locks interface {
	Lock(ctx context.Context, l switchyard.Lock) (switchyard.Lock, error)
	Unlock(ctx context.Context, app, env string) (switchyard.Lock, error)
	GetLock(ctx context.Context, app, env string) (switchyard.Lock, bool, error)
	ListLocks(ctx context.Context) ([]switchyard.Lock, error)
	SetLockMessage(ctx context.Context, app, env, channel, ts string) error
}

// Auditor appends to the audit trail and reads it back for /deploy audit.
type Auditor interface {
	Audit(ctx context.Context, e switchyard.AuditEntry) (switchyard.AuditEntry, error)
	// ReadAudit returns the entries q selects, newest first.
	ReadAudit(ctx context.Context, q switchyard.AuditQuery) ([]switchyard.AuditEntry, error)
}

// Store is every part of the store the handler uses; *store.Store is one
// (checked in the package's tests).
type Store interface {
	Pendings
	Transitions
	Deployments
	History
	Locks
	Freezes
	Queues
	Auditor
}

// Watcher is told to look at a deployment now (notify's Notifier). Watch
// must be cheap and must not block.
type Watcher interface {
	Watch(ctx context.Context, deploymentID string)
}

var (
	_ Slack  = (*slack.Client)(nil)
	_ Groups = (*slack.Client)(nil)
)

// Options are the optional settings of a Handler.
type Options struct {
	// Workers is how many jobs run at once (default 8).
	Workers int
	// QueueSize is how many acked jobs may wait for a worker (default 256).
	// When it is full the person is told to try again.
	QueueSize int
	// ApprovalTimeout is how long a confirmation card waits; default the
	// config's ApprovalTimeout, else 15 minutes.
	ApprovalTimeout time.Duration
	// SweepEvery is how often expired confirmations are looked for
	// (default 15 s).
	SweepEvery time.Duration
	// DrainTimeout is how long Run lets queued and running jobs finish after
	// its context ends (default 30 s).
	DrainTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Observer is told what happens, for metrics (default none).
	Observer Observer
	// QueueTimeout is how long a deploy waits in the queue; default the
	// config's QueueTimeout, else 4 hours.
	QueueTimeout time.Duration
	// Home tunes the Home tab's publisher (zero: production defaults).
	Home HomeOptions
}

// Handler turns Slack envelopes into deployer calls. It is safe for
// concurrent use; build it with New.
type Handler struct {
	cfg    *config.Config
	slack  Slack
	dep    Deployer
	st     Store
	watch  Watcher
	log    *zap.Logger
	opts   Options
	groups *groupCache
	now    func() time.Time
	// busy bounds the goroutines that tell people the queue is full.
	busy chan struct{}
	// rollingBack serialises rollbacks per app and environment in this
	// process, so that of a double submit the second sees the first's
	// record and is told, instead of undoing it.
	rollingBack keyedMutex
	// jobDone, when set (by tests), is called after every job.
	jobDone func()
	obs     Observer
	// connected is whether the Socket Mode connection is up.
	connected atomic.Bool
	// versions caches each environment's ECR images for the version menu.
	versions *versionCache
	// home publishes the Home tab of the people who look at it.
	home *homePublisher
	// answering bounds the envelopes whose ack is being computed.
	answering chan struct{}
	// queueKick asks the loop to serve the deploy queues now.
	queueKick chan struct{}
}

// New returns a Handler. It opens no connection.
func New(cfg *config.Config, sl Slack, groups Groups, dep Deployer, st Store, w Watcher, log *zap.Logger, opts Options) *Handler {
	if log == nil {
		log = zap.NewNop()
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 256
	}
	if opts.ApprovalTimeout <= 0 {
		opts.ApprovalTimeout = cfg.ApprovalTimeout
	}
	if opts.ApprovalTimeout <= 0 {
		opts.ApprovalTimeout = 15 * time.Minute
	}
	if opts.SweepEvery <= 0 {
		opts.SweepEvery = 15 * time.Second
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ttl := cfg.GroupCacheTTL
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.QueueTimeout <= 0 {
		opts.QueueTimeout = cfg.QueueTimeout
	}
	if opts.QueueTimeout <= 0 {
		opts.QueueTimeout = 4 * time.Hour
	}
	h := &Handler{
		obs: opts.Observer,
		cfg: cfg, slack: sl, dep: dep, st: st, watch: w, log: log.Named("commands"), opts: opts,
		groups:    newGroupCache(groups, ttl, opts.Now),
		now:       opts.Now,
		busy:      make(chan struct{}, 16),
		versions:  newVersionCache(dep),
		answering: make(chan struct{}, 32),
		queueKick: make(chan struct{}, 1),
	}
	h.home = newHomePublisher(opts.Home, h.publishHome)
	return h
}

// acker is the part of the Socket Mode client that acks envelopes.
type acker interface {
	AckCtx(ctx context.Context, envelopeID string, payload any) error
}

// Run runs the Socket Mode client and handles its envelopes until ctx
// ends, then lets queued jobs finish (up to Options.DrainTimeout). It
// returns the client's error if the connection fails for good (a bad
// token), else nil. The caller must not run client itself.
func (h *Handler) Run(ctx context.Context, client *socketmode.Client) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(ctx) }()

	p := h.startPool(ctx)
	var sweep sync.WaitGroup
	sweep.Add(3)
	go func() {
		defer sweep.Done()
		h.sweepLoop(ctx, p.ctx)
	}()
	go func() {
		defer sweep.Done()
		h.home.run(ctx, p.ctx)
	}()
	go func() {
		defer sweep.Done()
		h.watchHome(ctx)
	}()

	var err error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err = <-runErr:
			if err != nil {
				err = fmt.Errorf("socket mode: %w", err)
			}
			break loop
		case evt, ok := <-client.Events:
			if !ok {
				break loop
			}
			h.dispatch(ctx, client, p, evt)
		}
	}
	cancel()
	sweep.Wait()
	p.drain(h.opts.DrainTimeout)
	return err
}

// dispatch acks an envelope at once and queues its work.
func (h *Handler) dispatch(ctx context.Context, a acker, p *pool, evt socketmode.Event) {
	h.socketEvent(evt)
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		h.ack(ctx, a, evt)
		if !ok {
			return
		}
		p.submit(h, job{user: cmd.UserID, channel: cmd.ChannelID, what: "slash command", run: func(ctx context.Context) {
			h.slash(ctx, cmd)
		}})
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			h.ack(ctx, a, evt)
			return
		}
		h.interactive(ctx, a, p, evt, cb)
	case socketmode.EventTypeEventsAPI:
		h.ack(ctx, a, evt)
		h.event(p, evt)
	case socketmode.EventTypeInvalidAuth, socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage:
		h.log.Warn("socket mode trouble", zap.String("type", string(evt.Type)), zap.Any("data", evt.Data))
	default:
		h.log.Debug("socket mode event", zap.String("type", string(evt.Type)))
	}
}

func (h *Handler) ack(ctx context.Context, a acker, evt socketmode.Event) {
	h.ackWith(ctx, a, evt, nil)
}

// ackWith acks an envelope with a payload (a view_submission's errors, a
// block_suggestion's options), or none.
func (h *Handler) ackWith(ctx context.Context, a acker, evt socketmode.Event, payload any) {
	if evt.Request == nil {
		return
	}
	start := time.Now()
	if err := a.AckCtx(ctx, evt.Request.EnvelopeID, payload); err != nil {
		h.log.Warn("ack failed", zap.String("envelope_id", evt.Request.EnvelopeID), zap.Error(err))
		return
	}
	h.obs.Envelope(string(evt.Type), time.Since(start))
}

func channelOf(cb slack.InteractionCallback) string {
	if cb.Container.ChannelID != "" {
		return cb.Container.ChannelID
	}
	return cb.Channel.ID
}

// sweepLoop sweeps every SweepEvery, and serves the queues when asked,
// until stop ends.
func (h *Handler) sweepLoop(stop, work context.Context) {
	every(stop, h.opts.SweepEvery, h.queueKick, func() {
		if _, err := h.Sweep(work); err != nil {
			h.log.Warn("sweep expired confirmations", zap.Error(err))
		}
	}, func() { h.serveQueues(work) })
}

// every calls tick every d and kicked whenever kick has a value, one at a
// time, until stop ends.
func every(stop context.Context, d time.Duration, kick <-chan struct{}, tick, kicked func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-stop.Done():
			return
		case <-t.C:
			tick()
		case <-kick:
			kicked()
		}
	}
}

// planOf is the plan of a request, or an error for one that has none.
func planOf(p switchyard.Pending) (*switchyard.Plan, error) {
	if p.Plan == nil {
		return nil, fmt.Errorf("deploy request %s has no plan", p.ID)
	}
	return p.Plan, nil
}
