package awssim

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// TestCanaryDeployment: 10% for the canary bake time, then the rest; a
// Lambda hook at PRODUCTION_TRAFFIC_SHIFT runs at both steps, each five
// seconds, inside the bake.
func TestCanaryDeployment(t *testing.T) {
	f := newSDFixture(t, nativeWorld("web", "CANARY", func(c *DeploymentConfiguration) {
		c.CanaryConfiguration = &CanaryConfiguration{CanaryPercent: aws.Float64(10), CanaryBakeTimeInMinutes: aws.Int(5)}
		c.LifecycleHooks = []LifecycleHook{{HookTargetArn: "arn:aws:lambda:us-east-1:123456789012:function:canary-check", LifecycleStages: []string{stProdShift}}}
	}))
	f.update("web", "v2")
	arn := f.latest("web")
	d := f.expect(arn, 35*sec, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 90/- 4/4 tgt 10/- 4/4")
	if h := d.LifecycleHookDetails; len(h) != 1 || h[0].Status != ecstypes.DeploymentLifecycleHookStatusInProgress {
		t.Fatalf("hooks at the canary step: %+v", h)
	}
	d = f.expect(arn, 40*sec, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 90/- 4/4 tgt 10/- 4/4")
	if h := d.LifecycleHookDetails; h[0].Status != ecstypes.DeploymentLifecycleHookStatusSucceeded {
		t.Fatalf("hooks after five seconds: %+v", h)
	}
	f.expect(arn, 35*sec+5*minute-sec, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 90/- 4/4 tgt 10/- 4/4")
	f.expect(arn, 35*sec+5*minute, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 0/- 4/4 tgt 100/- 4/4")
	f.expect(arn, 35*sec+5*minute+4*sec, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 0/- 4/4 tgt 100/- 4/4")
	f.expect(arn, 35*sec+5*minute+5*sec, "IN_PROGRESS POST_PRODUCTION_TRAFFIC_SHIFT src 0/- 4/4 tgt 100/- 4/4")
	f.expect(arn, 35*sec+6*minute+6*sec, "IN_PROGRESS CLEAN_UP src 0/- 4/0 tgt 100/- 4/4")
	f.expect(arn, 35*sec+6*minute+36*sec, "SUCCESSFUL CLEAN_UP src 0/- 0/0 tgt 100/- 4/4")
	if n := f.countEvents("HOOK_SUCCEEDED:AWS_LAMBDA@PRODUCTION_TRAFFIC_SHIFT"); n != 2 {
		t.Fatalf("the PRODUCTION_TRAFFIC_SHIFT hook succeeded %d times, want 2: %v", n, f.ecsEvents())
	}
}

// TestBlueGreenPauseBeforeProduction: BLUE_GREEN moves all production
// traffic at once, after one pause at PRE_PRODUCTION_TRAFFIC_SHIFT, which
// the deployment reports as PRODUCTION_TRAFFIC_SHIFT.
func TestBlueGreenPauseBeforeProduction(t *testing.T) {
	f := newSDFixture(t, nativeWorld("web", "BLUE_GREEN", func(c *DeploymentConfiguration) {
		c.LifecycleHooks = []LifecycleHook{{TargetType: hookPause, LifecycleStages: []string{stPreProd},
			TimeoutConfiguration: &HookTimeout{TimeoutInMinutes: aws.Int(30), Action: actContinue}}}
	}))
	f.update("web", "v2")
	arn := f.latest("web")
	d := f.expect(arn, 35*sec, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 100/- 4/4 tgt 0/- 4/4")
	h := pauseHook(t, d)
	if h.TimeoutAction != ecstypes.DeploymentLifecycleHookActionContinue || !h.ExpiresAt.Equal(f.t0.Add(35*sec+30*minute)) {
		t.Fatalf("pause = %+v", h)
	}
	// Unanswered, the pause times out into its action, CONTINUE.
	f.expect(arn, 35*sec+30*minute-sec, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 100/- 4/4 tgt 0/- 4/4")
	d = f.expect(arn, 35*sec+30*minute, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 0/- 4/4 tgt 100/- 4/4")
	if d.LifecycleHookDetails[0].Status != ecstypes.DeploymentLifecycleHookStatusTimedOut {
		t.Fatalf("hooks = %+v", d.LifecycleHookDetails)
	}
	f.expect(arn, 35*sec+30*minute+sec, "IN_PROGRESS POST_PRODUCTION_TRAFFIC_SHIFT src 0/- 4/4 tgt 100/- 4/4")
	if got := f.ecsEvents(); !slices.Contains(got, "HOOK_TIMED_OUT:PAUSE@PRE_PRODUCTION_TRAFFIC_SHIFT") {
		t.Fatalf("events: %v", got)
	}
}

// TestPauseAtEveryLinearStep: a pause at PRE_PRODUCTION_TRAFFIC_SHIFT holds
// every production step, each time with a new hookId; a pause that times
// out with ROLLBACK rolls back.
func TestPauseAtEveryLinearStep(t *testing.T) {
	f := newSDFixture(t, nativeWorld("web", "LINEAR", func(c *DeploymentConfiguration) {
		c.LinearConfiguration = &LinearConfiguration{StepPercent: aws.Float64(30), StepBakeTimeInMinutes: aws.Int(2)}
		c.LifecycleHooks = []LifecycleHook{{TargetType: hookPause, LifecycleStages: []string{stPreProd},
			TimeoutConfiguration: &HookTimeout{TimeoutInMinutes: aws.Int(10)}}}
	}))
	f.update("web", "v2")
	arn := f.latest("web")
	at := 35 * sec
	var seen []string
	for _, want := range []string{
		"IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 100/- 4/4 tgt 0/- 4/4",
		"IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 70/- 4/4 tgt 30/- 4/4",
		"IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 40/- 4/4 tgt 60/- 4/4",
	} {
		h := aws.ToString(pauseHook(t, f.expect(arn, at, want)).HookId)
		if slices.Contains(seen, h) {
			t.Fatalf("hook id %s again", h)
		}
		seen = append(seen, h)
		at += minute
		f.advanceTo(at)
		if err := f.cont(arn, h, ""); err != nil {
			t.Fatal(err)
		}
		at += 2 * minute // the step's bake counts from its shift
	}
	d := f.expect(arn, at, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 10/- 4/4 tgt 90/- 4/4")
	last := aws.ToString(pauseHook(t, d).HookId)
	if slices.Contains(seen, last) {
		t.Fatalf("the fourth pause has an old hook id")
	}
	// Left alone, the last pause times out; its action is ROLLBACK.
	d = f.expect(arn, at+10*minute, "ROLLBACK_REQUESTED PRODUCTION_TRAFFIC_SHIFT src 10/- 4/4 tgt 90/- 4/4")
	if !strings.Contains(aws.ToString(d.Rollback.Reason), "timed out after 10 minutes") || d.LifecycleHookDetails[0].Status != ecstypes.DeploymentLifecycleHookStatusTimedOut {
		t.Fatalf("rollback %+v, hooks %+v", d.Rollback, d.LifecycleHookDetails)
	}
	f.expect(arn, at+10*minute+sec, "ROLLBACK_IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 100/- 4/4 tgt 0/- 4/4")
	if awaiting := f.countEvents("HOOK_AWAITING_ACTION:PAUSE@PRE_PRODUCTION_TRAFFIC_SHIFT"); awaiting != 4 {
		t.Fatalf("%d pauses, want 4 (30, 60, 90, 100): %v", awaiting, f.ecsEvents())
	}
}
