package setup

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/awssim"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/simtest"
)

const (
	homeAccount    = "123456789012"
	stagingAccount = "210987654321"
	homeBus        = "arn:aws:events:us-east-1:123456789012:event-bus/default"
)

// sandbox is the sandbox's world (two accounts, two regions, a role in
// each) and its bot config, with nothing of the event path built yet.
type sandbox struct {
	sim     *awssim.Sim
	staging *awssim.Sim
	cfg     *config.Config
	eb      *eventbridge.Client
	q       *sqs.Client
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	sim := simtest.AWS(t, simtest.SandboxWorld, time.Time{})
	cfg := simtest.Config(t, simtest.SandboxConfig)
	c := sim.Config()
	return &sandbox{sim: sim, staging: sim.Partition(stagingAccount, "eu-west-1"), cfg: cfg,
		eb: eventbridge.NewFromConfig(c), q: sqs.NewFromConfig(c)}
}

func (s *sandbox) run(t *testing.T, dry bool) ([]Step, error) {
	t.Helper()
	opts := reach(s.sim)
	opts.DryRun = dry
	rep, err := Run(context.Background(), s.cfg, s.eb, s.q, opts)
	return rep.Steps, err
}

// lines renders steps as "account region resource name=outcome", the
// outcome "plan" for a change a dry run plans.
func lines(steps []Step) []string {
	var out []string
	for _, s := range steps {
		o := string(s.Outcome)
		if s.Planned {
			o = "plan"
		}
		out = append(out, s.Account+" "+s.Region+" "+s.Resource+" "+s.Name+"="+o)
	}
	return out
}

func wantLines(outcome string) []string {
	h, s := homeAccount+" us-east-1 ", stagingAccount+" eu-west-1 "
	var out []string
	for _, l := range []string{
		h + "queue switchyard-events", h + "rule switchyard-deployments", h + "rule switchyard-deployments-ecs",
		h + "queue policy switchyard-events",
		h + "target switchyard-deployments", h + "target switchyard-deployments-ecs",
		h + "bus policy switchyard-forward-210987654321",
		s + "rule switchyard-deployments", s + "rule switchyard-deployments-ecs",
		s + "target switchyard-deployments", s + "target switchyard-deployments-ecs",
	} {
		out = append(out, l+"="+outcome)
	}
	return out
}

func TestSetupOnTheSandboxsTwoAccounts(t *testing.T) {
	s := newSandbox(t)
	ctx := context.Background()
	seb := eventbridge.NewFromConfig(s.staging.Config())

	// A dry run plans all of it and changes nothing, here or there.
	planned, err := s.run(t, true)
	if err != nil || !slices.Equal(lines(planned), wantLines("plan")) {
		t.Fatalf("dry run: %v\n%s", err, strings.Join(lines(planned), "\n"))
	}
	if _, err := seb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("switchyard-deployments")}); err == nil {
		t.Fatal("a dry run created the forwarding rule")
	}

	steps, err := s.run(t, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lines(steps), wantLines("created"); !slices.Equal(got, want) {
		t.Fatalf("fresh run:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}

	// In staging, the rules match staging's deployments and forward them
	// to the bot's bus, through the forwarding role EventBridge needs
	// across regions.
	rule, err := seb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("switchyard-deployments-ecs")})
	if err != nil {
		t.Fatal(err)
	}
	if p := aws.ToString(rule.EventPattern); !strings.Contains(p, `"arn:aws:ecs:eu-west-1:210987654321:service/staging/myapp"`) ||
		strings.Contains(p, "us-east-1") {
		t.Errorf("staging's ECS rule matches %s", p)
	}
	targets, err := seb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("switchyard-deployments")})
	if err != nil || len(targets.Targets) != 1 {
		t.Fatalf("targets %+v, %v", targets, err)
	}
	if tg := targets.Targets[0]; aws.ToString(tg.Arn) != homeBus ||
		aws.ToString(tg.RoleArn) != "arn:aws:iam::210987654321:role/switchyard-events-forward" {
		t.Errorf("staging forwards to %s with role %s", aws.ToString(tg.Arn), aws.ToString(tg.RoleArn))
	}
	// The bot's bus lets staging's account put events.
	bus, err := s.eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("default")})
	if err != nil || !strings.Contains(aws.ToString(bus.Policy), "arn:aws:iam::210987654321:root") {
		t.Errorf("bus policy %q, %v", aws.ToString(bus.Policy), err)
	}
	// Setup reached staging through its role, as the bot for nobody.
	for _, r := range trail(t, s.staging, "PutRule") {
		if r.UserIdentity.SessionContext == nil || r.UserIdentity.SessionContext.SourceIdentity != "switchyard" ||
			!strings.HasSuffix(r.UserIdentity.ARN, ":assumed-role/switchyard-deploy/switchyard-setup") {
			t.Errorf("PutRule in staging by %+v", r.UserIdentity)
		}
	}

	again, err := s.run(t, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lines(again), wantLines("found"); !slices.Equal(got, want) {
		t.Fatalf("re-run changed something:\n got %s", strings.Join(got, "\n     "))
	}
	// A dry run after that plans nothing either.
	dry, err := s.run(t, true)
	if err != nil || !slices.Equal(lines(dry), wantLines("found")) {
		t.Fatalf("dry run: %v\n%s", err, strings.Join(lines(dry), "\n"))
	}
}

func TestStaleForwardingIsUpdated(t *testing.T) {
	s := newSandbox(t)
	ctx := context.Background()
	if _, err := s.run(t, false); err != nil {
		t.Fatal(err)
	}
	// Someone in staging narrowed the rule and pointed its target at a bus
	// of their own, without the role.
	seb := eventbridge.NewFromConfig(s.staging.Config())
	if _, err := seb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("switchyard-deployments"),
		EventPattern: aws.String(`{"source":["aws.codedeploy"]}`)}); err != nil {
		t.Fatal(err)
	}
	putBusTarget(t, seb, "arn:aws:iam::210987654321:role/someone-elses")
	steps, err := s.run(t, false)
	if err != nil {
		t.Fatal(err)
	}
	want := wantLines("found")
	want[7] = strings.Replace(want[7], "=found", "=changed", 1)
	want[9] = strings.Replace(want[9], "=found", "=changed", 1)
	if got := lines(steps); !slices.Equal(got, want) {
		t.Fatalf("after a stale forwarding:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	if steps[7].Detail != "it matched every event from aws.codedeploy" || !strings.Contains(steps[9].Detail, "role/someone-elses") ||
		!strings.Contains(steps[9].Does, "as role switchyard-events-forward") {
		t.Errorf("details: %q, %q (%q)", steps[7].Detail, steps[9].Detail, steps[9].Does)
	}
}

// putBusTarget points the staging rule's target at the bot's bus through
// another role, as a person might.
func putBusTarget(t *testing.T, eb *eventbridge.Client, role string) {
	t.Helper()
	out, err := eb.PutTargets(context.Background(), &eventbridge.PutTargetsInput{Rule: aws.String("switchyard-deployments"),
		Targets: []ebtypes.Target{{Id: aws.String(busTargetID), Arn: aws.String(homeBus), RoleArn: aws.String(role)}}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("put target through %s: %+v %v", role, out, err)
	}
}

// A deployment in the staging account, started by the bot through the
// role, reaches the bot's queue in the other account and region.
func TestEventsFromStagingReachTheQueue(t *testing.T) {
	s := newSandbox(t)
	id := s.startDeployment(t, "myapp", "staging", "v1.4")
	found := s.readEvents(t, 30, 30*time.Second, func(body string) bool {
		var ev struct {
			Account, Region string
			Detail          struct {
				DeploymentID string `json:"deploymentId"`
			}
		}
		_ = json.Unmarshal([]byte(body), &ev)
		if ev.Detail.DeploymentID != id {
			return false
		}
		if ev.Account != stagingAccount || ev.Region != "eu-west-1" {
			t.Errorf("the event of %s says account %s, region %s", id, ev.Account, ev.Region)
		}
		return true
	})
	if !found {
		t.Fatalf("no event of staging's deployment %s reached the queue", id)
	}
}

// startDeployment runs setup, then plans and starts version of app in env
// as the bot would, for alice; it returns the deployment's id.
func (s *sandbox) startDeployment(t *testing.T, app, env, version string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := s.run(t, false); err != nil {
		t.Fatal(err)
	}
	d := deployer.NewFromConfig(s.sim.Config(), nil, deployer.Options{Now: s.sim.Clock().Now})
	a, _ := s.cfg.Lookup(app)
	e, _ := a.Env(env)
	plan, err := d.Plan(ctx, e, version, switchyard.PlanOptions{App: app})
	if err != nil {
		t.Fatal(err)
	}
	id, err := d.Start(ctx, plan, switchyard.Actor{User: "U0ALICE", Channel: "C0DEPLOYS"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// readEvents reads the events queue, moving the clock on by step whenever
// it is empty (the deployment moves on, and says so), and hands each
// message's body to done, deleting it, until done says so (true) or tries
// looks have passed (false).
func (s *sandbox) readEvents(t *testing.T, tries int, step time.Duration, done func(body string) bool) bool {
	t.Helper()
	ctx := context.Background()
	url := s.sim.QueueURL("switchyard-events")
	for range tries {
		if s.sim.QueueMessages("switchyard-events") == 0 {
			s.sim.Advance(step)
			continue
		}
		out, err := s.q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if _, err := s.q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
			if done(aws.ToString(m.Body)) {
				return true
			}
		}
	}
	return false
}

// An account setup cannot reach is reported, with a warning for each
// environment there that says why its events will not arrive and what to
// do, and the rest is built.
func TestUnreachableAccountIsReported(t *testing.T) {
	s := newSandbox(t)
	app, _ := s.cfg.Lookup("myapp")
	env := app.Environments["staging"]
	env.RoleARN = "arn:aws:iam::210987654321:role/nobody"
	app.Environments["staging"] = env
	opts := reach(s.sim)
	rep, err := Run(context.Background(), s.cfg, s.eb, s.q, opts)
	var na *NotArrivingError
	if !errors.As(err, &na) || !slices.Equal(na.Environments, []string{"myapp staging"}) || !isCode(err, "AccessDenied") {
		t.Fatalf("err = %v", err)
	}
	if len(rep.Warnings) != 1 {
		t.Fatalf("warnings: %+v", rep.Warnings)
	}
	w := rep.Warnings[0]
	if w.App != "myapp" || w.Env != "staging" || w.Account != stagingAccount || w.Region != "eu-west-1" ||
		!strings.Contains(w.Why, "through role arn:aws:iam::210987654321:role/nobody (AccessDenied: ") ||
		!strings.Contains(w.Fix, "assume the role") || !strings.Contains(w.Fix, "polling") {
		t.Errorf("warning: %+v", w)
	}
	got := lines(rep.Steps)
	if last := got[len(got)-1]; last != stagingAccount+" eu-west-1 forwarding switchyard-deployments=missing" {
		t.Errorf("last step %s", last)
	}
	if !slices.Equal(got[:7], wantLines("created")[:7]) {
		t.Errorf("home steps: %s", strings.Join(got, "\n"))
	}
}

// Without a way to reach the other places (a caller that gives setup no
// Reach), setup builds the bot's own end and warns about each
// environment elsewhere: its events will not arrive.
func TestNoReachWarnsOfEachEnvironment(t *testing.T) {
	s := newSandbox(t)
	rep, err := Run(context.Background(), s.cfg, s.eb, s.q, Options{Account: homeAccount})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 1 || rep.Warnings[0].App != "myapp" || rep.Warnings[0].Env != "staging" ||
		!strings.Contains(rep.Warnings[0].String(), "will not arrive: setup was not given a way to reach account 210987654321 in eu-west-1") {
		t.Errorf("warnings: %+v", rep.Warnings)
	}
	if !slices.Equal(rep.Home, []string{"myapp production", "payments production", "checkout production"}) {
		t.Errorf("home: %v", rep.Home)
	}
}

// trailRecord is the part of a CloudTrail record these tests read.
type trailRecord struct {
	UserIdentity struct {
		ARN            string
		SessionContext *struct{ SourceIdentity string }
	}
}

func trail(t *testing.T, p *awssim.Sim, event string) []trailRecord {
	t.Helper()
	out, err := cloudtrail.NewFromConfig(p.Config()).LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(event)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) == 0 {
		t.Fatalf("no %s in %s %s", event, p.Account(), p.Region())
	}
	var recs []trailRecord
	for _, e := range out.Events {
		var r trailRecord
		if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	return recs
}
