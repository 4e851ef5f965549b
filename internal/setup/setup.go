// Package setup builds the event path from CodeDeploy to the bot, the AWS
// way, for every account and region the config names. In the bot's own
// account and events region: an SQS queue, a policy on it that lets only
// Switchyard's EventBridge rules send, the rules matching CodeDeploy
// deployment state changes of every configured application (and ECS
// service actions of every configured service), their targets, and a
// policy on the default event bus that lets the other accounts put events
// on it. In each other account and region, reached through an
// environment's role: rules of the same names forwarding those events to
// the bot's bus. It is idempotent: it reads first, then creates what is
// missing and changes only what differs, and says which it did, per
// account and region.
package setup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/switchyard/switchyard/internal/config"
)

// Rules is the part of the EventBridge API that writes rules and their
// targets: all setup does in an account other than the bot's own.
type Rules interface {
	DescribeRule(ctx context.Context, in *eventbridge.DescribeRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	PutRule(ctx context.Context, in *eventbridge.PutRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutRuleOutput, error)
	ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
	PutTargets(ctx context.Context, in *eventbridge.PutTargetsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error)
}

// Bus reads the policy of the bot's default event bus and grants another
// account the right to put events on it.
type Bus interface {
	DescribeEventBus(ctx context.Context, in *eventbridge.DescribeEventBusInput, opts ...func(*eventbridge.Options)) (*eventbridge.DescribeEventBusOutput, error)
	PutPermission(ctx context.Context, in *eventbridge.PutPermissionInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutPermissionOutput, error)
}

// EventBridge is the part of the EventBridge API that setup uses in the
// bot's own account.
type EventBridge interface {
	Rules
	Bus
}

// SQS is the part of the SQS API that setup uses.
type SQS interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	CreateQueue(ctx context.Context, in *sqs.CreateQueueInput, opts ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	SetQueueAttributes(ctx context.Context, in *sqs.SetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error)
}

var (
	_ EventBridge = (*eventbridge.Client)(nil)
	_ SQS         = (*sqs.Client)(nil)
)

// Outcome says what setup did (or, in a dry run, would do) to one resource.
type Outcome string

// Outcomes.
const (
	Found   Outcome = "found"   // already as wanted
	Created Outcome = "created" // did not exist
	Changed Outcome = "changed" // existed but differed; brought up to date
	// Missing: setup could not reach the account and region to look; the
	// bot follows deployments there by polling until it can.
	Missing Outcome = "missing"
)

// Step is one line of setup's report.
type Step struct {
	Account  string // "" when not known yet (a dry run before the queue exists)
	Region   string
	Resource string // "queue", "rule", "queue policy", "target", "bus policy", "forwarding"
	Name     string
	Outcome  Outcome
	Detail   string
}

func (s Step) String() string {
	account := s.Account
	if account == "" {
		account = "(this account)"
	}
	line := fmt.Sprintf("%-14s %-14s %-13s %-34s %s", account, s.Region, s.Resource, s.Name, s.Outcome)
	if s.Detail != "" {
		line += ": " + s.Detail
	}
	return line
}

// Reach returns the EventBridge client that acts in place's account and
// region: through its role, or with the bot's own credentials when it has
// none. An error means the account cannot be reached (a role that cannot
// be assumed); setup then reports the place as missing and goes on.
type Reach func(ctx context.Context, place Place) (Rules, error)

// Options tune a run.
type Options struct {
	// DryRun reads everything and reports what would change, changing nothing.
	DryRun bool
	// Account is the bot's own account, where the queue is; when empty the
	// queue's ARN tells it.
	Account string
	// Reach reaches the other accounts and regions. Without it, setup
	// builds the path in the bot's own account and region only and reports
	// every other place as missing.
	Reach Reach
}

// Run makes the event path match cfg and reports each resource. eb and q
// act in the bot's own account and cfg.Events.Region. Errors are sentences
// a person can act on, with the AWS cause wrapped; a failure in the bot's
// own account stops the run, one in another account or region is reported
// and the run goes on to the next.
func Run(ctx context.Context, cfg *config.Config, eb EventBridge, q SQS, opts Options) ([]Step, error) {
	r := &run{cfg: cfg, eb: eb, sqs: q, dry: opts.DryRun, reach: opts.Reach, account: opts.Account}
	if err := r.checkRegion(); err != nil {
		return nil, err
	}
	steps := []func(context.Context) error{r.queue, r.homeRules, r.policy, r.homeTargets, r.busPolicy}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return r.steps, err
		}
	}
	return r.steps, r.forwardAll(ctx)
}

type run struct {
	cfg   *config.Config
	eb    EventBridge
	sqs   SQS
	dry   bool
	reach Reach
	steps []Step

	queueURL string
	queueARN string
	account  string
	ruleARNs []string
	wanted   []rule
	// places are the accounts and regions other than the bot's own.
	places []Place
}

func (r *run) report(account, region, resource, name string, o Outcome, detail string) {
	if r.dry && o != Found && o != Missing {
		detail = strings.TrimSpace("would be " + string(o) + ". " + detail)
		o = "plan"
	}
	r.steps = append(r.steps, Step{Account: account, Region: region, Resource: resource, Name: name, Outcome: o, Detail: detail})
}

// home reports a step in the bot's own account and events region.
func (r *run) home(resource, name string, o Outcome, detail string) {
	r.report(r.account, r.cfg.Events.Region, resource, name, o, detail)
}

// explain turns an AWS error into a sentence about what setup was doing.
func explain(err error, doing string) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch code := ae.ErrorCode(); {
		case strings.Contains(code, "AccessDenied"):
			return fmt.Errorf("AWS refused to let these credentials %s (%s); grant the Setup statements of iam-policy.json (of iam/ with several accounts): %w", doing, code, err)
		case strings.Contains(code, "Throttl"):
			return fmt.Errorf("AWS is throttling us while trying to %s; run setup again in a minute: %w", doing, err)
		}
	}
	return fmt.Errorf("could not %s: %w", doing, err)
}

func isCode(err error, codes ...string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && slices.Contains(codes, ae.ErrorCode())
}

// normalise round-trips v through JSON so that it compares equal to what
// AWS hands back.
func normalise(v any) map[string]any {
	b, _ := json.Marshal(v)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func summary(p map[string]any) string {
	b, _ := json.Marshal(p)
	return string(b)
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func uniqueSorted(ss []string) []string {
	sort.Strings(ss)
	return slices.Compact(ss)
}

func lastSegment(s string) string {
	return s[strings.LastIndex(s, "/")+1:]
}
