package awssim

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// TestCheckoutLinearStepByStep plays the sandbox's checkout service (LINEAR
// 25% steps a minute apart, a two-minute bake, a Lambda hook after scale-up,
// a pause after the test traffic shift) from UpdateService to SUCCESSFUL,
// reading every stage, weight and task count at its exact simulated time.
func TestCheckoutLinearStepByStep(t *testing.T) {
	f := newSDFixture(t, sandboxWorld(t))

	before := f.service("checkout")
	if before.DeploymentController == nil || before.DeploymentController.Type != ecstypes.DeploymentControllerTypeEcs ||
		before.DeploymentConfiguration == nil || before.DeploymentConfiguration.Strategy != ecstypes.DeploymentStrategyLinear ||
		aws.ToFloat64(before.DeploymentConfiguration.LinearConfiguration.StepPercent) != 25 ||
		aws.ToInt32(before.DeploymentConfiguration.LinearConfiguration.StepBakeTimeInMinutes) != 1 ||
		aws.ToInt32(before.DeploymentConfiguration.BakeTimeInMinutes) != 2 || len(before.DeploymentConfiguration.LifecycleHooks) != 2 ||
		!before.DeploymentConfiguration.Alarms.Rollback {
		t.Fatalf("checkout before: controller %+v, configuration %+v", before.DeploymentController, before.DeploymentConfiguration)
	}
	if lb := before.LoadBalancers[0]; lb.AdvancedConfiguration == nil || aws.ToString(lb.AdvancedConfiguration.AlternateTargetGroupArn) != checkoutGreenTG {
		t.Fatalf("checkout load balancer = %+v", lb)
	}
	created := f.latest("checkout")
	if d := f.describe(created); d.Status != ecstypes.ServiceDeploymentStatusSuccessful || len(before.Deployments) != 1 ||
		aws.ToString(before.Deployments[0].Id) != "ecs-svc/"+revID(aws.ToString(d.TargetServiceRevision.Arn)) ||
		aws.ToString(before.CurrentServiceDeployment) != created {
		t.Fatalf("checkout's first deployment %s, service deployments %v", state(d), legacy(before))
	}
	v20 := aws.ToString(before.TaskDefinition)

	svc := f.update("checkout", "v2.1")
	v21 := aws.ToString(svc.TaskDefinition)
	arn := f.latest("checkout")
	d := f.describe(arn)
	target, source := aws.ToString(d.TargetServiceRevision.Arn), aws.ToString(d.SourceServiceRevisions[0].Arn)
	if v21 == v20 || !strings.HasSuffix(v21, "checkout:2") || aws.ToString(svc.CurrentServiceDeployment) != arn ||
		!slices.Equal(legacy(*svc), []string{"PRIMARY:ecs-svc/" + revID(target) + ":IN_PROGRESS", "ACTIVE:ecs-svc/" + revID(source) + ":COMPLETED"}) {
		t.Fatalf("UpdateService answered task definition %s, deployments %v", v21, legacy(*svc))
	}
	if state(d) != "PENDING  src 100/100 4/4 tgt 0/0 0/0" || d.StartedAt != nil || !d.CreatedAt.Equal(f.t0) {
		t.Fatalf("at t0: %s, startedAt %v", state(d), d.StartedAt)
	}

	f.expect(arn, 1*sec, "IN_PROGRESS PRE_SCALE_UP src 100/100 4/4 tgt 0/0 0/0")
	f.expect(arn, 2*sec, "IN_PROGRESS SCALE_UP src 100/100 4/4 tgt 0/0 0/4")
	if svc := f.service("checkout"); svc.RunningCount != 4 || svc.PendingCount != 4 {
		t.Fatalf("during SCALE_UP the service runs %d, %d pending", svc.RunningCount, svc.PendingCount)
	}
	d = f.expect(arn, 32*sec, "IN_PROGRESS POST_SCALE_UP src 100/100 4/4 tgt 0/0 4/4")
	if len(d.LifecycleHookDetails) != 1 || d.LifecycleHookDetails[0].Status != ecstypes.DeploymentLifecycleHookStatusInProgress ||
		d.LifecycleHookDetails[0].TargetType != ecstypes.DeploymentLifecycleHookTargetTypeAwsLambda ||
		!strings.HasSuffix(aws.ToString(d.LifecycleHookDetails[0].TargetArn), ":function:checkout-smoke-test") {
		t.Fatalf("POST_SCALE_UP hooks = %+v", d.LifecycleHookDetails)
	}
	f.expect(arn, 36*sec, "IN_PROGRESS POST_SCALE_UP src 100/100 4/4 tgt 0/0 4/4")
	f.expect(arn, 37*sec, "IN_PROGRESS TEST_TRAFFIC_SHIFT src 100/0 4/4 tgt 0/100 4/4")
	d = f.expect(arn, 38*sec, "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT src 100/0 4/4 tgt 0/100 4/4")
	pause := pauseHook(t, d)
	if !strings.HasPrefix(aws.ToString(pause.HookId), "ecs-pause-") || pause.TargetArn != nil || pause.TimeoutAction != ecstypes.DeploymentLifecycleHookActionRollback ||
		!pause.ExpiresAt.Equal(f.t0.Add(38*sec+60*minute)) {
		t.Fatalf("pause hook = %+v", pause)
	}
	f.expect(arn, 10*minute, "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT src 100/0 4/4 tgt 0/100 4/4")
	if err := f.cont(arn, aws.ToString(pause.HookId), ""); err != nil {
		t.Fatal(err)
	}

	tc := 10 * minute
	d = f.expect(arn, tc, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 75/0 4/4 tgt 25/100 4/4")
	if h := d.LifecycleHookDetails; len(h) != 1 || h[0].Status != ecstypes.DeploymentLifecycleHookStatusSucceeded {
		t.Fatalf("after Continue the pause hook is %+v", h)
	}
	f.expect(arn, tc+59*sec, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 75/0 4/4 tgt 25/100 4/4")
	f.expect(arn, tc+1*minute, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 50/0 4/4 tgt 50/100 4/4")
	f.expect(arn, tc+2*minute, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 25/0 4/4 tgt 75/100 4/4")
	f.expect(arn, tc+3*minute, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 0/0 4/4 tgt 100/100 4/4")
	f.expect(arn, tc+3*minute+1*sec, "IN_PROGRESS POST_PRODUCTION_TRAFFIC_SHIFT src 0/0 4/4 tgt 100/100 4/4")
	f.expect(arn, tc+3*minute+2*sec, "IN_PROGRESS BAKE_TIME src 0/0 4/4 tgt 100/100 4/4")
	f.expect(arn, tc+5*minute+1*sec, "IN_PROGRESS BAKE_TIME src 0/0 4/4 tgt 100/100 4/4")
	f.expect(arn, tc+5*minute+2*sec, "IN_PROGRESS CLEAN_UP src 0/0 4/0 tgt 100/100 4/4")
	if svc := f.service("checkout"); aws.ToString(svc.TaskDefinition) != v21 ||
		!slices.Equal(legacy(svc), []string{"PRIMARY:ecs-svc/" + revID(target) + ":IN_PROGRESS", "ACTIVE:ecs-svc/" + revID(source) + ":COMPLETED"}) {
		t.Fatalf("in CLEAN_UP the service runs %s, deployments %v", aws.ToString(svc.TaskDefinition), legacy(svc))
	}
	d = f.expect(arn, tc+5*minute+32*sec, "SUCCESSFUL CLEAN_UP src 0/0 0/0 tgt 100/100 4/4")
	if !d.StartedAt.Equal(f.t0.Add(sec)) || !d.FinishedAt.Equal(f.t0.Add(tc+5*minute+32*sec)) || d.StoppedAt != nil || d.Rollback != nil ||
		d.Alarms == nil || d.Alarms.Status != ecstypes.ServiceDeploymentRollbackMonitorsStatusMonitoringComplete ||
		!slices.Equal(d.Alarms.AlarmNames, []string{"checkout-5xx"}) || len(d.Alarms.TriggeredAlarmNames) != 0 {
		t.Fatalf("the finished deployment: %+v", d)
	}
	svc2 := f.service("checkout")
	if aws.ToString(svc2.TaskDefinition) != v21 || svc2.RunningCount != 4 || svc2.PendingCount != 0 ||
		!slices.Equal(legacy(svc2), []string{"PRIMARY:ecs-svc/" + revID(target) + ":COMPLETED"}) {
		t.Fatalf("after the deployment the service runs %s (%d), deployments %v", aws.ToString(svc2.TaskDefinition), svc2.RunningCount, legacy(svc2))
	}

	// The revisions: the new one serves from the green target group.
	revs, err := f.ecs.DescribeServiceRevisions(f.ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: []string{source, target}})
	if err != nil || len(revs.ServiceRevisions) != 2 {
		t.Fatalf("describe revisions = %+v, %v", revs, err)
	}
	for i, want := range []struct{ td, tg string }{{v20, checkoutBlueTG}, {v21, checkoutGreenTG}} {
		r := revs.ServiceRevisions[i]
		lbs := r.ResolvedConfiguration.LoadBalancers
		if aws.ToString(r.TaskDefinition) != want.td || len(lbs) != 1 || aws.ToString(lbs[0].TargetGroupArn) != want.tg ||
			!strings.Contains(aws.ToString(lbs[0].ProductionListenerRule), ":listener-rule/app/prod-alb/") ||
			len(r.ContainerImages) != 1 || !strings.HasPrefix(aws.ToString(r.ContainerImages[0].ImageDigest), "sha256:") {
			t.Fatalf("revision %d = %+v", i, r)
		}
	}

	wantEvents := []string{
		"SERVICE_DEPLOYMENT_IN_PROGRESS:ecs-svc/" + revID(target),
		"HOOK_IN_PROGRESS:AWS_LAMBDA@POST_SCALE_UP", "HOOK_SUCCEEDED:AWS_LAMBDA@POST_SCALE_UP",
		"HOOK_AWAITING_ACTION:PAUSE@POST_TEST_TRAFFIC_SHIFT", "HOOK_SUCCEEDED:PAUSE@POST_TEST_TRAFFIC_SHIFT",
		"SERVICE_DEPLOYMENT_COMPLETED:ecs-svc/" + revID(target),
	}
	if got := f.ecsEvents(); !slices.Equal(got, wantEvents) {
		t.Fatalf("events:\n got %v\nwant %v", got, wantEvents)
	}
}

// TestServiceDeploymentPlaysWhileTheClockRuns: with the clock running (as in
// the sandbox) the engine plays checkout's deployment by itself; the test
// only answers the pause.
func TestServiceDeploymentPlaysWhileTheClockRuns(t *testing.T) {
	w := sandboxWorld(t)
	sim := startSeeded(t, w, Options{Speed: 300}) // the pause times out after twelve real seconds; the rest takes one
	f := &sdFixture{t: t, sim: sim, ecs: ecs.NewFromConfig(sim.Config()), ctx: t.Context()}
	f.update("checkout", "v2.1")
	arn := f.latest("checkout")
	var d ecstypes.ServiceDeployment
	waitFor(t, "the pause", func() bool {
		d = f.describe(arn)
		return len(d.LifecycleHookDetails) > 0 && d.LifecycleHookDetails[0].Status == ecstypes.DeploymentLifecycleHookStatusAwaitingAction
	})
	if err := f.cont(arn, aws.ToString(pauseHook(t, d).HookId), ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deployment to succeed", func() bool { return f.describe(arn).Status == ecstypes.ServiceDeploymentStatusSuccessful })
	if got := f.countEvents("SERVICE_DEPLOYMENT_COMPLETED:ecs-svc/" + revID(aws.ToString(d.TargetServiceRevision.Arn))); got != 1 {
		t.Fatalf("%d COMPLETED events", got)
	}
}

// TestCodeDeployAndServiceDeploymentsShareTheClock: a CodeDeploy deployment
// of myapp and a service deployment of checkout play side by side, every
// step at its own time, so the events of both come in time order.
func TestCodeDeployAndServiceDeploymentsShareTheClock(t *testing.T) {
	f := newSDFixture(t, sandboxWorld(t))
	cd := cdFixtureAt(t, f.sim, f.sim.URL())
	id := cd.deploy("myapp", "myapp-prod", "myapp")
	f.update("checkout", "v2.1")
	arn := f.latest("checkout")
	f.expect(arn, 40*sec, "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT src 100/0 4/4 tgt 0/100 4/4")
	if err := f.cont(arn, aws.ToString(pauseHook(t, f.describe(arn)).HookId), ""); err != nil {
		t.Fatal(err)
	}
	f.advanceTo(20 * minute)
	if s := f.describe(arn).Status; s != ecstypes.ServiceDeploymentStatusSuccessful {
		t.Fatalf("checkout's deployment is %s", s)
	}
	if s := cd.info(id).Status; s != "Succeeded" {
		t.Fatalf("myapp's deployment is %s", s)
	}
	var last string
	sources := map[string]bool{}
	for _, raw := range f.sim.Events() {
		var env struct{ Source, Time string }
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatal(err)
		}
		if env.Time < last {
			t.Fatalf("event at %s after one at %s", env.Time, last)
		}
		last = env.Time
		sources[env.Source] = true
	}
	if !sources["aws.ecs"] || !sources["aws.codedeploy"] {
		t.Fatalf("events from %v", sources)
	}
}
