package setup

import (
	"encoding/json"
	"testing"
	"time"
)

// A deployment ECS runs itself reaches the queue through the ECS rule: its
// state changes, named by the service, and its hooks, named by the service
// deployment, a pause awaiting action among them.
func TestECSDeploymentAndHookEventsReachTheQueue(t *testing.T) {
	s := newSandbox(t)
	id := s.startDeployment(t, "checkout", "", "v2.1")
	service := "arn:aws:ecs:us-east-1:" + s.sim.Account() + ":service/prod/checkout"
	seen := map[string]bool{}
	found := s.readEvents(t, 40, 5*time.Second, func(body string) bool {
		var ev struct {
			DetailType string   `json:"detail-type"`
			Resources  []string `json:"resources"`
			Detail     struct {
				EventName            string `json:"eventName"`
				ServiceDeploymentArn string `json:"serviceDeploymentArn"`
			} `json:"detail"`
		}
		_ = json.Unmarshal([]byte(body), &ev)
		switch ev.DetailType {
		case "ECS Deployment State Change":
			if len(ev.Resources) != 1 || ev.Resources[0] != service {
				t.Errorf("deployment event about %v", ev.Resources)
			}
		case "ECS Hook State Change":
			if ev.Detail.ServiceDeploymentArn != id || len(ev.Resources) != 1 || ev.Resources[0] != id {
				t.Errorf("hook event about %v, %s", ev.Resources, ev.Detail.ServiceDeploymentArn)
			}
		}
		seen[ev.Detail.EventName] = true
		return seen["SERVICE_DEPLOYMENT_IN_PROGRESS"] && seen["HOOK_AWAITING_ACTION"]
	})
	if !found {
		t.Fatalf("events seen: %v", seen)
	}
}
