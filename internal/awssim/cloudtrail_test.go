package awssim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// lookup calls LookupEvents with one attribute (key "" for none) and
// returns every page's events.
func (f *acctFixture) lookup(cfg aws.Config, key, value string) []cttypes.Event {
	f.t.Helper()
	in := &cloudtrail.LookupEventsInput{}
	if key != "" {
		in.LookupAttributes = []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKey(key), AttributeValue: aws.String(value)}}
	}
	var out []cttypes.Event
	pages := cloudtrail.NewLookupEventsPaginator(cloudtrail.NewFromConfig(cfg), in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(f.ctx)
		if err != nil {
			f.t.Fatalf("LookupEvents %s=%s: %v", key, value, err)
		}
		out = append(out, page.Events...)
	}
	return out
}

func eventNames(events []cttypes.Event) string {
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = aws.ToString(e.EventName)
	}
	return strings.Join(names, ",")
}

// record decodes an event's CloudTrailEvent.
func record(t *testing.T, e cttypes.Event) TrailEvent {
	t.Helper()
	var r TrailEvent
	if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &r); err != nil {
		t.Fatalf("CloudTrailEvent is not a record: %v\n%s", err, aws.ToString(e.CloudTrailEvent))
	}
	return r
}

func TestCloudTrailNamesThePersonBehindEachWrite(t *testing.T) {
	f := newAccountsFixture(t)
	bot := f.config("AKIDBOT", "eu-west-1")
	alice := f.assumed(bot, "eu-west-1", stagingRole, asUser("U0ALICE", "alice", func(o *stscreds.AssumeRoleOptions) {
		o.ExternalID = aws.String("switchyard-staging")
		o.Tags = []ststypes.Tag{{Key: aws.String("slack-user"), Value: aws.String("U0ALICE")}}
	}))
	ec := ecs.NewFromConfig(alice)
	td, err := ec.RegisterTaskDefinition(f.ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"),
		ContainerDefinitions: ecsContainer("210987654321.dkr.ecr.eu-west-1.amazonaws.com/web:v2")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ec.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("staging"), Service: aws.String("web"),
		TaskDefinition: td.TaskDefinition.TaskDefinitionArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := ec.DescribeServices(f.ctx, &ecs.DescribeServicesInput{Cluster: aws.String("staging"), Services: []string{"web"}}); err != nil {
		t.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(alice)
	if _, err := eb.PutRule(f.ctx, &eventbridge.PutRuleInput{Name: aws.String("deploys"), EventPattern: aws.String(`{"source":["aws.ecs"]}`)}); err != nil {
		t.Fatal(err)
	}
	staging := f.sim.Partition(stagingAccount, "eu-west-1")
	staging.Deny("events:DeleteRule")
	_, err = eb.DeleteRule(f.ctx, &eventbridge.DeleteRuleInput{Name: aws.String("deploys")})
	wantCode(t, err, "AccessDeniedException")
	creds, _ := alice.Credentials.Retrieve(f.ctx)

	all := f.lookup(alice, "", "")
	if got := eventNames(all); got != "DeleteRule,PutRule,UpdateService,RegisterTaskDefinition,AssumeRole" {
		t.Fatalf("staging's history, newest first: %s", got)
	}
	up := f.lookup(alice, "EventName", "UpdateService")
	if len(up) != 1 {
		t.Fatalf("EventName=UpdateService found %d events", len(up))
	}
	e := up[0]
	if aws.ToString(e.Username) != "alice" || aws.ToString(e.AccessKeyId) != creds.AccessKeyID || aws.ToString(e.ReadOnly) != "false" ||
		aws.ToString(e.EventSource) != "ecs.amazonaws.com" || !aws.ToTime(e.EventTime).Equal(acctEpoch) {
		t.Errorf("UpdateService event = user %s, key %s, readOnly %s, source %s, time %v", aws.ToString(e.Username),
			aws.ToString(e.AccessKeyId), aws.ToString(e.ReadOnly), aws.ToString(e.EventSource), aws.ToTime(e.EventTime))
	}
	if fmt.Sprint(resourceNames(e)) != "[AWS::ECS::Cluster=staging AWS::ECS::Service=web AWS::ECS::TaskDefinition="+aws.ToString(td.TaskDefinition.TaskDefinitionArn)+"]" {
		t.Errorf("resources = %v", resourceNames(e))
	}
	r := record(t, e)
	id := r.UserIdentity
	if id.Type != "AssumedRole" || id.ARN != "arn:aws:sts::210987654321:assumed-role/switchyard-deploy/alice" ||
		id.AccountID != stagingAccount || id.AccessKeyID != creds.AccessKeyID || id.SessionContext == nil ||
		id.SessionContext.SourceIdentity != "U0ALICE" || id.SessionContext.SessionIssuer.ARN != stagingRole ||
		id.SessionContext.SessionIssuer.UserName != "switchyard-deploy" || !strings.HasPrefix(id.PrincipalID, "AROA") ||
		!id.SessionContext.Attributes.CreationDate.Equal(acctEpoch) {
		t.Errorf("userIdentity = %+v, session %+v", id, id.SessionContext)
	}
	var params map[string]any
	_ = json.Unmarshal(r.RequestParameters, &params)
	if r.EventVersion != "1.11" || r.AWSRegion != "eu-west-1" || r.RecipientAccountID != stagingAccount || r.ReadOnly ||
		r.EventType != "AwsApiCall" || !r.ManagementEvent || params["cluster"] != "staging" || r.ErrorCode != "" ||
		string(r.ResponseElements) == "null" || r.SourceIPAddress != "127.0.0.1" || !strings.Contains(r.UserAgent, "aws-sdk-go-v2") {
		t.Errorf("record = %s", aws.ToString(e.CloudTrailEvent))
	}
	if !strings.Contains(aws.ToString(e.CloudTrailEvent), `"readOnly":false`) {
		t.Errorf("readOnly must be a JSON boolean: %s", aws.ToString(e.CloudTrailEvent))
	}

	denied := record(t, all[0])
	if denied.ErrorCode != "AccessDeniedException" || !strings.HasPrefix(denied.ErrorMessage, "User: "+id.ARN+" is not authorized") ||
		string(denied.ResponseElements) != "null" {
		t.Errorf("the refused DeleteRule: %s / %s", denied.ErrorCode, denied.ErrorMessage)
	}
	if p := record(t, all[1]); string(p.RequestParameters) != `{"eventPattern":"{\"source\":[\"aws.ecs\"]}","name":"deploys"}` {
		t.Errorf("PutRule requestParameters in camelCase: %s", p.RequestParameters)
	}

	// AssumeRole shows in both accounts: the owner sees the calling account.
	owner := record(t, all[4])
	botTrail := f.lookup(bot, "EventName", "AssumeRole")
	if len(botTrail) != 1 {
		t.Fatalf("the bot's account has %d AssumeRole events", len(botTrail))
	}
	caller := record(t, botTrail[0])
	if owner.UserIdentity.Type != "AWSAccount" || owner.UserIdentity.AccountID != prodAccount || owner.RecipientAccountID != stagingAccount ||
		caller.UserIdentity.Type != "IAMUser" || caller.UserIdentity.ARN != "arn:aws:iam::123456789012:user/switchyard" ||
		caller.RecipientAccountID != prodAccount || caller.SharedEventID == "" || caller.SharedEventID != owner.SharedEventID ||
		caller.EventID == owner.EventID || !caller.ReadOnly || caller.EventSource != "sts.amazonaws.com" {
		t.Errorf("AssumeRole records:\ncaller %+v\nowner  %+v", caller, owner)
	}
	var ap struct {
		RoleArn, RoleSessionName, SourceIdentity, ExternalID string
		Tags                                                 []struct{ Key, Value string }
	}
	_ = json.Unmarshal(caller.RequestParameters, &ap)
	if ap.RoleArn != stagingRole || ap.RoleSessionName != "alice" || ap.SourceIdentity != "U0ALICE" || ap.ExternalID != "switchyard-staging" ||
		len(ap.Tags) != 1 || ap.Tags[0].Key != "slack-user" {
		t.Errorf("AssumeRole requestParameters = %s", caller.RequestParameters)
	}
	if strings.Contains(string(caller.ResponseElements), creds.SessionToken) || strings.Contains(string(caller.ResponseElements), creds.SecretAccessKey) ||
		!strings.Contains(string(caller.ResponseElements), creds.AccessKeyID) {
		t.Errorf("AssumeRole responseElements must name the key and keep its secrets: %s", caller.ResponseElements)
	}

	// Each attribute filters.
	for _, c := range []struct{ key, value, want string }{
		{"ReadOnly", "true", "AssumeRole"},
		{"ReadOnly", "false", "DeleteRule,PutRule,UpdateService,RegisterTaskDefinition"},
		{"Username", "alice", "DeleteRule,PutRule,UpdateService,RegisterTaskDefinition"},
		{"AccessKeyId", creds.AccessKeyID, "DeleteRule,PutRule,UpdateService,RegisterTaskDefinition"},
		{"EventSource", "events.amazonaws.com", "DeleteRule,PutRule"},
		{"ResourceName", "deploys", "DeleteRule,PutRule"},
		{"ResourceType", "AWS::IAM::Role", "AssumeRole"},
		{"ResourceName", stagingRole, "AssumeRole"},
		{"EventId", aws.ToString(e.EventId), "UpdateService"},
		{"EventName", "DescribeServices", ""},
	} {
		if got := eventNames(f.lookup(alice, c.key, c.value)); got != c.want {
			t.Errorf("%s=%s: %s, want %s", c.key, c.value, got, c.want)
		}
	}
	// The Go API reads the same history, oldest first.
	trail := staging.Trail()
	if len(trail) != 5 || trail[0].EventName != "AssumeRole" || trail[4].EventName != "DeleteRule" {
		t.Errorf("Trail() = %d events", len(trail))
	}
	if got := f.lookup(f.config("AKIDBOT", "us-east-1"), "", ""); len(got) != 0 {
		t.Errorf("production us-east-1 saw nothing, but its history has %s", eventNames(got))
	}
}

func ecsContainer(image string) []ecstypes.ContainerDefinition {
	return []ecstypes.ContainerDefinition{{Name: aws.String("web"), Image: aws.String(image), Essential: aws.Bool(true)}}
}

func resourceNames(e cttypes.Event) []string {
	var out []string
	for _, r := range e.Resources {
		out = append(out, aws.ToString(r.ResourceType)+"="+aws.ToString(r.ResourceName))
	}
	return out
}

func TestCloudTrailLookupPagesAndTimes(t *testing.T) {
	f := newAccountsFixture(t)
	cfg := f.config("AKIDBOT", "us-east-1")
	eb := eventbridge.NewFromConfig(cfg)
	for i := range 7 {
		if _, err := eb.PutRule(f.ctx, &eventbridge.PutRuleInput{Name: aws.String(fmt.Sprintf("r%d", i)), ScheduleExpression: aws.String("rate(5 minutes)")}); err != nil {
			t.Fatal(err)
		}
		f.sim.Advance(time.Minute)
	}
	// SQS: creating a queue is a management event, messages are data events.
	q := sqs.NewFromConfig(cfg)
	url := createQueue(t, q, "deploys", nil)
	if _, err := q.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("hi")}); err != nil {
		t.Fatal(err)
	}
	if got := eventNames(f.lookup(cfg, "EventSource", "sqs.amazonaws.com")); got != "CreateQueue" {
		t.Errorf("SQS events: %s", got)
	}
	ct := cloudtrail.NewFromConfig(cfg)
	page, err := ct.LookupEvents(f.ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(3),
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("PutRule")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 3 || page.NextToken == nil || record(t, page.Events[0]).RequestParameters == nil {
		t.Fatalf("first page: %d events, token %v", len(page.Events), page.NextToken)
	}
	all := f.lookup(cfg, "EventName", "PutRule")
	var names []string
	for _, e := range all {
		names = append(names, fmt.Sprint(resourceNames(e)))
	}
	if len(all) != 7 || names[0] != "[AWS::Events::Rule=r6]" || names[6] != "[AWS::Events::Rule=r0]" {
		t.Errorf("all pages, newest first: %v", names)
	}
	// r2, r3 and r4 were made at +2, +3 and +4 minutes.
	window, err := ct.LookupEvents(f.ctx, &cloudtrail.LookupEventsInput{StartTime: aws.Time(acctEpoch.Add(2 * time.Minute)),
		EndTime: aws.Time(acctEpoch.Add(4 * time.Minute)), LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: "EventName", AttributeValue: aws.String("PutRule")}}})
	if err != nil || len(window.Events) != 3 || fmt.Sprint(resourceNames(window.Events[2])) != "[AWS::Events::Rule=r2]" {
		t.Errorf("StartTime..EndTime: %v, %d events", err, len(window.Events))
	}

	for _, c := range []struct {
		in   cloudtrail.LookupEventsInput
		code string
	}{
		{cloudtrail.LookupEventsInput{StartTime: aws.Time(acctEpoch.Add(time.Hour)), EndTime: aws.Time(acctEpoch)}, "InvalidTimeRangeException"},
		{cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)}, "InvalidMaxResultsException"},
		{cloudtrail.LookupEventsInput{NextToken: aws.String("bm9wZQ")}, "InvalidNextTokenException"},
		{cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: "Colour", AttributeValue: aws.String("x")}}}, "InvalidLookupAttributesException"},
		{cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
			{AttributeKey: "EventName", AttributeValue: aws.String("PutRule")}, {AttributeKey: "ReadOnly", AttributeValue: aws.String("false")}}}, "InvalidLookupAttributesException"},
	} {
		_, err := ct.LookupEvents(f.ctx, &c.in)
		wantCode(t, err, c.code)
	}

	f.sim.Advance(91 * 24 * time.Hour) // event history keeps 90 days
	if got := f.lookup(cfg, "", ""); len(got) != 0 {
		t.Errorf("after 91 days: %s", eventNames(got))
	}
}
