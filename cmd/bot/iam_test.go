package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/setup"
	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/notify"
)

// The IAM files: iam-policy.json for one account and no roles, and iam/
// for environments in several accounts (see iam/README.md). Their
// placeholders are filled in per check.

// policy is an IAM policy document as the repository ships it.
type policy struct {
	file      string
	Statement []struct {
		Sid       string
		Effect    string
		Principal any
		Action    any
		Resource  any
		Condition map[string]map[string]any
	}
}

func loadPolicy(t *testing.T, file string) policy {
	t.Helper()
	p := policy{file: file}
	if err := json.Unmarshal(simtest.ReadFile(t, file), &p); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return p
}

// strs reads an IAM string-or-list value.
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

// actions lists the actions of the Allow statements whose Sid starts with
// prefix, refusing wildcards and statements without a resource.
func (p policy) actions(t *testing.T, prefix string) []string {
	t.Helper()
	var out []string
	for _, s := range p.Statement {
		if !strings.HasPrefix(s.Sid, prefix) {
			continue
		}
		if s.Effect != "Allow" || len(strs(s.Resource)) == 0 {
			t.Errorf("%s: statement %s: effect %q, resource %v", p.file, s.Sid, s.Effect, s.Resource)
		}
		out = append(out, strs(s.Action)...)
	}
	for _, a := range out {
		if strings.Contains(a, "*") {
			t.Errorf("%s: %s: wildcard actions are not least privilege", p.file, a)
		}
	}
	return out
}

// covers checks that the statements starting with prefix allow every one of
// the calls.
func (p policy) covers(t *testing.T, prefix, who string, calls []string) {
	t.Helper()
	have := p.actions(t, prefix)
	if len(have) == 0 {
		t.Errorf("%s has no %s statements", p.file, prefix)
	}
	for _, a := range calls {
		if !slices.Contains(have, a) {
			t.Errorf("%s calls %s but no %s statement of %s allows it", who, a, prefix, p.file)
		}
	}
}

// allows reports whether an Allow statement whose Sid starts with prefix
// grants action on resource, with the placeholders in subs filled in.
func (p policy) allows(prefix, action, resource string, subs map[string]string) bool {
	var pairs []string
	for k, v := range subs {
		pairs = append(pairs, k, v)
	}
	fill := strings.NewReplacer(pairs...) // BOT_ACCOUNT_ID is not ACCOUNT_ID after BOT_
	for _, s := range p.Statement {
		if s.Effect != "Allow" || !strings.HasPrefix(s.Sid, prefix) || !slices.Contains(strs(s.Action), action) {
			continue
		}
		for _, r := range strs(s.Resource) {
			if globMatch(fill.Replace(r), resource) {
				return true
			}
		}
	}
	return false
}

// globMatch matches as IAM matches resources: * any run of characters, ?
// one character, everything else itself.
func globMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(pattern[1:], s[1:])
	default:
		return s != "" && s[0] == pattern[0] && globMatch(pattern[1:], s[1:])
	}
}

// deployerCalls are the AWS calls of the deployer, derived from the
// interfaces it declares, so that a new call without a policy line fails
// here, not in production with AccessDenied.
func deployerCalls() []string {
	var run []string
	run = append(run, methods("ecs", (*deployer.ECS)(nil))...)
	run = append(run, methods("ecr", (*deployer.ECR)(nil))...)
	run = append(run, methods("cloudwatch", (*deployer.Alarms)(nil))...)
	for _, v := range []any{(*deployer.Services)(nil), (*deployer.ServiceDeployments)(nil), (*deployer.ServiceControl)(nil)} {
		run = append(run, methods("ecs", v)...)
	}
	for _, v := range []any{(*deployer.Groups)(nil), (*deployer.Deployments)(nil), (*deployer.History)(nil), (*deployer.Targets)(nil), (*deployer.Control)(nil)} {
		run = append(run, methods("codedeploy", v)...)
	}
	return run
}

// queueCalls are what bot run asks of its events queue: notify reads it
// (everything else it learns from AWS it asks the deployer, which
// TestOnlyTheDeployerCallsAWS keeps so) and internal/app finds it at start.
func queueCalls() []string {
	return append(methods("sqs", (*notify.Queue)(nil)), "sqs:GetQueueUrl")
}

// roleCalls are what deployer.Sessions asks of STS: AssumeRole, with a
// source identity and session tags.
func roleCalls() []string {
	return append(methods("sts", (*stscreds.AssumeRoleAPIClient)(nil)), "sts:SetSourceIdentity", "sts:TagSession")
}

func TestIAMPolicyCoversEveryCall(t *testing.T) {
	rules := methods("events", (*setup.Rules)(nil))
	bus := methods("events", (*setup.Bus)(nil))
	queue := methods("sqs", (*setup.SQS)(nil))

	// One account, no roles: the bot's own credentials do everything.
	single := loadPolicy(t, "iam-policy.json")
	single.covers(t, "Run", "bot run", append(deployerCalls(), append(queueCalls(), "iam:PassRole")...))
	single.covers(t, "Setup", "bot setup", append(append(rules, queue...), "iam:PassRole"))

	// Several accounts: the bot reads its queue and assumes the roles; each
	// environment's role deploys, and lets setup write the forwarding.
	loadPolicy(t, "iam/bot-policy.json").covers(t, "Run", "bot run", append(queueCalls(), roleCalls()...))
	role := loadPolicy(t, "iam/deploy-role-policy.json")
	role.covers(t, "Run", "bot run through a role", append(deployerCalls(), "iam:PassRole"))
	role.covers(t, "Setup", "bot setup through a role", append(rules, "iam:PassRole"))
	setupCalls := append(append(append(rules, bus...), queue...), "iam:PassRole", "sts:AssumeRole", "sts:SetSourceIdentity")
	loadPolicy(t, "iam/setup-policy.json").covers(t, "Setup", "bot setup", setupCalls)
	loadPolicy(t, "iam/forward-role-policy.json").covers(t, "Forward", "EventBridge forwarding", []string{"events:PutEvents"})
}
