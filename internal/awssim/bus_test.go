package awssim

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

const (
	eventsBus    = "arn:aws:events:us-east-1:123456789012:event-bus/default"
	thirdAccount = "333333333333"
	forwardRole  = "arn:aws:iam::210987654321:role/eventbridge-forward"
	appPattern   = `{"source":["myapp"]}`
)

// busSide is one partition's EventBridge client.
type busSide struct {
	f  *acctFixture
	eb *eventbridge.Client
}

func (f *acctFixture) side(key, region string) busSide {
	return busSide{f: f, eb: eventbridge.NewFromConfig(f.config(key, region))}
}

func (b busSide) rule(name string) string {
	b.f.t.Helper()
	out, err := b.eb.PutRule(b.f.ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(appPattern)})
	if err != nil {
		b.f.t.Fatal(err)
	}
	return aws.ToString(out.RuleArn)
}

func (b busSide) target(rule, arn, role string) (*eventbridge.PutTargetsOutput, error) {
	t := ebtypes.Target{Id: aws.String("bus"), Arn: aws.String(arn)}
	if role != "" {
		t.RoleArn = aws.String(role)
	}
	return b.eb.PutTargets(b.f.ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule), Targets: []ebtypes.Target{t}})
}

func (b busSide) allow(principal, sid string) {
	b.f.t.Helper()
	if _, err := b.eb.PutPermission(b.f.ctx, &eventbridge.PutPermissionInput{Action: aws.String("events:PutEvents"),
		Principal: aws.String(principal), StatementId: aws.String(sid)}); err != nil {
		b.f.t.Fatal(err)
	}
}

func (b busSide) put(detail string) string {
	b.f.t.Helper()
	out, err := b.eb.PutEvents(b.f.ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("myapp"), DetailType: aws.String("Deployed"), Detail: aws.String(detail)}}})
	if err != nil || out.FailedEntryCount != 0 {
		b.f.t.Fatalf("PutEvents = %+v, %v", out, err)
	}
	return aws.ToString(out.Entries[0].EventId)
}

// delivered receives what a queue holds as events.
func delivered(t *testing.T, c *sqs.Client, url string) []eventEnvelope {
	t.Helper()
	var out []eventEnvelope
	for _, m := range receiveAll(t, c, url) {
		var e eventEnvelope
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil {
			t.Fatalf("message is not an event: %s", aws.ToString(m.Body))
		}
		out = append(out, e)
		if _, err := c.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestEventsForwardedAcrossAccountsAndRegions(t *testing.T) {
	f := newAccountsFixture(t)
	events := f.side("AKIDBOT", "us-east-1") // the bot's events account
	stagingEU := f.side(stagingAccount, "eu-west-1")
	stagingUS := f.side(stagingAccount, "us-east-1")
	third := f.side(thirdAccount, "us-east-1")
	prodSQS := sqs.NewFromConfig(f.config("AKIDBOT", "us-east-1"))
	queue, _ := wireRule(t, events.eb, prodSQS, "into-queue", appPattern, "deploys", func(ruleArn string) string {
		return eventsPolicy("arn:aws:sqs:us-east-1:123456789012:deploys", ruleArn)
	})

	bus, err := events.eb.DescribeEventBus(f.ctx, &eventbridge.DescribeEventBusInput{})
	if err != nil || aws.ToString(bus.Arn) != eventsBus || bus.Policy != nil || aws.ToString(bus.Name) != "default" {
		t.Fatalf("DescribeEventBus before any permission: %+v, %v", bus, err)
	}
	stagingUS.rule("forward")
	_, err = stagingUS.target("forward", eventsBus, "")
	ae := wantCode(t, err, "AccessDeniedException")
	if want := "User: arn:aws:iam::210987654321:user/switchyard is not authorized to perform: events:PutEvents on resource: " + eventsBus +
		" because no resource-based policy allows the events:PutEvents action"; ae.ErrorMessage() != want {
		t.Errorf("message %q", ae.ErrorMessage())
	}

	events.allow(stagingAccount, "staging")
	bus, _ = events.eb.DescribeEventBus(f.ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(eventsBus)})
	var policy struct {
		Statement []struct {
			Sid, Effect, Action, Resource string
			Principal                     struct{ AWS string }
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(bus.Policy)), &policy); err != nil || len(policy.Statement) != 1 ||
		policy.Statement[0].Principal.AWS != "arn:aws:iam::210987654321:root" || policy.Statement[0].Resource != eventsBus ||
		policy.Statement[0].Sid != "staging" || policy.Statement[0].Action != "events:PutEvents" {
		t.Fatalf("bus policy: %s", aws.ToString(bus.Policy))
	}
	if out, err := stagingUS.target("forward", eventsBus, ""); err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("same-region target once allowed: %+v, %v", out, err)
	}
	stagingEU.rule("forward")
	out, err := stagingEU.target("forward", eventsBus, "")
	if err != nil || out.FailedEntryCount != 1 || !strings.Contains(aws.ToString(out.FailedEntries[0].ErrorMessage), "RoleArn is required") {
		t.Fatalf("cross-region target without a role: %+v, %v", out, err)
	}
	if out, err := stagingEU.target("forward", eventsBus, forwardRole); err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("cross-region target with a role: %+v, %v", out, err)
	}

	// The event arrives as sent: the sender's account, region and id.
	id := stagingEU.put(`{"version":"v2"}`)
	got := delivered(t, prodSQS, queue)
	if len(got) != 1 || got[0].Account != stagingAccount || got[0].Region != "eu-west-1" || got[0].ID != id || string(got[0].Detail) != `{"version":"v2"}` {
		t.Fatalf("forwarded from eu-west-1: %+v", got)
	}
	stagingUS.put(`{"version":"v3"}`)
	if got := delivered(t, prodSQS, queue); len(got) != 1 || got[0].Region != "us-east-1" || got[0].Account != stagingAccount {
		t.Fatalf("forwarded from us-east-1: %+v", got)
	}

	// The events account passes its own events on, not those it received.
	third.allow(prodAccount, "events")
	thirdSQS := sqs.NewFromConfig(f.config(thirdAccount, "us-east-1"))
	thirdQueue, _ := wireRule(t, third.eb, thirdSQS, "into-queue", appPattern, "audit", func(ruleArn string) string {
		return eventsPolicy("arn:aws:sqs:us-east-1:333333333333:audit", ruleArn)
	})
	events.rule("onward")
	if out, err := events.target("onward", "arn:aws:events:us-east-1:333333333333:event-bus/default", ""); err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("onward target: %+v, %v", out, err)
	}
	eventsSim := f.sim
	dropped := eventsSim.DroppedEvents()
	stagingEU.put(`{"version":"v4"}`)
	if got := delivered(t, thirdSQS, thirdQueue); len(got) != 0 {
		t.Errorf("an event received from another account went on to a third: %+v", got)
	}
	if eventsSim.DroppedEvents() != dropped+1 || len(delivered(t, prodSQS, queue)) != 1 {
		t.Errorf("dropped %d → %d", dropped, eventsSim.DroppedEvents())
	}
	events.put(`{"version":"own"}`)
	if got := delivered(t, thirdSQS, thirdQueue); len(got) != 1 || got[0].Account != prodAccount {
		t.Errorf("the events account's own event: %+v", got)
	}
	delivered(t, prodSQS, queue)

	// Without the permission, delivery stops (silently, as on AWS).
	if _, err := events.eb.RemovePermission(f.ctx, &eventbridge.RemovePermissionInput{StatementId: aws.String("staging")}); err != nil {
		t.Fatal(err)
	}
	stagingUS.put(`{"version":"v5"}`)
	if got := delivered(t, prodSQS, queue); len(got) != 0 {
		t.Errorf("delivered after RemovePermission: %+v", got)
	}
	if n := f.sim.Partition(stagingAccount, "us-east-1").DroppedEvents(); n != 1 {
		t.Errorf("the sender counted %d dropped events", n)
	}
	_, err = events.eb.RemovePermission(f.ctx, &eventbridge.RemovePermissionInput{StatementId: aws.String("staging")})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestPutPermissionValidation(t *testing.T) {
	f := newAccountsFixture(t)
	events := f.side("AKIDBOT", "us-east-1")
	for _, in := range []eventbridge.PutPermissionInput{
		{Action: aws.String("events:PutEvents"), Principal: aws.String("12345"), StatementId: aws.String("a")},
		{Action: aws.String("events:PutRule"), Principal: aws.String(stagingAccount), StatementId: aws.String("a")},
		{Action: aws.String("events:PutEvents"), Principal: aws.String(stagingAccount), StatementId: aws.String("not ok")},
		{Action: aws.String("events:PutEvents"), Principal: aws.String(stagingAccount), StatementId: aws.String("a"),
			Condition: &ebtypes.Condition{Type: aws.String("StringEquals"), Key: aws.String("aws:PrincipalOrgID"), Value: aws.String("o-1234567890")}},
		{Policy: aws.String(`{"Statement":"nope"}`)},
	} {
		_, err := events.eb.PutPermission(f.ctx, &in)
		wantCode(t, err, "ValidationException")
	}
	_, err := events.eb.PutPermission(f.ctx, &eventbridge.PutPermissionInput{Action: aws.String("events:PutEvents"),
		Principal: aws.String("*"), StatementId: aws.String("org"),
		Condition: &ebtypes.Condition{Type: aws.String("StringEquals"), Key: aws.String("aws:PrincipalOrgID"), Value: aws.String("o-1234567890")}})
	if err != nil {
		t.Fatal(err)
	}
	events.allow(stagingAccount, "org") // the same statement ID replaces it
	bus, _ := events.eb.DescribeEventBus(f.ctx, &eventbridge.DescribeEventBusInput{})
	if p := aws.ToString(bus.Policy); strings.Contains(p, "PrincipalOrgID") || strings.Count(p, `"Sid"`) != 1 {
		t.Errorf("policy after replacing statement org: %s", p)
	}
	whole := `{"Version":"2012-10-17","Statement":[{"Sid":"all","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},` +
		`"Action":"events:PutEvents","Resource":"` + eventsBus + `"}]}`
	if _, err := events.eb.PutPermission(f.ctx, &eventbridge.PutPermissionInput{Policy: aws.String(whole)}); err != nil {
		t.Fatal(err)
	}
	bus, _ = events.eb.DescribeEventBus(f.ctx, &eventbridge.DescribeEventBusInput{})
	if !strings.Contains(aws.ToString(bus.Policy), "333333333333") || strings.Contains(aws.ToString(bus.Policy), stagingAccount) {
		t.Errorf("a whole policy replaces the old one: %s", aws.ToString(bus.Policy))
	}
	own := events.rule("self")
	out, err := events.target("self", eventsBus, "")
	if err != nil || out.FailedEntryCount != 1 {
		t.Errorf("a rule targeting its own bus: %+v, %v (%s)", out, err, own)
	}
	_, err = events.target("self", "arn:aws:events:us-east-1:333333333333:event-bus/custom", "")
	wantCode(t, err, "ResourceNotFoundException")
}
