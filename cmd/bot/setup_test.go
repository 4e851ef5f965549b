package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/awssim"
	"github.com/switchyard/switchyard/internal/simtest"
)

// TestSetupAgainstSimulator runs bot setup with the example config, one
// account: a dry run, a run, a run that finds everything, and a run
// without the permission it needs.
func TestSetupAgainstSimulator(t *testing.T) {
	sim := awssim.New(awssim.Options{})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	t.Setenv("AWS_ENDPOINT_URL", sim.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDSIM")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "simsecret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))

	code, out, errOut := invoke(t, nil, "setup", "-config", "../../switchyard.example.yaml", "-dry-run")
	if code != 0 || !strings.Contains(out, "Would create the rule switchyard-deployments-ecs, matching ECS service actions") ||
		!strings.Contains(out, "Dry run: nothing was changed") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = invoke(t, nil, "setup", "-config", "../../switchyard.example.yaml")
	if code != 0 || strings.Count(out, "\n  Created ") < 4 || !strings.Contains(out, "Done, ") {
		t.Fatalf("setup: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = invoke(t, nil, "setup", "-config", "../../switchyard.example.yaml")
	if code != 0 || strings.Contains(out, "Created") || strings.Contains(out, "Updated") || !strings.Contains(out, "Nothing to change") {
		t.Fatalf("re-run changed something: exit %d\n%s", code, out)
	}
	sim.Deny("sqs:GetQueueUrl")
	code, _, errOut = invoke(t, nil, "setup", "-config", "../../switchyard.example.yaml")
	if code != exitFailure || !strings.Contains(errOut, "AWS refused") {
		t.Fatalf("denied: exit %d, %s", code, errOut)
	}
}

// TestSetupSaysWhatItDoes runs bot setup on the sandbox's world, two
// accounts in two regions, as a real deployment would be (the bot's
// credentials in one, staging reached through its role), and compares
// what it prints with golden files: the plan of a dry run on a fresh
// account (the ECS rule included: the account comes from STS, not from a
// queue that does not exist yet), the run, the run after, a rule gone
// stale, and an account it cannot reach, with a warning for the
// environment whose events will not arrive.
func TestSetupSaysWhatItDoes(t *testing.T) {
	sim := simtest.AWS(t, simtest.SandboxWorld, time.Time{})
	for _, kv := range sim.Environ(nil) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	const config = "../../internal/sandbox/switchyard.yaml"
	setup := func(name string, wantCode int, args ...string) string {
		t.Helper()
		code, out, errOut := invoke(t, nil, append([]string{"setup"}, args...)...)
		if code != wantCode {
			t.Fatalf("%s: exit %d, want %d\n%s\n%s", name, code, wantCode, out, errOut)
		}
		if errOut != "" {
			out += "--- stderr\n" + errOut
		}
		simtest.GoldenText(t, name, out)
		for _, l := range strings.Split(out, "\n") {
			if strings.ContainsAny(l, "{}\"") {
				t.Errorf("%s: a line with JSON in it: %s", name, l)
			}
		}
		return out
	}

	out := setup("setup_dry_run", 0, "-config", config, "-dry-run")
	if !strings.Contains(out, "Would create the rule switchyard-deployments-ecs, matching ECS service actions, deployment state changes and hook state changes of the services prod/checkout, prod/myapp") {
		t.Errorf("the dry run's plan lacks the ECS rule:\n%s", out)
	}
	if sim.QueueURL("switchyard-events") != "" {
		t.Fatal("a dry run created the queue")
	}
	setup("setup_fresh", 0, "-config", config)
	out = setup("setup_again", 0, "-config", config)
	if strings.Contains(out, "Created") || strings.Contains(out, "Updated") {
		t.Errorf("the second run changed something:\n%s", out)
	}

	// A forwarding rule gone stale in staging is brought up to date, and
	// only that; the line says what it matched before.
	cmd := exec.Command("aws", "events", "put-rule", "--name", "switchyard-deployments", "--event-pattern", `{"source":["aws.codedeploy"]}`)
	cmd.Env = sim.Partition("210987654321", "eu-west-1").Environ(os.Environ())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("aws events put-rule: %v\n%s", err, b)
	}
	out = setup("setup_stale", 0, "-config", config)
	if strings.Count(out, "Updated") != 1 || !strings.Contains(out, "(it matched every event from aws.codedeploy)") {
		t.Errorf("stale rule:\n%s", out)
	}

	// Staging through a role the bot may not assume: the rest is in place,
	// and the warning names myapp staging, why, and what to do.
	b, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	nobody := filepath.Join(t.TempDir(), "switchyard.yaml")
	text := strings.Replace(string(b), "arn:aws:iam::210987654321:role/switchyard-deploy", "arn:aws:iam::210987654321:role/nobody", 1)
	if err := os.WriteFile(nobody, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out = setup("setup_unreachable", exitFailure, "-config", nobody)
	for _, want := range []string{
		"Warning: The events of myapp staging (account 210987654321, eu-west-1) will not arrive",
		"let these credentials assume the role", "then run bot setup again", "polling",
		"bot setup: the events of myapp staging will not arrive yet",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("unreachable staging: no %q in\n%s", want, out)
		}
	}
}

// bot setup says which of three things kept it from learning its account:
// AWS refused the credentials, there were none, or AWS could not be
// reached (which no credential fixes).
func TestSetupSaysWhyItCannotStart(t *testing.T) {
	sim := awssim.New(awssim.Options{})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	for _, c := range []struct {
		what, endpoint, key, want string
	}{
		{"AWS unreachable", "http://127.0.0.1:1", "AKIDSIM", "could not reach AWS"},
		{"no credentials", sim.URL(), "", "found no AWS credentials"},
	} {
		t.Setenv("AWS_ENDPOINT_URL", c.endpoint)
		t.Setenv("AWS_ACCESS_KEY_ID", c.key)
		t.Setenv("AWS_SECRET_ACCESS_KEY", c.key)
		code, _, errOut := invoke(t, nil, "setup", "-config", "../../switchyard.example.yaml", "-dry-run")
		if code != exitFailure || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "did not accept") {
			t.Errorf("%s: exit %d, %s", c.what, code, errOut)
		}
	}
}
