package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/slack-go/slack"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/slacksim"

	"github.com/switchyard/switchyard/internal/simtest"
)

// A deployment started with the AWS SDK directly (console, CLI, CI) gets a
// card in the app's channel and is followed like any other.
func TestOutsideDeploymentGetsACard(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	ctx := context.Background()
	id := r.outsideDeploy("myapp", "myapp-prod", "hotfix from CI")
	simtest.WaitFor(t, "the card to be posted", func() bool {
		rec, err := r.store.GetDeployment(ctx, id)
		return err == nil && rec.CardTS != ""
	}, nil)
	r.run(5*time.Second, 10*time.Minute, r.finished(id))
	rec := r.record(id)
	card := r.card(rec.CardTS)
	// The version is read from the task definition the AppSpec names.
	if !strings.Contains(string(card.Blocks), "outside Slack") || !strings.Contains(card.Text, "myapp v1.3 → production: succeeded") {
		t.Errorf("card = %s", card.Blocks)
	}
	simtest.NoDuplicates(t, r.thread(rec.CardTS))
	if top := r.topLevel(); len(top) != 2 {
		t.Errorf("top-level messages = %d:\n%s", len(top), simtest.Texts(top))
	}
}

// outsideDeploy starts a deployment of app's service in group with the
// SDK, as the console, the CLI or CI would, and returns its id.
func (r *rig) outsideDeploy(app, group, description string) string {
	r.t.Helper()
	ctx := context.Background()
	svc, err := ecs.NewFromConfig(r.aws.Config()).DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster: aws.String("prod"), Services: []string{app}})
	if err != nil || len(svc.Services) != 1 {
		r.t.Fatal(err)
	}
	lb := svc.Services[0].LoadBalancers[0]
	spec := fmt.Sprintf("version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: %q\n        LoadBalancerInfo:\n          ContainerName: %s\n          ContainerPort: %d\n",
		aws.ToString(svc.Services[0].TaskDefinition), aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort))
	out, err := r.cd.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{
		ApplicationName: aws.String(app), DeploymentGroupName: aws.String(group),
		DeploymentConfigName: aws.String(allAtOnce), Description: aws.String(description),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(spec)}},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return aws.ToString(out.DeploymentId)
}

// A bot started on an empty store (a first start, a lost volume) records
// what ended before it started without a card, from discovery and from the
// events still queued, and posts a card only for what is in flight.
func TestEmptyStoreRecordsFinishedDeploymentsQuietly(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	r.stop()
	ctx := context.Background()
	done := r.outsideDeploy("myapp", "myapp-prod", "deployed before the bot")
	for i := 0; ; i++ {
		got, err := r.cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(done)})
		if err != nil {
			t.Fatal(err)
		}
		if got.DeploymentInfo.Status == cdtypes.DeploymentStatusSucceeded {
			break
		}
		if i == 60 {
			t.Fatalf("%s is %s after 30 simulated minutes", done, got.DeploymentInfo.Status)
		}
		r.aws.Advance(30 * time.Second)
	}
	running := r.outsideDeploy("payments", "payments-prod", "in flight when the bot starts")

	r.startNotifier()
	simtest.WaitFor(t, "both deployments to be recorded, the running one with a card", func() bool {
		_, err := r.store.GetDeployment(ctx, done)
		rec, rerr := r.store.GetDeployment(ctx, running)
		return err == nil && rerr == nil && rec.CardTS != ""
	}, func() string { return simtest.Texts(r.slack.Messages(channel)) })
	r.settle()

	rec := r.record(done)
	if rec.CardTS != "" || rec.Status != "Succeeded" {
		t.Errorf("the deployment that ended before the bot started: card %q, status %s", rec.CardTS, rec.Status)
	}
	if got, err := r.store.Replies(ctx, done); err != nil || len(got) != 1 {
		t.Errorf("%s's thread memory = %v, %v; want only the mark of a quiet record", done, got, err)
	} else if _, ok := got[switchyard.KeyQuiet]; !ok {
		t.Errorf("%s is not marked as recorded quietly: %v", done, got)
	}
	all := simtest.Texts(r.slack.Messages(channel))
	if strings.Contains(all, done) || strings.Contains(all, "myapp") {
		t.Errorf("the finished deployment was posted:\n%s", all)
	}
	if top := r.topLevel(); len(top) != 1 || top[0].TS != r.record(running).CardTS {
		t.Errorf("top-level messages = %d, want only the running deployment's card:\n%s", len(top), simtest.Texts(top))
	}
}

// Duplicate, out-of-order, foreign and malformed events change nothing
// wrong: the card follows AWS, each reply is posted once, and every
// message leaves the queue.
func TestEventsDuplicateOutOfOrderMalformed(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	ctx := context.Background()
	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", allAtOnce)
	r.settle()
	event := func(state, group string) string {
		return fmt.Sprintf(`{"version":"0","id":"e-%s","detail-type":"CodeDeploy Deployment State-change Notification","source":"aws.codedeploy","account":"123456789012","time":"2026-03-02T09:00:00Z","region":"us-east-1","resources":[],"detail":{"application":"myapp","deploymentGroup":%q,"deploymentId":%q,"instanceGroupId":"x","region":"us-east-1","state":%q}}`,
			state, group, id, state)
	}
	bodies := []string{"not json at all", `{"detail-type":"CodeDeploy Deployment State-change Notification","source":"aws.codedeploy","detail":{}}`,
		event("SUCCESS", "myapp-prod"), event("SUCCESS", "myapp-prod"), event("START", "myapp-prod"),
		event("SUCCESS", "someone-elses-group"), event("FAILURE", "myapp-prod")}
	for _, b := range bodies {
		if _, err := r.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(r.queueURL), MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	simtest.WaitFor(t, "the queue to be drained", func() bool { return r.aws.QueueMessages(r.cfg.Events.Queue) == 0 }, nil)
	r.settle()
	if rec := r.record(id); rec.Status.Done() {
		t.Fatalf("early SUCCESS/FAILURE events finished the deployment: %s", rec.Status)
	}
	r.run(5*time.Second, 10*time.Minute, r.finished(id))
	th := r.thread(ts)
	simtest.NoDuplicates(t, th)
	simtest.InOrder(t, simtest.Texts(th), "100% of traffic on green", "myapp v1.4 is live")
	if !strings.Contains(r.card(ts).Text, "succeeded") {
		t.Errorf("card = %s", r.card(ts).Text)
	}
}

// With no events at all, polling alone tells the whole story.
func TestMissingEventsPollingAlone(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{QueueURL: "off"})
	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", allAtOnce)
	r.run(5*time.Second, 10*time.Minute, r.finished(id))
	simtest.NoDuplicates(t, r.thread(ts))
	simtest.InOrder(t, simtest.Texts(r.thread(ts)), "*Install* succeeded", "100% of traffic on green", "myapp v1.4 is live")
}

// Slack answering 429 and AWS throttling end with the same correct card
// and no duplicate replies.
func TestSlackRateLimitsAndAWSThrottling(t *testing.T) {
	t.Parallel()
	var spy *slackSpy
	r := newRigSlack(t, Options{}, func(sl Slack) Slack { spy = newSlackSpy(sl); return spy })
	r.slack.SetRateLimit(slacksim.RateTight)
	r.aws.SetThrottle("codedeploy", 0.3)
	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", allAtOnce)
	for range 60 {
		if r.record(id).Status.Done() {
			break
		}
		r.aws.Advance(15 * time.Second)
		r.caughtUp(id)
	}
	simtest.WaitFor(t, "the final state shown under rate limits", func() bool { return r.finished(id)() && r.n.out.Idle() }, nil)
	th := r.thread(ts)
	simtest.NoDuplicates(t, th)
	simtest.InOrder(t, simtest.Texts(th), "myapp v1.4 is live")
	if !th[len(th)-1].ReplyBroadcast {
		t.Errorf("last reply is not the broadcast final: %+v", th[len(th)-1])
	}
	if card := r.card(ts); !strings.Contains(card.Text, "succeeded") {
		t.Errorf("card = %s", card.Text)
	}
	if r.slack.Calls()["chat.update"]+r.slack.Calls()["chat.postMessage"] == 0 {
		t.Error("no Slack calls counted")
	}
	if len(spy.rateLimited()) == 0 {
		t.Error("Slack never answered 429: the test did not test rate limits")
	}
	if n := spy.mostInFlight(); n > 1 {
		t.Errorf("%d edits of one card were in flight at once", n)
	}
	for _, e := range spy.earlyRetries() {
		t.Errorf("Retry-After not honoured: %s", e)
	}
	if r.throttled.Load() == 0 {
		t.Error("AWS never throttled a call: the test did not test throttling")
	}
}

// The Notifier stopped mid-deployment and a new one started on the same
// store keeps the same card, posts what changed meanwhile once, and
// repeats nothing.
func TestRestartMidDeployment(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", "")
	r.run(5*time.Second, 10*time.Minute, func() bool { return r.record(id).Traffic.Green >= 30 })
	r.stop()
	r.aws.Advance(150 * time.Second) // changes while nobody watches
	r.startNotifier()
	r.run(10*time.Second, 20*time.Minute, r.finished(id))
	th := r.thread(ts)
	simtest.NoDuplicates(t, th)
	// What happened while down is told once, as it stands on resume: the
	// steps missed are not made up afterwards.
	simtest.InOrder(t, simtest.Texts(th), "30% of traffic on green", "50% of traffic on green", "60% of traffic on green",
		"100% of traffic on green", "myapp v1.4 is live")
	if strings.Contains(simtest.Texts(th), "40% of traffic") {
		t.Errorf("a step taken while down was made up:\n%s", simtest.Texts(th))
	}
	if top := r.topLevel(); len(top) != 2 {
		t.Errorf("top-level messages = %d, want the same card and the broadcast:\n%s", len(top), simtest.Texts(top))
	}
	if card := r.card(ts); !strings.Contains(card.Text, "succeeded") {
		t.Errorf("card = %s", card.Text)
	}
}

// mute is a Slack whose thread replies fail while muted says so: a
// replica that saw the end of a deployment and died before telling it.
type mute struct {
	Slack
	muted *atomic.Bool
}

func (m mute) PostMessageContext(ctx context.Context, channel string, options ...slack.MsgOption) (string, string, error) {
	if m.muted.Load() && strings.Contains(sentText(options), "is live") {
		return "", "", errors.New("the replica died before this reached Slack")
	}
	return m.Slack.PostMessageContext(ctx, channel, options...)
}

// The replica that saw a deployment end died before telling it: another
// start tells the end once, on the same card, though the record already
// says it is over.
func TestAnEndSeenButUntoldIsTold(t *testing.T) {
	t.Parallel()
	muted := &atomic.Bool{}
	muted.Store(true)
	r := newRigSlack(t, Options{Grace: time.Millisecond}, func(s Slack) Slack { return mute{Slack: s, muted: muted} })
	ctx := context.Background()
	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", allAtOnce)
	for i := 0; ; i++ {
		rec, err := r.store.GetDeployment(ctx, id)
		if err == nil && rec.Status.Done() {
			break
		}
		if i == 120 {
			t.Fatalf("not done after an hour simulated:\n%s", simtest.Texts(r.thread(ts)))
		}
		r.aws.Advance(30 * time.Second)
		r.caughtUp(id)
	}
	r.stop()
	if th := simtest.Texts(r.thread(ts)); strings.Contains(th, "is live") {
		t.Fatalf("the end was told before the replica died:\n%s", th)
	}

	muted.Store(false)
	r.startNotifier()
	simtest.WaitFor(t, "the end to be told", func() bool { return r.hasReply(id, switchyard.KeyFinal) },
		func() string { return simtest.Texts(r.thread(ts)) })
	r.settle()
	th := r.thread(ts)
	simtest.NoDuplicates(t, th)
	if n := strings.Count(simtest.Texts(th), "is live"); n != 1 {
		t.Errorf("the end is told %d times:\n%s", n, simtest.Texts(th))
	}
	if card := r.card(ts); !strings.Contains(card.Text, "succeeded") {
		t.Errorf("the card reads %q", card.Text)
	}
}
