package awssim

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const minute = time.Minute

// TestPauseContinuedWithRollback: ROLLBACK at the pause after the test
// traffic shift takes test traffic back and stops the new tasks; the
// service runs its old task definition again at once.
func TestPauseContinuedWithRollback(t *testing.T) {
	f := newSDFixture(t, sandboxWorld(t))
	v20 := aws.ToString(f.service("checkout").TaskDefinition)
	f.update("checkout", "v2.1")
	arn := f.latest("checkout")
	d := f.expect(arn, 1*minute, "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT src 100/0 4/4 tgt 0/100 4/4")
	hook := aws.ToString(pauseHook(t, d).HookId)
	source, target := aws.ToString(d.SourceServiceRevisions[0].Arn), aws.ToString(d.TargetServiceRevision.Arn)

	if err := f.cont(arn, hook, ecstypes.DeploymentLifecycleHookActionRollback); err != nil {
		t.Fatal(err)
	}
	d = f.expect(arn, 1*minute, "ROLLBACK_REQUESTED POST_TEST_TRAFFIC_SHIFT src 100/0 4/4 tgt 0/100 4/4")
	if d.Rollback == nil || !strings.Contains(aws.ToString(d.Rollback.Reason), hook) || aws.ToString(d.Rollback.ServiceRevisionArn) != source ||
		!d.Rollback.StartedAt.Equal(f.t0.Add(minute)) || d.LifecycleHookDetails[0].Status != ecstypes.DeploymentLifecycleHookStatusFailed {
		t.Fatalf("rollback %+v, hooks %+v", d.Rollback, d.LifecycleHookDetails)
	}
	svc := f.service("checkout")
	if aws.ToString(svc.TaskDefinition) != v20 ||
		!slices.Equal(legacy(svc), []string{"PRIMARY:ecs-svc/" + revID(source) + ":IN_PROGRESS", "ACTIVE:ecs-svc/" + revID(target) + ":FAILED"}) {
		t.Fatalf("rolling back, the service runs %s, deployments %v", aws.ToString(svc.TaskDefinition), legacy(svc))
	}
	f.expect(arn, 1*minute+1*sec, "ROLLBACK_IN_PROGRESS TEST_TRAFFIC_SHIFT src 100/100 4/4 tgt 0/0 4/4")
	f.expect(arn, 1*minute+2*sec, "ROLLBACK_IN_PROGRESS CLEAN_UP src 100/100 4/4 tgt 0/0 4/0")
	d = f.expect(arn, 1*minute+32*sec, "ROLLBACK_SUCCESSFUL CLEAN_UP src 100/100 4/4 tgt 0/0 0/0")
	if !d.FinishedAt.Equal(f.t0.Add(minute+32*sec)) || d.StoppedAt != nil {
		t.Fatalf("finished %v, stopped %v", d.FinishedAt, d.StoppedAt)
	}
	if svc := f.service("checkout"); !slices.Equal(legacy(svc), []string{"PRIMARY:ecs-svc/" + revID(source) + ":COMPLETED"}) || svc.RunningCount != 4 {
		t.Fatalf("after the rollback the service has deployments %v, %d running", legacy(svc), svc.RunningCount)
	}

	// The pause is over: neither action works on it again.
	wantAPIError(t, f.cont(arn, hook, ecstypes.DeploymentLifecycleHookActionContinue), "InvalidParameterException",
		"The pause hook "+hook+" is not awaiting action: its status is FAILED.")
	wantAPIError(t, f.cont(arn, "ecs-pause-nosuchhook", ""), "InvalidParameterException", "")
	wantAPIError(t, f.cont(strings.Replace(arn, "checkout/", "checkout/X", 1), hook, ""), "ServiceDeploymentNotFoundException", "")
	_, err := f.ecs.StopServiceDeployment(f.ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn)})
	var conflict *ecstypes.ConflictException
	if !errors.As(err, &conflict) || !slices.Equal(conflict.ResourceIds, []string{arn}) {
		t.Fatalf("stopping a completed deployment: %v", err)
	}

	wantEvents := []string{
		"SERVICE_DEPLOYMENT_IN_PROGRESS:ecs-svc/" + revID(target),
		"HOOK_IN_PROGRESS:AWS_LAMBDA@POST_SCALE_UP", "HOOK_SUCCEEDED:AWS_LAMBDA@POST_SCALE_UP",
		"HOOK_AWAITING_ACTION:PAUSE@POST_TEST_TRAFFIC_SHIFT", "HOOK_FAILED:PAUSE@POST_TEST_TRAFFIC_SHIFT",
		"SERVICE_DEPLOYMENT_IN_PROGRESS:ecs-svc/" + revID(source),
		"SERVICE_DEPLOYMENT_COMPLETED:ecs-svc/" + revID(source),
	}
	if got := f.ecsEvents(); !slices.Equal(got, wantEvents) {
		t.Fatalf("events:\n got %v\nwant %v", got, wantEvents)
	}

	// The next deployment starts from the old revision again and registers
	// in the target group that is not serving: green once more.
	f.update("checkout", "v2.2")
	next := f.describe(f.latest("checkout"))
	if aws.ToString(next.SourceServiceRevisions[0].Arn) != source {
		t.Fatalf("the next deployment's sources are %v", next.SourceServiceRevisions)
	}
	revs, err := f.ecs.DescribeServiceRevisions(f.ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: []string{aws.ToString(next.TargetServiceRevision.Arn), "arn:aws:ecs:us-east-1:123456789012:service-revision/prod/checkout/1"}})
	if err != nil || len(revs.ServiceRevisions) != 1 || aws.ToString(revs.ServiceRevisions[0].ResolvedConfiguration.LoadBalancers[0].TargetGroupArn) != checkoutGreenTG ||
		len(revs.Failures) != 1 || aws.ToString(revs.Failures[0].Reason) != "MISSING" {
		t.Fatalf("describe revisions = %+v, %v", revs, err)
	}
}

// TestLambdaHookFailureRollsBack: a fault armed at POST_SCALE_UP makes the
// checkout smoke test fail five seconds into the stage, and the deployment
// rolls back; the fault is spent.
func TestLambdaHookFailureRollsBack(t *testing.T) {
	f := newSDFixture(t, sandboxWorld(t))
	if err := f.sim.FailNextServiceDeployment("prod", "checkout", "AfterInstall", ""); err == nil {
		t.Fatal("a CodeDeploy stage name was accepted")
	}
	if err := f.sim.FailNextServiceDeployment("prod", "myapp", "POST_SCALE_UP", ""); err == nil {
		t.Fatal("a CodeDeploy service was accepted")
	}
	if err := f.sim.FailNextServiceDeployment("prod", "checkout", "POST_SCALE_UP", "smoke test failed: GET /health returned 503"); err != nil {
		t.Fatal(err)
	}
	f.update("checkout", "v2.1")
	arn := f.latest("checkout")
	f.expect(arn, 36*sec, "IN_PROGRESS POST_SCALE_UP src 100/100 4/4 tgt 0/0 4/4")
	d := f.expect(arn, 37*sec, "ROLLBACK_REQUESTED POST_SCALE_UP src 100/100 4/4 tgt 0/0 4/4")
	want := "The lifecycle hook arn:aws:lambda:us-east-1:123456789012:function:checkout-smoke-test failed at POST_SCALE_UP: smoke test failed: GET /health returned 503"
	if aws.ToString(d.StatusReason) != want || aws.ToString(d.Rollback.Reason) != want ||
		d.LifecycleHookDetails[0].Status != ecstypes.DeploymentLifecycleHookStatusFailed {
		t.Fatalf("reason %q, rollback %+v, hooks %+v", aws.ToString(d.StatusReason), d.Rollback, d.LifecycleHookDetails)
	}
	f.expect(arn, 38*sec, "ROLLBACK_IN_PROGRESS CLEAN_UP src 100/100 4/4 tgt 0/0 4/0")
	f.expect(arn, 68*sec, "ROLLBACK_SUCCESSFUL CLEAN_UP src 100/100 4/4 tgt 0/0 0/0")
	target, source := revID(aws.ToString(d.TargetServiceRevision.Arn)), revID(aws.ToString(d.SourceServiceRevisions[0].Arn))
	if got := f.ecsEvents(); !slices.Equal(got, []string{
		"SERVICE_DEPLOYMENT_IN_PROGRESS:ecs-svc/" + target,
		"HOOK_IN_PROGRESS:AWS_LAMBDA@POST_SCALE_UP", "HOOK_FAILED:AWS_LAMBDA@POST_SCALE_UP",
		"SERVICE_DEPLOYMENT_FAILED:ecs-svc/" + target,
		"SERVICE_DEPLOYMENT_IN_PROGRESS:ecs-svc/" + source,
		"SERVICE_DEPLOYMENT_COMPLETED:ecs-svc/" + source,
	}) {
		t.Fatalf("events: %v", got)
	}

	f.update("checkout", "v2.2")
	f.expect(f.latest("checkout"), 68*sec+37*sec, "IN_PROGRESS TEST_TRAFFIC_SHIFT src 100/0 4/4 tgt 0/100 4/4")
}

// TestAlarmRollsBackMidShift: checkout-5xx going into ALARM at 50% rolls
// the deployment back, production traffic first, then test traffic.
func TestAlarmRollsBackMidShift(t *testing.T) {
	f := newSDFixture(t, sandboxWorld(t))
	f.update("checkout", "v2.1")
	arn := f.latest("checkout")
	d := f.expect(arn, 40*sec, "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT src 100/0 4/4 tgt 0/100 4/4")
	if err := f.cont(arn, aws.ToString(pauseHook(t, d).HookId), ecstypes.DeploymentLifecycleHookActionContinue); err != nil {
		t.Fatal(err)
	}
	f.expect(arn, 40*sec+1*minute+10*sec, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 50/0 4/4 tgt 50/100 4/4")
	if err := f.sim.SetAlarm("checkout-5xx", "ALARM", "5xx above 1%"); err != nil {
		t.Fatal(err)
	}
	at := 40*sec + 1*minute + 10*sec
	d = f.expect(arn, at, "ROLLBACK_REQUESTED PRODUCTION_TRAFFIC_SHIFT src 50/0 4/4 tgt 50/100 4/4")
	if d.Alarms.Status != ecstypes.ServiceDeploymentRollbackMonitorsStatusTriggered || !slices.Equal(d.Alarms.TriggeredAlarmNames, []string{"checkout-5xx"}) ||
		!strings.Contains(aws.ToString(d.Rollback.Reason), "checkout-5xx") || !d.Rollback.StartedAt.Equal(f.t0.Add(at)) {
		t.Fatalf("alarms %+v, rollback %+v", d.Alarms, d.Rollback)
	}
	f.expect(arn, at+1*sec, "ROLLBACK_IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 100/0 4/4 tgt 0/100 4/4")
	f.expect(arn, at+2*sec, "ROLLBACK_IN_PROGRESS TEST_TRAFFIC_SHIFT src 100/100 4/4 tgt 0/0 4/4")
	f.expect(arn, at+3*sec, "ROLLBACK_IN_PROGRESS CLEAN_UP src 100/100 4/4 tgt 0/0 4/0")
	f.expect(arn, at+33*sec, "ROLLBACK_SUCCESSFUL CLEAN_UP src 100/100 4/4 tgt 0/0 0/0")
	events := f.ecsEvents()
	if !slices.Contains(events, "SERVICE_DEPLOYMENT_FAILED:ecs-svc/"+revID(aws.ToString(d.TargetServiceRevision.Arn))) {
		t.Fatalf("events: %v", events)
	}
}

// TestStopServiceDeployment: ROLLBACK (the default) while blue lives rolls
// back; in CLEAN_UP and after the end a stop is refused with
// ConflictException; the ARN is checked.
func TestStopServiceDeployment(t *testing.T) {
	f := newSDFixture(t, nativeWorld("web", "BLUE_GREEN", nil))
	stop := func(arn, stopType string) error {
		_, err := f.ecs.StopServiceDeployment(f.ctx, &ecs.StopServiceDeploymentInput{
			ServiceDeploymentArn: aws.String(arn), StopType: ecstypes.StopServiceDeploymentStopType(stopType)})
		return err
	}
	f.update("web", "v2")
	arn := f.latest("web")
	// No test listener: no test traffic weights.
	f.expect(arn, 34*sec, "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT src 100/- 4/4 tgt 0/- 4/4")
	f.expect(arn, 35*sec, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 0/- 4/4 tgt 100/- 4/4")
	f.expect(arn, 37*sec, "IN_PROGRESS BAKE_TIME src 0/- 4/4 tgt 100/- 4/4")
	if err := stop(arn, ""); err != nil {
		t.Fatal(err)
	}
	d := f.expect(arn, 37*sec, "ROLLBACK_REQUESTED BAKE_TIME src 0/- 4/4 tgt 100/- 4/4")
	if aws.ToString(d.Rollback.Reason) != "Service deployment rolled back by StopServiceDeployment (ROLLBACK)." {
		t.Fatalf("rollback %+v", d.Rollback)
	}
	if err := stop(arn, "ABORT"); err != nil { // rolling back, it carries on
		t.Fatal(err)
	}
	f.expect(arn, 38*sec, "ROLLBACK_IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 100/- 4/4 tgt 0/- 4/4")
	f.expect(arn, 39*sec, "ROLLBACK_IN_PROGRESS CLEAN_UP src 100/- 4/4 tgt 0/- 4/0")
	f.expect(arn, 69*sec, "ROLLBACK_SUCCESSFUL CLEAN_UP src 100/- 4/4 tgt 0/- 0/0")

	f.update("web", "v3")
	next := f.latest("web")
	f.expect(next, 69*sec+97*sec, "IN_PROGRESS CLEAN_UP src 0/- 4/0 tgt 100/- 4/4")
	var conflict *ecstypes.ConflictException
	if err := stop(next, "ROLLBACK"); !errors.As(err, &conflict) || !slices.Equal(conflict.ResourceIds, []string{next}) ||
		!strings.Contains(aws.ToString(conflict.Message), "CLEAN_UP") {
		t.Fatalf("stop in CLEAN_UP: %v", err)
	}
	f.expect(next, 69*sec+127*sec, "SUCCESSFUL CLEAN_UP src 0/- 0/0 tgt 100/- 4/4")
	wantAPIError(t, stop(next, "ROLLBACK"), "ConflictException", "The service deployment "+next+" has already completed with status SUCCESSFUL.")
	wantAPIError(t, stop(next+"x", ""), "ServiceDeploymentNotFoundException", "")
	wantAPIError(t, stop("web", ""), "InvalidParameterException", "")
	wantAPIError(t, stop(next, "PAUSE"), "InvalidParameterException", "")
}

// TestAbortAndAlarmWithoutRollback: ABORT, and an alarm with rollback off,
// stop the deployment: STOP_REQUESTED, back to the source without hooks,
// STOPPED with stoppedAt, and a SERVICE_DEPLOYMENT_FAILED event.
func TestAbortAndAlarmWithoutRollback(t *testing.T) {
	f := newSDFixture(t, nativeWorld("web", "BLUE_GREEN", func(c *DeploymentConfiguration) {
		c.Alarms = &DeploymentAlarms{AlarmNames: []string{"web-5xx"}, Enable: true}
		c.LifecycleHooks = []LifecycleHook{{HookTargetArn: "arn:aws:lambda:us-east-1:123456789012:function:check", LifecycleStages: []string{stProdShift}}}
	}))
	f.update("web", "v2")
	arn := f.latest("web")
	f.expect(arn, 35*sec, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 0/- 4/4 tgt 100/- 4/4")
	if _, err := f.ecs.StopServiceDeployment(f.ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), StopType: ecstypes.StopServiceDeploymentStopTypeAbort}); err != nil {
		t.Fatal(err)
	}
	d := f.expect(arn, 35*sec, "STOP_REQUESTED PRODUCTION_TRAFFIC_SHIFT src 0/- 4/4 tgt 100/- 4/4")
	if d.Rollback != nil || !d.StoppedAt.Equal(f.t0.Add(35*sec)) || d.LifecycleHookDetails[0].Status != ecstypes.DeploymentLifecycleHookStatusFailed {
		t.Fatalf("rollback %+v, stoppedAt %v, hooks %+v", d.Rollback, d.StoppedAt, d.LifecycleHookDetails)
	}
	f.expect(arn, 36*sec, "STOP_REQUESTED PRODUCTION_TRAFFIC_SHIFT src 100/- 4/4 tgt 0/- 4/4")
	f.expect(arn, 37*sec, "STOP_REQUESTED CLEAN_UP src 100/- 4/4 tgt 0/- 4/0")
	d = f.expect(arn, 67*sec, "STOPPED CLEAN_UP src 100/- 4/4 tgt 0/- 0/0")
	if aws.ToString(d.StatusReason) != "Service deployment stopped by StopServiceDeployment (ABORT)." || !d.FinishedAt.Equal(f.t0.Add(67*sec)) ||
		d.Alarms.Status != ecstypes.ServiceDeploymentRollbackMonitorsStatusMonitoringComplete {
		t.Fatalf("stopped: %+v", d)
	}
	// The Lambda hook at PRODUCTION_TRAFFIC_SHIFT ran once going forward and
	// not again going back: an ABORT runs no hooks.
	target := revID(aws.ToString(d.TargetServiceRevision.Arn))
	if got := f.ecsEvents(); !slices.Equal(got, []string{
		"SERVICE_DEPLOYMENT_IN_PROGRESS:ecs-svc/" + target, "HOOK_IN_PROGRESS:AWS_LAMBDA@PRODUCTION_TRAFFIC_SHIFT",
		"HOOK_FAILED:AWS_LAMBDA@PRODUCTION_TRAFFIC_SHIFT", "SERVICE_DEPLOYMENT_FAILED:ecs-svc/" + target,
	}) {
		t.Fatalf("events: %v", got)
	}

	f.update("web", "v3")
	next := f.latest("web")
	f.expect(next, 67*sec+34*sec, "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT src 100/- 4/4 tgt 0/- 4/4")
	if err := f.sim.SetAlarm("web-5xx", "ALARM", "errors"); err != nil {
		t.Fatal(err)
	}
	d = f.expect(next, 67*sec+34*sec, "STOP_REQUESTED POST_TEST_TRAFFIC_SHIFT src 100/- 4/4 tgt 0/- 4/4")
	if d.Rollback != nil || !strings.Contains(aws.ToString(d.StatusReason), "web-5xx") || d.Alarms.Status != ecstypes.ServiceDeploymentRollbackMonitorsStatusTriggered {
		t.Fatalf("alarm without rollback: %+v", d)
	}
	f.expect(next, 67*sec+35*sec, "STOP_REQUESTED CLEAN_UP src 100/- 4/4 tgt 0/- 4/0")
	f.expect(next, 67*sec+65*sec, "STOPPED CLEAN_UP src 100/- 4/4 tgt 0/- 0/0")
}

// TestNewTasksNeverHealthy: tasks of the new revision that never become
// healthy fail SCALE_UP after five minutes, and the deployment rolls back.
func TestNewTasksNeverHealthy(t *testing.T) {
	f := newSDFixture(t, nativeWorld("web", "BLUE_GREEN", func(c *DeploymentConfiguration) {
		c.DeploymentCircuitBreaker = &DeploymentCircuitBreaker{Enable: true, Rollback: true}
	}))
	f.sim.SetGreenUnhealthy("prod", "web", true)
	f.update("web", "v2")
	arn := f.latest("web")
	d := f.expect(arn, 2*sec+5*minute-sec, "IN_PROGRESS SCALE_UP src 100/- 4/4 tgt 0/- 0/4")
	if cb := d.DeploymentCircuitBreaker; cb == nil || cb.Status != ecstypes.ServiceDeploymentRollbackMonitorsStatusMonitoring || cb.Threshold != 3 {
		t.Fatalf("circuit breaker = %+v", cb)
	}
	d = f.expect(arn, 2*sec+5*minute, "ROLLBACK_REQUESTED SCALE_UP src 100/- 4/4 tgt 0/- 0/4")
	if !strings.Contains(aws.ToString(d.StatusReason), "did not become healthy within 5m0s") {
		t.Fatalf("reason %q", aws.ToString(d.StatusReason))
	}
	f.expect(arn, 2*sec+5*minute+sec, "ROLLBACK_IN_PROGRESS CLEAN_UP src 100/- 4/4 tgt 0/- 0/0")
	f.expect(arn, 2*sec+5*minute+31*sec, "ROLLBACK_SUCCESSFUL CLEAN_UP src 100/- 4/4 tgt 0/- 0/0")
}
