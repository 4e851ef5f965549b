package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestExampleFileLoads(t *testing.T) {
	c, err := Load("../../switchyard.example.yaml")
	if err != nil {
		t.Fatalf("the shipped example must load:\n%v", err)
	}
	if len(c.Apps) != 2 {
		t.Fatalf("apps = %d, want 2", len(c.Apps))
	}
	a, ok := c.Lookup("WEB")
	if !ok || a.Name != "myapp" {
		t.Fatalf("alias lookup: %v %v", a, ok)
	}
	prod, ok := a.Env("")
	if !ok || prod.Name != "production" || prod.Region != "us-east-1" || prod.ContainerPort != 8080 {
		t.Fatalf("default env = %+v", prod)
	}
	if !prod.RequireApproval || prod.Hooks["BeforeAllowTraffic"] == "" || prod.Channels[0] != "C0DEPLOYS1" {
		t.Fatalf("prod env = %+v", prod)
	}
	st, _ := a.Env("staging")
	if st.Region != "eu-west-1" || st.RequireApproval || st.DeploymentConfig != "Linear20PercentEvery2Minutes" {
		t.Fatalf("staging env = %+v", st)
	}
	if c.ApprovalTimeout != 15*time.Minute || c.Events.Queue != "switchyard-events" || c.Events.Region != "us-east-1" {
		t.Fatalf("globals = %+v", c)
	}
	if got := strings.Join(c.Names(), ","); got != "myapp,payments,web" {
		t.Fatalf("names = %s", got)
	}
	if !a.LockOnRollback || len(a.Access.Rollback) != 1 {
		t.Fatalf("access = %+v", a.Access)
	}
}

// valid is the smallest valid file; each refusal test breaks one line of it.
const valid = `region: us-east-1
apps:
  - name: myapp
    channels: [C0DEPLOYS1]
    access:
      deploy: [U0ALICE001]
      rollback: [S0ONCALL01]
    environments:
      - name: production
        cluster: prod
        service: myapp
        container: web
        codedeploy:
          application: myapp
          deployment_group: myapp-prod
`

func TestValidMinimal(t *testing.T) {
	c, err := Parse("s.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != "switchyard.db" || c.Apps[0].DefaultEnv != "production" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown key", "    channels: [C0DEPLOYS1]\n", "    channels: [C0DEPLOYS1]\n    chanels: [C0DEPLOYS1]\n",
			`s.yaml:5: unknown key "chanels" in app "myapp"`},
		{"unknown top-level key", "region: us-east-1\n", "region: us-east-1\nregoin: x\n",
			`s.yaml:2: unknown key "regoin" in the top level`},
		{"missing field", "        service: myapp\n", "",
			`s.yaml:9: environment "production" of app "myapp" is missing "service"`},
		{"missing codedeploy group", "          deployment_group: myapp-prod\n", "",
			`s.yaml:14: the codedeploy section of environment "production" of app "myapp" is missing "deployment_group"`},
		{"duplicate env", "          deployment_group: myapp-prod\n", "          deployment_group: myapp-prod\n" +
			"      - name: production\n        cluster: prod\n        service: myapp\n        container: web\n" +
			"        codedeploy: {application: a, deployment_group: b}\n",
			`s.yaml:16: app "myapp" has environment "production" twice`},
		{"duplicate app", "          deployment_group: myapp-prod\n", "          deployment_group: myapp-prod\n" +
			"  - name: other\n    aliases: [myapp]\n    channels: [C0DEPLOYS1]\n    access: {deploy: [U0ALICE001]}\n" +
			"    environments:\n      - {name: prod, cluster: c, service: s, container: w, codedeploy: {application: a, deployment_group: b}}\n",
			`s.yaml:16: app name or alias "myapp" is already used on line 3`},
		{"duplicate key", "        cluster: prod\n", "        cluster: prod\n        cluster: prod2\n",
			`yaml`},
		{"malformed hook ARN", "          deployment_group: myapp-prod\n", "          deployment_group: myapp-prod\n" +
			"        hooks:\n          BeforeInstall: arn:aws:lambda:us-east-1:12345:function:x\n",
			`s.yaml:17: hook BeforeInstall: "arn:aws:lambda:us-east-1:12345:function:x" is a malformed Lambda ARN`},
		{"unknown hook stage", "          deployment_group: myapp-prod\n", "          deployment_group: myapp-prod\n" +
			"        hooks:\n          Install: fn\n",
			`s.yaml:17: unknown key "Install" in the hooks of environment "production"`},
		{"malformed cluster ARN", "        cluster: prod\n", "        cluster: arn:aws:ecs:us-east-1:123:cluster/prod\n",
			`s.yaml:10: cluster "arn:aws:ecs:us-east-1:123:cluster/prod" is neither a cluster name nor a well-formed cluster ARN`},
		{"user name instead of ID", "      deploy: [U0ALICE001]\n", "      deploy: [alice]\n",
			`s.yaml:6: "alice" in the access of app "myapp" is not a Slack user ID (U…/W…) or user-group ID (S…)`},
		{"channel name instead of ID", "    channels: [C0DEPLOYS1]\n", "    channels: ['#deploys']\n",
			`s.yaml:4: "#deploys" in app "myapp" is not a Slack channel ID`},
		{"unknown deployment config", "          deployment_group: myapp-prod\n", "          deployment_group: myapp-prod\n" +
			"          deployment_config: CodeDeployDefault.ECSLinear50Percent\n",
			`s.yaml:16: unknown deployment config "CodeDeployDefault.ECSLinear50Percent"`},
		{"bad region", "region: us-east-1\n", "region: useast\n", `s.yaml:1: "useast" is not an AWS region`},
		{"bad port", "        container: web\n", "        container: web\n        container_port: 99999\n",
			`s.yaml:13: "container_port" in environment "production" of app "myapp" must be a whole number from 1 to 65535`},
		{"bad bool", "    channels: [C0DEPLOYS1]\n", "    channels: [C0DEPLOYS1]\n    require_approval: sometimes\n",
			`s.yaml:5: "require_approval" in app "myapp" must be true or false`},
		{"bad duration", "region: us-east-1\n", "region: us-east-1\napproval_timeout: soon\n",
			`s.yaml:2: "approval_timeout" in the top level must be a positive duration`},
		{"bad app name", "  - name: myapp\n", "  - name: My App\n", `s.yaml:3: app name "My App" must be lower-case`},
		{"no apps", "apps:\n", "aps:\n", `unknown key "aps"`},
		{"no channels", "    channels: [C0DEPLOYS1]\n", "", `environment "production" of app "myapp" has no channels`},
		{"no access", "    access:\n      deploy: [U0ALICE001]\n      rollback: [S0ONCALL01]\n", "",
			`s.yaml:3: app "myapp" is missing "access"`},
		{"bad default env", "    channels: [C0DEPLOYS1]\n", "    channels: [C0DEPLOYS1]\n    default_environment: prod\n",
			`s.yaml:5: default_environment "prod" is not one of app "myapp"'s environments`},
		{"list expected", "    channels: [C0DEPLOYS1]\n", "    channels: C0DEPLOYS1\n", `s.yaml:4: "channels" in app "myapp" must be a list`},
		{"hooks without codedeploy", "        codedeploy:\n          application: myapp\n          deployment_group: myapp-prod\n",
			"        hooks:\n          BeforeInstall: smoke\n",
			`s.yaml:14: hooks in environment "production" of app "myapp" are AppSpec hooks, which only CodeDeploy runs`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(valid, tc.old) {
				t.Fatalf("test is broken: %q not in the valid file", tc.old)
			}
			_, err := Parse("s.yaml", []byte(strings.Replace(valid, tc.old, tc.new, 1)))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error\n%v\ndoes not contain\n%s", err, tc.want)
			}
			// The keys a mistake could have meant are listed once each.
			for _, line := range strings.Split(err.Error(), "\n") {
				_, known, ok := strings.Cut(line, "(known keys: ")
				keys := strings.Split(strings.TrimSuffix(known, ")"), ", ")
				slices.Sort(keys)
				if ok && len(slices.Compact(keys)) != len(strings.Split(known, ", ")) {
					t.Errorf("a key is listed twice: %s", line)
				}
			}
		})
	}
}

// An environment without a codedeploy section is one ECS deploys itself:
// cluster, service and container are all it needs.
func TestEnvironmentOfAServiceECSDeploysItself(t *testing.T) {
	c, err := Parse("s.yaml", []byte(strings.Replace(valid, "        codedeploy:\n          application: myapp\n          deployment_group: myapp-prod\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	env, _ := c.Apps[0].Env("")
	if env.Application != "" || env.DeploymentGroup != "" || env.Service != "myapp" || env.Container != "web" {
		t.Fatalf("environment %+v", env)
	}
}

func TestAllProblemsReportedAtOnce(t *testing.T) {
	bad := strings.Replace(strings.Replace(valid, "region: us-east-1", "region: nowhere", 1), "U0ALICE001", "alice", 1)
	_, err := Parse("s.yaml", []byte(bad))
	if err == nil || strings.Count(err.Error(), "\n") != 1 {
		t.Fatalf("want two problems on two lines, got:\n%v", err)
	}
}

// A mistyped key comes first: what its absence makes wrong further down
// follows it, in the order of the lines.
func TestProblemsInTheOrderOfTheirLines(t *testing.T) {
	bad := strings.Replace(valid, "region: us-east-1", "regoin: us-east-1", 1)
	_, err := Parse("s.yaml", []byte(bad))
	if err == nil {
		t.Fatal("a mistyped region was accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	if !strings.Contains(lines[0], `"regoin"`) {
		t.Fatalf("the mistyped key is not first:\n%v", err)
	}
	last := 0
	for _, l := range lines {
		var n int
		if _, err := fmt.Sscanf(strings.TrimPrefix(l, "s.yaml:"), "%d:", &n); err != nil || n < last {
			t.Fatalf("not in the order of their lines:\n%s", strings.Join(lines, "\n"))
		}
		last = n
	}
}

func TestNotYAML(t *testing.T) {
	_, err := Parse("s.yaml", []byte("apps: [\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "s.yaml:") {
		t.Fatalf("err = %v", err)
	}
	_, err = Parse("s.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("err = %v", err)
	}
}
