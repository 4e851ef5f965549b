package notify

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/awssim"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/setup"
	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
	"github.com/switchyard/switchyard/store"
)

// The real store is what cmd/bot plugs in as the notifier's Store.
var _ Store = (*store.Store)(nil)

const channel = "C0DEPLOYS"

// rig is the whole product around a Notifier: the AWS simulator with the
// real SDK and deployer, the Slack simulator with slack-go, and a store.
type rig struct {
	t        testing.TB
	aws      *awssim.Sim
	slack    *slacksim.Server
	sc       *slack.Client
	cfg      *config.Config
	store    *store.Store
	dbPath   string
	dep      *deployer.Deployer // what commands and cmd/bot plug in
	sqs      *sqs.Client
	cd       *codedeploy.Client
	queueURL string
	awsCalls *atomic.Int64
	// throttled counts AWS answers of ThrottlingException.
	throttled *atomic.Int64
	// api is the Slack the Notifier talks to: sc, or a spy around it.
	api  Slack
	n    *Notifier
	stop func()
	opts Options
}

// countingTransport counts AWS requests, and those AWS throttled.
type countingTransport struct {
	n         *atomic.Int64
	throttled *atomic.Int64
	next      aws.HTTPClient
}

func (c countingTransport) Do(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	res, err := c.next.Do(r)
	if err == nil && res.Header.Get("X-Amzn-ErrorType") == "ThrottlingException" {
		c.throttled.Add(1)
	}
	return res, err
}

func newRig(t testing.TB, opts Options) *rig {
	t.Helper()
	return newRigSlack(t, opts, nil)
}

// newRigSlack is newRig with the Notifier's Slack wrapped by wrap (nil for
// slack-go's client itself).
func newRigSlack(t testing.TB, opts Options, wrap func(Slack) Slack) *rig {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	sim := simtest.AWS(t, simtest.SandboxWorld, start)
	cfg := simtest.Config(t, simtest.SandboxConfig)
	calls, throttled := &atomic.Int64{}, &atomic.Int64{}
	awsCfg := sim.Config()
	awsCfg.HTTPClient = countingTransport{n: calls, throttled: throttled, next: awshttp.NewBuildableClient()}
	if _, err := setup.Run(ctx, cfg, eventbridge.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg), setup.Options{}); err != nil {
		t.Fatal(err)
	}
	ss := simtest.Slack(t, slacksim.Options{})
	st, dbPath := simtest.Store(t, sim.Clock().Now)
	r := &rig{
		t: t, aws: sim, slack: ss, cfg: cfg, store: st, dbPath: dbPath, awsCalls: calls, throttled: throttled,
		sc:       slack.New(ss.BotToken(), slack.OptionAPIURL(ss.URL())),
		dep:      deployer.NewFromConfig(awsCfg, zap.NewNop(), deployer.Options{Now: sim.Clock().Now}),
		sqs:      sqs.NewFromConfig(awsCfg),
		cd:       codedeploy.NewFromConfig(awsCfg),
		queueURL: sim.QueueURL(cfg.Events.Queue),
	}
	if opts.Poll == 0 {
		opts.Poll = 40 * time.Millisecond
	}
	if opts.FastPoll == 0 {
		opts.FastPoll = 20 * time.Millisecond
	}
	if opts.Discover == 0 {
		opts.Discover = 100 * time.Millisecond
	}
	switch opts.QueueURL {
	case "":
		opts.QueueURL = r.queueURL
	case "off":
		opts.QueueURL = ""
	}
	opts.Now = sim.Clock().Now
	opts.Alarms = r.dep
	r.opts = opts
	r.api = r.sc
	if wrap != nil {
		r.api = wrap(r.sc)
	}
	r.startNotifier()
	return r
}

// startNotifier runs a fresh Notifier on the rig's store.
func (r *rig) startNotifier() {
	n := New(r.api, r.sqs, r.dep, r.store, r.cfg, zap.NewNop(), r.opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = n.Run(ctx) }()
	<-n.ready
	r.n = n
	r.stop = func() { cancel(); <-done }
	r.t.Cleanup(r.stop)
}

func (r *rig) env(app string) switchyard.Environment {
	a, ok := r.cfg.Lookup(app)
	if !ok {
		r.t.Fatalf("no app %s", app)
	}
	e, _ := a.Env("")
	return e
}

// deploy does what commands does on Confirm: a request with its plan and
// its card, deployer.Start naming the request, the request linked to the
// deployment, and Watch. The Notifier makes the deployment's record.
func (r *rig) deploy(app, version, who string, config string) (string, string) {
	r.t.Helper()
	return r.deployOverriding(app, version, who, config, "")
}

// deployOverriding is deploy of a request that goes ahead during a freeze
// for the reason override.
func (r *rig) deployOverriding(app, version, who, config, override string) (string, string) {
	r.t.Helper()
	ctx := context.Background()
	env := r.env(app)
	plan, err := r.dep.Plan(ctx, env, version, switchyard.PlanOptions{App: app, Config: config})
	if err != nil {
		r.t.Fatal(err)
	}
	_, ts, err := r.sc.PostMessageContext(ctx, channel, slack.MsgOptionText("Starting "+app+" "+version+"…", false))
	if err != nil {
		r.t.Fatal(err)
	}
	now := r.aws.Clock().Now()
	req, err := r.store.CreatePending(ctx, switchyard.Pending{App: app, Env: env.Name, Version: plan.Version, Plan: plan,
		RequestedBy: who, Override: override, Channel: channel, Expires: now.Add(time.Hour)})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.store.SetPendingMessage(ctx, req.ID, channel, ts); err != nil {
		r.t.Fatal(err)
	}
	r.transition(req.ID, []switchyard.PendingState{switchyard.StatePending}, switchyard.Change{By: who})
	id, err := r.dep.Start(ctx, plan, switchyard.Actor{User: who, Channel: channel, Request: req.ID})
	if err != nil {
		r.t.Fatal(err)
	}
	r.transition(req.ID, []switchyard.PendingState{switchyard.StateConfirmed}, switchyard.Change{By: who, DeploymentID: id})
	r.n.Watch(ctx, id)
	r.recorded(id)
	return id, ts
}

// recorded waits until the Notifier has made the record of deployment id:
// the hand-over from the request is done.
func (r *rig) recorded(id string) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := r.store.GetDeployment(context.Background(), id); err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the Notifier never recorded %s", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rollback does what commands does for a rollback: a request of who's,
// confirmed, the deployer's Rollback naming it, and the request linked to
// the deployment that carries it.
func (r *rig) rollback(id, who string) *switchyard.RollbackResult {
	r.t.Helper()
	ctx := context.Background()
	rec := r.record(id)
	now := r.aws.Clock().Now()
	req, err := r.store.CreatePending(ctx, switchyard.Pending{Kind: switchyard.KindRollback, RollbackOf: id,
		App: rec.App, Env: rec.Env, Version: rec.Version, RequestedBy: who, Channel: channel, Expires: now.Add(time.Hour)})
	if err != nil {
		r.t.Fatal(err)
	}
	r.transition(req.ID, []switchyard.PendingState{switchyard.StatePending}, switchyard.Change{By: who})
	res, err := r.dep.Rollback(ctx, r.env(rec.App), rec.Deployment, switchyard.Actor{User: who, Channel: channel, Request: req.ID})
	if err != nil {
		r.t.Fatal(err)
	}
	carrier := id
	if res.Kind == switchyard.Redeployed {
		carrier = res.NewDeploymentID
	}
	r.transition(req.ID, []switchyard.PendingState{switchyard.StateConfirmed}, switchyard.Change{By: who, DeploymentID: carrier})
	r.n.Watch(ctx, id)
	if res.NewDeploymentID != "" {
		r.n.Watch(ctx, res.NewDeploymentID)
	}
	return res
}

func (r *rig) transition(id string, from []switchyard.PendingState, ch switchyard.Change) {
	r.t.Helper()
	if _, err := r.store.Transition(context.Background(), id, from, switchyard.StateConfirmed, ch); err != nil {
		r.t.Fatal(err)
	}
}

// settle waits until the Notifier has shown everything as of the
// simulated clock's now, asking it to look at what lags.
func (r *rig) settle() {
	r.t.Helper()
	now := r.aws.Clock().Now()
	simtest.WaitFor(r.t, "the Notifier to catch up", func() bool {
		lagging, ok := r.n.CaughtUp(now)
		for _, id := range lagging {
			r.n.Watch(context.Background(), id)
		}
		return ok
	}, func() string { return simtest.Texts(r.slack.Messages(channel)) })
}

// caughtUp waits until the stored record of id shows what AWS says of it
// now: the Notifier observed the latest state, whether or not Slack has
// been told yet.
func (r *rig) caughtUp(id string) {
	r.t.Helper()
	simtest.WaitFor(r.t, "the record of "+id+" to follow AWS", func() bool {
		obs, err := r.dep.Describe(context.Background(), r.env(r.record(id).App), id)
		if err != nil {
			return false
		}
		rec := r.record(id)
		if rec.Status != obs.Status || rec.Traffic != obs.Traffic {
			r.n.Watch(context.Background(), id)
			return false
		}
		return true
	}, nil)
}

// run advances the simulated clock by step until done says so (or max
// simulated time passes), letting the Notifier look after every step.
func (r *rig) run(step, limit time.Duration, done func() bool) {
	r.t.Helper()
	for t := time.Duration(0); t < limit; t += step {
		r.settle()
		if done() {
			return
		}
		r.aws.Advance(step)
	}
	r.settle()
	if !done() {
		r.t.Fatalf("not done after %s simulated", limit)
	}
}

func (r *rig) record(id string) switchyard.Record {
	r.t.Helper()
	rec, err := r.store.GetDeployment(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return rec
}

func (r *rig) finished(id string) func() bool {
	return func() bool {
		rec, err := r.store.GetDeployment(context.Background(), id)
		return err == nil && rec.Status.Done() && r.hasReply(id, switchyard.KeyFinal)
	}
}

func (r *rig) hasReply(id, key string) bool {
	got, err := r.store.Replies(context.Background(), id)
	return err == nil && got[key] != ""
}

// thread is the texts of the replies under the card, oldest first.
func (r *rig) thread(cardTS string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range r.slack.Messages(channel) {
		if m.ThreadTS == cardTS && m.TS != cardTS {
			out = append(out, m)
		}
	}
	return out
}

// topLevel is the channel's messages that are not thread replies, plus
// broadcasts.
func (r *rig) topLevel() []slacksim.Message {
	var out []slacksim.Message
	for _, m := range r.slack.Messages(channel) {
		if m.ThreadTS == "" || m.ThreadTS == m.TS || m.ReplyBroadcast {
			out = append(out, m)
		}
	}
	return out
}

func (r *rig) card(ts string) slacksim.Message {
	m, ok := r.slack.Message(channel, ts)
	if !ok {
		r.t.Fatalf("no card %s", ts)
	}
	m.Blocks = []byte(simtest.Unescape(string(m.Blocks)))
	return m
}
