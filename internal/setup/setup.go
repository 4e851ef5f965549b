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
// account and region, in one sentence per resource (report.go), with a
// warning for every environment whose events will not arrive.
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

// Step is one resource of setup's report.
type Step struct {
	Account  string
	Region   string
	Resource string // "queue", "rule", "queue policy", "target", "bus policy", "forwarding"
	// Name is the resource's name: the queue's, the rule's (for a target,
	// the rule it belongs to), the bus policy statement's.
	Name    string
	Outcome Outcome
	// Planned means a dry run: Outcome is what a real run would do.
	Planned bool
	// Does says in words what the resource does once as wanted ("matching
	// CodeDeploy deployment state changes of the application myapp").
	Does string
	// Detail says what was wrong with it (Changed) or why setup could not
	// look (Missing).
	Detail string
}

// String is the step as one sentence.
func (s Step) String() string { return s.Sentence() }

// Reach returns the EventBridge client that acts in place's account and
// region: through its role, or with the bot's own credentials when it has
// none. An error means the account cannot be reached (a role that cannot
// be assumed); setup then reports the place as missing and goes on.
type Reach func(ctx context.Context, place Place) (Rules, error)

// Options tune a run.
type Options struct {
	// DryRun reads everything and reports what would change, changing nothing.
	DryRun bool
	// Account is the bot's own account, where the queue is, as STS
	// GetCallerIdentity tells (bot setup asks). When empty the queue's ARN
	// tells it, so a dry run before the queue exists needs it.
	Account string
	// Reach reaches the other accounts and regions. Without it, setup
	// builds the path in the bot's own account and region only and reports
	// every other place as missing.
	Reach Reach
}

// Run makes the event path match cfg and reports each resource, and each
// environment whose events will not arrive. eb and q act in the bot's own
// account and cfg.Events.Region. Errors are sentences a person can act on,
// with the AWS cause wrapped; a failure in the bot's own account stops the
// run, one in another account or region becomes a warning, and the run
// goes on to the next and ends with an error that counts them.
func Run(ctx context.Context, cfg *config.Config, eb EventBridge, q SQS, opts Options) (Report, error) {
	r := &run{cfg: cfg, eb: eb, sqs: q, dry: opts.DryRun, reach: opts.Reach, account: opts.Account}
	err := r.checkRegion()
	for _, step := range []func(context.Context) error{r.queue, r.homeRules, r.policy, r.homeTargets, r.busPolicy, r.forwardAll} {
		if err != nil {
			break
		}
		err = step(ctx)
	}
	return r.reportOf(), err
}

type run struct {
	cfg      *config.Config
	eb       EventBridge
	sqs      SQS
	dry      bool
	reach    Reach
	steps    []Step
	warnings []Warning

	queueURL string
	queueARN string
	account  string
	ruleARNs []string
	wanted   []rule
	// home are the environments in the bot's own account and events
	// region; places the other accounts and regions.
	home   []envAt
	places []Place
}

// add reports a step in account and region.
func (r *run) add(account, region string, s Step) {
	s.Account, s.Region = account, region
	s.Planned = r.dry && s.Outcome != Found && s.Outcome != Missing
	r.steps = append(r.steps, s)
}

// addHome reports a step in the bot's own account and events region.
func (r *run) addHome(s Step) { r.add(r.account, r.cfg.Events.Region, s) }

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

// awsWords is an AWS error for a person: its code and message, without
// the SDK's request id and retries.
func awsWords(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return clean(ae.ErrorCode() + ": " + ae.ErrorMessage())
	}
	return clean(err.Error())
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
