package setup

import (
	"strings"
	"testing"
)

// A pattern in words: setup's own, and one changed by hand with matchers,
// other keys and control characters, which never reach the terminal.
func TestDescribePattern(t *testing.T) {
	for _, tc := range []struct {
		pattern map[string]any
		want    string
	}{
		{map[string]any{"source": []any{"aws.codedeploy"}, "detail-type": []any{codeDeployType},
			"detail": map[string]any{"application": []any{"myapp"}}},
			"CodeDeploy deployment state changes of the application myapp"},
		{map[string]any{"source": []any{"aws.ecs"}, "detail-type": []any{ecsType}, "resources": []any{
			"arn:aws:ecs:eu-west-1:210987654321:service/staging/myapp", "arn:aws:ecs:us-east-1:123456789012:service/prod/myapp"}},
			"ECS service actions of the services prod/myapp and staging/myapp in 210987654321 eu-west-1"},
		{map[string]any{"source": []any{"aws.codedeploy", map[string]any{"prefix": "aws."}}, "account": []any{"1"},
			"detail": map[string]any{"application": []any{"my\x1b[2Japp"}, "state\x07": []any{"FAILURE"}}},
			"every event from aws.codedeploy and a content filter of the application my[2Japp, with conditions on account and detail.state"},
		{map[string]any{"source": []any{"aws.ecs"}, "detail-type": []any{ecsType, "ECS Deployment State Change", "ECS Hook State Change"},
			"resources": []any{"arn:aws:ecs:us-east-1:123456789012:service/prod/checkout", "arn:aws:ecs:us-east-1:123456789012:service/prod/myapp",
				map[string]any{"prefix": "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/checkout/"},
				map[string]any{"prefix": "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/myapp/"}}},
			"ECS service actions, deployment state changes and hook state changes of the services prod/checkout and prod/myapp and their deployments"},
		{map[string]any{"resources": []any{map[string]any{"prefix": "arn:aws:ecs:eu-west-1:210987654321:service-deployment/staging/myapp/"},
			map[string]any{"anything-but": "x"}}},
			"every event of the deployments of staging/myapp in 210987654321 eu-west-1 and a content filter"},
		{map[string]any{"detail-type": []any{"Some Thing"}}, "events of type “Some Thing”"},
		{nil, "an event pattern setup cannot read"},
	} {
		got := describePattern(tc.pattern, "123456789012", "us-east-1")
		if got != tc.want {
			t.Errorf("describePattern(%v)\n got %q\nwant %q", tc.pattern, got, tc.want)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return r < ' ' }) {
			t.Errorf("a control character in %q", got)
		}
	}
}

// Each outcome reads as one sentence, planned or done.
func TestStepSentences(t *testing.T) {
	for _, tc := range []struct {
		step Step
		want string
	}{
		{Step{Resource: "rule", Name: "r", Outcome: Created, Does: "matching x"}, "Created the rule r, matching x."},
		{Step{Resource: "rule", Name: "r", Outcome: Created, Planned: true, Does: "matching x"}, "Would create the rule r, matching x."},
		{Step{Resource: "target", Name: "r", Outcome: Changed, Planned: true, Does: "sending to q", Detail: "it sent to b"},
			"Would update the target of the rule r, sending to q (it sent to b)."},
		{Step{Resource: "queue", Name: "q", Outcome: Found}, "Already in place: the SQS queue q."},
		{Step{Resource: "forwarding", Name: "r", Outcome: Missing, Detail: "setup could not reach this account through role x"},
			"Not set up: the forwarding to the bot's event bus, as setup could not reach this account through role x (see the warnings)."},
	} {
		if got := tc.step.Sentence(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}
