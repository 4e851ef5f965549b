package awssim

import (
	"encoding/json"
	"strings"
	"testing"
)

// as returns a copy of the CLI with other credentials and region.
func (c *awsCLI) as(key, secret, token, region string) *awsCLI {
	out := *c
	out.env = nil
	for _, kv := range c.env {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION":
		default:
			out.env = append(out.env, kv)
		}
	}
	out.env = append(out.env, "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_REGION="+region, "AWS_DEFAULT_REGION="+region)
	if token != "" {
		out.env = append(out.env, "AWS_SESSION_TOKEN="+token)
	}
	return &out
}

// ok calls aws with args, which print nothing, and requires success.
func (c *awsCLI) ok(args ...string) {
	c.t.Helper()
	if _, errOut, code := c.run(args...); code != 0 {
		c.t.Fatalf("aws %s: exit %d\nstderr:\n%s", strings.Join(args, " "), code, errOut)
	}
}

type cliIdentity struct{ UserId, Account, Arn string }

// TestAWSCLIAccounts drives STS, CloudTrail and bus permissions with the
// AWS CLI v1, whose botocore speaks awsQuery to STS and spells the
// CloudTrail target in full.
func TestAWSCLIAccounts(t *testing.T) {
	f := newAccountsFixture(t)
	bot := newAWSCLI(t, f.sim) // AKIDSIM in us-east-1: the default account
	staging := newAWSCLI(t, f.sim.Partition(stagingAccount, "eu-west-1"))

	var id cliIdentity
	staging.json(&id, "sts", "get-caller-identity")
	if id.Account != stagingAccount || id.Arn != "arn:aws:iam::210987654321:user/switchyard" {
		t.Errorf("AWS_ACCESS_KEY_ID=210987654321 is %+v", id)
	}

	var assumed struct {
		Credentials      struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
		AssumedRoleUser  struct{ AssumedRoleId, Arn string }
		SourceIdentity   string
		PackedPolicySize int
	}
	bot.json(&assumed, "sts", "assume-role", "--role-arn", stagingRole, "--role-session-name", "alice",
		"--source-identity", "U0ALICE", "--external-id", "switchyard-staging",
		"--tags", "Key=team,Value=payments", "--transitive-tag-keys", "team")
	c := assumed.Credentials
	if !strings.HasPrefix(c.AccessKeyId, "ASIA") || c.SessionToken == "" || c.Expiration == "" || assumed.SourceIdentity != "U0ALICE" ||
		assumed.AssumedRoleUser.Arn != "arn:aws:sts::210987654321:assumed-role/switchyard-deploy/alice" || assumed.PackedPolicySize < 1 {
		t.Fatalf("assume-role printed %+v", assumed)
	}
	alice := bot.as(c.AccessKeyId, c.SecretAccessKey, c.SessionToken, "eu-west-1")
	alice.json(&id, "sts", "get-caller-identity")
	if id.Account != stagingAccount || id.Arn != assumed.AssumedRoleUser.Arn || id.UserId != assumed.AssumedRoleUser.AssumedRoleId {
		t.Errorf("the session is %+v", id)
	}
	var rule struct{ RuleArn string }
	alice.json(&rule, "events", "put-rule", "--name", "deploys", "--event-pattern", `{"source":["aws.codedeploy"]}`)
	if rule.RuleArn != "arn:aws:events:eu-west-1:210987654321:rule/deploys" {
		t.Errorf("the session's rule is %s", rule.RuleArn)
	}
	stderr := bot.fails("sts", "assume-role", "--role-arn", stagingRole, "--role-session-name", "alice")
	if !strings.Contains(stderr, "(AccessDenied)") ||
		!strings.Contains(stderr, "User: arn:aws:iam::123456789012:user/switchyard is not authorized to perform: sts:AssumeRole on resource: "+stagingRole) {
		t.Errorf("assume-role without the external ID: %s", stderr)
	}
	stderr = alice.as(c.AccessKeyId, c.SecretAccessKey, "forged", "eu-west-1").fails("sts", "get-caller-identity")
	if !strings.Contains(stderr, "(InvalidClientTokenId)") {
		t.Errorf("a forged session token: %s", stderr)
	}

	var history struct {
		Events []struct {
			EventName, Username, AccessKeyId, ReadOnly, CloudTrailEvent string
			EventTime                                                   float64
			Resources                                                   []struct{ ResourceType, ResourceName string }
		}
		NextToken string
	}
	staging.json(&history, "cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=Username,AttributeValue=alice")
	if len(history.Events) != 1 {
		t.Fatalf("lookup-events Username=alice: %+v", history)
	}
	e := history.Events[0]
	var rec TrailEvent
	if err := json.Unmarshal([]byte(e.CloudTrailEvent), &rec); err != nil {
		t.Fatal(err)
	}
	if e.EventName != "PutRule" || e.AccessKeyId != c.AccessKeyId || e.ReadOnly != "false" || float64(acctEpoch.Unix()) != e.EventTime ||
		len(e.Resources) != 1 || e.Resources[0].ResourceName != "deploys" || rec.UserIdentity.SessionContext == nil ||
		rec.UserIdentity.SessionContext.SourceIdentity != "U0ALICE" || rec.UserIdentity.ARN != assumed.AssumedRoleUser.Arn {
		t.Errorf("the session's PutRule: %+v", e)
	}
	// One event a page: the CLI follows NextToken to the end.
	alice.json(&rule, "events", "put-rule", "--name", "ecs", "--event-pattern", `{"source":["aws.ecs"]}`)
	staging.json(&history, "cloudtrail", "lookup-events", "--page-size", "1")
	if len(history.Events) != 2 || history.Events[0].Resources[0].ResourceName != "ecs" || history.Events[1].Resources[0].ResourceName != "deploys" {
		t.Errorf("all of staging's history in eu-west-1, a page at a time: %+v", history.Events)
	}
	// The bot assumed the role through STS in us-east-1: the role's account
	// has the record there, naming the calling account.
	bot.as(stagingAccount, "secret", "", "us-east-1").json(&history, "cloudtrail", "lookup-events",
		"--lookup-attributes", "AttributeKey=EventName,AttributeValue=AssumeRole")
	if len(history.Events) != 1 || history.Events[0].ReadOnly != "true" || !strings.Contains(history.Events[0].CloudTrailEvent, `"type":"AWSAccount"`) {
		t.Errorf("AssumeRole in the role's account: %+v", history.Events)
	}
	stderr = staging.fails("cloudtrail", "lookup-events", "--start-time", "2026-05-05T00:00:00Z", "--end-time", "2026-05-04T00:00:00Z")
	if !strings.Contains(stderr, "(InvalidTimeRangeException)") {
		t.Errorf("an upside-down time range: %s", stderr)
	}

	bot.ok("events", "put-permission", "--action", "events:PutEvents", "--principal", stagingAccount, "--statement-id", "staging")
	var bus struct{ Name, Arn, Policy string }
	bot.json(&bus, "events", "describe-event-bus")
	if bus.Arn != eventsBus || !strings.Contains(bus.Policy, `"AWS":"arn:aws:iam::210987654321:root"`) {
		t.Errorf("describe-event-bus: %+v", bus)
	}
	bot.ok("events", "remove-permission", "--statement-id", "staging")
	bus.Policy = ""
	bot.json(&bus, "events", "describe-event-bus")
	if bus.Policy != "" {
		t.Errorf("policy after remove-permission: %s", bus.Policy)
	}
	if stderr := bot.fails("events", "remove-permission", "--statement-id", "staging"); !strings.Contains(stderr, "(ResourceNotFoundException)") {
		t.Errorf("removing it twice: %s", stderr)
	}
}
