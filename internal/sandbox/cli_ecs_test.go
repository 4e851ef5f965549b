package sandbox

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// awsCLI runs the AWS CLI against the sandbox's AWS endpoint.
type awsCLI struct {
	t        *testing.T
	bin      string
	env      []string
	endpoint string
}

func newAWSCLI(t *testing.T, sb *Sandbox) *awsCLI {
	return &awsCLI{t: t, bin: awsBin(t), env: sb.AWS.Environ(os.Environ()), endpoint: sb.AWS.URL()}
}

// run runs `aws <args>` and decodes its JSON output into out (when not
// nil).
func (c *awsCLI) run(out any, args ...string) {
	c.t.Helper()
	cmd := exec.Command(c.bin, append([]string{"--endpoint-url", c.endpoint, "--output", "json"}, args...)...)
	cmd.Env = c.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("aws %s printed no JSON: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
}

// serviceDeployment is what describe-service-deployments prints of one.
type serviceDeployment struct {
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
	Status               string `json:"status"`
	LifecycleStage       string `json:"lifecycleStage"`
	LifecycleHookDetails []struct {
		HookID     string `json:"hookId"`
		TargetType string `json:"targetType"`
		Status     string `json:"status"`
	} `json:"lifecycleHookDetails"`
	TargetServiceRevision struct {
		RequestedProductionTrafficWeight float64 `json:"requestedProductionTrafficWeight"`
	} `json:"targetServiceRevision"`
}

func (c *awsCLI) describe(arn string) serviceDeployment {
	c.t.Helper()
	var out struct {
		ServiceDeployments []serviceDeployment `json:"serviceDeployments"`
	}
	c.run(&out, "ecs", "describe-service-deployments", "--service-deployment-arns", arn)
	if len(out.ServiceDeployments) != 1 {
		c.t.Fatalf("describe-service-deployments %s: %+v", arn, out)
	}
	return out.ServiceDeployments[0]
}

// newest is the newest deployment of checkout, as list-service-deployments
// lists it.
func (c *awsCLI) newest() string {
	c.t.Helper()
	var out struct {
		ServiceDeployments []struct {
			ServiceDeploymentArn string  `json:"serviceDeploymentArn"`
			CreatedAt            float64 `json:"createdAt"`
		} `json:"serviceDeployments"`
	}
	c.run(&out, "ecs", "list-service-deployments", "--cluster", "prod", "--service", "checkout")
	newest, at := "", 0.0
	for _, d := range out.ServiceDeployments {
		if newest == "" || d.CreatedAt > at {
			newest, at = d.ServiceDeploymentArn, d.CreatedAt
		}
	}
	return newest
}

// untilCLI moves the simulated clock in steps of five seconds until cond
// holds of what the CLI describes.
func untilCLI(t *testing.T, sb *Sandbox, c *awsCLI, arn, what string, cond func(serviceDeployment) bool) serviceDeployment {
	t.Helper()
	for range 120 {
		if d := c.describe(arn); cond(d) {
			return d
		}
		sb.AWS.Advance(5 * time.Second)
	}
	t.Fatalf("%s never %s", arn, what)
	return serviceDeployment{}
}

// Deployments of checkout made with the AWS CLI, outside the bot, each get
// a card: a forced new deployment, and a new task definition. The CLI
// lists, describes, continues and stops them against the sandbox, and the
// card follows.
func TestAWSCLIECSDeploymentsShowInSlack(t *testing.T) {
	e := newE2E(t, Options{})
	c := newAWSCLI(t, e.sb)

	c.run(nil, "ecs", "update-service", "--cluster", "prod", "--service", "checkout", "--force-new-deployment")
	forced := c.newest()
	var card string
	e.waitFor("a card for the forced deployment", func() bool {
		m, ok := ecsCard(e.sb, forced)
		card = m.TS
		return ok
	})
	text := string(e.message(card).Blocks)
	for _, want := range []string{"checkout v2.0 → production", "outside Slack", "ECS strategy"} {
		if !strings.Contains(text, want) {
			t.Errorf("the card of the forced deployment lacks %q:\n%s", want, text)
		}
	}

	d := untilCLI(t, e.sb, c, forced, "paused", func(d serviceDeployment) bool {
		for _, h := range d.LifecycleHookDetails {
			if h.TargetType == "PAUSE" && h.Status == "AWAITING_ACTION" {
				return true
			}
		}
		return false
	})
	e.waitFor("the pause's buttons on the card", func() bool { return strings.Contains(string(e.message(card).Blocks), "hook_continue") })
	hook := ""
	for _, h := range d.LifecycleHookDetails {
		if h.TargetType == "PAUSE" {
			hook = h.HookID
		}
	}
	c.run(nil, "ecs", "continue-service-deployment", "--service-deployment-arn", forced, "--hook-id", hook)
	untilCLI(t, e.sb, c, forced, "shifted traffic", func(d serviceDeployment) bool {
		return d.TargetServiceRevision.RequestedProductionTrafficWeight > 0
	})
	e.waitFor("the card to leave the pause", func() bool { return !strings.Contains(string(e.message(card).Blocks), "hook_continue") })
	c.run(nil, "ecs", "stop-service-deployment", "--service-deployment-arn", forced, "--stop-type", "ROLLBACK")
	untilCLI(t, e.sb, c, forced, "rolled back", func(d serviceDeployment) bool { return d.Status == "ROLLBACK_SUCCESSFUL" })
	e.waitFor("the card to say it was rolled back", func() bool { return strings.HasSuffix(e.message(card).Text, ": rolled back") })

	// A new task definition, registered and deployed with the CLI.
	var desc struct {
		TaskDefinition map[string]any `json:"taskDefinition"`
	}
	c.run(&desc, "ecs", "describe-task-definition", "--task-definition", "checkout")
	td := desc.TaskDefinition
	for _, k := range []string{"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
		"registeredAt", "registeredBy", "deregisteredAt", "deleteRequestedAt"} {
		delete(td, k)
	}
	for _, ct := range td["containerDefinitions"].([]any) {
		ct := ct.(map[string]any)
		image := ct["image"].(string)
		ct["image"] = image[:strings.LastIndexByte(image, ':')] + ":v2.2"
	}
	b, _ := json.Marshal(td)
	file := filepath.Join(t.TempDir(), "td.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var reg struct {
		TaskDefinition struct {
			TaskDefinitionArn string `json:"taskDefinitionArn"`
		} `json:"taskDefinition"`
	}
	c.run(&reg, "ecs", "register-task-definition", "--cli-input-json", "file://"+file)
	c.run(nil, "ecs", "update-service", "--cluster", "prod", "--service", "checkout", "--task-definition", reg.TaskDefinition.TaskDefinitionArn)
	next := c.newest()
	if next == forced {
		t.Fatal("update-service with a new task definition started no deployment")
	}
	e.waitFor("a card for the new task definition", func() bool {
		m, ok := ecsCard(e.sb, next)
		return ok && strings.Contains(string(m.Blocks), "checkout v2.2 → production") && strings.Contains(string(m.Blocks), "outside Slack")
	})
}
