// Package setup builds the event path from CodeDeploy to the bot: an SQS
// queue, a policy on it that lets only Switchyard's EventBridge rules send,
// the rules matching CodeDeploy deployment state changes of the configured
// applications (and ECS service actions of the configured services), and
// the rules' targets. It is idempotent: it reads first, then creates what is
// missing and changes only what differs, and says which it did.
package setup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/switchyard/switchyard/internal/config"
)

// EventBridge is the part of the EventBridge API that setup uses.
type EventBridge interface {
	DescribeRule(ctx context.Context, in *eventbridge.DescribeRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	PutRule(ctx context.Context, in *eventbridge.PutRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutRuleOutput, error)
	ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
	PutTargets(ctx context.Context, in *eventbridge.PutTargetsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error)
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
)

// Step is one line of setup's report.
type Step struct {
	Resource string // "queue", "rule", "queue policy", "target"
	Name     string
	Outcome  Outcome
	Detail   string
}

func (s Step) String() string {
	line := fmt.Sprintf("%-13s %-34s %s", s.Resource, s.Name, s.Outcome)
	if s.Detail != "" {
		line += ": " + s.Detail
	}
	return line
}

// Options tune a run.
type Options struct {
	// DryRun reads everything and reports what would change, changing nothing.
	DryRun bool
}

// Run makes the event path match cfg and reports each resource. Errors are
// sentences a person can act on, with the AWS cause wrapped.
func Run(ctx context.Context, cfg *config.Config, eb EventBridge, q SQS, opts Options) ([]Step, error) {
	r := &run{cfg: cfg, eb: eb, sqs: q, dry: opts.DryRun}
	if err := r.checkRegion(); err != nil {
		return nil, err
	}
	steps := []func(context.Context) error{r.queue, r.rules, r.policy, r.targets}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return r.steps, err
		}
	}
	return r.steps, nil
}

type run struct {
	cfg   *config.Config
	eb    EventBridge
	sqs   SQS
	dry   bool
	steps []Step

	queueURL string
	queueARN string
	account  string
	ruleARNs []string
	wanted   []rule
}

// rule is one EventBridge rule setup wants.
type rule struct {
	name    string
	pattern map[string]any
}

func (r *run) report(resource, name string, o Outcome, detail string) {
	if r.dry && o != Found {
		detail = strings.TrimSpace("would be " + string(o) + ". " + detail)
		o = "plan"
	}
	r.steps = append(r.steps, Step{Resource: resource, Name: name, Outcome: o, Detail: detail})
}

// queueName returns the queue's name and, when the config gives an ARN or a
// URL, the region it names.
func queueName(q string) (name, region string) {
	switch {
	case strings.HasPrefix(q, "arn:"):
		parts := strings.Split(q, ":")
		if len(parts) == 6 {
			return parts[5], parts[3]
		}
	case strings.HasPrefix(q, "https://"), strings.HasPrefix(q, "http://"):
		host, path, _ := strings.Cut(strings.SplitN(q, "://", 2)[1], "/")
		// sqs.REGION.amazonaws.com/ACCOUNT/NAME
		if h := strings.Split(host, "."); len(h) >= 3 && h[0] == "sqs" {
			region = h[1]
		}
		return path[strings.LastIndex(path, "/")+1:], region
	}
	return q, ""
}

func (r *run) checkRegion() error {
	_, region := queueName(r.cfg.Events.Queue)
	if region != "" && r.cfg.Events.Region != "" && region != r.cfg.Events.Region {
		return fmt.Errorf("the queue %s is in %s but the rule would be in %s: EventBridge only delivers to a queue in its own region; "+
			"use a queue in %s or set events.region to %s", r.cfg.Events.Queue, region, r.cfg.Events.Region, r.cfg.Events.Region, region)
	}
	return nil
}

func (r *run) queue(ctx context.Context) error {
	name, _ := queueName(r.cfg.Events.Queue)
	got, err := r.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	switch {
	case err == nil:
		r.queueURL = aws.ToString(got.QueueUrl)
		if err := r.readQueueARN(ctx); err != nil {
			return err
		}
		r.report("queue", name, Found, r.queueARN)
		return nil
	case !isCode(err, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
		return explain(err, "look up the SQS queue "+name)
	case r.dry:
		r.report("queue", name, Created, "long polling 20 s, messages kept 4 days")
		return nil
	}
	out, err := r.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(name),
		Attributes: map[string]string{
			"ReceiveMessageWaitTimeSeconds": "20",
			"VisibilityTimeout":             "60",
			"MessageRetentionPeriod":        "345600",
			"SqsManagedSseEnabled":          "true",
		},
	})
	if err != nil {
		return explain(err, "create the SQS queue "+name)
	}
	r.queueURL = aws.ToString(out.QueueUrl)
	if err := r.readQueueARN(ctx); err != nil {
		return err
	}
	r.report("queue", name, Created, r.queueARN)
	return nil
}

func (r *run) readQueueARN(ctx context.Context) error {
	attrs, err := r.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(r.queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn, sqstypes.QueueAttributeNamePolicy},
	})
	if err != nil {
		return explain(err, "read the attributes of the SQS queue "+r.queueURL)
	}
	r.queueARN = attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	if parts := strings.Split(r.queueARN, ":"); len(parts) == 6 {
		r.account = parts[4]
		if region := parts[3]; r.cfg.Events.Region != "" && region != r.cfg.Events.Region {
			return fmt.Errorf("the queue %s is in %s but the rule would be in %s: EventBridge only delivers to a queue in its own region",
				r.queueARN, region, r.cfg.Events.Region)
		}
	}
	return nil
}

// wantedRules lists the rules: CodeDeploy state changes of the configured
// applications, and ECS service actions of the configured services.
func (r *run) wantedRules() []rule {
	var apps, services []string
	for _, a := range r.cfg.Apps {
		for _, e := range a.Environments {
			if e.Region != r.cfg.Events.Region && r.cfg.Events.Region != "" {
				continue
			}
			apps = append(apps, e.Application)
			if r.account != "" {
				services = append(services, fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", e.Region, r.account, lastSegment(e.Cluster), e.Service))
			}
		}
	}
	apps, services = uniqueSorted(apps), uniqueSorted(services)
	rules := []rule{{
		name: r.cfg.Events.Rule,
		pattern: map[string]any{
			"source":      []any{"aws.codedeploy"},
			"detail-type": []any{"CodeDeploy Deployment State-change Notification"},
			"detail":      map[string]any{"application": toAny(apps)},
		},
	}}
	if len(services) > 0 {
		rules = append(rules, rule{
			name: r.cfg.Events.Rule + "-ecs",
			pattern: map[string]any{
				"source":      []any{"aws.ecs"},
				"detail-type": []any{"ECS Service Action"},
				"resources":   toAny(services),
			},
		})
	}
	return rules
}

func (r *run) rules(ctx context.Context) error {
	r.wanted = r.wantedRules()
	for _, w := range r.wanted {
		want, _ := json.Marshal(w.pattern)
		arn := fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", r.cfg.Events.Region, r.account, w.name)
		got, err := r.eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(w.name)})
		outcome := Found
		detail := ""
		switch {
		case err != nil && !isCode(err, "ResourceNotFoundException"):
			return explain(err, "look up the EventBridge rule "+w.name)
		case err != nil:
			outcome, detail = Created, "matching "+summary(w.pattern)
		default:
			arn = aws.ToString(got.Arn)
			var have map[string]any
			_ = json.Unmarshal([]byte(aws.ToString(got.EventPattern)), &have)
			switch {
			case !reflect.DeepEqual(have, normalise(w.pattern)):
				outcome, detail = Changed, "its event pattern was stale; now matching "+summary(w.pattern)
			case got.State != ebtypes.RuleStateEnabled:
				outcome, detail = Changed, "it was "+string(got.State)+"; now ENABLED"
			}
		}
		if outcome != Found && !r.dry {
			out, err := r.eb.PutRule(ctx, &eventbridge.PutRuleInput{
				Name:         aws.String(w.name),
				EventPattern: aws.String(string(want)),
				State:        ebtypes.RuleStateEnabled,
				Description:  aws.String("Switchyard: deployment state changes for the bot"),
			})
			if err != nil {
				return explain(err, "write the EventBridge rule "+w.name)
			}
			arn = aws.ToString(out.RuleArn)
		}
		r.ruleARNs = append(r.ruleARNs, arn)
		r.report("rule", w.name, outcome, detail)
	}
	return nil
}

// wantedPolicy lets only Switchyard's rules send to the queue.
func (r *run) wantedPolicy() map[string]any {
	return map[string]any{
		"Version": "2012-10-17",
		"Id":      "switchyard-events",
		"Statement": []any{map[string]any{
			"Sid":       "EventBridgeRulesOnly",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "events.amazonaws.com"},
			"Action":    "sqs:SendMessage",
			"Resource":  r.queueARN,
			"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": toAny(r.ruleARNs)}},
		}},
	}
}

func (r *run) policy(ctx context.Context) error {
	want := r.wantedPolicy()
	name, _ := queueName(r.cfg.Events.Queue)
	outcome := Created
	if r.queueURL != "" {
		attrs, err := r.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl:       aws.String(r.queueURL),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy},
		})
		if err != nil {
			return explain(err, "read the policy of the SQS queue "+name)
		}
		if have := attrs.Attributes[string(sqstypes.QueueAttributeNamePolicy)]; have != "" {
			var got map[string]any
			_ = json.Unmarshal([]byte(have), &got)
			if reflect.DeepEqual(got, normalise(want)) {
				r.report("queue policy", name, Found, "only the rules may send")
				return nil
			}
			outcome = Changed
		}
	}
	if !r.dry {
		b, _ := json.Marshal(want)
		if _, err := r.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
			QueueUrl:   aws.String(r.queueURL),
			Attributes: map[string]string{string(sqstypes.QueueAttributeNamePolicy): string(b)},
		}); err != nil {
			return explain(err, "set the policy of the SQS queue "+name)
		}
	}
	r.report("queue policy", name, outcome, "only the rules may send")
	return nil
}

const targetID = "switchyard-queue"

func (r *run) targets(ctx context.Context) error {
	for _, w := range r.wanted {
		var have []ebtypes.Target
		out, err := r.eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(w.name)})
		if err != nil && !isCode(err, "ResourceNotFoundException") {
			return explain(err, "list the targets of the EventBridge rule "+w.name)
		}
		if out != nil {
			have = out.Targets
		}
		outcome := Created
		for _, t := range have {
			if aws.ToString(t.Id) != targetID {
				continue
			}
			outcome = Changed
			if aws.ToString(t.Arn) == r.queueARN && t.Input == nil && t.InputPath == nil && t.InputTransformer == nil {
				outcome = Found
			}
		}
		if outcome != Found && !r.dry {
			out, err := r.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{
				Rule:    aws.String(w.name),
				Targets: []ebtypes.Target{{Id: aws.String(targetID), Arn: aws.String(r.queueARN)}},
			})
			if err != nil {
				return explain(err, "add the queue as a target of the rule "+w.name)
			}
			if out.FailedEntryCount > 0 && len(out.FailedEntries) > 0 {
				f := out.FailedEntries[0]
				return fmt.Errorf("EventBridge refused the queue as a target of %s: %s (%s)", w.name,
					aws.ToString(f.ErrorMessage), aws.ToString(f.ErrorCode))
			}
		}
		r.report("target", w.name+" → queue", outcome, "")
	}
	return nil
}

// explain turns an AWS error into a sentence about what setup was doing.
func explain(err error, doing string) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch code := ae.ErrorCode(); {
		case strings.Contains(code, "AccessDenied"):
			return fmt.Errorf("AWS refused to let these credentials %s (%s); grant the Setup statements of iam-policy.json: %w", doing, code, err)
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
