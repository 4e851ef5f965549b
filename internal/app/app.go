// Package app wires the bot together: the store, the deployer, the Slack
// client with its Socket Mode connection, the commands handler and the
// notifier. `bot run` gives it real Slack and AWS; the sandbox gives it the
// simulators. Nothing here decides anything: it only connects.
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/commands"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/metrics"
	"github.com/switchyard/switchyard/notify"
	"github.com/switchyard/switchyard/store"
)

// Deps is what the bot needs from the outside world.
type Deps struct {
	Config *config.Config
	// BotToken (xoxb-) and AppToken (xapp-) authenticate to Slack.
	BotToken string
	AppToken string
	// SlackAPIURL is the Web API base ("https://slack.com/api/" when empty).
	SlackAPIURL string
	// AWS is the base AWS configuration, the bot's own credentials; each
	// environment's region, and role if it names one, is applied per call.
	AWS aws.Config
	Log *zap.Logger
	// Now is the clock of cards and confirmations (default time.Now); the
	// sandbox passes the AWS simulator's clock so times agree.
	Now func() time.Time
	// Commands and Notify tune the two components (poll intervals, pool
	// size); zero values are production defaults.
	Commands commands.Options
	Notify   notify.Options
	// HTTP, when set, serves /healthz, /readyz and /metrics (internal/ops)
	// for as long as Run runs; Run closes it.
	HTTP net.Listener
	// Metrics counts what the bot does (nil: a new one). Run makes it the
	// observer of commands and notify unless their options name another,
	// and counts every AWS call made from the AWS config.
	Metrics *metrics.Metrics
}

// commandRetries is how many 429s in a row a command's Slack call waits
// out before it fails.
const commandRetries = 5

// Run runs the bot until ctx ends or Slack refuses its tokens.
func Run(ctx context.Context, d Deps) error {
	log := d.Log
	if log == nil {
		log = zap.NewNop()
	}
	cfg := d.Config
	m := d.Metrics
	if m == nil {
		m = metrics.New(metrics.Options{})
	}
	probe, stopOps := serveOps(ctx, d.HTTP, m, log)
	defer stopOps()
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return err // it names the store, without a password
	}
	defer st.Close()

	opts := []slack.Option{slack.OptionAppLevelToken(d.AppToken)}
	if d.SlackAPIURL != "" {
		opts = append(opts, slack.OptionAPIURL(d.SlackAPIURL))
	}
	api := slack.New(d.BotToken, opts...)
	who, err := api.AuthTestContext(ctx)
	if err != nil {
		return authError(err)
	}
	log.Info("connected to Slack", zap.String("team", who.Team), zap.String("bot_user", who.UserID))
	sm := socketmode.New(api)

	// Environments with a role are reached through it: a session per
	// person for what they do, one for the bot's reads, each lasting
	// role_session_duration.
	awsCfg := counted(d.AWS, m)
	sessions := deployer.NewSessions(awsCfg, deployer.SessionOptions{Duration: cfg.RoleSessionDuration})
	dep := deployer.NewFromConfig(awsCfg, log.Named("deployer"), deployer.Options{Now: d.Now, Sessions: sessions})

	eventsCfg := awsCfg.Copy()
	if cfg.Events.Region != "" {
		eventsCfg.Region = cfg.Events.Region
	}
	queue := sqs.NewFromConfig(eventsCfg)
	nopts := d.Notify
	nopts.Now = d.Now
	nopts.QueueURL = queueURL(ctx, queue, cfg.Events.Queue, log)
	nopts.Account = ownAccount(ctx, awsCfg, log)
	nopts.Alarms = dep
	if nopts.Observer == nil {
		nopts.Observer = m
	}
	if nopts.SlackObserver == nil {
		nopts.SlackObserver = m
	}
	changes := &changesTo{}
	nopts.Changes = changes
	n := notify.New(api, queue, dep, st, cfg, log, nopts)

	copts := d.Commands
	copts.Now = d.Now
	if copts.Observer == nil {
		copts.Observer = m
	}
	// Commands post and edit outside notify's sender, which waits out
	// Slack's rate limits by itself: their client waits out a 429 for as
	// long as Retry-After says (a few times), so that a /deploy typed while
	// a deployment fills the channel's thread gets its card a second later
	// instead of "I couldn't post".
	cmdAPI := slack.New(d.BotToken, append(opts, slack.OptionRetry(commandRetries))...)
	counting := m.Slack(cmdAPI)
	h := commands.New(cfg, counting, counting, dep, st, n, log, copts)
	probe.Attach(h, st)
	changes.h = h // before either runs

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return n.Run(gctx) })
	g.Go(func() error { return h.Run(gctx, sm) })
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// queueURL finds the events queue. Without it (bot setup not run yet) the
// bot still works on polling alone, only slower to notice new deployments,
// and says so.
func queueURL(ctx context.Context, q *sqs.Client, name string, log *zap.Logger) string {
	if name == "" {
		return ""
	}
	out, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(lastPart(name))})
	if err != nil {
		log.Warn("no events queue: run 'bot setup'; until then deployments are found by polling only",
			zap.String("queue", name), zap.Error(err))
		return ""
	}
	return aws.ToString(out.QueueUrl)
}

// ownAccount is the account of the bot's credentials, from STS (which
// needs no permission); "" when STS does not answer, which only makes
// events of environments without a role less precisely placed.
func ownAccount(ctx context.Context, cfg aws.Config, log *zap.Logger) string {
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		log.Warn("could not learn the bot's own AWS account (sts:GetCallerIdentity); events are matched to environments without a role by region and names alone",
			zap.Error(err))
		return ""
	}
	return aws.ToString(who.Account)
}

func lastPart(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' || s[i] == ':' {
			return s[i+1:]
		}
	}
	return s
}

// authError says why auth.test failed: Slack answered and refused the
// token, or Slack could not be reached at all, which no token fixes.
func authError(err error) error {
	var refused slack.SlackErrorResponse
	var unreachable *url.Error
	switch {
	case errors.As(err, &refused):
		return fmt.Errorf("Slack refused the bot token (auth.test answered %s): check SLACK_BOT_TOKEN", refused.Err)
	case errors.As(err, &unreachable):
		return fmt.Errorf("could not reach Slack to check the bot token (auth.test): %w", unreachable.Err)
	default:
		return fmt.Errorf("could not check the bot token with Slack (auth.test): %w", err)
	}
}

// changesTo hands notify's word that a deployment changed to the commands
// handler (its Home tabs and its queue), which is made after the notifier
// it watches; notify and commands do not know each other.
type changesTo struct{ h *commands.Handler }

func (c *changesTo) DeploymentChanged(ctx context.Context, d switchyard.Deployment) {
	c.h.DeploymentChanged(ctx, d)
}
