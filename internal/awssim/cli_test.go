package awssim

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
)

// The AWS CLI is a second, independent client of the simulator: botocore
// builds its requests from its own service models, so what the Go SDK
// tolerates but the CLI does not (a missing member, a wrong error shape)
// shows up here.

// awsCLI runs the real `aws` binary against one simulator.
type awsCLI struct {
	t   *testing.T
	bin string
	url string
	env []string
}

// newAWSCLI finds `aws` on PATH (its absence fails the test: the machine
// image ships aws-cli v1, which speaks JSON to SQS) and runs it with the
// simulator's environment, which reads no configuration of the machine's.
func newAWSCLI(t *testing.T, sim *Sim) *awsCLI {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatal("the AWS CLI (aws) is not on PATH: these tests need aws-cli v1.45 or later (botocore with SQS's JSON protocol), as this machine image ships it")
	}
	return &awsCLI{t: t, bin: bin, url: sim.URL(), env: sim.Environ(os.Environ())}
}

// run calls aws with args and returns what it printed and its exit code.
func (c *awsCLI) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	full := append([]string{"--endpoint-url", c.url, "--output", "json"}, args...)
	cmd := exec.CommandContext(ctx, c.bin, full...)
	cmd.Env = c.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		c.t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		c.t.Fatalf("aws %s did not end within 50s; stderr:\n%s", strings.Join(args, " "), errb.String())
	}
	return out.String(), errb.String(), code
}

// json calls aws with args, requires success, and decodes its JSON output
// into v.
func (c *awsCLI) json(v any, args ...string) {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("aws %s: exit %d\nstderr:\n%s%s", strings.Join(args, " "), code, errOut, oldCLIHint(errOut))
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("aws %s printed no JSON (%v):\n%s", strings.Join(args, " "), err, out)
	}
}

// oldCLIHint explains the one failure an older AWS CLI is known to hit:
// its SQS and CloudWatch models still use the Query protocol (form bodies,
// XML answers), which the simulator does not serve; it speaks the JSON and
// CBOR protocols that current SDKs and CLIs use.
func oldCLIHint(stderr string) string {
	if !strings.Contains(stderr, "invalid XML received") {
		return ""
	}
	return "\n(this aws sends SQS/CloudWatch calls in the Query protocol and expects XML; the simulator speaks " +
		"only the JSON protocol current CLIs use: install a newer AWS CLI, e.g. pip install awscli)"
}

// fails calls aws with args, requires the exit code of a service error
// (254 in CLI v2, 255 in v1) and returns stderr.
func (c *awsCLI) fails(args ...string) string {
	c.t.Helper()
	_, errOut, code := c.run(args...)
	if code != 254 && code != 255 {
		c.t.Fatalf("aws %s: exit %d, want 254 or 255 (a service error)\nstderr:\n%s", strings.Join(args, " "), code, errOut)
	}
	return errOut
}

// cliDeployment is the part of GetDeployment's deploymentInfo the CLI test
// checks.
type cliDeployment struct {
	DeploymentInfo struct {
		DeploymentID        string `json:"deploymentId"`
		ApplicationName     string `json:"applicationName"`
		DeploymentGroupName string `json:"deploymentGroupName"`
		Status              string `json:"status"`
		Creator             string `json:"creator"`
		Description         string `json:"description"`
		ComputePlatform     string `json:"computePlatform"`
		CreateTime          any    `json:"createTime"`
		CompleteTime        any    `json:"completeTime"`
		ErrorInformation    struct {
			Code string `json:"code"`
		} `json:"errorInformation"`
		RollbackInfo struct {
			RollbackDeploymentID           string `json:"rollbackDeploymentId"`
			RollbackTriggeringDeploymentID string `json:"rollbackTriggeringDeploymentId"`
		} `json:"rollbackInfo"`
		Revision struct {
			RevisionType   string `json:"revisionType"`
			AppSpecContent struct {
				Sha256 string `json:"sha256"`
			} `json:"appSpecContent"`
		} `json:"revision"`
	} `json:"deploymentInfo"`
}

// TestAWSCLI drives the simulator with the AWS CLI: `aws ecs deploy` end to
// end, CodeDeploy reads and a stop with rollback, an EventBridge rule that
// delivers CodeDeploy events to an SQS queue, SQS messages with their MD5s,
// and one service error per service.
func TestAWSCLI(t *testing.T) {
	// 600 simulated seconds per real second: the web deployment (green
	// steady after 30 s, one minute of termination wait) ends in well under
	// a real second, and api's two-day Ready wait outlasts the test.
	sim := startWorld(t, "testdata/cli/world.yaml", Options{Speed: 600})
	cli := newAWSCLI(t, sim)

	// The event path first, so the api deployment's events reach the queue.
	queueURL := cliEventPath(t, cli)

	t.Run("group", func(t *testing.T) {
		t.Run("ecs deploy", func(t *testing.T) {
			t.Parallel()
			cliECSDeploy(t, newAWSCLI(t, sim))
		})
		t.Run("stop deployment with rollback", func(t *testing.T) {
			t.Parallel()
			cliStopDeployment(t, newAWSCLI(t, sim), sim, queueURL)
		})
		t.Run("sqs messages", func(t *testing.T) {
			t.Parallel()
			cliSQSMessages(t, newAWSCLI(t, sim))
		})
		t.Run("service errors", func(t *testing.T) {
			t.Parallel()
			cliErrors(t, newAWSCLI(t, sim))
		})
	})
}

// cliEventPath creates a queue that EventBridge may send to and a rule for
// application api's deployment events that targets it, and checks the rule
// as DescribeRule shows it. It returns the queue's URL.
func cliEventPath(t *testing.T, cli *awsCLI) string {
	const (
		account = "123456789012"
		ruleArn = "arn:aws:events:us-east-1:" + account + ":rule/cli-deploys"
		qArn    = "arn:aws:sqs:us-east-1:" + account + ":cli-events"
		pattern = `{"source":["aws.codedeploy"],"detail-type":["CodeDeploy Deployment State-change Notification"],"detail":{"application":["api"]}}`
	)
	policy, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": "events.amazonaws.com"},
			"Action": "sqs:SendMessage", "Resource": qArn,
			"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleArn}},
		}},
	})
	attrs, _ := json.Marshal(map[string]string{"Policy": string(policy)})
	var q struct{ QueueUrl string }
	cli.json(&q, "sqs", "create-queue", "--queue-name", "cli-events", "--attributes", string(attrs))
	if !strings.HasSuffix(q.QueueUrl, "/"+account+"/cli-events") {
		t.Fatalf("create-queue QueueUrl = %q, want …/%s/cli-events", q.QueueUrl, account)
	}

	var rule struct{ RuleArn string }
	cli.json(&rule, "events", "put-rule", "--name", "cli-deploys", "--event-pattern", pattern,
		"--description", "api deployments, from the CLI")
	if rule.RuleArn != ruleArn {
		t.Fatalf("put-rule RuleArn = %q, want %q", rule.RuleArn, ruleArn)
	}

	var targets struct {
		FailedEntryCount int
		FailedEntries    []any
	}
	cli.json(&targets, "events", "put-targets", "--rule", "cli-deploys", "--targets", "Id=queue,Arn="+qArn)
	if targets.FailedEntryCount != 0 || len(targets.FailedEntries) != 0 {
		t.Fatalf("put-targets failed entries: %+v", targets)
	}

	var desc struct {
		Name, Arn, EventPattern, State, Description, EventBusName string
	}
	cli.json(&desc, "events", "describe-rule", "--name", "cli-deploys")
	if desc.Name != "cli-deploys" || desc.Arn != ruleArn || desc.State != "ENABLED" ||
		desc.Description != "api deployments, from the CLI" || desc.EventBusName != "default" {
		t.Fatalf("describe-rule = %+v", desc)
	}
	var got, want any
	if err := json.Unmarshal([]byte(desc.EventPattern), &got); err != nil {
		t.Fatalf("describe-rule EventPattern is not JSON: %q", desc.EventPattern)
	}
	_ = json.Unmarshal([]byte(pattern), &want)
	if !jsonEqual(got, want) {
		t.Fatalf("describe-rule EventPattern = %s, want %s", desc.EventPattern, pattern)
	}
	return q.QueueUrl
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// cliECSDeploy runs `aws ecs deploy` for service web and checks what the
// CLI printed, the deployment, the service and the new task definition.
func cliECSDeploy(t *testing.T, cli *awsCLI) {
	start := time.Now()
	out, errOut, code := cli.run("ecs", "deploy", "--cluster", "prod", "--service", "web",
		"--task-definition", "testdata/cli/web-taskdef.json",
		"--codedeploy-appspec", "testdata/cli/web-appspec.yaml",
		"--codedeploy-application", "web", "--codedeploy-deployment-group", "web-prod")
	if code != 0 {
		t.Fatalf("aws ecs deploy: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Logf("aws ecs deploy took %v:\n%s", time.Since(start).Round(time.Millisecond), out)
	const newTD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
	m := regexp.MustCompile(`Successfully created deployment (d-[A-Z0-9]{9})\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("aws ecs deploy printed no deployment id:\n%s", out)
	}
	id := m[1]
	for _, line := range []string{
		"Successfully registered new ECS task definition " + newTD + "\n",
		"Waiting for " + id + " to succeed",
		"Successfully deployed " + newTD + " to service 'web'\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("aws ecs deploy output lacks %q:\n%s", line, out)
		}
	}

	var d cliDeployment
	cli.json(&d, "deploy", "get-deployment", "--deployment-id", id)
	di := d.DeploymentInfo
	if di.DeploymentID != id || di.Status != "Succeeded" || di.ApplicationName != "web" ||
		di.DeploymentGroupName != "web-prod" || di.Creator != "user" || di.ComputePlatform != "ECS" ||
		di.Revision.RevisionType != "AppSpecContent" || len(di.Revision.AppSpecContent.Sha256) != 64 {
		t.Errorf("get-deployment %s = %+v", id, di)
	}
	if _, ok := di.CreateTime.(float64); !ok {
		t.Errorf("createTime = %#v, want an epoch number", di.CreateTime)
	}
	if _, ok := di.CompleteTime.(float64); !ok {
		t.Errorf("completeTime = %#v, want an epoch number", di.CompleteTime)
	}

	var svc struct {
		Services []struct {
			ServiceName    string
			TaskDefinition string
			TaskSets       []struct{ Status, TaskDefinition string }
		} `json:"services"`
	}
	cli.json(&svc, "ecs", "describe-services", "--cluster", "prod", "--services", "web")
	if len(svc.Services) != 1 || svc.Services[0].TaskDefinition != newTD {
		t.Fatalf("describe-services web = %+v, want task definition %s", svc.Services, newTD)
	}
	if ts := svc.Services[0].TaskSets; len(ts) != 1 || ts[0].Status != "PRIMARY" || ts[0].TaskDefinition != newTD {
		t.Errorf("web's task sets after the deployment = %+v, want one PRIMARY running %s", ts, newTD)
	}

	var td struct {
		TaskDefinition struct {
			Revision             int `json:"revision"`
			ContainerDefinitions []struct {
				Image       string                         `json:"image"`
				Environment []struct{ Name, Value string } `json:"environment"`
			} `json:"containerDefinitions"`
		} `json:"taskDefinition"`
		Tags []struct{ Key, Value string } `json:"tags"`
	}
	cli.json(&td, "ecs", "describe-task-definition", "--task-definition", "web:2", "--include", "TAGS")
	cds := td.TaskDefinition.ContainerDefinitions
	if td.TaskDefinition.Revision != 2 || len(cds) != 1 || !strings.HasSuffix(cds[0].Image, "/web:v1.4") ||
		len(cds[0].Environment) != 1 || len(td.Tags) != 1 || td.Tags[0].Key != "deployed-by" {
		t.Errorf("describe-task-definition web:2 = %+v", td)
	}
}

// cliStopDeployment starts an api deployment with `aws deploy
// create-deployment`, stops it in its Ready wait with rollback, checks both
// deployments and their link, and receives their events from the queue.
func cliStopDeployment(t *testing.T, cli *awsCLI, sim *Sim, queueURL string) {
	const appspec = `{"version":0.0,"Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{` +
		`"TaskDefinition":"arn:aws:ecs:us-east-1:123456789012:task-definition/api:1",` +
		`"LoadBalancerInfo":{"ContainerName":"api","ContainerPort":9000}}}}]}`
	rev, _ := json.Marshal(map[string]any{"revisionType": "AppSpecContent", "appSpecContent": map[string]string{"content": appspec}})
	var created struct {
		DeploymentID string `json:"deploymentId"`
	}
	cli.json(&created, "deploy", "create-deployment", "--application-name", "api",
		"--deployment-group-name", "api-prod", "--revision", string(rev), "--description", "from the CLI")
	id := created.DeploymentID
	if !regexp.MustCompile(`^d-[A-Z0-9]{9}$`).MatchString(id) {
		t.Fatalf("create-deployment deploymentId = %q", id)
	}

	cd := codedeploy.NewFromConfig(sim.Config())
	status := func(id string) string {
		out, err := cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: &id})
		if err != nil {
			t.Fatalf("GetDeployment %s: %v", id, err)
		}
		return string(out.DeploymentInfo.Status)
	}
	waitFor(t, "api deployment "+id+" Ready", func() bool { return status(id) == "Ready" })

	var stop struct{ Status, StatusMessage string }
	cli.json(&stop, "deploy", "stop-deployment", "--deployment-id", id, "--auto-rollback-enabled")
	if stop.Status != "Pending" && stop.Status != "Succeeded" || stop.StatusMessage == "" {
		t.Errorf("stop-deployment = %+v, want status Pending or Succeeded and a message", stop)
	}

	var rollbackID string
	waitFor(t, "a finished rollback of "+id, func() bool {
		out, err := cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: &id})
		if err != nil || out.DeploymentInfo.RollbackInfo == nil || out.DeploymentInfo.RollbackInfo.RollbackDeploymentId == nil {
			return false
		}
		rollbackID = *out.DeploymentInfo.RollbackInfo.RollbackDeploymentId
		s := status(rollbackID)
		return s == "Succeeded" || s == "Failed" || s == "Stopped"
	})

	var d, r cliDeployment
	cli.json(&d, "deploy", "get-deployment", "--deployment-id", id)
	cli.json(&r, "deploy", "get-deployment", "--deployment-id", rollbackID)
	if di := d.DeploymentInfo; di.Status != "Stopped" || di.ErrorInformation.Code != "MANUAL_STOP" ||
		di.RollbackInfo.RollbackDeploymentID != rollbackID || di.Description != "from the CLI" {
		t.Errorf("stopped deployment %s = %+v", id, di)
	}
	if ri := r.DeploymentInfo; ri.Status != "Succeeded" || ri.Creator != "codeDeployRollback" ||
		ri.RollbackInfo.RollbackTriggeringDeploymentID != id || ri.DeploymentGroupName != "api-prod" {
		t.Errorf("rollback deployment %s = %+v", rollbackID, ri)
	}

	// The rule matches application api only: the queue holds this
	// deployment's and its rollback's state changes, never web's.
	states := map[string][]string{}
	for range 5 {
		var msgs struct {
			Messages []struct{ Body, ReceiptHandle string }
		}
		cli.json(&msgs, "sqs", "receive-message", "--queue-url", queueURL,
			"--max-number-of-messages", "10", "--wait-time-seconds", "1")
		if len(msgs.Messages) == 0 {
			break
		}
		for _, m := range msgs.Messages {
			var ev struct {
				Source string `json:"source"`
				Detail struct {
					DeploymentID string `json:"deploymentId"`
					Application  string `json:"application"`
					State        string `json:"state"`
				} `json:"detail"`
			}
			if err := json.Unmarshal([]byte(m.Body), &ev); err != nil {
				t.Fatalf("queued event is not JSON: %s", m.Body)
			}
			if ev.Source != "aws.codedeploy" || ev.Detail.Application != "api" {
				t.Errorf("queued event not for application api: %s", m.Body)
			}
			states[ev.Detail.DeploymentID] = append(states[ev.Detail.DeploymentID], ev.Detail.State)
		}
		if len(states[id]) >= 3 && len(states[rollbackID]) >= 2 {
			break
		}
	}
	if !containsAll(states[id], "START", "READY", "STOP") {
		t.Errorf("events of %s from the queue = %v, want START, READY and STOP", id, states[id])
	}
	if !containsAll(states[rollbackID], "START", "SUCCESS") {
		t.Errorf("events of rollback %s from the queue = %v, want START and SUCCESS", rollbackID, states[rollbackID])
	}
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

// waitFor polls cond until it holds, for up to ten real seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cliSQSMessages sends and receives a message and checks the MD5s both ways.
func cliSQSMessages(t *testing.T, cli *awsCLI) {
	var q struct{ QueueUrl string }
	cli.json(&q, "sqs", "create-queue", "--queue-name", "cli-messages")
	body := `{"deploy":"web v1.4","note":"ünïcödé ✓"}`
	sum := md5.Sum([]byte(body))
	wantMD5 := hex.EncodeToString(sum[:])

	var sent struct{ MessageId, MD5OfMessageBody string }
	cli.json(&sent, "sqs", "send-message", "--queue-url", q.QueueUrl, "--message-body", body)
	if sent.MessageId == "" || sent.MD5OfMessageBody != wantMD5 {
		t.Errorf("send-message = %+v, want MD5OfMessageBody %s", sent, wantMD5)
	}

	var got struct {
		Messages []struct {
			MessageId, ReceiptHandle, MD5OfBody, Body string
			Attributes                                map[string]string
		}
	}
	cli.json(&got, "sqs", "receive-message", "--queue-url", q.QueueUrl,
		"--attribute-names", "All", "--wait-time-seconds", "2")
	if len(got.Messages) != 1 {
		t.Fatalf("receive-message got %d messages, want 1", len(got.Messages))
	}
	m := got.Messages[0]
	if m.MessageId != sent.MessageId || m.Body != body || m.MD5OfBody != wantMD5 || m.ReceiptHandle == "" {
		t.Errorf("received %+v, want id %s, body %q, MD5OfBody %s", m, sent.MessageId, body, wantMD5)
	}
	if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SentTimestamp"] == "" {
		t.Errorf("received attributes %v, want ApproximateReceiveCount 1 and a SentTimestamp", m.Attributes)
	}
}

// cliErrors checks that the CLI decodes each service's errors by name.
func cliErrors(t *testing.T, cli *awsCLI) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"deploy", "get-deployment", "--deployment-id", "d-NOPE00000"},
			"An error occurred (DeploymentDoesNotExistException) when calling the GetDeployment operation"},
		{[]string{"ecs", "describe-task-definition", "--task-definition", "nope:1"},
			"An error occurred (ClientException) when calling the DescribeTaskDefinition operation: Unable to describe task definition."},
		{[]string{"events", "describe-rule", "--name", "nope"},
			"An error occurred (ResourceNotFoundException) when calling the DescribeRule operation"},
		{[]string{"sqs", "get-queue-url", "--queue-name", "nope"},
			"An error occurred (AWS.SimpleQueueService.NonExistentQueue) when calling the GetQueueUrl operation"},
	} {
		if errOut := cli.fails(c.args...); !strings.Contains(errOut, c.want) {
			t.Errorf("aws %s: stderr lacks %q:\n%s", strings.Join(c.args, " "), c.want, errOut)
		}
	}
}
