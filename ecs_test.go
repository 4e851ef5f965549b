package switchyard

import (
	"slices"
	"testing"
	"time"
)

func TestStrategySteps(t *testing.T) {
	for _, c := range []struct {
		s    Strategy
		want []float64
	}{
		{Strategy{Type: StrategyBlueGreen}, []float64{100}},
		{Strategy{Type: StrategyLinear, StepPercent: 25}, []float64{25, 50, 75, 100}},
		{Strategy{Type: StrategyLinear, StepPercent: 33}, []float64{33, 66, 99, 100}},
		{Strategy{Type: StrategyLinear, StepPercent: 10}, []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}},
		{Strategy{Type: StrategyLinear}, []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}},
		{Strategy{Type: StrategyLinear, StepPercent: 100}, []float64{100}},
		{Strategy{Type: StrategyCanary, CanaryPercent: 5}, []float64{5, 100}},
		{Strategy{Type: StrategyCanary, CanaryPercent: 2.5}, []float64{2.5, 100}},
	} {
		if got := c.s.Steps(); !slices.Equal(got, c.want) {
			t.Errorf("%+v: steps %v, want %v", c.s, got, c.want)
		}
	}
}

var ecsT0 = time.Date(2026, 5, 20, 10, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return ecsT0.Add(time.Duration(sec) * time.Second) }

// forward is what the deployer reports of a linear deployment whose
// current stage is cur (an ID), seen at now.
func forward(cur string, now time.Time) []Stage {
	all := []Stage{{Name: ECSScaleUp}, {Name: ECSPostScaleUp}, {Name: ECSTestTrafficShift}, {Name: ECSPostTestTrafficShift},
		{Name: ECSProductionTrafficShift, Percent: 50}, {Name: ECSProductionTrafficShift, Percent: 100},
		{Name: ECSBakeTime, BakeMinutes: 2}, {Name: ECSCleanUp}}
	status := StageSucceeded
	for i := range all {
		switch {
		case all[i].ID() == cur:
			all[i].Status, all[i].Start, status = StageInProgress, now, StagePending
		default:
			all[i].Status = status
		}
	}
	return all
}

func statuses(stages []Stage) []string {
	var out []string
	for _, s := range stages {
		out = append(out, s.ID()+"="+string(s.Status))
	}
	return out
}

// The record keeps when each ECS stage was first seen, and each stage's
// end is when the next began: durations survive observations that know
// only the stage in progress.
func TestApplyKeepsECSStageTimes(t *testing.T) {
	var d Deployment
	for _, step := range []struct {
		cur string
		sec int
	}{{ECSScaleUp, 0}, {ECSScaleUp, 10}, {ECSPostScaleUp, 30}, {ECSTestTrafficShift, 36}, {"PRODUCTION_TRAFFIC_SHIFT@50", 40}, {"PRODUCTION_TRAFFIC_SHIFT@50", 70}} {
		(&Observation{ID: "arn", Backend: BackendECS, Status: StatusInProgress, Stages: forward(step.cur, at(step.sec))}).Apply(&d)
	}
	got := map[string]Stage{}
	for _, s := range d.Stages {
		got[s.ID()] = s
	}
	if s := got[ECSScaleUp]; s.Status != StageSucceeded || !s.Start.Equal(at(0)) || !s.End.Equal(at(30)) {
		t.Errorf("scale up %+v, want 0s to 30s", s)
	}
	if s := got["PRODUCTION_TRAFFIC_SHIFT@50"]; s.Status != StageInProgress || !s.Start.Equal(at(40)) {
		t.Errorf("production 50%% %+v, want in progress since 40s", s)
	}
	if s := got["PRODUCTION_TRAFFIC_SHIFT@100"]; s.Status != StagePending {
		t.Errorf("production 100%% %+v, want pending", s)
	}
}

// When an ECS deployment turns back, the way forward keeps what ran, the
// stage it was in is cut short (or failed, when a hook failed), what never
// ran is dropped, and the way back follows.
func TestApplyTurningBack(t *testing.T) {
	for _, c := range []struct {
		code string
		want []string
	}{
		{"", []string{"SCALE_UP=Succeeded", "POST_SCALE_UP=Succeeded", "TEST_TRAFFIC_SHIFT=Succeeded", "POST_TEST_TRAFFIC_SHIFT=Succeeded",
			"PRODUCTION_TRAFFIC_SHIFT@50=Skipped", "PRODUCTION_TRAFFIC_SHIFT<back=Succeeded", "CLEAN_UP<back=InProgress"}},
		{ErrorHookFailed, []string{"SCALE_UP=Succeeded", "POST_SCALE_UP=Succeeded", "TEST_TRAFFIC_SHIFT=Succeeded", "POST_TEST_TRAFFIC_SHIFT=Succeeded",
			"PRODUCTION_TRAFFIC_SHIFT@50=Failed", "PRODUCTION_TRAFFIC_SHIFT<back=Succeeded", "CLEAN_UP<back=InProgress"}},
	} {
		var d Deployment
		(&Observation{Backend: BackendECS, Status: StatusInProgress, Stages: forward("PRODUCTION_TRAFFIC_SHIFT@50", at(40))}).Apply(&d)
		(&Observation{Backend: BackendECS, Status: StatusRollingBack, ErrorCode: c.code, ErrorText: "why",
			Stages: []Stage{{Name: ECSProductionTrafficShift, Back: true, Status: StageInProgress, Start: at(50)}}}).Apply(&d)
		(&Observation{Backend: BackendECS, Status: StatusRollingBack, ErrorText: "why",
			Stages: []Stage{{Name: ECSCleanUp, Back: true, Status: StageInProgress, Start: at(60)}}}).Apply(&d)
		if got := statuses(d.Stages); !slices.Equal(got, c.want) {
			t.Errorf("error code %q: stages\n%v\nwant\n%v", c.code, got, c.want)
		}
		if d.ErrorCode != c.code {
			t.Errorf("error code %q, want %q kept", d.ErrorCode, c.code)
		}
		if b := d.Stages[5]; !b.Start.Equal(at(50)) || !b.End.Equal(at(60)) {
			t.Errorf("way back %+v, want 50s to 60s", b)
		}
	}
}

// The thread of an ECS deployment tells each production step as a traffic
// step once, each other stage once when it ends, each pause anew, and the
// end once.
func TestThreadRepliesOfAnECSDeployment(t *testing.T) {
	posted := map[string]bool{}
	d := Deployment{Backend: BackendECS, Status: StatusInProgress, Stages: forward(ECSPostTestTrafficShift, at(30)),
		Waiting: WaitPause, Pause: PauseHook{ID: "ecs-pause-1"}}
	keys := func(rs []Reply) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Key)
		}
		return out
	}
	got := keys(ThreadReplies(d, posted, ReplyOptions{}))
	want := []string{"stage:SCALE_UP:Succeeded", "stage:POST_SCALE_UP:Succeeded", "stage:TEST_TRAFFIC_SHIFT:Succeeded", "wait:pause:ecs-pause-1"}
	if !slices.Equal(got, want) {
		t.Fatalf("at the pause: %v, want %v", got, want)
	}
	if again := ThreadReplies(d, posted, ReplyOptions{}); len(again) != 0 {
		t.Fatalf("the same state told again: %v", keys(again))
	}
	d.Waiting, d.Pause = WaitNone, PauseHook{}
	d.Stages = forward("PRODUCTION_TRAFFIC_SHIFT@100", at(90)) // 50% was never seen in progress
	got = keys(ThreadReplies(d, posted, ReplyOptions{}))
	want = []string{"stage:POST_TEST_TRAFFIC_SHIFT:Succeeded", "traffic:50", "traffic:100"}
	if !slices.Equal(got, want) {
		t.Fatalf("shifting: %v, want %v", got, want)
	}
	d.Status, d.Stages = StatusSucceeded, forward("", at(300))
	got = keys(ThreadReplies(d, posted, ReplyOptions{}))
	want = []string{"stage:BAKE_TIME:Succeeded", "stage:CLEAN_UP:Succeeded", "final"}
	if !slices.Equal(got, want) {
		t.Fatalf("done: %v, want %v", got, want)
	}
}

func TestDoneStatuses(t *testing.T) {
	for s, done := range map[Status]bool{StatusRolledBack: true, StatusRollbackFailed: true, StatusRollingBack: false, StatusStopping: false} {
		if s.Done() != done {
			t.Errorf("%s.Done() = %v", s, !done)
		}
	}
}

func TestParseECSARNs(t *testing.T) {
	ref, ok := ParseServiceDeploymentARN("arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/checkout/Abc_d-123XYZabcdefghijk")
	if !ok || ref != (ServiceDeploymentRef{Region: "us-east-1", Account: "123456789012", Cluster: "prod", Service: "checkout", ID: "Abc_d-123XYZabcdefghijk"}) {
		t.Fatalf("%+v %v", ref, ok)
	}
	if ShortID("arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/checkout/Abc") != "Abc" || ShortID("d-ABCDEFGHI") != "d-ABCDEFGHI" {
		t.Error("short ids")
	}
	for _, bad := range []string{"", "d-ABCDEFGHI", "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/checkout",
		"arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/checkout/<!here>", "arn:aws:ecs:us-east-1:1234:service-deployment/a/b/c",
		"arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/checkout/x|y"} {
		if _, ok := ParseServiceDeploymentARN(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	s, ok := ParseServiceARN("arn:aws:ecs:eu-west-1:210987654321:service/staging/myapp")
	if !ok || s != (ServiceRef{Region: "eu-west-1", Account: "210987654321", Cluster: "staging", Service: "myapp"}) {
		t.Fatalf("%+v %v", s, ok)
	}
	if _, ok := ParseServiceARN("arn:aws:ecs:eu-west-1:210987654321:service/myapp"); ok {
		t.Error("the short form has no cluster")
	}
}
