package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/slacksim"
)

// awsBin finds the AWS CLI; its absence is a broken machine, not a reason
// to skip.
func awsBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatal("the AWS CLI (aws) is not on PATH: these tests need aws-cli v1.45 or later (botocore with SQS's JSON protocol), as this machine image ships it")
	}
	return bin
}

// newTaskDefinition describes myapp's running task definition with the CLI
// and turns it into a RegisterTaskDefinition request for image tag v1.5,
// as a person would before `aws ecs deploy`.
func newTaskDefinition(t *testing.T, bin string, env []string, endpoint string) []byte {
	t.Helper()
	cmd := exec.Command(bin, "--endpoint-url", endpoint, "--output", "json",
		"ecs", "describe-task-definition", "--task-definition", "myapp", "--include", "TAGS")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws ecs describe-task-definition: %v\n%s", err, stderr.String())
	}
	var desc struct {
		TaskDefinition map[string]any `json:"taskDefinition"`
		Tags           []any          `json:"tags"`
	}
	if err := json.Unmarshal(out, &desc); err != nil {
		t.Fatalf("describe-task-definition printed no JSON: %v\n%s", err, out)
	}
	td := desc.TaskDefinition
	for _, k := range []string{"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
		"registeredAt", "registeredBy", "deregisteredAt", "deleteRequestedAt"} {
		delete(td, k)
	}
	containers, _ := td["containerDefinitions"].([]any)
	swapped := false
	for _, c := range containers {
		c := c.(map[string]any)
		if c["name"] == "web" {
			image, _ := c["image"].(string)
			repo, _, _ := strings.Cut(image, ":")
			c["image"] = repo + ":v1.5"
			swapped = true
		}
	}
	if !swapped {
		t.Fatalf("myapp's task definition has no container web: %s", out)
	}
	if len(desc.Tags) > 0 {
		td["tags"] = desc.Tags
	}
	b, err := json.MarshalIndent(td, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// appSpec is the AppSpec `aws ecs deploy` fills in with the task definition
// it registers.
const appSpec = `version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: <TASK_DEFINITION>
        LoadBalancerInfo:
          ContainerName: web
          ContainerPort: 8080
`

// deployCard finds the top-level #deploys message whose blocks name the
// deployment.
func deployCard(sb *Sandbox, id string) (slacksim.Message, bool) {
	for _, m := range sb.Slack.Messages("C0DEPLOYS") {
		if (m.ThreadTS == "" || m.ThreadTS == m.TS) && m.EphemeralTo == "" && bytes.Contains(m.Blocks, []byte(id)) {
			return m, true
		}
	}
	return slacksim.Message{}, false
}

// TestAWSCLIDeployShowsInSlack deploys myapp v1.5 with `aws ecs deploy`
// against the sandbox's AWS endpoint, outside the bot, and checks that the
// bot finds the deployment and keeps a card for it in #deploys until it
// shows success.
func TestAWSCLIDeployShowsInSlack(t *testing.T) {
	bin := awsBin(t)
	// 120 simulated seconds per real second: the linear rollout and its two
	// minutes of termination wait take under ten real seconds, inside the
	// CLI's first fifteen-second wait between GetDeployment polls.
	sb, err := Start(Options{Speed: 120})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	ctx := context.Background()
	if err := sb.StartBot(ctx, BotOptions{}); err != nil {
		t.Fatal(err)
	}
	endpoint := sb.AWS.URL()
	env := sb.AWS.Environ(os.Environ())

	dir := t.TempDir()
	tdFile, specFile := filepath.Join(dir, "taskdef.json"), filepath.Join(dir, "appspec.yaml")
	if err := os.WriteFile(tdFile, newTaskDefinition(t, bin, env, endpoint), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(specFile, []byte(appSpec), 0o644); err != nil {
		t.Fatal(err)
	}

	runCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(runCtx, bin, "--endpoint-url", endpoint, "--output", "json",
		"ecs", "deploy", "--cluster", "prod", "--service", "myapp",
		"--task-definition", tdFile, "--codedeploy-appspec", specFile,
		"--codedeploy-application", "myapp", "--codedeploy-deployment-group", "myapp-prod")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The CLI prints the deployment id as soon as it has created it, then
	// waits for the deployment to succeed.
	ids := make(chan string, 1)
	var out strings.Builder
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		re := regexp.MustCompile(`^Successfully created deployment (d-[A-Z0-9]{9})$`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				ids <- m[1]
			}
		}
	}()
	done := make(chan error, 1)
	go func() {
		<-scanned
		done <- cmd.Wait()
	}()

	var id string
	select {
	case id = <-ids:
	case err := <-done:
		t.Fatalf("aws ecs deploy ended before creating a deployment: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), stderr.String())
	}
	t.Logf("aws ecs deploy created %s", id)

	// The bot discovers the deployment (it has no record of it) and posts
	// its card, saying it was started outside Slack.
	var card slacksim.Message
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m, ok := deployCard(sb, id); ok {
			card = m
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no card for %s in #deploys after 30s; #deploys holds:\n%s", id, dumpMessages(sb.Slack.Messages("C0DEPLOYS")))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if text := blockText(t, card.Blocks); !strings.Contains(text, "*Requested by*\noutside Slack") {
		t.Errorf("the card of %s does not say it was started outside Slack:\n%s", id, text)
	}

	var exit error
	select {
	case exit = <-done:
	case <-runCtx.Done():
		t.Fatalf("aws ecs deploy did not end; stdout so far:\n%s", out.String())
	}
	if exit != nil {
		t.Fatalf("aws ecs deploy: %v\nstdout:\n%s\nstderr:\n%s", exit, out.String(), stderr.String())
	}
	const newTD = "arn:aws:ecs:us-east-1:123456789012:task-definition/myapp:2"
	if want := "Successfully deployed " + newTD + " to service 'myapp'"; !strings.Contains(out.String(), want) {
		t.Errorf("aws ecs deploy output lacks %q:\n%s", want, out.String())
	}

	// The card ends showing success, for the version the CLI deployed.
	deadline = time.Now().Add(20 * time.Second)
	for {
		card, _ = deployCard(sb, id)
		if strings.HasSuffix(card.Text, ": succeeded") && strings.Contains(blockText(t, card.Blocks), ":white_check_mark: *Succeeded*") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the card of %s never showed success; it reads %q:\n%s", id, card.Text, card.Blocks)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if text := blockText(t, card.Blocks); !strings.Contains(text, "/myapp:v1.3`\n→ `123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:v1.5`") {
		t.Errorf("the card of %s does not show the image going from v1.3 to v1.5:\n%s", id, text)
	}
	t.Logf("card: %s", card.Text)
}

// dumpMessages lists messages one a line, for failure reports.
func dumpMessages(msgs []slacksim.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.TS + " thread=" + m.ThreadTS + " " + m.Text + "\n")
	}
	return b.String()
}

// blockText is every text in a message's Block Kit blocks, one a line.
func blockText(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("blocks are not JSON: %v\n%s", err, raw)
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				b.WriteString(s + "\n")
			}
			for k, x := range v {
				if k != "text" || !isString(x) {
					walk(x)
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return b.String()
}

func isString(v any) bool { _, ok := v.(string); return ok }
