package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"gopkg.in/yaml.v3"

	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/awssim"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/setup"
	"github.com/switchyard/switchyard/internal/simtest"
)

// TestIAMResourcesMatchWhatSetupAndTheBotTouch runs bot setup on the
// sandbox's two accounts and checks every resource it reports, and every
// resource the bot deploys to, against the resources of the IAM files
// that must allow it: the rule names setup really creates, the queue, the
// bus, the roles.
func TestIAMResourcesMatchWhatSetupAndTheBotTouch(t *testing.T) {
	sim := simtest.AWS(t, simtest.SandboxWorld, time.Time{})
	cfg := simtest.Config(t, simtest.SandboxConfig)
	awsCfg := sim.Config()
	steps, err := setup.Run(context.Background(), cfg, eventbridge.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg), setup.Options{
		Account: sim.Account(), Reach: setup.RoleReach(awsCfg, deployer.NewSessions(awsCfg, deployer.SessionOptions{}))})
	if err != nil {
		t.Fatal(err)
	}

	home, region := sim.Account(), cfg.Events.Region
	single := loadPolicy(t, "iam-policy.json")
	bot := loadPolicy(t, "iam/bot-policy.json")
	setupPolicy := loadPolicy(t, "iam/setup-policy.json")
	role := loadPolicy(t, "iam/deploy-role-policy.json")
	forward := loadPolicy(t, "iam/forward-role-policy.json")
	homeSubs := map[string]string{"ACCOUNT_ID": home, "BOT_ACCOUNT_ID": home, "EVENTS_REGION": region}
	check := func(p policy, prefix, action, resource string, subs map[string]string) {
		t.Helper()
		if !p.allows(prefix, action, resource, subs) {
			t.Errorf("%s allows no %s on %s (%s statements)", p.file, action, resource, prefix)
		}
	}
	checked := 0
	for _, s := range steps {
		there := map[string]string{"ACCOUNT_ID": s.Account, "BOT_ACCOUNT_ID": home, "EVENTS_REGION": region}
		atHome := s.Account == home && s.Region == region
		switch s.Resource {
		case "queue", "queue policy":
			arn := fmt.Sprintf("arn:aws:sqs:%s:%s:%s", s.Region, s.Account, s.Name)
			for _, a := range []string{"sqs:CreateQueue", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes"} {
				check(setupPolicy, "Setup", a, arn, homeSubs)
				check(single, "Setup", a, arn, homeSubs)
			}
			for _, a := range queueCalls() {
				check(bot, "Run", a, arn, homeSubs)
				check(single, "Run", a, arn, homeSubs)
			}
		case "rule", "target":
			name, _, _ := strings.Cut(s.Name, " → ")
			arn := fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", s.Region, s.Account, name)
			for _, a := range methods("events", (*setup.Rules)(nil)) {
				if atHome {
					check(setupPolicy, "Setup", a, arn, homeSubs)
					check(single, "Setup", a, arn, homeSubs)
				} else {
					check(role, "Setup", a, arn, there)
				}
			}
			if s.Resource == "target" && !atHome {
				forwardRole := fmt.Sprintf("arn:aws:iam::%s:role/%s", s.Account, cfg.Events.ForwardRole)
				check(role, "Setup", "iam:PassRole", forwardRole, there)
				check(forward, "Forward", "events:PutEvents", fmt.Sprintf("arn:aws:events:%s:%s:event-bus/default", region, home), there)
			}
		case "bus policy":
			arn := fmt.Sprintf("arn:aws:events:%s:%s:event-bus/default", s.Region, s.Account)
			for _, a := range methods("events", (*setup.Bus)(nil)) {
				check(setupPolicy, "Setup", a, arn, homeSubs)
			}
		default:
			t.Errorf("a step of %s that no check knows: %v", s.Resource, s)
		}
		checked++
	}

	// What the bot touches in each environment: its role, the deployment
	// group, the ECR repository.
	for _, a := range cfg.Apps {
		for _, e := range a.Environments {
			account := config.RoleAccount(e.RoleARN)
			subs := map[string]string{"ACCOUNT_ID": account, "BOT_ACCOUNT_ID": home, "EVENTS_REGION": region}
			group := fmt.Sprintf("arn:aws:codedeploy:%s:%s:deploymentgroup:%s/%s", e.Region, account, e.Application, e.DeploymentGroup)
			repo := fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", e.Region, account, a.Name)
			policies := []policy{role}
			if e.RoleARN == "" {
				account, policies = home, []policy{single}
				subs["ACCOUNT_ID"] = home
				group = fmt.Sprintf("arn:aws:codedeploy:%s:%s:deploymentgroup:%s/%s", e.Region, home, e.Application, e.DeploymentGroup)
				repo = fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", e.Region, home, a.Name)
			} else {
				for _, c := range roleCalls() {
					check(bot, "Run", c, e.RoleARN, subs)
				}
				check(setupPolicy, "Setup", "sts:AssumeRole", e.RoleARN, subs)
			}
			for _, p := range policies {
				check(p, "Run", "ecr:DescribeImages", repo, subs)
				if e.Application == "" { // ECS deploys the service itself
					svc := fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", e.Region, account, e.Cluster, e.Service)
					dep := fmt.Sprintf("arn:aws:ecs:%s:%s:service-deployment/%s/%s/AbCdEf0123", e.Region, account, e.Cluster, e.Service)
					rev := fmt.Sprintf("arn:aws:ecs:%s:%s:service-revision/%s/%s/1234567890", e.Region, account, e.Cluster, e.Service)
					check(p, "Run", "ecs:UpdateService", svc, subs)
					check(p, "Run", "ecs:ListServiceDeployments", svc, subs)
					for _, a := range []string{"ecs:DescribeServiceDeployments", "ecs:StopServiceDeployment", "ecs:ContinueServiceDeployment"} {
						check(p, "Run", a, dep, subs)
					}
					check(p, "Run", "ecs:DescribeServiceRevisions", rev, subs)
					continue
				}
				check(p, "Run", "codedeploy:CreateDeployment", group, subs)
				check(p, "Run", "codedeploy:StopDeployment", group, subs)
			}
			checked++
		}
	}
	if checked < 14 {
		t.Errorf("only %d resources checked", checked)
	}
}

// TestDeployRoleTrustPolicy puts the shipped trust policy on a role in a
// simulated account: it lets the bot in only with a source identity, a
// Slack user's or its own, and the sandbox's roles are that policy.
func TestDeployRoleTrustPolicy(t *testing.T) {
	raw := simtest.ReadFile(t, "iam/deploy-role-trust.json")
	const bot = "arn:aws:iam::123456789012:user/switchyard"
	trust := strings.ReplaceAll(string(raw), "BOT_PRINCIPAL_ARN", bot)
	sim := awssim.New(awssim.Options{})
	roleARN, err := sim.PutRole(awssim.RoleSeed{Name: "switchyard-deploy", Account: "210987654321", TrustPolicy: trust})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	client := sts.NewFromConfig(sim.Config()) // the bot's own key: the user switchyard of 123456789012
	for _, c := range []struct {
		source string
		tags   bool
		ok     bool
	}{
		{"U0ALICE", true, true}, {"W0BOB", true, true}, {"switchyard", false, true},
		{"", false, false}, {"ops-admin", false, false},
	} {
		in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s-" + c.source)}
		if c.source != "" {
			in.SourceIdentity = aws.String(c.source)
		}
		if c.tags {
			in.Tags = []ststypes.Tag{{Key: aws.String("SlackUser"), Value: aws.String(c.source)}}
		}
		_, err := client.AssumeRole(context.Background(), in)
		var ae smithy.APIError
		switch {
		case c.ok && err != nil:
			t.Errorf("source identity %q refused: %v", c.source, err)
		case !c.ok && (!errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied"):
			t.Errorf("source identity %q: %v, want AccessDenied", c.source, err)
		}
	}

	// The sandbox's roles carry that policy, for its bot's user.
	var want any
	_ = json.Unmarshal([]byte(trust), &want)
	world := simtest.ReadFile(t, simtest.SandboxWorld)
	var w struct {
		Roles []struct {
			TrustPolicy any `yaml:"trustPolicy"`
		}
		Accounts []struct {
			Roles []struct {
				TrustPolicy any `yaml:"trustPolicy"`
			}
		}
	}
	if err := yaml.Unmarshal(world, &w); err != nil {
		t.Fatal(err)
	}
	roles := w.Roles
	for _, a := range w.Accounts {
		roles = append(roles, a.Roles...)
	}
	if len(roles) != 2 {
		t.Fatalf("the sandbox has %d roles, want one per account", len(roles))
	}
	for i, r := range roles {
		b, _ := json.Marshal(r.TrustPolicy)
		var got any
		_ = json.Unmarshal(b, &got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("sandbox role %d trusts %s, want iam/deploy-role-trust.json: %s", i, b, trust)
		}
	}
}
