// Package notify keeps every deployment's live card and thread in Slack true
// to what AWS says, in three steps:
//
//   - observe: CodeDeploy's and ECS's state-change events from SQS
//     (events.go, ecsevents.go), polling
//     of every deployment in flight, since stages and traffic are never in
//     events (poll.go), and discovery of deployments started outside Slack
//     (discover.go) each only say "look at d-… now";
//   - reconcile: one look describes the deployment, makes its record if it
//     has none (from the request that started it, records.go: notify is the
//     one writer of deployment records), merges the observation in one
//     compare-and-set, and computes the card and the thread replies the new
//     state calls for (reconcile.go, show.go; the replies themselves are the
//     root package's ThreadReplies, their words internal/blocks');
//   - deliver: internal/slackout sends them within Slack's limits, with the
//     store as its ledger of what was posted (ledger.go).
//
// Input is at least once, output is idempotent: the observed state is merged
// into the stored record in one compare-and-set, every thread reply has a key
// that the store records once, and cards are pure renders of state. So
// duplicate, late, missing and out-of-order events, two sources seeing the
// same change, and restarts never produce a wrong card or a duplicate reply.
package notify

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/slackout"
)

// Slack posts and edits messages. *slack.Client satisfies it. Errors are
// slack-go's: *slack.RateLimitedError when Slack answered 429.
type Slack interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
}

// Queue is the SQS queue EventBridge delivers CodeDeploy events to.
// *sqs.Client satisfies it.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// Describer tells what AWS says about deployments: the deployer satisfies
// it. Errors are *switchyard.Error (ENOTFOUND for an unknown id).
type Describer interface {
	Describe(ctx context.Context, env switchyard.Environment, id string) (*switchyard.Observation, error)
	Recent(ctx context.Context, env switchyard.Environment, since time.Time) ([]*switchyard.Observation, error)
}

// Store is the part of the store notify uses. *store.Store satisfies it
// (checked in notify's tests). notify is the one writer of deployment
// records; it reads requests, which commands writes, to make a record of
// the deployment a request started and to learn who rolled one back.
// Errors are *switchyard.Error: ENOTFOUND for an unknown deployment or
// request, ECONFLICT when a record with that id already exists.
type Store interface {
	CreateDeployment(ctx context.Context, rec switchyard.Record) (switchyard.Record, error)
	GetDeployment(ctx context.Context, id string) (switchyard.Record, error)
	ListActive(ctx context.Context) ([]switchyard.Record, error)
	// ListUntold lists deployments that ended since a time, with a card
	// whose final result was never told.
	ListUntold(ctx context.Context, since time.Time) ([]switchyard.Record, error)
	UpdateDeploymentIf(ctx context.Context, id string, expectedRev int64, mutate func(*switchyard.Record) error) (switchyard.Record, error)
	// UpdateDeploymentUnder is a compare-and-set made under a lease: ECONFLICT
	// with a *switchyard.LeaseLostError once another replica holds it.
	UpdateDeploymentUnder(ctx context.Context, id string, lease switchyard.Lease, mutate func(*switchyard.Record) error) (switchyard.Record, error)
	// AcquireLease and ReleaseLease hold and give up a deployment (or a
	// job) so that one replica at a time acts for it.
	AcquireLease(ctx context.Context, key, owner string, at time.Time, ttl time.Duration) (switchyard.Lease, bool, error)
	ReleaseLease(ctx context.Context, key, owner string) error
	MarkReply(ctx context.Context, deploymentID, key, ts string) (bool, error)
	SetReplyTS(ctx context.Context, deploymentID, key, ts string) error
	Replies(ctx context.Context, deploymentID string) (map[string]string, error)
	Requests
}

// Requests reads the requests commands records.
type Requests interface {
	// GetPending reads a request by id.
	GetPending(ctx context.Context, id string) (switchyard.Pending, error)
	// FindRequest finds the request that started a deployment.
	FindRequest(ctx context.Context, deploymentID string) (switchyard.Pending, error)
	// ListRollbacksOf lists the rollback requests of a deployment.
	ListRollbacksOf(ctx context.Context, deploymentID string) ([]switchyard.Pending, error)
	// ListStarting lists the confirmed requests of app in env whose
	// deployment is not linked yet.
	ListStarting(ctx context.Context, app, env string) ([]switchyard.Pending, error)
}

// AlarmReader reads the CloudWatch alarms an environment's deployment group
// watches, with their states; the deployer satisfies it. Notify keeps
// what it reads for a few seconds per group, so polling many deployments
// does not multiply calls.
type AlarmReader interface {
	Alarms(ctx context.Context, env switchyard.Environment) ([]switchyard.Alarm, error)
}

var (
	_ Slack = (*slack.Client)(nil)
	_ Queue = (*sqs.Client)(nil)
)

// Options are the optional settings of a Notifier.
type Options struct {
	// QueueURL is the SQS queue to read events from; empty means no events
	// (polling alone still keeps every card right, only slower to start).
	QueueURL string
	// Account is the bot's own AWS account, where environments without a
	// role are: an event from another account is never theirs. Empty when
	// unknown: an event no role's environment claims may then be theirs.
	Account string
	// Poll is how often a deployment in flight is described (default 10s).
	Poll time.Duration
	// FastPoll is the interval while traffic shifts or a wait may end
	// (default 2s).
	FastPoll time.Duration
	// Discover is how often each environment's recent deployments are
	// listed to find ones started outside Slack (default 30s).
	Discover time.Duration
	// Lookback is how far before the start discovery looks (default 15m).
	Lookback time.Duration
	// Now is the clock for card times and discovery windows (default
	// time.Now); poll intervals always run on real time.
	Now func() time.Time
	// Alarms, if set, adds the watched alarms and their states to cards.
	Alarms AlarmReader
	// Workers bounds concurrent reconciliations (default 8).
	Workers int
	// Grace is how long Run keeps sending queued edits and replies after
	// its context ends (default 10s).
	Grace time.Duration
	// Replica names this process among the replicas sharing the store
	// (default: host, process id and a random part); LeaseTTL is how long a
	// lease of a deployment runs unless renewed, and so how soon another
	// replica takes over from one that died (default 15 s). RealNow is the
	// leases' clock, real time whatever Now is (default time.Now).
	Replica  string
	LeaseTTL time.Duration
	RealNow  func() time.Time
	// Observer and SlackObserver are told what happens, for metrics
	// (default none).
	Observer      Observer
	SlackObserver slackout.Observer
	// Changes, if set, is told every change of a deployment's record:
	// the Home tab follows deployments and the deploy queue hears that one
	// ended through it, without notify knowing either.
	Changes Changes
}

// Changes is told that what the bot knows of a deployment changed: its
// record was made, or merged a new state from AWS. DeploymentChanged must
// be cheap and must not block.
type Changes interface {
	DeploymentChanged(ctx context.Context, d switchyard.Deployment)
}

// Observer is told what the Notifier does, for metrics. Its methods must be
// cheap and must not block.
type Observer interface {
	// Tracked reports how many deployments this replica watches now.
	Tracked(n int)
	// Takeover reports a deployment taken over from a replica that
	// stopped renewing its lease.
	Takeover()
	// QueueReceived and QueueDeleted count SQS messages.
	QueueReceived(n int)
	QueueDeleted()
}

type nopObserver struct{}

func (nopObserver) Tracked(int)       {}
func (nopObserver) Takeover()         {}
func (nopObserver) QueueReceived(int) {}
func (nopObserver) QueueDeleted()     {}

type nopChanges struct{}

func (nopChanges) DeploymentChanged(context.Context, switchyard.Deployment) {}

func (o *Options) defaults() {
	if o.Poll <= 0 {
		o.Poll = 10 * time.Second
	}
	if o.FastPoll <= 0 {
		o.FastPoll = 2 * time.Second
	}
	if o.Discover <= 0 {
		o.Discover = 30 * time.Second
	}
	if o.Lookback <= 0 {
		o.Lookback = 15 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Grace <= 0 {
		o.Grace = 10 * time.Second
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.Changes == nil {
		o.Changes = nopChanges{}
	}
	if o.Replica == "" {
		o.Replica = defaultReplica()
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 15 * time.Second
	}
	if o.RealNow == nil {
		o.RealNow = time.Now
	}
}

// Notifier keeps cards and threads up to date. Create it with New, run it
// with Run; Watch may be called at any time, before or during Run.
type Notifier struct {
	slack    Slack
	queue    Queue
	describe Describer
	store    Store
	cfg      *config.Config
	log      *zap.Logger
	opts     Options

	mu      sync.Mutex
	tracked map[string]*tracked         // deployment id → what is watched
	leases  map[string]switchyard.Lease // key → the lease this replica holds
	known   map[string]bool             // deployment ids with a record, seen by discovery
	nudges  map[string]bool             // ids asked for by Watch or events, not yet looked at
	wake    chan struct{}
	out     *slackout.Sender
	alarms  *alarmCache
	started time.Time
	// ready is closed once Run has resumed the store's deployments.
	ready chan struct{}
}

// New returns a Notifier. It opens no connection; Run does the work.
func New(sl Slack, q Queue, d Describer, st Store, cfg *config.Config, log *zap.Logger, opts Options) *Notifier {
	opts.defaults()
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("notify")
	n := &Notifier{
		slack: sl, queue: q, describe: d, store: st, cfg: cfg, log: log, opts: opts,
		tracked: map[string]*tracked{},
		leases:  map[string]switchyard.Lease{},
		known:   map[string]bool{},
		nudges:  map[string]bool{},
		wake:    make(chan struct{}, 1),
		ready:   make(chan struct{}),
	}
	n.out = slackout.New(sl, ledger{st: st, holds: n.holds}, slackout.Options{Log: log, Observer: opts.SlackObserver})
	n.alarms = newAlarmCache(opts.Alarms)
	return n
}

// Watch asks the Notifier to look at deployment id now: commands calls it
// after starting, rolling back or continuing a deployment. It never blocks
// and never fails; an unknown id is looked up in the store.
func (n *Notifier) Watch(_ context.Context, deploymentID string) {
	if deploymentID == "" {
		return
	}
	n.mu.Lock()
	n.nudges[deploymentID] = true
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Run resumes every deployment in flight from the store, then reads events,
// polls and discovers until ctx ends. It returns nil when ctx ends; card
// edits and replies already started are finished first.
func (n *Notifier) Run(ctx context.Context) error {
	n.started = n.opts.Now()
	defer n.out.Halt()
	var wg sync.WaitGroup
	if err := n.resume(ctx); err != nil {
		n.log.Warn("resume from the store", zap.Error(err))
	}
	close(n.ready)
	if n.queue != nil && n.opts.QueueURL != "" {
		wg.Go(func() { n.readEvents(ctx) })
	}
	wg.Go(func() { n.discoverLoop(ctx) })
	wg.Go(func() { n.followLoop(ctx) })
	wg.Go(func() { n.renewLoop(ctx) })
	n.pollLoop(ctx)
	wg.Wait()
	n.out.Wait(n.opts.Grace)
	n.releaseAll()
	return nil
}
