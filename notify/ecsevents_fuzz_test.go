package notify

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchyard/switchyard"
)

// FuzzParseECSEvent feeds the ECS event parser what can reach the queue:
// ECS's deployment and hook events as the documentation shows them, other
// events, and bodies written to make the bot look somewhere it should not.
// An event it accepts names a well-formed service (and, for a hook, a
// service deployment of that service); anything else is dropped or left to
// parseEvent.
func FuzzParseECSEvent(f *testing.F) {
	deployment := `{"version":"0","id":"ddca6449","detail-type":"ECS Deployment State Change","source":"aws.ecs","account":"123456789012","time":"2026-05-20T10:00:00Z","region":"us-east-1","resources":["arn:aws:ecs:us-east-1:123456789012:service/prod/checkout"],"detail":{"eventType":"INFO","eventName":"SERVICE_DEPLOYMENT_IN_PROGRESS","deploymentId":"ecs-svc/9223370564341623665","updatedAt":"2026-05-20T10:00:00Z","reason":"ECS deployment ecs-svc/9223370564341623665 in progress."}}`
	hook := `{"version":"0","id":"e1","detail-type":"ECS Hook State Change","source":"aws.ecs","account":"123456789012","region":"us-east-1","resources":["arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/checkout/Kx3pQ9ZbVnR2tY7uW1aLc"],"detail":{"eventType":"INFO","eventName":"HOOK_AWAITING_ACTION","hookId":"ecs-pause-abc","hookType":"PAUSE","expiresAt":"2026-05-20T11:00:00Z","lifecycleStage":"POST_TEST_TRAFFIC_SHIFT","clusterArn":"arn:aws:ecs:us-east-1:123456789012:cluster/prod","serviceArn":"arn:aws:ecs:us-east-1:123456789012:service/prod/checkout","serviceDeploymentArn":"arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/checkout/Kx3pQ9ZbVnR2tY7uW1aLc","updatedAt":"2026-05-20T10:00:00Z"}}`
	for _, s := range []string{
		deployment, hook,
		strings.Replace(deployment, "service/prod/checkout", "service/checkout", 1),
		strings.Replace(hook, "Kx3pQ9ZbVnR2tY7uW1aLc\",\"updatedAt", "<!here>\",\"updatedAt", 1),
		strings.Replace(hook, `"serviceDeploymentArn":"arn`, `"serviceDeploymentArn":"x`, 1),
		`{"detail-type":"ECS Service Action","source":"aws.ecs","detail":{"eventName":"SERVICE_STEADY_STATE"}}`,
		`{"detail-type":"ECS Deployment State Change","source":"aws.ecs","resources":[]}`,
		`{"detail-type":"ECS Hook State Change","source":"aws.ecs","resources":["a","b"]}`,
		`not json`, `null`, `{"source":"aws.ecs","detail-type":7}`, "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		ref, ok, err := parseECSEvent(body)
		switch {
		case err != nil:
			if !errors.Is(err, errMalformed) || ok || ref != (ecsRef{}) {
				t.Errorf("%q: an error that is not malformed, or a half-read event: %+v %v %v", body, ref, ok, err)
			}
		case !ok:
			if ref != (ecsRef{}) {
				t.Errorf("%q ignored but read: %+v", body, ref)
			}
		default:
			if ref.Service.Cluster == "" || ref.Service.Service == "" || len(ref.Service.Account) != 12 {
				t.Errorf("%q gives a half service: %+v", body, ref)
			}
			if d, isHook := switchyard.ParseServiceDeploymentARN(ref.Deployment); ref.Deployment != "" &&
				(!isHook || d.Cluster != ref.Service.Cluster || d.Service != ref.Service.Service) {
				t.Errorf("%q names a deployment of another service: %+v", body, ref)
			}
		}
	})
}
