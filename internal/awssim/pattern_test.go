package awssim

import (
	"strings"
	"testing"
)

const codeDeployEvent = `{
  "version": "0", "id": "c9d4a3c2-1b7e-4e0a-9d6f-3f2b1a0e9c11",
  "detail-type": "CodeDeploy Deployment State-change Notification",
  "source": "aws.codedeploy", "account": "123456789012",
  "time": "2025-01-02T03:04:05Z", "region": "us-east-1",
  "resources": ["arn:aws:codedeploy:us-east-1:123456789012:application:web",
                "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:web/web-dg"],
  "detail": {"application": "web", "deploymentGroup": "web-dg", "deploymentId": "d-ABCDEFGHI",
             "instanceGroupId": "0f9a", "region": "us-east-1", "state": "START",
             "attempt": 2, "tags": ["a", "b"], "nothing": null, "flag": true}
}`

func TestPatternMatching(t *testing.T) {
	event, err := decodeEvent([]byte(codeDeployEvent))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"source only", `{"source":["aws.codedeploy"]}`, true},
		{"other source", `{"source":["aws.ecs"]}`, false},
		{"array ORs values", `{"source":["aws.ecs","aws.codedeploy"]}`, true},
		{"fields AND", `{"source":["aws.codedeploy"],"detail-type":["ECS Task State Change"]}`, false},
		{"case sensitive", `{"source":["AWS.CodeDeploy"]}`, false},
		{"nested field", `{"detail":{"state":["START","SUCCESS"]}}`, true},
		{"nested mismatch", `{"detail":{"state":["SUCCESS","FAILURE"]}}`, false},
		{"nested AND", `{"detail":{"state":["START"],"application":["api"]}}`, false},
		{"deep path into a string is no match", `{"detail":{"state":{"x":["START"]}}}`, false},
		{"unlisted fields are wildcards", `{"detail":{"deploymentGroup":["web-dg"]}}`, true},
		{"missing field", `{"detail":{"missing":["x"]}}`, false},
		{"resources array: any element", `{"resources":["arn:aws:codedeploy:us-east-1:123456789012:application:web"]}`, true},
		{"event array element", `{"detail":{"tags":["b"]}}`, true},
		{"number by value", `{"detail":{"attempt":[2.0]}}`, true},
		{"number mismatch", `{"detail":{"attempt":[3]}}`, false},
		{"string is not number", `{"detail":{"attempt":["2"]}}`, false},
		{"null literal", `{"detail":{"nothing":[null]}}`, true},
		{"boolean literal", `{"detail":{"flag":[true]}}`, true},
		{"prefix", `{"detail-type":[{"prefix":"CodeDeploy "}]}`, true},
		{"prefix mismatch", `{"detail-type":[{"prefix":"ECS "}]}`, false},
		{"anything-but string", `{"detail":{"state":[{"anything-but":"READY"}]}}`, true},
		{"anything-but excludes", `{"detail":{"state":[{"anything-but":"START"}]}}`, false},
		{"anything-but list", `{"detail":{"state":[{"anything-but":["READY","START"]}]}}`, false},
		{"anything-but prefix", `{"detail":{"deploymentId":[{"anything-but":{"prefix":"d-X"}}]}}`, true},
		{"anything-but prefix excludes", `{"detail":{"deploymentId":[{"anything-but":{"prefix":"d-A"}}]}}`, false},
		{"anything-but needs the field", `{"detail":{"missing":[{"anything-but":"x"}]}}`, false},
		{"exists true", `{"detail":{"state":[{"exists":true}]}}`, true},
		{"exists false on present", `{"detail":{"state":[{"exists":false}]}}`, false},
		{"exists false on missing", `{"detail":{"missing":[{"exists":false}]}}`, true},
		{"literal or filter", `{"detail":{"state":["READY",{"prefix":"ST"}]}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parsePattern(tt.pattern)
			if err != nil {
				t.Fatalf("parse %s: %v", tt.pattern, err)
			}
			if got := p.matches(event); got != tt.want {
				t.Errorf("matches(%s) = %v, want %v", tt.pattern, got, tt.want)
			}
		})
	}
}

func TestPatternValidation(t *testing.T) {
	tests := []struct {
		pattern string
		reason  string
	}{
		{`{"source":`, "not valid JSON"},
		{`["aws.codedeploy"]`, "Filter is not an object"},
		{`{}`, "Empty objects are not allowed"},
		{`{"source":"aws.codedeploy"}`, `"source" must be an object or an array`},
		{`{"source":[]}`, "Empty arrays are not allowed"},
		{`{"source":[["x"]]}`, "Match value must be String"},
		{`{"source":[{"suffix":"x"}]}`, "Unrecognized match type suffix"},
		{`{"source":[{"prefix":1}]}`, "prefix match pattern must be a string"},
		{`{"source":[{"exists":"yes"}]}`, "exists match pattern must be either true or false"},
		{`{"source":[{"prefix":"a","exists":true}]}`, "exactly one match type"},
		{`{"detail":{}}`, "Empty objects are not allowed"},
	}
	for _, tt := range tests {
		_, err := parsePattern(tt.pattern)
		if err == nil || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("parsePattern(%s) = %v, want reason containing %q", tt.pattern, err, tt.reason)
		}
	}
}
