package setup

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/awssim"
	"github.com/switchyard/switchyard/internal/config"
)

func start(t *testing.T) (*awssim.Sim, *eventbridge.Client, *sqs.Client) {
	t.Helper()
	sim := awssim.New(awssim.Options{})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	cfg := sim.Config()
	return sim, eventbridge.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
}

// reach is how setup reaches the other regions and accounts of sim, as
// bot setup does: through roles, or the bot's own credentials.
func reach(sim *awssim.Sim) Options {
	cfg := sim.Config()
	return Options{Account: sim.Account(), Reach: RoleReach(cfg, deployer.NewSessions(cfg, deployer.SessionOptions{}))}
}

func loadConfig(t *testing.T) *config.Config {
	t.Helper()
	c, err := config.Load("../../switchyard.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func outcomes(rep Report) string {
	var out []string
	for _, s := range rep.Steps {
		where := ""
		if s.Region != "us-east-1" {
			where = s.Region + ":"
		}
		out = append(out, where+s.Resource+"="+string(s.Outcome))
	}
	return strings.Join(out, " ")
}

func TestFreshThenRerun(t *testing.T) {
	ctx := context.Background()
	sim, eb, q := start(t)
	cfg := loadConfig(t)

	steps, err := Run(ctx, cfg, eb, q, reach(sim))
	if err != nil {
		t.Fatal(err)
	}
	// At home (us-east-1) the queue and its rules; in eu-west-1, where
	// staging is, the same rules forwarding to the bot's bus.
	want := "queue=created rule=created rule=created queue policy=created target=created target=created " +
		"eu-west-1:rule=created eu-west-1:rule=created eu-west-1:target=created eu-west-1:target=created"
	if got := outcomes(steps); got != want {
		t.Fatalf("fresh run:\n got %s\nwant %s", got, want)
	}

	// The rule really matches: a pattern stored as setup wrote it.
	rule, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("switchyard-deployments")})
	if err != nil {
		t.Fatal(err)
	}
	var pattern map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(rule.EventPattern)), &pattern); err != nil {
		t.Fatal(err)
	}
	apps := pattern["detail"].(map[string]any)["application"].([]any)
	if len(apps) != 3 || apps[0] != "myapp" || apps[1] != "myapp-staging" || apps[2] != "payments" {
		t.Fatalf("pattern applications = %v", apps)
	}
	// The ECS rule names every service by ARN, staging's in eu-west-1 too:
	// its events are forwarded here.
	ecsRule, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("switchyard-deployments-ecs")})
	if err != nil {
		t.Fatal(err)
	}
	if p := aws.ToString(ecsRule.EventPattern); !strings.Contains(p, "arn:aws:ecs:us-east-1:"+sim.Account()+":service/prod/myapp") ||
		!strings.Contains(p, "arn:aws:ecs:eu-west-1:"+sim.Account()+":service/staging/myapp") {
		t.Fatalf("ecs pattern = %s", p)
	}
	// The policy lets only the two rules send.
	url, _ := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("switchyard-events")})
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"Policy"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := attrs.Attributes["Policy"]; !strings.Contains(p, aws.ToString(rule.Arn)) || !strings.Contains(p, "events.amazonaws.com") {
		t.Fatalf("policy = %s", p)
	}

	again, err := Run(ctx, cfg, eb, q, reach(sim))
	if err != nil {
		t.Fatal(err)
	}
	want = "queue=found rule=found rule=found queue policy=found target=found target=found " +
		"eu-west-1:rule=found eu-west-1:rule=found eu-west-1:target=found eu-west-1:target=found"
	if got := outcomes(again); got != want {
		t.Fatalf("re-run:\n got %s\nwant %s", got, want)
	}
}

func TestStalePatternIsUpdated(t *testing.T) {
	ctx := context.Background()
	sim, eb, q := start(t)
	cfg := loadConfig(t)
	if _, err := Run(ctx, cfg, eb, q, reach(sim)); err != nil {
		t.Fatal(err)
	}
	// Someone narrowed the rule by hand (or an app was added to the config since).
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{
		Name:         aws.String("switchyard-deployments"),
		EventPattern: aws.String(`{"source":["aws.codedeploy"],"detail":{"application":["myapp"]}}`),
	}); err != nil {
		t.Fatal(err)
	}
	steps, err := Run(ctx, cfg, eb, q, reach(sim))
	if err != nil {
		t.Fatal(err)
	}
	if s := steps.Steps[1]; s.Outcome != Changed || s.Detail != "it matched every event from aws.codedeploy of the application myapp" {
		t.Fatalf("rule step = %+v", s)
	}
	if got := outcomes(steps); got != "queue=found rule=changed rule=found queue policy=found target=found target=found "+
		"eu-west-1:rule=found eu-west-1:rule=found eu-west-1:target=found eu-west-1:target=found" {
		t.Fatalf("outcomes = %s", got)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	ctx := context.Background()
	sim, eb, q := start(t)
	opts := reach(sim)
	opts.DryRun = true
	rep, err := Run(ctx, loadConfig(t), eb, q, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The whole plan, the ECS rule included: the account is known before
	// the queue is.
	want := "queue=created rule=created rule=created queue policy=created target=created target=created " +
		"eu-west-1:rule=created eu-west-1:rule=created eu-west-1:target=created eu-west-1:target=created"
	if got := outcomes(rep); got != want || !rep.Steps[0].Planned || !strings.HasPrefix(rep.Steps[0].Sentence(), "Would create the SQS queue") {
		t.Fatalf("plan:\n got %s\nwant %s\n%+v", got, want, rep.Steps[0])
	}
	if _, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("switchyard-events")}); err == nil {
		t.Fatal("a dry run created the queue")
	}
	if _, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("switchyard-deployments")}); err == nil {
		t.Fatal("a dry run created the rule")
	}
}

func TestMissingPermissionIsExplained(t *testing.T) {
	ctx := context.Background()
	sim, eb, q := start(t)
	sim.Deny("events:PutRule")
	_, err := Run(ctx, loadConfig(t), eb, q, Options{})
	if err == nil {
		t.Fatal("setup succeeded without events:PutRule")
	}
	for _, want := range []string{"AWS refused to let these credentials write the EventBridge rule switchyard-deployments", "AccessDeniedException", "iam-policy.json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestQueueInAnotherRegion(t *testing.T) {
	_, eb, q := start(t)
	cfg := loadConfig(t)
	cfg.Events.Queue = "arn:aws:sqs:eu-west-1:123456789012:switchyard-events"
	_, err := Run(context.Background(), cfg, eb, q, Options{})
	if err == nil || !strings.Contains(err.Error(), "is in eu-west-1 but the rule would be in us-east-1") {
		t.Fatalf("err = %v", err)
	}
}
