package blocks

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	sy "github.com/switchyard/switchyard"
)

const checkoutARN = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/checkout/Kx3pQ9ZbVnR2tY7uW1aLc"

// ecsStages is a linear deployment of checkout placed at cur (a stage ID):
// what came before succeeded, one second apart.
func ecsStages(cur string) []sy.Stage {
	stages := []sy.Stage{{Name: sy.ECSScaleUp}, {Name: sy.ECSPostScaleUp}, {Name: sy.ECSTestTrafficShift}, {Name: sy.ECSPostTestTrafficShift},
		{Name: sy.ECSProductionTrafficShift, Percent: 25}, {Name: sy.ECSProductionTrafficShift, Percent: 50},
		{Name: sy.ECSProductionTrafficShift, Percent: 75}, {Name: sy.ECSProductionTrafficShift, Percent: 100},
		{Name: sy.ECSBakeTime, BakeMinutes: 2}, {Name: sy.ECSCleanUp}}
	status := sy.StageSucceeded
	for i := range stages {
		s := &stages[i]
		s.Start = t0.Add(time.Duration(i) * 30 * time.Second)
		switch {
		case s.ID() == cur:
			s.Status, status = sy.StageInProgress, sy.StagePending
		case status == sy.StageSucceeded:
			s.Status, s.End = status, s.Start.Add(30*time.Second)
		default:
			s.Status, s.Start = status, time.Time{}
		}
	}
	return stages
}

func ecsDeployment() sy.Deployment {
	return sy.Deployment{
		ID: checkoutARN, Backend: sy.BackendECS, App: "checkout", Env: "production", Version: "v2.1", Region: "us-east-1",
		ImageBefore: "123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout:v2.0",
		ImageAfter:  "123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout:v2.1",
		Config:      "LINEAR", Status: sy.StatusInProgress, RequestedBy: "U0ALICE001", ConfirmedBy: "U0ALICE001",
		Created: t0, BlueAlive: true, Alarms: []sy.Alarm{{Name: "checkout-5xx", State: "OK"}},
		Stages: ecsStages("PRODUCTION_TRAFFIC_SHIFT@50"), Traffic: sy.Traffic{Blue: 50, Green: 50},
		Next: sy.Next{Kind: sy.NextTrafficStep, At: t0.Add(5 * time.Minute), Percent: 75},
	}
}

// actionIDs lists the buttons of a message with their values.
func actionIDs(m Message) []string {
	var out []string
	for _, b := range m.Blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, e := range a.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					out = append(out, btn.ActionID+"="+btn.Value)
				}
			}
		}
	}
	return out
}

func TestECSCards(t *testing.T) {
	d := ecsDeployment()
	golden(t, "card_ecs_shifting", DeploymentCard(d, now))
	if got := actionIDs(DeploymentCard(d, now)); len(got) != 1 || got[0] != ActionRollback+"="+checkoutARN {
		t.Errorf("buttons mid-shift %v", got)
	}

	p := d
	p.Stages, p.Traffic, p.Next = ecsStages(sy.ECSPostTestTrafficShift), sy.Traffic{Blue: 100}, sy.Next{}
	p.Waiting, p.Pause = sy.WaitPause, sy.PauseHook{ID: "ecs-pause-e7tK9G_WRJabc", Stage: sy.ECSPostTestTrafficShift,
		Expires: t0.Add(62 * time.Minute), TimeoutAction: sy.HookRollback}
	pause := DeploymentCard(p, now)
	golden(t, "card_ecs_pause", pause)
	if got := actionIDs(pause); len(got) != 2 || got[0] != ActionContinueHook+"=ecs-pause-e7tK9G_WRJabc" || got[1] != ActionRollbackHook+"=ecs-pause-e7tK9G_WRJabc" {
		t.Errorf("buttons at the pause %v", got)
	}
	if b, _ := json.Marshal(pause.Blocks); !strings.Contains(string(b), "ECS rolls it back by itself") {
		t.Errorf("the pause card does not say what its timeout does:\n%s", b)
	}

	ok := d
	ok.Stages, ok.Status, ok.BlueAlive, ok.Traffic, ok.Next = ecsStages(""), sy.StatusSucceeded, false, sy.Traffic{Green: 100}, sy.Next{}
	ok.Completed = t0.Add(9 * time.Minute)
	golden(t, "card_ecs_succeeded", DeploymentCard(ok, now))
	if got := actionIDs(DeploymentCard(ok, now)); len(got) != 0 {
		t.Errorf("buttons after success %v", got)
	}

	// Rolled back by a person mid-shift: the way forward cut short, the way back.
	rb := d
	rb.Stages = append(ecsStages("PRODUCTION_TRAFFIC_SHIFT@50")[:6],
		sy.Stage{Name: sy.ECSProductionTrafficShift, Back: true, Status: sy.StageSucceeded, Start: t0.Add(200 * time.Second), End: t0.Add(201 * time.Second)},
		sy.Stage{Name: sy.ECSTestTrafficShift, Back: true, Status: sy.StageSucceeded, Start: t0.Add(201 * time.Second), End: t0.Add(202 * time.Second)},
		sy.Stage{Name: sy.ECSCleanUp, Back: true, Status: sy.StageSucceeded, Start: t0.Add(202 * time.Second), End: t0.Add(232 * time.Second)})
	rb.Stages[5].Status, rb.Stages[5].End = sy.StageSkipped, t0.Add(200*time.Second)
	rb.Status, rb.BlueAlive, rb.Traffic, rb.Next, rb.RolledBackBy = sy.StatusRolledBack, false, sy.Traffic{Blue: 100}, sy.Next{}, "U0BOB00001"
	rb.ErrorText, rb.Completed = "Service deployment rolled back by StopServiceDeployment (ROLLBACK).", t0.Add(232*time.Second)
	golden(t, "card_ecs_rolled_back_by_person", DeploymentCard(rb, now))
	golden(t, "reply_ecs_rolled_back_by_person", FinalReply(rb))

	// A Lambda hook failed after scale-up: the stage failed, why is said.
	hf := d
	hf.Stages = append(ecsStages(sy.ECSPostScaleUp)[:2], sy.Stage{Name: sy.ECSCleanUp, Back: true, Status: sy.StageSucceeded, Start: t0.Add(40 * time.Second), End: t0.Add(70 * time.Second)})
	hf.Stages[1].Status, hf.Stages[1].End = sy.StageFailed, t0.Add(40*time.Second)
	hf.Status, hf.BlueAlive, hf.Traffic, hf.Next, hf.Completed = sy.StatusRolledBack, false, sy.Traffic{Blue: 100}, sy.Next{}, t0.Add(70*time.Second)
	hf.ErrorCode, hf.ErrorText = sy.ErrorHookFailed, "The lifecycle hook arn:aws:lambda:us-east-1:123456789012:function:checkout-smoke-test failed at POST_SCALE_UP: smoke test failed: GET /health returned 503"
	golden(t, "card_ecs_hook_failed", DeploymentCard(hf, now))
	golden(t, "reply_ecs_hook_failed", FinalReply(hf))

	// An alarm during the shift.
	al := rb
	al.RolledBackBy, al.ErrorCode = "", sy.ErrorAlarm
	al.ErrorText = "CloudWatch alarm checkout-5xx went into ALARM during the service deployment."
	al.Alarms = []sy.Alarm{{Name: "checkout-5xx", State: "ALARM"}}
	golden(t, "reply_ecs_alarm", FinalReply(al))
	if r := FinalReply(al); !strings.Contains(r, "a watched alarm fired: `checkout-5xx`") {
		t.Errorf("alarm reply %q", r)
	}

	// Rolling back right now: no Rollback button (it is one).
	going := rb
	going.Status, going.Completed = sy.StatusRollingBack, time.Time{}
	if got := actionIDs(DeploymentCard(going, now)); len(got) != 0 {
		t.Errorf("buttons while rolling back %v", got)
	}
}

func TestECSReplies(t *testing.T) {
	d := ecsDeployment()
	d.Waiting, d.Pause = sy.WaitPause, sy.PauseHook{ID: "ecs-pause-1", Stage: sy.ECSPreProductionTrafficShift,
		Expires: t0.Add(30 * time.Minute), TimeoutAction: sy.HookContinue}
	var got []string
	for _, s := range d.Stages[:5] {
		got = append(got, StageReply(s, now))
	}
	got = append(got,
		StageReply(sy.Stage{Name: sy.ECSBakeTime, BakeMinutes: 15, Status: sy.StageSucceeded}, now),
		StageReply(sy.Stage{Name: sy.ECSProductionTrafficShift, Back: true, Status: sy.StageSucceeded}, now),
		ReplyText(sy.Reply{Kind: sy.ReplyTraffic, Traffic: sy.Traffic{Blue: 75, Green: 25}}, d, false, now),
		ReplyText(sy.Reply{Kind: sy.ReplyWait, Wait: sy.WaitPause}, d, false, now))
	golden(t, "replies_ecs", got)
}

func TestECSConfirmation(t *testing.T) {
	plan := &sy.Plan{Backend: sy.BackendECS, App: "checkout", Version: "v2.1", Config: "LINEAR",
		Env:      sy.Environment{Name: "production"},
		ImageNow: "123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout:v2.0", ImageNext: "123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout:v2.1",
		Image:  sy.ImageCheck{ECR: true, Checked: true, Repository: "checkout"},
		Alarms: []sy.Alarm{{Name: "checkout-5xx", State: "OK"}},
		Strategy: &sy.Strategy{Type: sy.StrategyLinear, StepPercent: 25, StepBakeMinutes: 1, BakeMinutes: 2, AlarmRollback: true,
			Hooks: []sy.LifecycleHook{
				{Stages: []string{sy.ECSPostScaleUp}, Function: "arn:aws:lambda:us-east-1:123456789012:function:checkout-smoke-test", TimeoutMinutes: 15, TimeoutAction: "ROLLBACK"},
				{Stages: []string{sy.ECSPostTestTrafficShift}, Pause: true, TimeoutMinutes: 60, TimeoutAction: "ROLLBACK"},
			}},
		ActiveDeployment: checkoutARN,
	}
	p := sy.Pending{ID: "p-1", App: "checkout", Env: "production", RequestedBy: "U0ALICE001", Created: t0, Expires: t0.Add(15 * time.Minute)}
	c := ConfirmationOf(p, plan)
	golden(t, "confirm_ecs", ConfirmCard(c))
	if c.ConfigSummary != "25% more every 1 minute, all traffic after 3 minutes; both versions run 2 minutes more (bake) before the old one is removed" {
		t.Errorf("summary %q", c.ConfigSummary)
	}
	for _, s := range []sy.Strategy{{Type: sy.StrategyCanary, CanaryPercent: 5, CanaryBakeMinutes: 10, BakeMinutes: 15}, {Type: sy.StrategyBlueGreen, BakeMinutes: 1}} {
		if w := StrategyWords(s); !strings.Contains(w, "bake") || strings.Contains(w, "0%") {
			t.Errorf("%+v: %q", s, w)
		}
	}
}

// The words of an ECS deployment from AWS are text too: a reason, an
// image, a stage name that is no ECS stage.
func TestECSTextNeverBecomesMarkup(t *testing.T) {
	d := hostile()
	d.Backend, d.ID, d.Status = sy.BackendECS, checkoutARN, sy.StatusRolledBack
	d.Stages = append(d.Stages, sy.Stage{Name: "<!here>", Back: true, Status: sy.StageSucceeded})
	d.Waiting, d.Pause = sy.WaitPause, sy.PauseHook{ID: "x", Stage: "<!channel>"}
	for name, out := range map[string]string{"final": FinalReply(d), "pause": PauseReply(d), "why": FailureReason(d)} {
		for _, bad := range []string{"<!here>", "<!channel>", "<@U0EVIL>", "<https://evil"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s carries live %q: %s", name, bad, out)
			}
		}
	}
	b, _ := json.Marshal(DeploymentCard(d, now).Blocks[1:])
	s := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
	for _, bad := range []string{"<!here>", "<@U0EVIL>", "<https://evil"} {
		if strings.Contains(s, bad) {
			t.Errorf("card carries live %q", bad)
		}
	}
}
