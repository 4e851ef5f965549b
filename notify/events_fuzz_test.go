package notify

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseEvent feeds the event parser whatever can reach the queue: real
// EventBridge events, other services' events, and bodies written to make
// the bot misbehave. Parsing always returns; a deployment it accepts has a
// CodeDeploy id and names; anything else is dropped as malformed or
// ignored as context, never half-read.
func FuzzParseEvent(f *testing.F) {
	real := `{"version":"0","id":"c8b1-e2","detail-type":"CodeDeploy Deployment State-change Notification","source":"aws.codedeploy","account":"123456789012","time":"2026-03-02T09:00:00Z","region":"us-east-1","resources":["arn:aws:codedeploy:us-east-1:123456789012:application:myapp"],"detail":{"region":"us-east-1","deploymentId":"d-ABCDEFGHI","instanceGroupId":"x","deploymentGroup":"myapp-prod","state":"START","application":"myapp"}}`
	for _, s := range []string{
		real,
		strings.Replace(real, `"START"`, `"SUCCESS"`, 1),
		`{"detail-type":"ECS Service Action","source":"aws.ecs","detail":{"eventName":"SERVICE_STEADY_STATE"}}`,
		`{"detail-type":"CodeDeploy Deployment State-change Notification","source":"aws.codedeploy","detail":{}}`,
		strings.Replace(real, "d-ABCDEFGHI", "d-<!here>", 1),
		strings.Replace(real, "myapp-prod", "myapp-prod\",\"x\":\"", 1),
		strings.Replace(real, `"myapp"}`, `"<https://evil.example.com|myapp>"}`, 1),
		strings.Replace(real, "d-ABCDEFGHI", strings.Repeat("d", 10000), 1),
		`not json`, `null`, `[]`, `{"detail":null}`, `{"detail-type":1}`, "",
		`{"source":"aws.codedeploy","detail-type":"CodeDeploy Deployment State-change Notification","detail":{"deploymentId":"d-ABCDEFGHI","application":"a","deploymentGroup":"g","deploymentId":"d-ZZZZZZZZZ"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		ref, ok, err := parseEvent(body)
		switch {
		case err != nil:
			if !errors.Is(err, errMalformed) || ok || ref != (deploymentRef{}) {
				t.Errorf("%q: an error that is not malformed, or a half-read event: %+v %v %v", body, ref, ok, err)
			}
		case !ok:
			if ref != (deploymentRef{}) {
				t.Errorf("%q ignored but read: %+v", body, ref)
			}
		default:
			if !deploymentIDPattern.MatchString(ref.ID) || !codeDeployName.MatchString(ref.Application) || !codeDeployName.MatchString(ref.Group) ||
				!accountPattern.MatchString(ref.Account) || !regionPattern.MatchString(ref.Region) {
				t.Errorf("%q accepted as %+v", body, ref)
			}
		}
	})
}
