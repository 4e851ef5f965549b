package awssim

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

const sec = time.Second

// Without hooks or a test listener: BeforeInstall [1,2], Install [2,32],
// AfterInstall [32,33], BeforeAllowTraffic [33,34], AllowTraffic from 34.
const allowTrafficAt = 34 * sec

func TestBlueGreenRunForEachPredefinedConfig(t *testing.T) {
	type step struct {
		at    time.Duration // after AllowTraffic starts
		green float64
	}
	linear := func(every time.Duration) []step {
		var s []step
		for i := 0; i < 10; i++ {
			s = append(s, step{time.Duration(i) * every, float64(10 * (i + 1))})
		}
		return s
	}
	cases := []struct {
		config string
		steps  []step
	}{
		{"CodeDeployDefault.ECSAllAtOnce", []step{{0, 100}}},
		{"CodeDeployDefault.ECSLinear10PercentEvery1Minutes", linear(time.Minute)},
		{"CodeDeployDefault.ECSLinear10PercentEvery3Minutes", linear(3 * time.Minute)},
		{"CodeDeployDefault.ECSCanary10Percent5Minutes", []step{{0, 10}, {5 * time.Minute, 100}}},
		{"CodeDeployDefault.ECSCanary10Percent15Minutes", []step{{0, 10}, {15 * time.Minute, 100}}},
	}
	for _, tc := range cases {
		t.Run(tc.config, func(t *testing.T) {
			f := newCDFixture(t, oneServiceWorld(func(g *DeploymentGroupSeed) {
				g.DeploymentConfig = tc.config
				g.TerminationWaitMinutes = 5
			}))
			oldTD, _ := f.serviceState("web")
			id := f.deploy("web", "web-prod", "web")
			if st := f.info(id).Status; st != types.DeploymentStatusCreated {
				t.Fatalf("status at creation: %s", st)
			}
			f.advanceTo(1500 * time.Millisecond)
			if got := f.events(id); !slices.Equal(got, []string{"BeforeInstall:InProgress", "Install:Pending", "AfterInstall:Pending",
				"BeforeAllowTraffic:Pending", "AllowTraffic:Pending", "AfterAllowTraffic:Pending"}) {
				t.Fatalf("events at 1.5s: %v", got)
			}
			f.advanceTo(10 * sec)
			if got := f.events(id); got[1] != "Install:InProgress" {
				t.Fatalf("events at 10s: %v", got)
			}
			if b, g := f.weights(id); b != 100 || g != 0 {
				t.Fatalf("weights during Install: blue %g green %g", b, g)
			}
			f.advanceTo(allowTrafficAt - time.Millisecond)
			if got := f.events(id); got[3] != "BeforeAllowTraffic:InProgress" {
				t.Fatalf("events before AllowTraffic: %v", got)
			}
			prev := 0.0
			for _, s := range tc.steps {
				if s.at > 0 {
					f.advanceTo(allowTrafficAt + s.at - time.Millisecond)
					if _, g := f.weights(id); g != prev {
						t.Fatalf("%v after AllowTraffic, just before the step: green %g, want %g", s.at, g, prev)
					}
				}
				f.advanceTo(allowTrafficAt + s.at)
				b, g := f.weights(id)
				if g != s.green || b != 100-s.green {
					t.Fatalf("%v after AllowTraffic: blue %g green %g, want green %g", s.at, b, g, s.green)
				}
				prev = s.green
			}
			last := tc.steps[len(tc.steps)-1].at
			done := allowTrafficAt + last + sec // AfterAllowTraffic took a second
			f.advanceTo(done)
			info, tgt := f.info(id), f.target(id)
			if info.Status != types.DeploymentStatusInProgress || !info.InstanceTerminationWaitTimeStarted || tgt.Status != types.TargetStatusSucceeded {
				t.Fatalf("termination wait: status %s, wait started %v, target %s", info.Status, info.InstanceTerminationWaitTimeStarted, tgt.Status)
			}
			for _, ts := range tgt.TaskSetsInfo {
				want := map[types.TargetLabel]string{"Blue": "ACTIVE:0", "Green": "PRIMARY:100"}[ts.TaskSetLabel]
				if got := fmt.Sprintf("%s:%g", aws.ToString(ts.Status), ts.TrafficWeight); got != want {
					t.Fatalf("%s task set in the termination wait: %s, want %s", ts.TaskSetLabel, got, want)
				}
			}
			f.advanceTo(done + 5*time.Minute - time.Millisecond)
			if st := f.info(id).Status; st != types.DeploymentStatusInProgress {
				t.Fatalf("status before the wait ends: %s", st)
			}
			f.advanceTo(done + 5*time.Minute)
			info = f.info(id)
			if info.Status != types.DeploymentStatusSucceeded || !info.CompleteTime.Equal(f.t0.Add(done+5*time.Minute)) {
				t.Fatalf("end: status %s complete %v", info.Status, info.CompleteTime)
			}
			wantTimes := map[string][2]time.Duration{
				"BeforeInstall": {1 * sec, 2 * sec}, "Install": {2 * sec, 32 * sec}, "AfterInstall": {32 * sec, 33 * sec},
				"BeforeAllowTraffic": {33 * sec, 34 * sec}, "AllowTraffic": {allowTrafficAt, allowTrafficAt + last},
				"AfterAllowTraffic": {allowTrafficAt + last, done},
			}
			for _, e := range f.target(id).LifecycleEvents {
				w := wantTimes[aws.ToString(e.LifecycleEventName)]
				if e.Status != types.LifecycleEventStatusSucceeded || !e.StartTime.Equal(f.t0.Add(w[0])) || !e.EndTime.Equal(f.t0.Add(w[1])) {
					t.Fatalf("%s: %s %v..%v, want Succeeded %v..%v", aws.ToString(e.LifecycleEventName), e.Status,
						e.StartTime.Sub(f.t0), e.EndTime.Sub(f.t0), w[0], w[1])
				}
			}
			newTD, sets := f.serviceState("web")
			if newTD == oldTD || !slices.Equal(sets, []string{"web:2:PRIMARY:100"}) {
				t.Fatalf("service after success: %s %v (was %s)", newTD, sets, oldTD)
			}
			if got := f.deploymentEvents(id); !slices.Equal(got, []string{"START", "SUCCESS"}) {
				t.Fatalf("events: %v", got)
			}
		})
	}
}

func TestHooksAndTestTrafficPlayInOrder(t *testing.T) {
	f := newCDFixture(t, oneServiceWorld(func(g *DeploymentGroupSeed) { g.TestListener = true }))
	id := f.deploy("web", "web-prod", "web", "BeforeInstall=fnBI", "AfterInstall=fnAI", "AfterAllowTestTraffic=fnAATT",
		"BeforeAllowTraffic=fnBAT", "AfterAllowTraffic=fnAAT")
	f.advanceTo(3 * sec)
	if stage, exec, ok := f.sim.PendingHookExecution(id); !ok || stage != "BeforeInstall" || exec == "" {
		t.Fatalf("pending hook: %s %s %v", stage, exec, ok)
	}
	f.advanceTo(60 * sec)
	want := map[string][2]time.Duration{
		"BeforeInstall": {1 * sec, 6 * sec}, "Install": {6 * sec, 36 * sec}, "AfterInstall": {36 * sec, 41 * sec},
		"AllowTestTraffic": {41 * sec, 42 * sec}, "AfterAllowTestTraffic": {42 * sec, 47 * sec},
		"BeforeAllowTraffic": {47 * sec, 52 * sec}, "AllowTraffic": {52 * sec, 52 * sec}, "AfterAllowTraffic": {52 * sec, 57 * sec},
	}
	var names []string
	for _, e := range f.target(id).LifecycleEvents {
		n := aws.ToString(e.LifecycleEventName)
		names = append(names, n)
		w := want[n]
		if e.Status != types.LifecycleEventStatusSucceeded || !e.StartTime.Equal(f.t0.Add(w[0])) || !e.EndTime.Equal(f.t0.Add(w[1])) {
			t.Fatalf("%s: %s %v..%v, want %v..%v", n, e.Status, e.StartTime.Sub(f.t0), e.EndTime.Sub(f.t0), w[0], w[1])
		}
	}
	if !slices.Equal(names, []string{"BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
		"BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}) {
		t.Fatalf("order: %v", names)
	}
	if st := f.info(id).Status; st != types.DeploymentStatusSucceeded { // termination wait 0
		t.Fatalf("status: %s", st)
	}
}

// checkRolledBack asserts orig ended with status/code, linked to a rollback
// deployment that plays to Succeeded, and the service back on oldTD.
func checkRolledBack(t *testing.T, f *cdFixture, orig string, status types.DeploymentStatus, code types.ErrorCode, oldTD string) string {
	t.Helper()
	info := f.info(orig)
	if info.Status != status || info.ErrorInformation == nil || info.ErrorInformation.Code != code {
		t.Fatalf("original: %s %+v", info.Status, info.ErrorInformation)
	}
	if info.RollbackInfo == nil || aws.ToString(info.RollbackInfo.RollbackDeploymentId) == "" || aws.ToString(info.RollbackInfo.RollbackMessage) == "" {
		t.Fatalf("original has no rollback link: %+v", info.RollbackInfo)
	}
	rb := aws.ToString(info.RollbackInfo.RollbackDeploymentId)
	// Traffic is back on blue at once and green is gone.
	if td, sets := f.serviceState("web"); td != oldTD || len(sets) != 1 || sets[0] != "web:1:PRIMARY:100" {
		t.Fatalf("service after rollback: %s %v", td, sets)
	}
	ri := f.info(rb)
	if ri.Creator != types.DeploymentCreatorCodeDeployRollback || ri.RollbackInfo == nil || aws.ToString(ri.RollbackInfo.RollbackTriggeringDeploymentId) != orig {
		t.Fatalf("rollback deployment: creator %s info %+v", ri.Creator, ri.RollbackInfo)
	}
	f.sim.Advance(10 * sec)
	if ri = f.info(rb); ri.Status != types.DeploymentStatusSucceeded {
		t.Fatalf("rollback deployment status: %s", ri.Status)
	}
	if got := f.deploymentEvents(rb); !slices.Equal(got, []string{"START", "SUCCESS"}) {
		t.Fatalf("rollback events: %v", got)
	}
	return rb
}

func TestRollbackOnFailedHook(t *testing.T) {
	f := newCDFixture(t, oneServiceWorld(withRollback("DEPLOYMENT_FAILURE")))
	oldTD, _ := f.serviceState("web")
	f.sim.FailNextDeployment("web", "AfterAllowTraffic", "smoke test failed")
	id := f.deploy("web", "web-prod", "web", "AfterAllowTraffic=smoke")
	f.advanceTo(allowTrafficAt + 5*sec)
	evs := f.target(id).LifecycleEvents
	last := evs[len(evs)-1]
	if last.Status != types.LifecycleEventStatusFailed || last.Diagnostics == nil || last.Diagnostics.ErrorCode != types.LifecycleErrorCodeScriptFailed ||
		aws.ToString(last.Diagnostics.ScriptName) != "smoke" || aws.ToString(last.Diagnostics.Message) != "smoke test failed" || aws.ToString(last.Diagnostics.LogTail) == "" {
		t.Fatalf("failed event: %s %+v", last.Status, last.Diagnostics)
	}
	checkRolledBack(t, f, id, types.DeploymentStatusFailed, types.ErrorCodeHookExecutionFailure, oldTD)
	if got := f.deploymentEvents(id); !slices.Equal(got, []string{"START", "FAILURE"}) {
		t.Fatalf("events: %v", got)
	}
	// The next deployment is not affected by the consumed fault.
	id2 := f.deploy("web", "web-prod", "web")
	f.sim.Advance(2 * time.Minute)
	if st := f.info(id2).Status; st != types.DeploymentStatusSucceeded {
		t.Fatalf("next deployment: %s", st)
	}
}

func TestBeforeInstallFailureCannotRollBack(t *testing.T) {
	f := newCDFixture(t, oneServiceWorld(withRollback("DEPLOYMENT_FAILURE")))
	oldTD, _ := f.serviceState("web")
	f.sim.FailNextDeployment("web", "BeforeInstall", "")
	id := f.deploy("web", "web-prod", "web")
	f.advanceTo(6 * sec)
	info := f.info(id)
	if info.Status != types.DeploymentStatusFailed || info.RollbackInfo != nil || info.ErrorInformation.Code != types.ErrorCodeHookExecutionFailure {
		t.Fatalf("status %s rollback %+v err %+v", info.Status, info.RollbackInfo, info.ErrorInformation)
	}
	if got := f.events(id); !slices.Equal(got, []string{"BeforeInstall:Failed", "Install:Skipped", "AfterInstall:Skipped",
		"BeforeAllowTraffic:Skipped", "AllowTraffic:Skipped", "AfterAllowTraffic:Skipped"}) {
		t.Fatalf("events: %v", got)
	}
	if td, sets := f.serviceState("web"); td != oldTD || len(sets) != 1 {
		t.Fatalf("service: %s %v", td, sets)
	}
}

func TestGreenNeverHealthyFailsInstall(t *testing.T) {
	f := newCDFixture(t, oneServiceWorld(withRollback("DEPLOYMENT_FAILURE")))
	oldTD, _ := f.serviceState("web")
	f.sim.SetGreenUnhealthy("prod", "web", true)
	id := f.deploy("web", "web-prod", "web")
	f.advanceTo(2*sec + 5*time.Minute - time.Millisecond)
	if got := f.events(id); got[1] != "Install:InProgress" {
		t.Fatalf("events before the install limit: %v", got)
	}
	f.advanceTo(2*sec + 5*time.Minute)
	checkRolledBack(t, f, id, types.DeploymentStatusFailed, types.ErrorCodeEcsUpdateError, oldTD)
}

func TestAlarmStopsAndRollsBack(t *testing.T) {
	f := newCDFixture(t, oneServiceWorld(withRollback("DEPLOYMENT_STOP_ON_ALARM"), func(g *DeploymentGroupSeed) {
		g.Alarms = []string{"web-5xx"}
		g.DeploymentConfig = "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
	}))
	oldTD, _ := f.serviceState("web")
	id := f.deploy("web", "web-prod", "web")
	f.advanceTo(allowTrafficAt + 150*sec)
	if _, g := f.weights(id); g != 30 {
		t.Fatalf("green before the alarm: %g", g)
	}
	if err := f.sim.SetAlarm("web-5xx", "ALARM", "5xx above threshold"); err != nil {
		t.Fatal(err)
	}
	f.sim.Advance(sec)
	info := f.info(id)
	if !info.CompleteTime.Equal(f.t0.Add(allowTrafficAt + 150*sec)) {
		t.Fatalf("stopped at %v", info.CompleteTime.Sub(f.t0))
	}
	checkRolledBack(t, f, id, types.DeploymentStatusStopped, types.ErrorCodeAlarmActive, oldTD)
	if got := f.deploymentEvents(id); !slices.Equal(got, []string{"START", "STOP"}) {
		t.Fatalf("events: %v", got)
	}
}

func TestStopWithRollbackInEveryPhase(t *testing.T) {
	// Test listener, Ready wait (continued at 40s), linear 10%/min, termination
	// wait 10 min: Install [2,32], AllowTestTraffic [33,34], Ready from 35,
	// BeforeAllowTraffic [40,41], AllowTraffic [41s,9m41s], AfterAllowTraffic
	// [9m41s,9m42s], termination wait from 9m42s.
	cases := []struct {
		phase    string
		at       time.Duration
		rollback bool
	}{
		{"Created", 500 * time.Millisecond, false},
		{"BeforeInstall", 1500 * time.Millisecond, false},
		{"Install", 10 * sec, true},
		{"AllowTestTraffic", 33500 * time.Millisecond, true},
		{"Ready", 38 * sec, true},
		{"AllowTraffic", 40*sec + 150*sec, true},
		{"AfterAllowTraffic", 9*time.Minute + 41*sec + 500*time.Millisecond, true},
		{"TerminationWait", 12 * time.Minute, true},
	}
	for _, tc := range cases {
		t.Run(tc.phase, func(t *testing.T) {
			f := newCDFixture(t, oneServiceWorld(withRollback("DEPLOYMENT_FAILURE"), withReadyWait("STOP_DEPLOYMENT", 30), func(g *DeploymentGroupSeed) {
				g.TestListener = true
				g.TerminationWaitMinutes = 10
				g.DeploymentConfig = "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
			}))
			oldTD, _ := f.serviceState("web")
			id := f.deploy("web", "web-prod", "web")
			if tc.at > 40*sec {
				f.advanceTo(40 * sec)
				if _, err := f.cd.ContinueDeployment(f.ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id),
					DeploymentWaitType: types.DeploymentWaitTypeReadyWait}); err != nil {
					t.Fatal(err)
				}
			}
			f.advanceTo(tc.at)
			out, err := f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.rollback {
				info := f.info(id)
				if out.Status != types.StopStatusSucceeded || info.Status != types.DeploymentStatusStopped || info.RollbackInfo != nil {
					t.Fatalf("stop: %s, deployment %s, rollback %+v", out.Status, info.Status, info.RollbackInfo)
				}
				if td, sets := f.serviceState("web"); td != oldTD || len(sets) != 1 {
					t.Fatalf("service: %s %v", td, sets)
				}
				return
			}
			if out.Status != types.StopStatusPending {
				t.Fatalf("stop status: %s", out.Status)
			}
			checkRolledBack(t, f, id, types.DeploymentStatusStopped, types.ErrorCodeManualStop, oldTD)
		})
	}
}

func TestStopWithoutRollback(t *testing.T) {
	world := oneServiceWorld(withRollback("DEPLOYMENT_STOP_ON_REQUEST"), func(g *DeploymentGroupSeed) {
		g.TerminationWaitMinutes = 10
		g.DeploymentConfig = "CodeDeployDefault.ECSCanary10Percent5Minutes"
	})
	t.Run("mid-shift: back to blue", func(t *testing.T) {
		f := newCDFixture(t, world)
		oldTD, _ := f.serviceState("web")
		id := f.deploy("web", "web-prod", "web")
		f.advanceTo(allowTrafficAt + time.Minute)
		if _, err := f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		info := f.info(id)
		if info.Status != types.DeploymentStatusStopped || info.RollbackInfo != nil || info.ErrorInformation.Code != types.ErrorCodeManualStop {
			t.Fatalf("%s %+v %+v", info.Status, info.RollbackInfo, info.ErrorInformation)
		}
		if td, sets := f.serviceState("web"); td != oldTD || !slices.Equal(sets, []string{"web:1:PRIMARY:100"}) {
			t.Fatalf("service: %s %v", td, sets)
		}
	})
	t.Run("termination wait: green stays", func(t *testing.T) {
		f := newCDFixture(t, world)
		oldTD, _ := f.serviceState("web")
		id := f.deploy("web", "web-prod", "web")
		f.advanceTo(allowTrafficAt + 7*time.Minute)
		if _, err := f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		if st := f.info(id).Status; st != types.DeploymentStatusStopped {
			t.Fatalf("status %s", st)
		}
		if td, sets := f.serviceState("web"); td == oldTD || !slices.Equal(sets, []string{"web:2:PRIMARY:100"}) {
			t.Fatalf("service: %s %v", td, sets)
		}
	})
	t.Run("group config decides when the request does not", func(t *testing.T) {
		f := newCDFixture(t, world)
		oldTD, _ := f.serviceState("web")
		id := f.deploy("web", "web-prod", "web")
		f.advanceTo(allowTrafficAt + time.Minute)
		if _, err := f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
		checkRolledBack(t, f, id, types.DeploymentStatusStopped, types.ErrorCodeManualStop, oldTD)
	})
}

func TestReadyWait(t *testing.T) {
	world := oneServiceWorld(withReadyWait("STOP_DEPLOYMENT", 20), func(g *DeploymentGroupSeed) { g.TestListener = true })
	t.Run("continue", func(t *testing.T) {
		f := newCDFixture(t, world)
		id := f.deploy("web", "web-prod", "web")
		f.advanceTo(5 * time.Minute)
		info := f.info(id)
		if info.Status != types.DeploymentStatusReady || info.DeploymentOverview.Ready != 1 {
			t.Fatalf("status %s overview %+v", info.Status, info.DeploymentOverview)
		}
		if got := f.events(id); got[5] != "BeforeAllowTraffic:Pending" || got[4] != "AfterAllowTestTraffic:Succeeded" {
			t.Fatalf("events in Ready: %v", got)
		}
		if b, g := f.weights(id); b != 100 || g != 0 {
			t.Fatalf("weights in Ready: %g %g", b, g)
		}
		if _, err := f.cd.ContinueDeployment(f.ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id),
			DeploymentWaitType: types.DeploymentWaitTypeReadyWait}); err != nil {
			t.Fatal(err)
		}
		if st := f.info(id).Status; st != types.DeploymentStatusInProgress {
			t.Fatalf("after continue: %s", st)
		}
		f.sim.Advance(time.Minute)
		if st := f.info(id).Status; st != types.DeploymentStatusSucceeded {
			t.Fatalf("end: %s", st)
		}
		if got := f.deploymentEvents(id); !slices.Equal(got, []string{"START", "READY", "START", "SUCCESS"}) {
			t.Fatalf("events: %v", got)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		f := newCDFixture(t, world)
		oldTD, _ := f.serviceState("web")
		id := f.deploy("web", "web-prod", "web")
		// Ready from 35s (test traffic stages without hooks take 1s each).
		f.advanceTo(35*sec + 20*time.Minute - time.Millisecond)
		if st := f.info(id).Status; st != types.DeploymentStatusReady {
			t.Fatalf("before the timeout: %s", st)
		}
		f.advanceTo(35*sec + 20*time.Minute)
		info := f.info(id)
		if info.Status != types.DeploymentStatusStopped || info.ErrorInformation.Code != types.ErrorCodeTimeout || info.RollbackInfo != nil {
			t.Fatalf("after the timeout: %s %+v", info.Status, info.ErrorInformation)
		}
		if td, sets := f.serviceState("web"); td != oldTD || len(sets) != 1 {
			t.Fatalf("service: %s %v", td, sets)
		}
		if got := f.deploymentEvents(id); !slices.Equal(got, []string{"START", "READY", "STOP"}) {
			t.Fatalf("events: %v", got)
		}
	})
}

func TestTerminationWaitEndedEarly(t *testing.T) {
	f := newCDFixture(t, oneServiceWorld(func(g *DeploymentGroupSeed) { g.TerminationWaitMinutes = 60 }))
	id := f.deploy("web", "web-prod", "web")
	f.advanceTo(10 * time.Minute)
	if info := f.info(id); info.Status != types.DeploymentStatusInProgress || !info.InstanceTerminationWaitTimeStarted {
		t.Fatalf("in the wait: %s %v", info.Status, info.InstanceTerminationWaitTimeStarted)
	}
	if _, err := f.cd.ContinueDeployment(f.ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id),
		DeploymentWaitType: types.DeploymentWaitTypeTerminationWait}); err != nil {
		t.Fatal(err)
	}
	info := f.info(id)
	if info.Status != types.DeploymentStatusSucceeded || !info.CompleteTime.Equal(f.t0.Add(10*time.Minute)) {
		t.Fatalf("after continue: %s %v", info.Status, info.CompleteTime)
	}
	if _, sets := f.serviceState("web"); !slices.Equal(sets, []string{"web:2:PRIMARY:100"}) {
		t.Fatalf("service: %v", sets)
	}
}

func TestEngineRunsOnItsOwnWhenTheClockRuns(t *testing.T) {
	f := startCDFixture(t, Options{Start: cdEpoch, Speed: 600}, oneServiceWorld())
	id := f.deploy("web", "web-prod", "web")
	deadline := time.Now().Add(10 * time.Second)
	for f.info(id).Status != types.DeploymentStatusSucceeded {
		if time.Now().After(deadline) {
			t.Fatalf("not done: %s", f.info(id).Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
