package metrics_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/commands"
	"github.com/switchyard/switchyard/internal/awssim"
	"github.com/switchyard/switchyard/internal/metrics"
	"github.com/switchyard/switchyard/internal/slackout"
	"github.com/switchyard/switchyard/internal/slacksim"
	"github.com/switchyard/switchyard/notify"
)

var (
	_ commands.Observer = (*metrics.Metrics)(nil)
	_ notify.Observer   = (*metrics.Metrics)(nil)
	_ slackout.Observer = (*metrics.Metrics)(nil)
)

// compare checks the named families against the exposition text want.
func compare(t *testing.T, m *metrics.Metrics, want string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

func TestObservers(t *testing.T) {
	m := metrics.New(metrics.Options{Version: "v1.2.3"})
	m.Envelope("slash_commands", 4*time.Millisecond)
	m.Envelope("slash_commands", 40*time.Millisecond)
	m.Envelope("interactive", 2*time.Second)
	m.Outcome("deploy", switchyard.ResultOK)
	m.Outcome("rollback", switchyard.ResultRefused)
	m.Outcome("rollback", switchyard.ResultRefused)
	m.Socket(true, 3)
	m.Socket(true, 0) // no count in the event: the last one stands
	m.Tracked(5)
	m.Tracked(2)
	m.Takeover()
	m.QueueReceived(4)
	m.QueueDeleted()
	m.SlackCall("chat.update", "ok", 20*time.Millisecond)
	m.SlackCall("chat.update", "rate_limited", 5*time.Millisecond)
	m.SlackCall("chat.postMessage", "channel_not_found", 5*time.Millisecond)
	m.CardEdit(300 * time.Millisecond)

	compare(t, m, `
# HELP switchyard_build_info Always 1; the version label says which build runs.
# TYPE switchyard_build_info gauge
switchyard_build_info{version="v1.2.3"} 1
# HELP switchyard_slack_envelopes_total Socket Mode envelopes acked, by envelope type.
# TYPE switchyard_slack_envelopes_total counter
switchyard_slack_envelopes_total{type="events_api"} 0
switchyard_slack_envelopes_total{type="interactive"} 1
switchyard_slack_envelopes_total{type="slash_commands"} 2
# HELP switchyard_actions_total Audited commands and clicks, by action and result (ok, refused, failed).
# TYPE switchyard_actions_total counter
switchyard_actions_total{action="deploy",result="ok"} 1
switchyard_actions_total{action="rollback",result="refused"} 2
# HELP switchyard_slack_socket_up 1 while this replica's Socket Mode connection is up, else 0.
# TYPE switchyard_slack_socket_up gauge
switchyard_slack_socket_up 1
# HELP switchyard_slack_socket_connections The app's open Socket Mode connections by Slack's count at the last hello; more than the replicas running means ghost connections.
# TYPE switchyard_slack_socket_connections gauge
switchyard_slack_socket_connections 3
# HELP switchyard_deployments_tracked Deployments this replica watches now (it holds their leases).
# TYPE switchyard_deployments_tracked gauge
switchyard_deployments_tracked 2
# HELP switchyard_lease_takeovers_total Deployments this replica took over from one that stopped renewing its lease.
# TYPE switchyard_lease_takeovers_total counter
switchyard_lease_takeovers_total 1
# HELP switchyard_sqs_messages_received_total Messages received from the events queue.
# TYPE switchyard_sqs_messages_received_total counter
switchyard_sqs_messages_received_total 4
# HELP switchyard_sqs_messages_deleted_total Messages deleted from the events queue.
# TYPE switchyard_sqs_messages_deleted_total counter
switchyard_sqs_messages_deleted_total 1
# HELP switchyard_slack_calls_total Slack Web API calls by method and result: ok, rate_limited (429), Slack's error code, or error (no answer).
# TYPE switchyard_slack_calls_total counter
switchyard_slack_calls_total{method="chat.postMessage",result="channel_not_found"} 1
switchyard_slack_calls_total{method="chat.update",result="ok"} 1
switchyard_slack_calls_total{method="chat.update",result="rate_limited"} 1
`, "switchyard_build_info", "switchyard_slack_envelopes_total", "switchyard_actions_total", "switchyard_slack_socket_up",
		"switchyard_slack_socket_connections", "switchyard_deployments_tracked", "switchyard_lease_takeovers_total",
		"switchyard_sqs_messages_received_total", "switchyard_sqs_messages_deleted_total", "switchyard_slack_calls_total")

	// The histograms: each observation in the right bucket.
	compare(t, m, `
# HELP switchyard_card_edit_delay_seconds Time from a change of a card to Slack taking its edit.
# TYPE switchyard_card_edit_delay_seconds histogram
switchyard_card_edit_delay_seconds_bucket{le="0.05"} 0
switchyard_card_edit_delay_seconds_bucket{le="0.1"} 0
switchyard_card_edit_delay_seconds_bucket{le="0.25"} 0
switchyard_card_edit_delay_seconds_bucket{le="0.5"} 1
switchyard_card_edit_delay_seconds_bucket{le="1"} 1
switchyard_card_edit_delay_seconds_bucket{le="2.5"} 1
switchyard_card_edit_delay_seconds_bucket{le="5"} 1
switchyard_card_edit_delay_seconds_bucket{le="10"} 1
switchyard_card_edit_delay_seconds_bucket{le="30"} 1
switchyard_card_edit_delay_seconds_bucket{le="60"} 1
switchyard_card_edit_delay_seconds_bucket{le="120"} 1
switchyard_card_edit_delay_seconds_bucket{le="+Inf"} 1
switchyard_card_edit_delay_seconds_sum 0.3
switchyard_card_edit_delay_seconds_count 1
`, "switchyard_card_edit_delay_seconds")
	if n, err := testutil.GatherAndCount(m.Gatherer(), "switchyard_slack_ack_seconds"); err != nil || n != 3 {
		t.Errorf("ack histograms: %d, %v; want one per envelope type", n, err)
	}

	m.Socket(false, 0)
	compare(t, m, `
# HELP switchyard_slack_socket_up 1 while this replica's Socket Mode connection is up, else 0.
# TYPE switchyard_slack_socket_up gauge
switchyard_slack_socket_up 0
`, "switchyard_slack_socket_up")
}

// Two Metrics never share a number: no global registry.
func TestMetricsAreIndependent(t *testing.T) {
	a, b := metrics.New(metrics.Options{}), metrics.New(metrics.Options{})
	a.Takeover()
	if n, _ := testutil.GatherAndCount(b.Gatherer(), "switchyard_lease_takeovers_total"); n != 1 {
		t.Fatalf("b has %d takeover series, want its own one", n)
	}
	compare(t, b, `
# HELP switchyard_lease_takeovers_total Deployments this replica took over from one that stopped renewing its lease.
# TYPE switchyard_lease_takeovers_total counter
switchyard_lease_takeovers_total 0
`, "switchyard_lease_takeovers_total")
	// The runtime's own metrics are there too.
	if n, err := testutil.GatherAndCount(a.Gatherer(), "go_goroutines", "process_open_fds"); err != nil || n != 2 {
		t.Errorf("go_goroutines and process_open_fds: %d, %v", n, err)
	}
}

// Error codes come from Slack and AWS: a hostile one can neither break the
// format nor grow without end.
func TestOutsideTextInLabels(t *testing.T) {
	m := metrics.New(metrics.Options{})
	m.SlackCall("chat.update", "bad\"code\n} 1\nevil_metric 9", time.Millisecond)
	m.SlackCall("chat.update", strings.Repeat("x", 500), time.Millisecond)
	m.SlackCall("chat.update", "\x00\x01", time.Millisecond)
	m.AWSCall("SQS", "ReceiveMessage", "Throttling Exception ☃", time.Millisecond)
	compare(t, m, `
# HELP switchyard_slack_calls_total Slack Web API calls by method and result: ok, rate_limited (429), Slack's error code, or error (no answer).
# TYPE switchyard_slack_calls_total counter
switchyard_slack_calls_total{method="chat.update",result="badcode1evil_metric9"} 1
switchyard_slack_calls_total{method="chat.update",result="error"} 1
switchyard_slack_calls_total{method="chat.update",result="`+strings.Repeat("x", 64)+`"} 1
# HELP switchyard_aws_calls_total AWS API calls by service, operation and code: ok, AWS's error code, or error (no answer).
# TYPE switchyard_aws_calls_total counter
switchyard_aws_calls_total{code="ThrottlingException",operation="ReceiveMessage",service="SQS"} 1
`, "switchyard_slack_calls_total", "switchyard_aws_calls_total")
}

// The middleware counts real calls of a real SDK client: a success, AWS's
// error code, and a call that got no answer; added twice, it counts once.
func TestAWSMiddleware(t *testing.T) {
	sim := awssim.New(awssim.Options{})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	m := metrics.New(metrics.Options{})
	cfg := sim.Config()
	cfg.APIOptions = append(cfg.APIOptions, m.AWSMiddleware(), m.AWSMiddleware())
	q := sqs.NewFromConfig(cfg)
	ctx := context.Background()

	if _, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("metrics-test")}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("metrics-test")}); err != nil {
		t.Fatal(err)
	}
	_, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("no-such-queue")})
	if err == nil {
		t.Fatal("GetQueueUrl of a missing queue succeeded")
	}
	missing := metrics.AWSCode(err)
	if missing == "ok" || missing == "error" {
		t.Fatalf("a missing queue's code = %q (%v), want AWS's error code", missing, err)
	}
	sim.Deny("sqs:GetQueueUrl")
	if _, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("metrics-test")}); err == nil {
		t.Fatal("a denied call succeeded")
	}

	// CodeDeploy's client names its service and operation in a middleware
	// of its own, unlike SQS's.
	cd := codedeploy.NewFromConfig(cfg)
	if _, err := cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String("d-NOSUCH123")}); err == nil {
		t.Fatal("GetDeployment of a missing deployment succeeded")
	}

	// Nobody listens there: no answer at all.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	dead := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(closed); o.RetryMaxAttempts = 1 })
	if _, err := dead.ListQueues(ctx, &sqs.ListQueuesInput{}); err == nil {
		t.Fatal("a call to a closed port succeeded")
	}

	compare(t, m, `
# HELP switchyard_aws_calls_total AWS API calls by service, operation and code: ok, AWS's error code, or error (no answer).
# TYPE switchyard_aws_calls_total counter
switchyard_aws_calls_total{code="AccessDenied",operation="GetQueueUrl",service="SQS"} 1
switchyard_aws_calls_total{code="DeploymentDoesNotExistException",operation="GetDeployment",service="CodeDeploy"} 1
switchyard_aws_calls_total{code="ok",operation="CreateQueue",service="SQS"} 1
switchyard_aws_calls_total{code="ok",operation="GetQueueUrl",service="SQS"} 1
switchyard_aws_calls_total{code="`+missing+`",operation="GetQueueUrl",service="SQS"} 1
switchyard_aws_calls_total{code="error",operation="ListQueues",service="SQS"} 1
`, "switchyard_aws_calls_total")
	if n, err := testutil.GatherAndCount(m.Gatherer(), "switchyard_aws_call_seconds"); err != nil || n != 4 {
		t.Errorf("call duration series: %d, %v; want one per operation", n, err)
	}
}

// The Slack wrapper counts real calls of slack-go against the simulator:
// successes, Slack's refusal by its code, and a 429 apart.
func TestSlackWrapper(t *testing.T) {
	sim := slacksim.New(slacksim.Options{Workspace: slacksim.DefaultWorkspace()})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	m := metrics.New(metrics.Options{})
	api := m.Slack(slack.New(sim.BotToken(), slack.OptionAPIURL(sim.URL())))
	ctx := context.Background()
	if _, ts, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("hello", false)); err != nil {
		t.Fatal(err)
	} else if _, _, _, err := api.UpdateMessageContext(ctx, "C0DEPLOYS", ts, slack.MsgOptionText("hello again", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C0DEPLOYS", "U0ALICE", slack.MsgOptionText("psst", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C0NOWHERE", slack.MsgOptionText("lost", false)); err == nil {
		t.Fatal("a post to a missing channel succeeded")
	}
	// Tight limits: one call of a Tier 2 method, then one in ten seconds.
	sim.SetRateLimit(slacksim.RateTight)
	if _, err := api.GetUserGroupMembersContext(ctx, "S0ONCALL"); err != nil {
		t.Fatal(err)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S0ONCALL"); err == nil {
		t.Fatal("the second call under tight limits was not limited")
	}
	compare(t, m, `
# HELP switchyard_slack_calls_total Slack Web API calls by method and result: ok, rate_limited (429), Slack's error code, or error (no answer).
# TYPE switchyard_slack_calls_total counter
switchyard_slack_calls_total{method="chat.postEphemeral",result="ok"} 1
switchyard_slack_calls_total{method="chat.postMessage",result="channel_not_found"} 1
switchyard_slack_calls_total{method="chat.postMessage",result="ok"} 1
switchyard_slack_calls_total{method="chat.update",result="ok"} 1
switchyard_slack_calls_total{method="usergroups.users.list",result="ok"} 1
switchyard_slack_calls_total{method="usergroups.users.list",result="rate_limited"} 1
`, "switchyard_slack_calls_total")
	if got := metrics.SlackResult(errors.New("dial tcp: connection refused")); got != "error" {
		t.Errorf("no answer = %q, want error", got)
	}
}
