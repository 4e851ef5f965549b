package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// decodeStrict reads a shipped JSON file into an SDK input type, refusing
// any key the type does not have: a misspelt key would be ignored by ECS's
// CLI no more than here.
func decodeStrict(t *testing.T, path string, v any) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// dockerfileArray returns the JSON array at the end of the Dockerfile's
// instruction (HEALTHCHECK … CMD [...], CMD [...]).
func dockerfileArray(t *testing.T, instruction string) []string {
	t.Helper()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if !strings.HasPrefix(line, instruction+" ") {
			continue
		}
		var out []string
		if err := json.Unmarshal([]byte(line[strings.Index(line, "["):]), &out); err != nil {
			t.Fatalf("Dockerfile %s is not in exec form (a JSON array; the image has no shell): %v", instruction, err)
		}
		return out
	}
	t.Fatalf("the Dockerfile has no %s", instruction)
	return nil
}

// httpFlag returns the value of -http in args.
func httpFlag(t *testing.T, args []string) string {
	t.Helper()
	i := slices.Index(args, "-http")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("no -http in %q", args)
	}
	return args[i+1]
}

func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The Dockerfile's health check is `bot healthcheck` in exec form, asking
// the port that `bot run -http` serves and EXPOSE names.
func TestDockerfileHealthcheck(t *testing.T) {
	check := dockerfileArray(t, "HEALTHCHECK")
	run := dockerfileArray(t, "CMD")
	entry := dockerfileArray(t, "ENTRYPOINT")
	if len(check) < 2 || check[0] != entry[0] || check[1] != "healthcheck" {
		t.Fatalf("HEALTHCHECK runs %q, want %s healthcheck", check, entry[0])
	}
	if _, err := healthcheckFlags(env{stdout: &bytes.Buffer{}}).parse(check[2:]); err != nil {
		t.Fatalf("HEALTHCHECK's flags: %v", err)
	}
	served := port(t, httpFlag(t, run))
	if asked := port(t, httpFlag(t, check)); asked != served {
		t.Errorf("HEALTHCHECK asks port %s, bot run serves %s", asked, served)
	}
	b, _ := os.ReadFile("../../Dockerfile")
	if !regexp.MustCompile(`(?m)^EXPOSE ` + served + `$`).Match(b) {
		t.Errorf("the Dockerfile does not EXPOSE %s", served)
	}
}

// The sample ECS task definition and service: valid input of
// RegisterTaskDefinition and CreateService, the same health check as the
// image's, secrets only by reference, and a service whose rolling update
// stays well under Slack's ten sockets per app.
func TestECSSamples(t *testing.T) {
	var td ecs.RegisterTaskDefinitionInput
	raw := decodeStrict(t, "../../deploy/ecs-task-definition.json", &td)
	if len(td.ContainerDefinitions) != 1 {
		t.Fatalf("%d containers, want the bot's one", len(td.ContainerDefinitions))
	}
	c := td.ContainerDefinitions[0]
	if td.TaskRoleArn == nil || !strings.Contains(*td.TaskRoleArn, ":role/") || td.ExecutionRoleArn == nil {
		t.Errorf("task role %v, execution role %v: the task role carries iam-policy.json, the execution role reads the secrets", td.TaskRoleArn, td.ExecutionRoleArn)
	}
	if c.HealthCheck == nil || len(c.HealthCheck.Command) < 3 || c.HealthCheck.Command[0] != "CMD" {
		t.Fatalf("health check %+v: want CMD (exec form: the image has no shell)", c.HealthCheck)
	}
	if got, want := c.HealthCheck.Command[1:], dockerfileArray(t, "HEALTHCHECK"); !slices.Equal(got, want) {
		t.Errorf("the task's health check runs %q, the image's %q", got, want)
	}
	if _, err := healthcheckFlags(env{stdout: &bytes.Buffer{}}).parse(c.HealthCheck.Command[3:]); err != nil {
		t.Errorf("the task's health check flags: %v", err)
	}
	if c.Command[0] != "run" {
		t.Errorf("command %q, want bot run", c.Command)
	}
	served := port(t, httpFlag(t, c.Command))
	if port(t, httpFlag(t, c.HealthCheck.Command)) != served || len(c.PortMappings) != 1 || c.PortMappings[0].ContainerPort == nil ||
		served != strconv.Itoa(int(*c.PortMappings[0].ContainerPort)) {
		t.Errorf("bot run serves port %s; the health check and the port mapping must name it", served)
	}
	secrets := map[string]string{}
	for _, s := range c.Secrets {
		secrets[*s.Name] = *s.ValueFrom
		if !strings.HasPrefix(*s.ValueFrom, "arn:aws:secretsmanager:") && !strings.HasPrefix(*s.ValueFrom, "arn:aws:ssm:") {
			t.Errorf("secret %s comes from %q, want a Secrets Manager secret or SSM parameter ARN", *s.Name, *s.ValueFrom)
		}
	}
	for _, name := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SWITCHYARD_STORE"} {
		if secrets[name] == "" {
			t.Errorf("%s is not among the secrets", name)
		}
	}
	for _, kv := range c.Environment {
		if _, secret := secrets[*kv.Name]; secret || strings.HasPrefix(*kv.Name, "SLACK_") {
			t.Errorf("%s is set as a plain value", *kv.Name)
		}
	}
	for _, leak := range []string{"xoxb-", "xapp-", "postgres://", "postgresql://", "AKIA", "password"} {
		if bytes.Contains(bytes.ToLower(raw), []byte(strings.ToLower(leak))) {
			t.Errorf("the task definition holds %q: secrets go in valueFrom", leak)
		}
	}

	var svc ecs.CreateServiceInput
	decodeStrict(t, "../../deploy/ecs-service.json", &svc)
	if svc.TaskDefinition == nil || *svc.TaskDefinition != *td.Family {
		t.Errorf("the service runs %v, want the family %s", svc.TaskDefinition, *td.Family)
	}
	if svc.DesiredCount == nil || *svc.DesiredCount < 2 {
		t.Errorf("desired count %v: the sample runs two tasks", svc.DesiredCount)
	}
	dc := svc.DeploymentConfiguration
	if dc == nil || dc.MaximumPercent == nil || dc.DeploymentCircuitBreaker == nil || !dc.DeploymentCircuitBreaker.Enable {
		t.Fatalf("deployment configuration %+v: want a maximum and the circuit breaker", dc)
	}
	// Each task holds one Socket Mode connection; Slack allows ten per app,
	// and ghosts of dropped ones count for a while.
	if peak := *svc.DesiredCount * *dc.MaximumPercent / 100; peak > 5 {
		t.Errorf("a rolling update runs up to %d tasks: keep it at 5 or fewer sockets", peak)
	}
	if svc.DeploymentController != nil && svc.DeploymentController.Type != types.DeploymentControllerTypeEcs {
		t.Errorf("deployment controller %s: the bot itself rolls", svc.DeploymentController.Type)
	}
}
