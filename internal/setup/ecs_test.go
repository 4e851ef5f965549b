package setup

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
)

// A deployment ECS runs itself reaches the queue through the ECS rule: its
// state changes, named by the service, and its hooks, named by the service
// deployment, a pause awaiting action among them.
func TestECSDeploymentAndHookEventsReachTheQueue(t *testing.T) {
	s := newSandbox(t)
	ctx := context.Background()
	if _, err := s.run(t, false); err != nil {
		t.Fatal(err)
	}
	d := deployer.NewFromConfig(s.sim.Config(), nil, deployer.Options{Now: s.sim.Clock().Now})
	app, _ := s.cfg.Lookup("checkout")
	env, _ := app.Env("")
	plan, err := d.Plan(ctx, env, "v2.1", switchyard.PlanOptions{App: "checkout"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := d.Start(ctx, plan, switchyard.Actor{User: "U0ALICE", Channel: "C0DEPLOYS"})
	if err != nil {
		t.Fatal(err)
	}
	service := "arn:aws:ecs:us-east-1:" + s.sim.Account() + ":service/prod/checkout"
	url := s.sim.QueueURL("switchyard-events")
	seen := map[string]bool{}
	for range 40 {
		if seen["SERVICE_DEPLOYMENT_IN_PROGRESS"] && seen["HOOK_AWAITING_ACTION"] {
			return
		}
		if s.sim.QueueMessages("switchyard-events") == 0 {
			s.sim.Advance(5 * time.Second)
			continue
		}
		out, err := s.q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			var ev struct {
				DetailType string   `json:"detail-type"`
				Resources  []string `json:"resources"`
				Detail     struct {
					EventName            string `json:"eventName"`
					ServiceDeploymentArn string `json:"serviceDeploymentArn"`
				} `json:"detail"`
			}
			_ = json.Unmarshal([]byte(aws.ToString(m.Body)), &ev)
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
			if _, err := s.q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Fatalf("events seen: %v", seen)
}
