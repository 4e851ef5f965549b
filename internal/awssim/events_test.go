package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

const deployPattern = `{"source":["aws.codedeploy"],` +
	`"detail-type":["CodeDeploy Deployment State-change Notification"],` +
	`"detail":{"state":["START","SUCCESS","FAILURE","STOP","READY"]}}`

// wireRule creates a queue and a rule targeting it; policyRule is the rule
// ARN the queue's policy allows ("" for no policy).
func wireRule(t *testing.T, eb *eventbridge.Client, c *sqs.Client, rule, pattern, queue string, policyFor func(ruleArn string) string) (queueURL, ruleArn string) {
	t.Helper()
	ctx := context.Background()
	queueURL = createQueue(t, c, queue, nil)
	out, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(rule), EventPattern: aws.String(pattern)})
	if err != nil {
		t.Fatal(err)
	}
	ruleArn = *out.RuleArn
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &queueURL,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	queueArn := attrs.Attributes["QueueArn"]
	if p := policyFor(ruleArn); p != "" {
		if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &queueURL, Attributes: map[string]string{"Policy": p}}); err != nil {
			t.Fatal(err)
		}
	}
	tout, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(queueArn)}}})
	if err != nil || tout.FailedEntryCount != 0 {
		t.Fatalf("PutTargets = %+v, %v", tout, err)
	}
	return queueURL, ruleArn
}

func emitDeployEvent(s *Sim, id, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emitEvent("aws.codedeploy", "CodeDeploy Deployment State-change Notification",
		[]string{
			"arn:aws:codedeploy:us-east-1:123456789012:application:web",
			"arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:web/web-dg",
		},
		map[string]string{
			"application": "web", "deploymentGroup": "web-dg", "deploymentId": id,
			"instanceGroupId": "6f1c6a4e-9a43-4a4b-bb5c-0f2f3a1b2c3d", "region": "us-east-1", "state": state,
		})
}

func receiveAll(t *testing.T, c *sqs.Client, url string) []sqstypes.Message {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

func TestCodeDeployEventReachesQueue(t *testing.T) {
	s, eb, c := startQueueSim(t)
	url, _ := wireRule(t, eb, c, "switchyard-deployments", deployPattern, "switchyard-events",
		func(ruleArn string) string {
			return eventsPolicy("arn:aws:sqs:us-east-1:123456789012:switchyard-events", ruleArn)
		})
	advance(s, 1500*time.Millisecond) // the event time is cut to the second
	emitDeployEvent(s, "d-ABCDEFGH1", "START")

	msgs := receiveAll(t, c, url)
	if len(msgs) != 1 {
		t.Fatalf("received %d messages, want 1", len(msgs))
	}
	var ev struct {
		Version    string   `json:"version"`
		ID         string   `json:"id"`
		DetailType string   `json:"detail-type"`
		Source     string   `json:"source"`
		Account    string   `json:"account"`
		Time       string   `json:"time"`
		Region     string   `json:"region"`
		Resources  []string `json:"resources"`
		Detail     struct {
			Application     string `json:"application"`
			DeploymentGroup string `json:"deploymentGroup"`
			DeploymentID    string `json:"deploymentId"`
			InstanceGroupID string `json:"instanceGroupId"`
			Region          string `json:"region"`
			State           string `json:"state"`
		} `json:"detail"`
	}
	dec := json.NewDecoder(strings.NewReader(*msgs[0].Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("body %s: %v", *msgs[0].Body, err)
	}
	checks := []struct{ name, got, want string }{
		{"version", ev.Version, "0"},
		{"detail-type", ev.DetailType, "CodeDeploy Deployment State-change Notification"},
		{"source", ev.Source, "aws.codedeploy"},
		{"account", ev.Account, "123456789012"},
		{"time", ev.Time, "2025-03-04T05:06:08Z"},
		{"region", ev.Region, "us-east-1"},
		{"resources", strings.Join(ev.Resources, " "), "arn:aws:codedeploy:us-east-1:123456789012:application:web arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:web/web-dg"},
		{"detail.application", ev.Detail.Application, "web"},
		{"detail.deploymentGroup", ev.Detail.DeploymentGroup, "web-dg"},
		{"detail.deploymentId", ev.Detail.DeploymentID, "d-ABCDEFGH1"},
		{"detail.instanceGroupId", ev.Detail.InstanceGroupID, "6f1c6a4e-9a43-4a4b-bb5c-0f2f3a1b2c3d"},
		{"detail.region", ev.Detail.Region, "us-east-1"},
		{"detail.state", ev.Detail.State, "START"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if !uuidRE.MatchString(ev.ID) {
		t.Errorf("id = %q, want a UUID", ev.ID)
	}
	// The body is the event exactly as the bus logged it.
	if events := s.Events(); len(events) != 1 || string(events[0]) != *msgs[0].Body {
		t.Errorf("Events() = %s", events)
	}
	if s.DroppedEvents() != 0 {
		t.Errorf("DroppedEvents = %d", s.DroppedEvents())
	}
}

func TestEventsNotDelivered(t *testing.T) {
	s, eb, c := startQueueSim(t)
	allow := func(queue string) func(string) string {
		return func(ruleArn string) string { return eventsPolicy("arn:aws:sqs:us-east-1:123456789012:"+queue, ruleArn) }
	}
	// A pattern that does not match the event delivers nothing.
	onlySuccess, _ := wireRule(t, eb, c, "only-success",
		`{"source":["aws.codedeploy"],"detail":{"state":["SUCCESS"]}}`, "only-success", allow("only-success"))
	// A queue without a policy gets nothing.
	noPolicy, _ := wireRule(t, eb, c, "no-policy", deployPattern, "no-policy", func(string) string { return "" })
	// A queue whose policy allows another rule gets nothing.
	otherRule, _ := wireRule(t, eb, c, "other-rule", deployPattern, "other-rule", func(string) string {
		return eventsPolicy("arn:aws:sqs:us-east-1:123456789012:other-rule", "arn:aws:events:us-east-1:123456789012:rule/someone-else")
	})
	// A disabled rule delivers nothing.
	disabled, _ := wireRule(t, eb, c, "disabled", deployPattern, "disabled", allow("disabled"))
	if _, err := eb.DisableRule(context.Background(), &eventbridge.DisableRuleInput{Name: aws.String("disabled")}); err != nil {
		t.Fatal(err)
	}
	// A Deny statement wins over the Allow.
	denied, _ := wireRule(t, eb, c, "denied", deployPattern, "denied", func(ruleArn string) string {
		return `{"Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:*"},` +
			`{"Effect":"Deny","Principal":"*","Action":"sqs:SendMessage","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:events:*:*:rule/den*"}}}]}`
	})

	emitDeployEvent(s, "d-ABCDEFGH2", "START")
	for name, url := range map[string]string{"only-success": onlySuccess, "no-policy": noPolicy, "other-rule": otherRule, "disabled": disabled, "denied": denied} {
		if msgs := receiveAll(t, c, url); len(msgs) != 0 {
			t.Errorf("%s received %d messages", name, len(msgs))
		}
	}
	if got := s.DroppedEvents(); got != 3 {
		t.Errorf("DroppedEvents = %d, want 3 (no-policy, other-rule, denied)", got)
	}
	emitDeployEvent(s, "d-ABCDEFGH2", "SUCCESS")
	if msgs := receiveAll(t, c, onlySuccess); len(msgs) != 1 || !strings.Contains(*msgs[0].Body, `"state":"SUCCESS"`) {
		t.Errorf("only-success after SUCCESS = %v", msgs)
	}
}

func TestEventBridgeRulesAndTargets(t *testing.T) {
	ctx := context.Background()
	_, eb, _ := startQueueSim(t)
	put, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("deploys"), EventPattern: aws.String(deployPattern),
		Description: aws.String("CodeDeploy state changes"), EventBusName: aws.String("default")})
	if err != nil || *put.RuleArn != "arn:aws:events:us-east-1:123456789012:rule/deploys" {
		t.Fatalf("PutRule = %v, %v", put, err)
	}
	d, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("deploys")})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Name != "deploys" || *d.Arn != *put.RuleArn || *d.EventPattern != deployPattern || d.State != ebtypes.RuleStateEnabled ||
		*d.Description != "CodeDeploy state changes" || *d.EventBusName != "default" {
		t.Fatalf("DescribeRule = %+v", d)
	}
	_, err = eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("nope")})
	var nf *ebtypes.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Rule nope does not exist on EventBus default." {
		t.Fatalf("DescribeRule(nope) = %v", err)
	}
	_, err = eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bad"), EventPattern: aws.String(`{"source":"aws.codedeploy"}`)})
	var invalid *ebtypes.InvalidEventPatternException
	if !errors.As(err, &invalid) || !strings.HasPrefix(invalid.ErrorMessage(), "Event pattern is not valid. Reason: ") {
		t.Fatalf("PutRule(bad pattern) = %v", err)
	}
	_, err = eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("x"), EventPattern: aws.String(`{"source":["a"]}`), EventBusName: aws.String("custom")})
	if !errors.As(err, &nf) {
		t.Fatalf("PutRule on another bus = %v", err)
	}

	queueArn := "arn:aws:sqs:us-east-1:123456789012:q"
	targets := []ebtypes.Target{{Id: aws.String("a"), Arn: aws.String(queueArn)}, {Id: aws.String("b"), Arn: aws.String(queueArn), InputPath: aws.String("$.detail")}}
	pt, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("deploys"), Targets: targets})
	if err != nil || pt.FailedEntryCount != 0 || len(pt.FailedEntries) != 0 {
		t.Fatalf("PutTargets = %+v, %v", pt, err)
	}
	pt, err = eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("deploys"),
		Targets: []ebtypes.Target{{Id: aws.String("c"), Arn: aws.String(queueArn), RoleArn: aws.String("arn:aws:iam::123456789012:role/r")}}})
	if err != nil || pt.FailedEntryCount != 1 || *pt.FailedEntries[0].TargetId != "c" || *pt.FailedEntries[0].ErrorCode != "ValidationException" {
		t.Fatalf("PutTargets with RoleArn = %+v, %v", pt, err)
	}
	_, err = eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("nope"), Targets: targets})
	if !errors.As(err, &nf) {
		t.Fatalf("PutTargets(nope) = %v", err)
	}
	many := []ebtypes.Target{}
	for i := range 4 {
		many = append(many, ebtypes.Target{Id: aws.String(fmt.Sprint("n", i)), Arn: aws.String(queueArn)})
	}
	_, err = eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("deploys"), Targets: many})
	var limit *ebtypes.LimitExceededException
	if !errors.As(err, &limit) {
		t.Fatalf("sixth target = %v, want LimitExceededException", err)
	}

	lt, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("deploys")})
	if err != nil || len(lt.Targets) != 2 || *lt.Targets[0].Id != "a" || *lt.Targets[0].Arn != queueArn || *lt.Targets[1].InputPath != "$.detail" {
		t.Fatalf("ListTargetsByRule = %+v, %v", lt, err)
	}
	_, err = eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("nope")})
	if !errors.As(err, &nf) {
		t.Fatalf("ListTargetsByRule(nope) = %v", err)
	}

	_, err = eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("deploys")})
	ae := wantCode(t, err, "ValidationException")
	if ae.ErrorMessage() != "Rule can't be deleted since it has targets." {
		t.Fatalf("DeleteRule with targets: %v", err)
	}
	rt, err := eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("deploys"), Ids: []string{"a", "b"}})
	if err != nil || rt.FailedEntryCount != 0 {
		t.Fatalf("RemoveTargets = %+v, %v", rt, err)
	}
	if _, err := eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("nope"), Ids: []string{"a"}}); !errors.As(err, &nf) {
		t.Fatalf("RemoveTargets(nope) = %v", err)
	}

	for _, n := range []string{"deploys-b", "other"} {
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(n), EventPattern: aws.String(`{"source":["x"]}`), State: ebtypes.RuleStateDisabled}); err != nil {
			t.Fatal(err)
		}
	}
	lr, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("deploys")})
	if err != nil || len(lr.Rules) != 2 || *lr.Rules[0].Name != "deploys" || *lr.Rules[1].Name != "deploys-b" || lr.Rules[1].State != ebtypes.RuleStateDisabled {
		t.Fatalf("ListRules(deploys) = %+v, %v", lr, err)
	}
	lr, err = eb.ListRules(ctx, &eventbridge.ListRulesInput{Limit: aws.Int32(2)})
	if err != nil || len(lr.Rules) != 2 || lr.NextToken == nil {
		t.Fatalf("ListRules page 1 = %+v, %v", lr, err)
	}
	lr, err = eb.ListRules(ctx, &eventbridge.ListRulesInput{Limit: aws.Int32(2), NextToken: lr.NextToken})
	if err != nil || len(lr.Rules) != 1 || *lr.Rules[0].Name != "other" || lr.NextToken != nil {
		t.Fatalf("ListRules page 2 = %+v, %v", lr, err)
	}

	if _, err := eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("deploys")}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("deploys")}); !errors.As(err, &nf) {
		t.Fatalf("rule still there after DeleteRule: %v", err)
	}
	if _, err := eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("deploys")}); err != nil {
		t.Fatalf("DeleteRule of a deleted rule: %v", err)
	}
}

func TestPutEvents(t *testing.T) {
	ctx := context.Background()
	s, eb, c := startQueueSim(t)
	url, _ := wireRule(t, eb, c, "custom", `{"source":[{"prefix":"switchyard."}],"detail":{"kind":[{"anything-but":"noise"}]}}`, "custom",
		func(ruleArn string) string { return eventsPolicy("arn:aws:sqs:us-east-1:123456789012:custom", ruleArn) })
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("aws.codedeploy"), DetailType: aws.String("CodeDeploy Deployment State-change Notification"), Detail: aws.String(`{"state":"START"}`)},
		{Source: aws.String("switchyard.test"), DetailType: aws.String("Ping"), Detail: aws.String(`{"kind":"ping"}`), Time: &at, Resources: []string{"r1"}},
		{Source: aws.String("switchyard.test"), DetailType: aws.String("Ping"), Detail: aws.String(`{"kind":"noise"}`)},
		{Source: aws.String("switchyard.test"), DetailType: aws.String("Ping"), Detail: aws.String(`not json`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 2 || len(out.Entries) != 4 {
		t.Fatalf("PutEvents = %+v", out)
	}
	if e := out.Entries[0]; e.EventId != nil || *e.ErrorCode != "NotAuthorizedForSourceException" {
		t.Errorf("aws.* entry = %+v", e)
	}
	if e := out.Entries[3]; e.EventId != nil || *e.ErrorCode != "MalformedDetail" {
		t.Errorf("malformed entry = %+v", e)
	}
	for _, i := range []int{1, 2} {
		if e := out.Entries[i]; e.ErrorCode != nil || e.EventId == nil || !uuidRE.MatchString(*e.EventId) {
			t.Errorf("entry %d = %+v", i, e)
		}
	}
	msgs := receiveAll(t, c, url)
	if len(msgs) != 1 {
		t.Fatalf("received %d messages, want the one ping", len(msgs))
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(*msgs[0].Body), &ev); err != nil {
		t.Fatal(err)
	}
	if ev["id"] != *out.Entries[1].EventId || ev["time"] != "2025-01-02T03:04:05Z" || ev["source"] != "switchyard.test" ||
		ev["detail"].(map[string]any)["kind"] != "ping" || ev["resources"].([]any)[0] != "r1" {
		t.Errorf("delivered event = %v", ev)
	}
	if n := len(s.Events()); n != 2 {
		t.Errorf("Events() holds %d events, want 2", n)
	}

	res, err := eb.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(`{"source":["switchyard.test"]}`), Event: msgs[0].Body})
	if err != nil || !res.Result {
		t.Fatalf("TestEventPattern = %+v, %v", res, err)
	}
}

func TestTargetInputs(t *testing.T) {
	ctx := context.Background()
	s, eb, c := startQueueSim(t)
	url, ruleArn := wireRule(t, eb, c, "inputs", deployPattern, "inputs",
		func(ruleArn string) string { return eventsPolicy("arn:aws:sqs:us-east-1:123456789012:inputs", ruleArn) })
	queueArn := aws.String("arn:aws:sqs:us-east-1:123456789012:inputs")
	out, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("inputs"), Targets: []ebtypes.Target{
		{Id: aws.String("queue"), Arn: queueArn, InputPath: aws.String("$.detail")},
		{Id: aws.String("const"), Arn: queueArn, Input: aws.String(`{"fixed":true}`)},
		{Id: aws.String("tmpl"), Arn: queueArn, InputTransformer: &ebtypes.InputTransformer{
			InputPathsMap: map[string]string{"id": "$.detail.deploymentId", "state": "$.detail.state"},
			InputTemplate: aws.String(`"<id> is <state> (<aws.events.rule-arn>)"`)}},
	}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("PutTargets = %+v, %v", out, err)
	}
	emitDeployEvent(s, "d-ABCDEFGH3", "READY")
	bodies := map[string]bool{}
	for _, m := range receiveAll(t, c, url) {
		bodies[*m.Body] = true
	}
	for _, want := range []string{
		`{"application":"web","deploymentGroup":"web-dg","deploymentId":"d-ABCDEFGH3","instanceGroupId":"6f1c6a4e-9a43-4a4b-bb5c-0f2f3a1b2c3d","region":"us-east-1","state":"READY"}`,
		`{"fixed":true}`,
		`"d-ABCDEFGH3 is READY (` + ruleArn + `)"`,
	} {
		if !bodies[want] {
			t.Errorf("no message %s among %v", want, bodies)
		}
	}
}
