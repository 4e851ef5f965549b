package commands

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/awssim"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
	"github.com/switchyard/switchyard/store"
)

// Users and channels of the Slack simulator's default workspace, plus
// #random, where everyone and the bot are but no app is deployed from.
const (
	alice    = "U0ALICE"
	bob      = "U0BOB"
	carol    = "U0CAROL"
	dave     = "U0DAVE"
	deploys  = "C0DEPLOYS"
	random   = "C0RANDOM"
	aliceDM  = "D0ALICE"
	cmdName  = "/deploy"
	oncallID = "S0ONCALL"
)

// The real store is what cmd/bot plugs in as the handler's Store.
var _ Store = (*store.Store)(nil)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fakeWatcher stands in for notify: it remembers the deployments it is
// told to look at and, as notify's first look would, records a deployment
// it has no record of from the request that started it (with no AWS state:
// these tests are about commands).
type fakeWatcher struct {
	mu  sync.Mutex
	ids []string
	st  *store.Store
}

func (w *fakeWatcher) Watch(ctx context.Context, id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ids = append(w.ids, id)
	if w.st == nil {
		return
	}
	if _, err := w.st.GetDeployment(ctx, id); err == nil {
		return
	}
	req, err := w.st.FindRequest(ctx, id)
	if err != nil {
		return
	}
	rec := switchyard.Record{Deployment: switchyard.Deployment{ID: id, App: req.App, Env: req.Env, Version: req.Version,
		Status: switchyard.StatusCreated, RequestedBy: req.RequestedBy, Created: req.Changed}, CardChannel: req.Channel, CardTS: req.MessageTS}
	if req.Kind == switchyard.KindRollback {
		rec.RollbackOf = req.RollbackOf
	}
	_, _ = w.st.CreateDeployment(ctx, rec)
}

func (w *fakeWatcher) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.ids...)
}

// countingDeployer counts every call that would reach AWS.
type countingDeployer struct {
	Deployer
	plans, starts, rollbacks, continues atomic.Int64
	// planHook, when set, runs at the start of Plan (to make it panic).
	planHook func()
}

func (d *countingDeployer) Plan(ctx context.Context, env switchyard.Environment, version string, o switchyard.PlanOptions) (*switchyard.Plan, error) {
	d.plans.Add(1)
	if d.planHook != nil {
		d.planHook()
	}
	return d.Deployer.Plan(ctx, env, version, o)
}

func (d *countingDeployer) Start(ctx context.Context, p *switchyard.Plan, by switchyard.Actor) (string, error) {
	d.starts.Add(1)
	return d.Deployer.Start(ctx, p, by)
}

func (d *countingDeployer) Rollback(ctx context.Context, env switchyard.Environment, target switchyard.Deployment, by switchyard.Actor) (*switchyard.RollbackResult, error) {
	d.rollbacks.Add(1)
	return d.Deployer.Rollback(ctx, env, target, by)
}

func (d *countingDeployer) Continue(ctx context.Context, env switchyard.Environment, id string, w switchyard.Wait, by switchyard.Actor) error {
	d.continues.Add(1)
	return d.Deployer.Continue(ctx, env, id, w, by)
}

func (d *countingDeployer) awsCalls() int64 {
	return d.plans.Load() + d.starts.Load() + d.rollbacks.Load() + d.continues.Load()
}

// world is the whole product but notify: the real slack-go client over
// Socket Mode against the Slack simulator, the real deployer against the
// AWS simulator, the real store in a temporary directory.
type world struct {
	t     testing.TB
	slack *slacksim.Server
	aws   *awssim.Sim
	st    *store.Store
	cfg   *config.Config
	dep   *countingDeployer
	watch *fakeWatcher
	clock *simtest.Clock
	h     *Handler
	// stop ends Run and waits for it to return.
	stop func()

	mu       sync.Mutex
	cond     *sync.Cond
	sent     int // jobs handed to the handler
	finished int // jobs it finished
}

type worldOptions struct {
	log  *zap.Logger
	opts Options
	// wrap, when set, stands between the handler and the real store, to
	// step in at a chosen moment.
	wrap func(Store) Store
	// config, when set, changes the config before the handler reads it.
	config func(*config.Config)
}

func newWorld(t testing.TB, wo worldOptions) *world {
	t.Helper()
	w := &world{t: t, clock: simtest.NewClock(t0), watch: &fakeWatcher{}}
	w.cond = sync.NewCond(&w.mu)

	w.aws = simtest.AWS(t, "commands/testdata/world.yaml", t0)
	w.cfg = simtest.Config(t, "commands/testdata/switchyard.yaml")
	if wo.config != nil {
		wo.config(w.cfg)
	}

	ws := slacksim.DefaultWorkspace()
	ws.Channels = append(ws.Channels, slacksim.Channel{ID: random, Name: "random",
		Members: []string{alice, bob, carol, dave, ws.Bot.UserID}})
	w.slack = simtest.Slack(t, slacksim.Options{Workspace: ws, PingInterval: 500 * time.Millisecond})
	ctx := context.Background()
	w.st, _ = simtest.Store(t, w.clock.Now)
	w.watch.st = w.st
	t.Cleanup(func() { _ = w.st.Close() })

	log := wo.log
	if log == nil {
		log = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}
	w.dep = &countingDeployer{Deployer: deployer.NewFromConfig(w.aws.Config(), log, deployer.Options{Now: w.aws.Clock().Now})}
	api := slack.New(w.slack.BotToken(), slack.OptionAPIURL(w.slack.URL()), slack.OptionAppLevelToken(w.slack.AppToken()))
	opts := wo.opts
	opts.Now = w.clock.Now
	var st Store = w.st
	if wo.wrap != nil {
		st = wo.wrap(st)
	}
	w.h = New(w.cfg, api, api, w.dep, st, w.watch, log, opts)
	w.h.jobDone = func() {
		w.mu.Lock()
		w.finished++
		w.mu.Unlock()
		w.cond.Broadcast()
	}

	sm := socketmode.New(api, socketmode.OptionPingInterval(5*time.Second))
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.h.Run(runCtx, sm) }()
	var once sync.Once
	w.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(w.stop)
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	must(t, w.slack.WaitConnections(wctx, 1))
	return w
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ctx10(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// slash types a command and waits until the bot has finished with it.
func (w *world) slash(user, channel, text string) slacksim.AckResult {
	w.t.Helper()
	res := w.slashAsync(user, channel, text)
	w.settle()
	return res
}

// slashAsync types a command and returns once it is acked.
func (w *world) slashAsync(user, channel, text string) slacksim.AckResult {
	w.t.Helper()
	w.expect(1)
	res, err := w.slack.Slash(ctx10(w.t), slacksim.SlashRequest{UserID: user, ChannelID: channel, Command: cmdName, Text: text})
	if err != nil {
		w.t.Fatalf("slash %q: %v", text, err)
	}
	if len(res.Ack) != 0 && string(res.Ack) != "null" {
		w.t.Fatalf("slash ack carries %s; it should be empty", res.Ack)
	}
	return res
}

// click presses a button and waits until the bot has finished with it.
func (w *world) click(user, ts, action string) {
	w.t.Helper()
	w.expect(1)
	if _, err := w.slack.Click(ctx10(w.t), slacksim.ClickRequest{UserID: user, ChannelID: deploys, MessageTS: ts, ActionID: action}); err != nil {
		w.t.Fatalf("click %s by %s: %v", action, user, err)
	}
	w.settle()
}

// clicks presses buttons at the same time, then waits for all of them. It
// returns how many presses reached the bot: one that found its button gone
// lost before the bot saw it, and is told nothing.
func (w *world) clicks(ts string, presses ...[2]string) int {
	w.t.Helper()
	w.expect(len(presses))
	var wg sync.WaitGroup
	errs := make(chan error, len(presses))
	for _, p := range presses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.slack.Click(ctx10(w.t), slacksim.ClickRequest{UserID: p[0], ChannelID: deploys, MessageTS: ts, ActionID: p[1]})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	delivered := 0
	for err := range errs {
		// A press that found the button gone lost to one that took it
		// away first, as a person's would in Slack: nothing to wait for.
		if errors.Is(err, slacksim.ErrNoSuchButton) {
			w.expect(-1)
			continue
		}
		must(w.t, err)
		delivered++
	}
	w.settle()
	return delivered
}

func (w *world) expect(n int) {
	w.mu.Lock()
	w.sent += n
	w.mu.Unlock()
}

// settle waits until every job handed to the handler has finished.
func (w *world) settle() {
	w.t.Helper()
	deadline := time.AfterFunc(10*time.Second, func() { w.cond.Broadcast() })
	defer deadline.Stop()
	start := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.finished < w.sent {
		if time.Since(start) > 10*time.Second {
			w.t.Fatalf("only %d of %d jobs finished", w.finished, w.sent)
		}
		w.cond.Wait()
	}
}

// channelMessages are the messages everyone sees in a channel.
func (w *world) channelMessages(channel string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range w.slack.Messages(channel) {
		if m.EphemeralTo == "" {
			out = append(out, m)
		}
	}
	return out
}

// ephemerals are the messages only user saw in channel.
func (w *world) ephemerals(channel, user string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range w.slack.Messages(channel) {
		if m.EphemeralTo == user {
			out = append(out, m)
		}
	}
	return out
}

// lastEphemeral is the text of the last message only user saw in channel.
func (w *world) lastEphemeral(channel, user string) string {
	w.t.Helper()
	es := w.ephemerals(channel, user)
	if len(es) == 0 {
		w.t.Fatalf("%s was told nothing in %s", user, channel)
	}
	return es[len(es)-1].Text
}

// card is the latest message the bot posted in #deploys.
func (w *world) card() slacksim.Message {
	w.t.Helper()
	ms := w.channelMessages(deploys)
	if len(ms) == 0 {
		w.t.Fatal("no message in #deploys")
	}
	return ms[len(ms)-1]
}

// request asks for a deploy and returns the card's ts.
func (w *world) request(user, text string) string {
	w.t.Helper()
	before := len(w.channelMessages(deploys))
	w.slash(user, deploys, text)
	ms := w.channelMessages(deploys)
	if len(ms) != before+1 {
		w.t.Fatalf("%q posted %d messages; told %s: %v", text, len(ms)-before, user, w.ephemerals(deploys, user))
	}
	return ms[len(ms)-1].TS
}

// actions lists the action_ids of a message's buttons.
func actions(m slacksim.Message) []string { return simtest.Buttons(m) }

// shown is what Slack shows of a message's blocks.
func shown(m slacksim.Message) string { return simtest.Shown(m) }

// wantIn fails unless every want is in s.
func wantIn(t *testing.T, what, s string, want ...string) {
	t.Helper()
	simtest.WantIn(t, what, s, want...)
}

// audits returns the audit trail, oldest first.
func (w *world) audits() []switchyard.AuditEntry {
	w.t.Helper()
	es, err := w.st.RecentAudit(context.Background(), 200)
	must(w.t, err)
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

func (w *world) lastAudit() switchyard.AuditEntry {
	w.t.Helper()
	es := w.audits()
	if len(es) == 0 {
		w.t.Fatal("the audit trail is empty")
	}
	return es[len(es)-1]
}
