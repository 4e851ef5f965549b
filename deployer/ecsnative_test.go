package deployer_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/switchyard/switchyard"
)

// Environments of the seeded world that ECS deploys itself: no codedeploy
// section.
var (
	shopEnv = switchyard.Environment{Name: "production", App: "shop", Region: "us-east-1", Cluster: "prod", Service: "shop", Container: "web"}
	giftEnv = switchyard.Environment{Name: "production", App: "gift", Region: "us-east-1", Cluster: "prod", Service: "gift"}
)

// stageIDs lists an observation's stages as ID=status.
func stageIDs(st *switchyard.Observation) []string {
	var out []string
	for _, s := range st.Stages {
		out = append(out, s.ID()+"="+string(s.Status))
	}
	return out
}

func TestPlanOfAServiceECSDeploysItself(t *testing.T) {
	h := newHarness(t)
	p, err := h.d.Plan(context.Background(), shopEnv, "v2.1", switchyard.PlanOptions{App: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Backend != switchyard.BackendECS || p.Config != "LINEAR" || p.Strategy == nil {
		t.Fatalf("backend %q config %q strategy %+v", p.Backend, p.Config, p.Strategy)
	}
	s := *p.Strategy
	if s.StepPercent != 25 || s.StepBakeMinutes != 1 || s.BakeMinutes != 2 || !s.AlarmRollback || !slices.Equal(s.Steps(), []float64{25, 50, 75, 100}) {
		t.Errorf("strategy %+v", s)
	}
	if len(s.Hooks) != 2 || s.Hooks[0].Function != "arn:aws:lambda:us-east-1:123456789012:function:shop-smoke-test" ||
		!slices.Equal(s.Hooks[0].Stages, []string{switchyard.ECSPostScaleUp}) || !s.Hooks[1].Pause ||
		s.Hooks[1].TimeoutMinutes != 60 || s.Hooks[1].TimeoutAction != switchyard.HookRollback {
		t.Errorf("hooks %+v", s.Hooks)
	}
	if !strings.HasSuffix(p.ImageNow, "/shop:v2.0") || !strings.HasSuffix(p.ImageNext, "/shop:v2.1") || !p.Image.Checked || !p.TestTraffic {
		t.Errorf("images %s → %s, checked %v, test traffic %v", p.ImageNow, p.ImageNext, p.Image.Checked, p.TestTraffic)
	}
	if len(p.Alarms) != 1 || p.Alarms[0] != (switchyard.Alarm{Name: "shop-5xx", State: "OK"}) || p.ActiveDeployment != "" {
		t.Errorf("alarms %v, active %q", p.Alarms, p.ActiveDeployment)
	}
	ops := h.rec.take()
	if len(ops) != 5 || count(ops, "ListServiceDeployments") != 1 || count(ops, "GetDeploymentGroup") != 0 {
		t.Errorf("plan made %d calls: %v", len(ops), ops)
	}

	_, err = h.d.Plan(context.Background(), shopEnv, "v2.1", switchyard.PlanOptions{Config: "CodeDeployDefault.ECSAllAtOnce"})
	if se := errorCode(t, err, switchyard.EINVALID); !strings.Contains(se.Message, "without --config") {
		t.Errorf("message %q", se.Message)
	}
	_, err = h.d.Plan(context.Background(), shopEnv, "v9.9", switchyard.PlanOptions{})
	errorCode(t, err, switchyard.EINVALID)
}

func TestBackendFollowsTheDeploymentController(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// Rolling updates have no blue/green.
	_, err := h.d.Plan(ctx, workerEnv, "2024.07.1", switchyard.PlanOptions{})
	if se := errorCode(t, err, switchyard.EUNIMPLEMENTED); !strings.Contains(se.Message, "which have no blue/green") {
		t.Errorf("message %q", se.Message)
	}
	// A CodeDeploy service needs its group named.
	bare := webEnv
	bare.Application, bare.DeploymentGroup = "", ""
	_, err = h.d.Plan(ctx, bare, "v1.4", switchyard.PlanOptions{})
	if se := errorCode(t, err, switchyard.EINVALID); !strings.Contains(se.Message, "needs a codedeploy section") {
		t.Errorf("message %q", se.Message)
	}
	// A codedeploy section on a service ECS deploys itself is history: ECS
	// deploys it.
	migrated := shopEnv
	migrated.Application, migrated.DeploymentGroup = "shop", "shop-prod"
	p, err := h.d.Plan(ctx, migrated, "v2.1", switchyard.PlanOptions{})
	if err != nil || p.Backend != switchyard.BackendECS {
		t.Fatalf("plan %+v, %v", p, err)
	}
}

// A linear deployment from start to success: the pause after test traffic
// holds it until someone continues that very hook, then the steps come at
// 25, 50, 75 and 100%, the bake, and the end.
func TestECSDeploymentLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p, err := h.d.Plan(ctx, shopEnv, "v2.1", switchyard.PlanOptions{App: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	h.rec.take()
	id, err := h.d.Start(ctx, p, switchyard.Actor{User: "U0ALICE", Channel: "C0DEPLOYS"})
	if err != nil || !strings.Contains(id, ":service-deployment/prod/shop/") {
		t.Fatalf("id %q, %v", id, err)
	}
	ops := h.rec.take()
	if len(ops) != 5 || count(ops, "UpdateService") != 1 || count(ops, "RegisterTaskDefinition") != 1 {
		t.Errorf("start made %d calls: %v", len(ops), ops)
	}
	// ECS does not refuse a second deployment (it would supersede the
	// first): the bot does.
	again, err := h.d.Plan(ctx, shopEnv, "v2.2", switchyard.PlanOptions{App: "shop"})
	if err != nil || again.ActiveDeployment != id {
		t.Fatalf("plan while one runs: %+v, %v", again, err)
	}
	_, err = h.d.Start(ctx, again, switchyard.Actor{User: "U0ALICE"})
	var busy *switchyard.BusyError
	if errorCode(t, err, switchyard.ECONFLICT); !errors.As(err, &busy) || busy.Active != id {
		t.Errorf("second start: %v", err)
	}
	h.rec.take()

	st := h.advanceUntil(shopEnv, id, 5*time.Second, 5*time.Minute, func(o *switchyard.Observation) bool { return o.Waiting == switchyard.WaitPause })
	if st.Backend != switchyard.BackendECS || st.Status != switchyard.StatusInProgress || !st.BlueAlive {
		t.Errorf("at the pause: %+v", st)
	}
	want := []string{"SCALE_UP=Succeeded", "POST_SCALE_UP=Succeeded", "TEST_TRAFFIC_SHIFT=Succeeded", "POST_TEST_TRAFFIC_SHIFT=InProgress",
		"PRODUCTION_TRAFFIC_SHIFT@25=Pending", "PRODUCTION_TRAFFIC_SHIFT@50=Pending", "PRODUCTION_TRAFFIC_SHIFT@75=Pending",
		"PRODUCTION_TRAFFIC_SHIFT@100=Pending", "BAKE_TIME=Pending", "CLEAN_UP=Pending"}
	if got := stageIDs(st); !slices.Equal(got, want) {
		t.Errorf("stages\n%v\nwant\n%v", got, want)
	}
	pause := st.Pause
	if !strings.HasPrefix(pause.ID, "ecs-pause-") || pause.Stage != switchyard.ECSPostTestTrafficShift || pause.TimeoutAction != "ROLLBACK" ||
		pause.Expires.Sub(h.sim.Clock().Now()) <= 55*time.Minute {
		t.Errorf("pause %+v", pause)
	}
	if !strings.HasSuffix(st.ImageAfter, "/shop:v2.1") || !strings.HasSuffix(st.ImageBefore, "/shop:v2.0") ||
		st.TaskDefinition != "shop:2" || st.Previous != "shop:1" || st.Config != "LINEAR" {
		t.Errorf("images %s → %s, task definitions %s → %s, config %s", st.ImageBefore, st.ImageAfter, st.Previous, st.TaskDefinition, st.Config)
	}
	h.rec.take()
	h.describe(shopEnv, id)
	if ops := h.rec.take(); !slices.Equal(ops, []string{"DescribeServiceDeployments"}) {
		t.Errorf("a look costs %v, want one DescribeServiceDeployments", ops)
	}

	// A made-up hook id is refused by ECS; the pause's own continues it.
	err = h.d.ContinueHook(ctx, shopEnv, id, "ecs-pause-notthisone", switchyard.Actor{User: "U0ALICE"})
	errorCode(t, err, switchyard.ECONFLICT)
	if err := h.d.ContinueHook(ctx, shopEnv, id, pause.ID, switchyard.Actor{User: "U0ALICE"}); err != nil {
		t.Fatal(err)
	}
	err = h.d.ContinueHook(ctx, shopEnv, id, pause.ID, switchyard.Actor{User: "U0ALICE"})
	if se := errorCode(t, err, switchyard.ECONFLICT); !strings.Contains(se.Message, "no longer waiting at that pause") {
		t.Errorf("message %q", se.Message)
	}

	var seen []float64
	st = h.advanceUntil(shopEnv, id, 10*time.Second, 10*time.Minute, func(o *switchyard.Observation) bool {
		if o.Traffic.Green > 0 && !slices.Contains(seen, o.Traffic.Green) {
			seen = append(seen, o.Traffic.Green)
			if o.Traffic.Green+o.Traffic.Blue != 100 {
				t.Errorf("traffic %+v", o.Traffic)
			}
		}
		if o.Traffic.Green == 25 && o.Next.Kind == switchyard.NextTrafficStep && o.Next.Percent != 50 {
			t.Errorf("next after 25%%: %+v", o.Next)
		}
		return o.Status.Done()
	})
	if st.Status != switchyard.StatusSucceeded || !slices.Equal(seen, []float64{25, 50, 75, 100}) || st.BlueAlive {
		t.Errorf("ended %s (blue alive %v) after traffic %v", st.Status, st.BlueAlive, seen)
	}
}

// A pause before each production step asks at each step, each time with
// a new hook id.
func TestPauseBeforeEachProductionStep(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, id := h.deploy(giftEnv, "v2")
	var hooks []string
	for range 2 {
		st := h.advanceUntil(giftEnv, id, 5*time.Second, 5*time.Minute, func(o *switchyard.Observation) bool {
			return o.Waiting == switchyard.WaitPause && !slices.Contains(hooks, o.Pause.ID)
		})
		if st.Pause.Stage != switchyard.ECSPreProductionTrafficShift || st.Pause.TimeoutAction != "CONTINUE" || st.Next.Kind != switchyard.NextNone {
			t.Errorf("pause %+v, next %+v", st.Pause, st.Next)
		}
		step := 50.0 * float64(len(hooks)+1)
		if i := slices.IndexFunc(st.Stages, func(s switchyard.Stage) bool { return s.Status == switchyard.StageInProgress }); i < 0 || st.Stages[i].Percent != step {
			t.Errorf("waiting before step %v%%: %v", step, stageIDs(st))
		}
		hooks = append(hooks, st.Pause.ID)
		if err := h.d.ContinueHook(ctx, giftEnv, id, st.Pause.ID, switchyard.Actor{User: "U0ALICE"}); err != nil {
			t.Fatal(err)
		}
	}
	st := h.advanceUntil(giftEnv, id, 10*time.Second, 10*time.Minute, func(o *switchyard.Observation) bool { return o.Status.Done() })
	if st.Status != switchyard.StatusSucceeded {
		t.Errorf("ended %s", st.Status)
	}
}

// Rollback while the previous version still serves turns the deployment
// back: at a pause by answering it ROLLBACK, mid-shift by stopping it.
func TestECSRollbackWhileBlueLives(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p, id := h.deploy(shopEnv, "v2.1")
	st := h.advanceUntil(shopEnv, id, 5*time.Second, 5*time.Minute, func(o *switchyard.Observation) bool { return o.Waiting == switchyard.WaitPause })
	h.rec.take()
	res, err := h.d.Rollback(ctx, shopEnv, switchyard.Deployment{ID: id}, switchyard.Actor{User: "U0BOB"})
	if err != nil || res.Kind != switchyard.StoppedWithRollback {
		t.Fatalf("rollback at the pause: %+v, %v", res, err)
	}
	if ops := h.rec.take(); count(ops, "ContinueServiceDeployment") != 1 || count(ops, "StopServiceDeployment") != 0 {
		t.Errorf("rollback at the pause called %v", ops)
	}
	st = h.advanceUntil(shopEnv, id, 5*time.Second, 5*time.Minute, func(o *switchyard.Observation) bool { return o.Status.Done() })
	if st.Status != switchyard.StatusRolledBack || st.Waiting != switchyard.WaitNone {
		t.Errorf("after rollback at the pause: %s %s", st.Status, st.Waiting)
	}
	if got := h.serviceTaskDefinition("shop"); got != lastSegment(p.TaskDefinition) {
		t.Errorf("service runs %s, want %s", got, lastSegment(p.TaskDefinition))
	}
	// Roll back again: nothing to do, said so.
	_, err = h.d.Rollback(ctx, shopEnv, switchyard.Deployment{ID: id}, switchyard.Actor{User: "U0BOB"})
	if se := errorCode(t, err, switchyard.ECONFLICT); !strings.Contains(se.Message, "already put the previous version back") {
		t.Errorf("message %q", se.Message)
	}

	// Mid-shift.
	_, id2 := h.deploy(shopEnv, "v2.2")
	st = h.advanceUntil(shopEnv, id2, 5*time.Second, 5*time.Minute, func(o *switchyard.Observation) bool { return o.Waiting == switchyard.WaitPause })
	if err := h.d.ContinueHook(ctx, shopEnv, id2, st.Pause.ID, switchyard.Actor{User: "U0ALICE"}); err != nil {
		t.Fatal(err)
	}
	h.advanceUntil(shopEnv, id2, 5*time.Second, 5*time.Minute, func(o *switchyard.Observation) bool { return o.Traffic.Green == 50 })
	h.rec.take()
	res, err = h.d.Rollback(ctx, shopEnv, switchyard.Deployment{ID: id2}, switchyard.Actor{User: "U0BOB"})
	if err != nil || res.Kind != switchyard.StoppedWithRollback {
		t.Fatalf("rollback mid-shift: %+v, %v", res, err)
	}
	if ops := h.rec.take(); count(ops, "StopServiceDeployment") != 1 {
		t.Errorf("rollback mid-shift called %v", ops)
	}
	st = h.advanceUntil(shopEnv, id2, 5*time.Second, 5*time.Minute, func(o *switchyard.Observation) bool { return o.Status.Done() })
	if st.Status != switchyard.StatusRolledBack || st.Traffic.Green != 0 {
		t.Errorf("after rollback mid-shift: %s, traffic %+v", st.Status, st.Traffic)
	}
	if got := h.serviceTaskDefinition("shop"); got != lastSegment(p.TaskDefinition) {
		t.Errorf("service runs %s, want %s", got, lastSegment(p.TaskDefinition))
	}
}

// After success, Rollback deploys the previous task definition again: the
// one the bot's record names, or the deployment's source revision, never
// a new registration.
func TestECSRollbackAfterSuccessRedeploysThePrevious(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p, id := h.deploy(shopEnv, "v2.1")
	h.finishNative(shopEnv, id)
	for round := range 2 {
		target := switchyard.Deployment{ID: id, PreviousTaskDefinition: p.TaskDefinition} // the bot's record
		if round == 1 {
			target = switchyard.Deployment{ID: id} // started elsewhere: the source revision says
		}
		h.rec.take()
		res, err := h.d.Rollback(ctx, shopEnv, target, switchyard.Actor{User: "U0BOB"})
		if err != nil || res.Kind != switchyard.Redeployed || res.NewDeploymentID == "" || res.NewDeploymentID == id {
			t.Fatalf("rollback of %+v: %+v, %v", target, res, err)
		}
		if lastSegment(res.Plan.Deploy) != "shop:1" || res.Plan.RollbackOf != id || res.Plan.Backend != switchyard.BackendECS {
			t.Errorf("redeploys %s undoing %s (%s)", res.Plan.Deploy, res.Plan.RollbackOf, res.Plan.Backend)
		}
		if ops := h.rec.take(); count(ops, "RegisterTaskDefinition") != 0 || count(ops, "UpdateService") != 1 {
			t.Errorf("rollback called %v", ops)
		}
		// While that redeploy runs, another rollback is refused.
		_, err = h.d.Rollback(ctx, shopEnv, target, switchyard.Actor{User: "U0BOB"})
		errorCode(t, err, switchyard.ECONFLICT)
		h.finishNative(shopEnv, res.NewDeploymentID)
		if got := h.serviceTaskDefinition("shop"); got != "shop:1" {
			t.Errorf("service runs %s", got)
		}
		// The redeploy is now the latest: the original is no more.
		_, err = h.d.Rollback(ctx, shopEnv, target, switchyard.Actor{User: "U0BOB"})
		if se := errorCode(t, err, switchyard.ECONFLICT); !strings.Contains(se.Message, "not the latest one") {
			t.Errorf("message %q", se.Message)
		}
		// Put v2.1 back for the next round.
		_, id = h.deploy(shopEnv, "v2.1")
		h.finishNative(shopEnv, id)
	}
	// A redeploy itself is not rolled back.
	_, err := h.d.Rollback(ctx, shopEnv, switchyard.Deployment{ID: id, RollbackOf: "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/shop/x"}, switchyard.Actor{User: "U0BOB"})
	errorCode(t, err, switchyard.ECONFLICT)
}

// Failures say why: a Lambda hook that failed names its stage, an alarm
// is an alarm.
func TestECSFailuresSayWhy(t *testing.T) {
	h := newHarness(t)
	if err := h.sim.FailNextServiceDeployment("prod", "shop", switchyard.ECSPostScaleUp, "smoke test failed"); err != nil {
		t.Fatal(err)
	}
	_, id := h.deploy(shopEnv, "v2.1")
	st := h.advanceUntil(shopEnv, id, 5*time.Second, 5*time.Minute, func(o *switchyard.Observation) bool { return o.Status.Done() })
	if st.Status != switchyard.StatusRolledBack || st.ErrorCode != switchyard.ErrorHookFailed || !strings.Contains(st.ErrorText, "smoke test failed") {
		t.Errorf("hook failure: %s %s %q", st.Status, st.ErrorCode, st.ErrorText)
	}
	if i := slices.IndexFunc(st.Stages, func(s switchyard.Stage) bool { return s.Name == switchyard.ECSPostScaleUp && !s.Back }); i < 0 || st.Stages[i].Status != switchyard.StageFailed {
		t.Errorf("stages %v", stageIDs(st))
	}

	_, id = h.deploy(shopEnv, "v2.2")
	st = h.advanceUntil(shopEnv, id, 5*time.Second, 5*time.Minute, func(o *switchyard.Observation) bool { return o.Waiting == switchyard.WaitPause })
	if err := h.d.ContinueHook(context.Background(), shopEnv, id, st.Pause.ID, switchyard.Actor{User: "U0ALICE"}); err != nil {
		t.Fatal(err)
	}
	h.advanceUntil(shopEnv, id, 5*time.Second, 5*time.Minute, func(o *switchyard.Observation) bool { return o.Traffic.Green > 0 })
	if err := h.sim.SetAlarm("shop-5xx", "ALARM", "test"); err != nil {
		t.Fatal(err)
	}
	st = h.advanceUntil(shopEnv, id, 5*time.Second, 5*time.Minute, func(o *switchyard.Observation) bool { return o.Status.Done() })
	if st.Status != switchyard.StatusRolledBack || st.ErrorCode != switchyard.ErrorAlarm ||
		!slices.Contains(st.Alarms, switchyard.Alarm{Name: "shop-5xx", State: switchyard.AlarmFiring}) {
		t.Errorf("alarm: %s %s %v", st.Status, st.ErrorCode, st.Alarms)
	}
	alarms, err := h.d.Alarms(context.Background(), shopEnv)
	if err != nil || !slices.Equal(alarms, []switchyard.Alarm{{Name: "shop-5xx", State: switchyard.AlarmFiring}}) {
		t.Errorf("alarms %v, %v", alarms, err)
	}
}

// Recent lists the service's deployments, whoever started them, without
// the one that created the service.
func TestRecentOfAServiceECSDeploysItself(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	list, err := h.d.Recent(ctx, shopEnv, start.Add(-time.Hour))
	if err != nil || len(list) != 0 {
		t.Fatalf("before any deployment: %v, %v", list, err)
	}
	h.sim.Advance(time.Minute)
	_, mine := h.deploy(shopEnv, "v2.1")
	h.finishNative(shopEnv, mine)
	if _, err := h.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("shop"), ForceNewDeployment: true}); err != nil {
		t.Fatal(err)
	}
	list, err = h.d.Recent(ctx, shopEnv, start.Add(-time.Hour))
	if err != nil || len(list) != 2 || list[1].ID != mine || list[0].Status != switchyard.StatusCreated || list[0].Backend != switchyard.BackendECS {
		t.Fatalf("recent %+v, %v", list, err)
	}
}

// finishNative plays ECS deployment id to its end, continuing its pauses.
func (h *harness) finishNative(env switchyard.Environment, id string) {
	h.t.Helper()
	for range 200 {
		st := h.describe(env, id)
		if st.Status.Done() {
			if st.Status != switchyard.StatusSucceeded {
				h.t.Fatalf("%s ended %s: %s", id, st.Status, st.ErrorText)
			}
			return
		}
		if st.Waiting == switchyard.WaitPause {
			if err := h.d.ContinueHook(context.Background(), env, id, st.Pause.ID, switchyard.Actor{User: "U0ALICE"}); err != nil {
				h.t.Fatal(err)
			}
		}
		h.sim.Advance(15 * time.Second)
	}
	h.t.Fatalf("%s never ended", id)
}

func lastSegment(s string) string { return s[strings.LastIndexByte(s, '/')+1:] }

// An UpdateService whose answer is lost (the connection closes after ECS
// acted) is a start, not a failure: the deployer finds that the service
// took the new task definition and returns the deployment it started, so
// the card stays the requester's. One that ECS refused stays a failure.
func TestECSStartWhoseAnswerIsLost(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p, err := h.d.Plan(ctx, shopEnv, "v2.1", switchyard.PlanOptions{App: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	h.sim.LoseAnswer("ecs:UpdateService")
	id, err := h.d.Start(ctx, p, switchyard.Actor{User: "U0ALICE", Channel: "C0DEPLOYS"})
	if err != nil || !strings.Contains(id, ":service-deployment/prod/shop/") {
		t.Fatalf("a start whose answer was lost: id %q, %v", id, err)
	}
	list, err := h.ecs.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String("shop")})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range list.ServiceDeployments {
		found = found || aws.ToString(d.ServiceDeploymentArn) == id
	}
	if !found {
		t.Fatalf("%s is not among the service's deployments", id)
	}
}
