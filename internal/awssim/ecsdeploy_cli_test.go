package awssim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// cliServiceDeployment is what the CLI test reads of a ServiceDeployment.
type cliServiceDeployment struct {
	ServiceDeploymentArn   string
	Status                 string
	StatusReason           string
	LifecycleStage         string
	SourceServiceRevisions []struct {
		Arn                              string
		RequestedProductionTrafficWeight *float64
	}
	TargetServiceRevision struct {
		Arn                              string
		RequestedProductionTrafficWeight *float64
		RequestedTestTrafficWeight       *float64
		RunningTaskCount                 int
	}
	LifecycleHookDetails []struct {
		HookID        string `json:"hookId"`
		TargetType    string
		Status        string
		ExpiresAt     any
		TimeoutAction string
	}
	Rollback *struct {
		Reason             string
		ServiceRevisionArn string
	}
}

// cliService is what the CLI test reads of a Service.
type cliService struct {
	TaskDefinition          string
	DeploymentController    struct{ Type string }
	DeploymentConfiguration struct {
		Strategy            string
		LinearConfiguration struct{ StepPercent float64 }
	}
	Deployments []struct{ ID, Status string }
}

// TestAWSCLIServiceDeployments drives checkout's ECS-native deployments
// with the AWS CLI, a second client built from botocore's own model: the
// clock stands still and the test moves it between commands.
func TestAWSCLIServiceDeployments(t *testing.T) {
	sim := newSDFixture(t, sandboxWorld(t)).sim
	cli := newAWSCLI(t, sim)
	describe := func(arn string) cliServiceDeployment {
		t.Helper()
		var out struct {
			ServiceDeployments []cliServiceDeployment
			Failures           []any
		}
		cli.json(&out, "ecs", "describe-service-deployments", "--service-deployment-arns", arn)
		if len(out.ServiceDeployments) != 1 || len(out.Failures) != 0 {
			t.Fatalf("describe-service-deployments %s = %+v", arn, out)
		}
		return out.ServiceDeployments[0]
	}
	latest := func(status ...string) string {
		t.Helper()
		var out struct {
			ServiceDeployments []struct{ ServiceDeploymentArn, Status string }
		}
		args := []string{"ecs", "list-service-deployments", "--cluster", "prod", "--service", "checkout", "--max-results", "1"}
		if len(status) > 0 {
			args = append(args, append([]string{"--status"}, status...)...)
		}
		cli.json(&out, args...)
		if len(out.ServiceDeployments) != 1 {
			t.Fatalf("list-service-deployments: %+v", out)
		}
		return out.ServiceDeployments[0].ServiceDeploymentArn
	}

	var svcs struct{ Services []cliService }
	var upd struct{ Service cliService }
	cli.json(&svcs, "ecs", "describe-services", "--cluster", "prod", "--services", "checkout")
	if s := svcs.Services[0]; s.DeploymentController.Type != "ECS" || s.DeploymentConfiguration.Strategy != "LINEAR" ||
		s.DeploymentConfiguration.LinearConfiguration.StepPercent != 25 || len(s.Deployments) != 1 || !strings.HasSuffix(s.TaskDefinition, "checkout:1") {
		t.Fatalf("describe-services: %+v", s)
	}

	// A forced deployment of the same task definition, continued at its
	// pause, then stopped at 50%.
	cli.json(&upd, "ecs", "update-service", "--cluster", "prod", "--service", "checkout", "--force-new-deployment")
	if len(upd.Service.Deployments) != 2 || upd.Service.Deployments[0].Status != "PRIMARY" {
		t.Fatalf("update-service --force-new-deployment answered %+v", upd.Service)
	}
	arn := latest("PENDING", "IN_PROGRESS")
	sim.Advance(40 * time.Second)
	d := describe(arn)
	if d.Status != "IN_PROGRESS" || d.LifecycleStage != "POST_TEST_TRAFFIC_SHIFT" || len(d.LifecycleHookDetails) != 1 ||
		d.LifecycleHookDetails[0].Status != "AWAITING_ACTION" || d.LifecycleHookDetails[0].TimeoutAction != "ROLLBACK" ||
		!strings.HasPrefix(d.LifecycleHookDetails[0].HookID, "ecs-pause-") {
		t.Fatalf("at the pause: %+v", d)
	}
	hook := d.LifecycleHookDetails[0].HookID
	errOut := cli.fails("ecs", "continue-service-deployment", "--service-deployment-arn", arn, "--hook-id", "ecs-pause-bogus")
	if !strings.Contains(errOut, "InvalidParameterException") {
		t.Fatalf("bad hook id: %s", errOut)
	}
	var cont struct{ ServiceDeploymentArn string }
	cli.json(&cont, "ecs", "continue-service-deployment", "--service-deployment-arn", arn, "--hook-id", hook)
	if cont.ServiceDeploymentArn != arn {
		t.Fatalf("continue-service-deployment answered %+v", cont)
	}
	sim.Advance(70 * time.Second)
	d = describe(arn)
	if d.LifecycleStage != "PRODUCTION_TRAFFIC_SHIFT" || *d.TargetServiceRevision.RequestedProductionTrafficWeight != 50 ||
		*d.SourceServiceRevisions[0].RequestedProductionTrafficWeight != 50 {
		t.Fatalf("a minute after Continue: %+v", d)
	}
	var stop struct{ ServiceDeploymentArn string }
	cli.json(&stop, "ecs", "stop-service-deployment", "--service-deployment-arn", arn, "--stop-type", "ROLLBACK")
	if d = describe(arn); d.Status != "ROLLBACK_REQUESTED" || d.Rollback == nil || d.Rollback.ServiceRevisionArn != d.SourceServiceRevisions[0].Arn {
		t.Fatalf("after stop-service-deployment: %+v", d)
	}
	sim.Advance(time.Minute)
	if d = describe(arn); d.Status != "ROLLBACK_SUCCESSFUL" || *d.TargetServiceRevision.RequestedProductionTrafficWeight != 0 || d.TargetServiceRevision.RunningTaskCount != 0 {
		t.Fatalf("a minute after the stop: %+v", d)
	}
	errOut = cli.fails("ecs", "stop-service-deployment", "--service-deployment-arn", arn)
	if !strings.Contains(errOut, "ConflictException") || !strings.Contains(errOut, "ROLLBACK_SUCCESSFUL") {
		t.Fatalf("stopping a finished deployment: %s", errOut)
	}
	errOut = cli.fails("ecs", "stop-service-deployment", "--service-deployment-arn", arn+"x")
	if !strings.Contains(errOut, "ServiceDeploymentNotFoundException") {
		t.Fatalf("stopping an unknown deployment: %s", errOut)
	}

	var revs struct {
		ServiceRevisions []struct {
			TaskDefinition        string
			ResolvedConfiguration struct {
				LoadBalancers []struct{ TargetGroupArn, ProductionListenerRule string }
			}
		}
	}
	cli.json(&revs, "ecs", "describe-service-revisions", "--service-revision-arns", d.TargetServiceRevision.Arn)
	if len(revs.ServiceRevisions) != 1 || revs.ServiceRevisions[0].ResolvedConfiguration.LoadBalancers[0].TargetGroupArn != checkoutGreenTG {
		t.Fatalf("describe-service-revisions: %+v", revs)
	}

	// Checkout turned CANARY from the CLI, a new task definition, and a
	// rollback chosen at the pause.
	cfg, _ := json.Marshal(map[string]any{
		"strategy": "CANARY", "bakeTimeInMinutes": 1,
		"canaryConfiguration": map[string]any{"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 2},
		"lifecycleHooks": []any{map[string]any{"targetType": "PAUSE", "lifecycleStages": []string{"PRE_PRODUCTION_TRAFFIC_SHIFT"},
			"timeoutConfiguration": map[string]any{"timeoutInMinutes": 30, "action": "CONTINUE"}}},
		"alarms": map[string]any{"alarmNames": []string{"checkout-5xx"}, "enable": true, "rollback": true},
	})
	var reg struct {
		TaskDefinition struct{ TaskDefinitionArn string }
	}
	cli.json(&reg, "ecs", "register-task-definition", "--family", "checkout", "--container-definitions",
		`[{"name":"web","image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout:v2.2","portMappings":[{"containerPort":8080}]}]`)
	cli.json(&upd, "ecs", "update-service", "--cluster", "prod", "--service", "checkout",
		"--task-definition", reg.TaskDefinition.TaskDefinitionArn, "--deployment-configuration", string(cfg))
	if s := upd.Service; s.DeploymentConfiguration.Strategy != "CANARY" || s.TaskDefinition != reg.TaskDefinition.TaskDefinitionArn ||
		len(s.Deployments) != 2 || s.Deployments[0].Status != "PRIMARY" || s.Deployments[1].Status != "ACTIVE" {
		t.Fatalf("update-service to CANARY answered %+v", s)
	}
	canary := latest()
	sim.Advance(36 * time.Second)
	d = describe(canary)
	if d.LifecycleStage != "PRODUCTION_TRAFFIC_SHIFT" || len(d.LifecycleHookDetails) != 1 || d.LifecycleHookDetails[0].TimeoutAction != "CONTINUE" {
		t.Fatalf("the canary's first pause: %+v", d)
	}
	cli.json(&cont, "ecs", "continue-service-deployment", "--service-deployment-arn", canary, "--hook-id", d.LifecycleHookDetails[0].HookID, "--action", "CONTINUE")
	if d = describe(canary); *d.TargetServiceRevision.RequestedProductionTrafficWeight != 10 {
		t.Fatalf("after the canary step: %+v", d)
	}
	sim.Advance(2 * time.Minute)
	d = describe(canary)
	second := d.LifecycleHookDetails[0]
	if second.Status != "AWAITING_ACTION" || *d.TargetServiceRevision.RequestedProductionTrafficWeight != 10 {
		t.Fatalf("the pause before the rest: %+v", d)
	}
	cli.json(&cont, "ecs", "continue-service-deployment", "--service-deployment-arn", canary, "--hook-id", second.HookID, "--action", "ROLLBACK")
	sim.Advance(time.Minute)
	if d = describe(canary); d.Status != "ROLLBACK_SUCCESSFUL" || !strings.Contains(d.Rollback.Reason, second.HookID) {
		t.Fatalf("after ROLLBACK at the pause: %+v", d)
	}
	cli.json(&svcs, "ecs", "describe-services", "--cluster", "prod", "--services", "checkout")
	if s := svcs.Services[0]; !strings.HasSuffix(s.TaskDefinition, "checkout:1") || len(s.Deployments) != 1 {
		t.Fatalf("after both rollbacks checkout runs %s, deployments %+v", s.TaskDefinition, s.Deployments)
	}
}
