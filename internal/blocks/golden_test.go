package blocks

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	sy "github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/simtest"
)

// golden compares v, as indented JSON, with testdata/name.golden.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	simtest.Golden(t, name, v)
}

var (
	t0  = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	now = t0.Add(7*time.Minute + 12*time.Second)
)

func confirmation() Confirmation {
	return Confirmation{
		ID: "c-42", App: "myapp", Env: "production", Version: "v1.4",
		ImageBefore:   "123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:v1.3",
		ImageAfter:    "123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:v1.4",
		Config:        "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
		ConfigSummary: "10% more traffic every minute; all of it on green after 9 minutes",
		Termination:   "Blue is kept 5 minutes after the shift, so a rollback stays instant",
		AutoRollback:  "CodeDeploy rolls back by itself on failure or alarm",
		Hooks:         []string{"BeforeAllowTraffic: myapp-smoke-test"},
		Alarms:        []sy.Alarm{{Name: "myapp-5xx", State: "OK"}, {Name: "myapp-latency", State: "ALARM"}, {Name: "myapp-old", State: "missing"}},
		RequestedBy:   "U0ALICE001", Reason: "fix <login> & checkout", Created: t0, Expires: t0.Add(15 * time.Minute),
		State: ConfirmPending,
	}
}

func TestConfirmCards(t *testing.T) {
	c := confirmation()
	golden(t, "confirm_pending", ConfirmCard(c))
	a := c
	a.NeedsApproval = true
	golden(t, "confirm_pending_approval", ConfirmCard(a))
	s := c
	s.State, s.ActedBy, s.ActedAt = ConfirmStarting, "U0ALICE001", t0.Add(time.Minute)
	golden(t, "confirm_starting", ConfirmCard(s))
	x := s
	x.State = ConfirmCancelled
	golden(t, "confirm_cancelled", ConfirmCard(x))
	e := c
	e.State = ConfirmExpired
	golden(t, "confirm_expired", ConfirmCard(e))
	f := s
	f.State, f.Failure = ConfirmFailed, GroupBusy("d-ABCDEFGHI")
	golden(t, "confirm_failed", ConfirmCard(f))
	r := c
	r.AlreadyRunning, r.Notes = true, []string{"The image is not in ECR (docker.io): the tag was not checked."}
	golden(t, "confirm_already_running", ConfirmCard(r))

	for _, m := range []Message{ConfirmCard(c), ConfirmCard(a)} {
		b, _ := json.Marshal(m.Blocks)
		if strings.Contains(string(b), "<login>") {
			t.Fatal("the reason reached mrkdwn unescaped")
		}
	}
	if b, _ := json.Marshal(ConfirmCard(x).Blocks); strings.Contains(string(b), `"actions"`) {
		t.Fatal("a cancelled card still has buttons")
	}
}

func deployment() sy.Deployment {
	return sy.Deployment{
		ID: "d-ABCDEFGHI", App: "myapp", Env: "production", Version: "v1.4", Region: "us-east-1",
		ImageBefore: "123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:v1.3",
		ImageAfter:  "123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:v1.4",
		Config:      "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
		Status:      sy.StatusInProgress, RequestedBy: "U0ALICE001", ConfirmedBy: "U0ALICE001",
		Created: t0, BlueAlive: true, Creator: "user",
		Alarms: []sy.Alarm{{Name: "myapp-5xx", State: "OK"}},
		Stages: []sy.Stage{
			{Name: sy.BeforeInstall, Status: sy.StageSucceeded, Start: t0, End: t0.Add(2 * time.Second)},
			{Name: sy.Install, Status: sy.StageSucceeded, Start: t0.Add(2 * time.Second), End: t0.Add(62 * time.Second)},
			{Name: sy.AfterInstall, Status: sy.StageSucceeded, Start: t0.Add(62 * time.Second), End: t0.Add(64 * time.Second)},
			{Name: sy.BeforeAllowTraffic, Status: sy.StageSucceeded, Start: t0.Add(64 * time.Second), End: t0.Add(70 * time.Second)},
			{Name: sy.AllowTraffic, Status: sy.StageInProgress, Start: t0.Add(70 * time.Second)},
			{Name: sy.AfterAllowTraffic, Status: sy.StagePending},
		},
		Traffic: sy.Traffic{Blue: 70, Green: 30},
	}
}

func TestDeploymentCards(t *testing.T) {
	d := deployment()
	golden(t, "card_shifting", DeploymentCard(d, now))

	r := d
	r.Status, r.Waiting, r.Traffic = sy.StatusReady, sy.WaitReady, sy.Traffic{Blue: 100}
	golden(t, "card_ready_wait", DeploymentCard(r, now))

	tw := d
	tw.Waiting, tw.Traffic = sy.WaitTermination, sy.Traffic{Green: 100}
	for i := range tw.Stages {
		tw.Stages[i] = sy.Stage{Name: d.Stages[i].Name, Status: sy.StageSucceeded, Start: t0, End: t0.Add(time.Minute)}
	}
	golden(t, "card_termination_wait", DeploymentCard(tw, now))

	ok := tw
	ok.Status, ok.Waiting, ok.BlueAlive, ok.Completed = sy.StatusSucceeded, sy.WaitNone, false, t0.Add(14*time.Minute)
	golden(t, "card_succeeded", DeploymentCard(ok, now))
	golden(t, "reply_succeeded", FinalReply(ok))

	// Approved by dave: the card, the final reply and history call him the
	// approver, never the one who confirmed.
	ap := ok
	ap.ConfirmedBy = "U0DAVE0001"
	golden(t, "card_approved", DeploymentCard(ap, now))
	golden(t, "reply_approved", FinalReply(ap))
	card, _ := json.Marshal(DeploymentCard(ap, now).Blocks)
	if s := string(card); strings.Contains(s, "Confirmed by") || !strings.Contains(s, `*Approved by*\n\u003c@U0DAVE0001\u003e`) {
		t.Errorf("the approved card does not name the approver as such: %s", s)
	}
	if r := FinalReply(ap); !strings.Contains(r, "<@U0ALICE001>, approved by <@U0DAVE0001>") {
		t.Errorf("the final reply does not name the approver: %q", r)
	}
	if h, _ := json.Marshal(History("myapp", []sy.Deployment{ap}, now).Blocks); !strings.Contains(string(h), `approved by \u003c@U0DAVE0001\u003e`) {
		t.Errorf("history does not name the approver: %s", h)
	}

	f := d
	f.Stages = append([]sy.Stage(nil), d.Stages...)
	f.Stages[3] = sy.Stage{Name: sy.BeforeAllowTraffic, Status: sy.StageFailed, Start: t0, End: t0.Add(9 * time.Second), Diagnostic: "smoke test: GET /health returned 503"}
	f.Stages = f.Stages[:4]
	f.Status, f.BlueAlive, f.Completed, f.Traffic = sy.StatusFailed, false, t0.Add(3*time.Minute), sy.Traffic{Blue: 100}
	f.ErrorCode, f.ErrorText, f.RollbackID = "HOOK_EXECUTION_FAILURE", "The deployment failed because a specified lifecycle event hook failed.", "d-ROLLBACK1"
	golden(t, "card_failed_hook", DeploymentCard(f, now))
	golden(t, "reply_failed_hook", FinalReply(f))

	a := d
	a.Status, a.BlueAlive, a.Completed = sy.StatusStopped, false, t0.Add(5*time.Minute)
	a.ErrorCode, a.ErrorText, a.RollbackID = "ALARM_ACTIVE", "One or more alarms have been activated: myapp-5xx", "d-ROLLBACK2"
	a.Alarms = []sy.Alarm{{Name: "myapp-5xx", State: "ALARM"}}
	golden(t, "card_stopped_alarm", DeploymentCard(a, now))
	golden(t, "reply_stopped_alarm", FinalReply(a))

	m := a
	m.ErrorCode, m.ErrorText, m.RolledBackBy = "MANUAL_STOP", "The deployment was stopped by request.", "U0BOB00001"
	golden(t, "card_rolled_back_by_person", DeploymentCard(m, now))
	golden(t, "reply_rolled_back_by_person", FinalReply(m))
	// A reason that ends without a stop (an alarm list, a hook's
	// diagnostic) gets one before the next sentence; a stop by a person is
	// said once.
	for _, c := range []struct{ got, want string }{
		{FinalReply(f), "returned 503. CodeDeploy is rolling back"},
		{FinalReply(a), "fired: `myapp-5xx`. Traffic is back"},
		{FinalReply(m), "in production was stopped by <@U0BOB00001>. Traffic is back"},
	} {
		if !strings.Contains(c.got, c.want) || strings.Contains(c.got, "stopped: stopped") {
			t.Errorf("final reply %q lacks %q", c.got, c.want)
		}
	}

	// A rollback that did not finish says so, not as a deploy of the
	// version it went back to.
	srb := d
	srb.Version, srb.RollbackOf, srb.Status, srb.ErrorCode = "v1.3", "d-ABCDEFGHI", sy.StatusStopped, "TIMEOUT"
	srb.ErrorText, srb.RollbackID, srb.Completed = "The deployment timed out while waiting for the go-ahead.", "", t0.Add(30*time.Minute)
	if r := FinalReply(srb); !strings.Contains(r, "The rollback of myapp to v1.3 in production was stopped: The deployment timed out") {
		t.Errorf("a stopped rollback reads %q", r)
	}

	out := d
	out.RequestedBy, out.ConfirmedBy = "", ""
	golden(t, "card_outside_slack", DeploymentCard(out, now))

	// AWS told no version: the header and the final line leave it out.
	unknown := out
	unknown.Version, unknown.Status = "", sy.StatusSucceeded
	if m := DeploymentCard(unknown, now); m.Text != "myapp → production: succeeded" {
		t.Errorf("a card without a version reads %q", m.Text)
	}
	if r := FinalReply(unknown); !strings.HasPrefix(r, ":white_check_mark: myapp is live in production") {
		t.Errorf("a final reply without a version reads %q", r)
	}

	rb := sy.Deployment{ID: "d-ROLLBACK2", App: "myapp", Env: "production", Version: "v1.3", Region: "us-east-1",
		Status: sy.StatusSucceeded, Creator: "codeDeployRollback", RollbackOf: "d-ABCDEFGHI", Created: t0, Completed: t0.Add(time.Minute)}
	golden(t, "card_codedeploy_rollback", DeploymentCard(rb, now))
	golden(t, "reply_codedeploy_rollback", FinalReply(rb))
}

func TestReplies(t *testing.T) {
	d := deployment()
	var got []string
	for _, s := range d.Stages {
		got = append(got, StageReply(s, now))
	}
	got = append(got, TrafficReply(d.Traffic), WaitReply(sy.WaitReady), WaitReply(sy.WaitTermination),
		RollbackReply("U0BOB00001", ""), RollbackReply("U0BOB00001", "d-NEW000001"))
	golden(t, "replies", got)
}

func TestHelpers(t *testing.T) {
	cases := map[string]string{
		TrafficBar(0): "▱▱▱▱▱▱▱▱▱▱", TrafficBar(30): "▰▰▰▱▱▱▱▱▱▱", TrafficBar(100): "▰▰▰▰▰▰▰▰▰▰", TrafficBar(140): "▰▰▰▰▰▰▰▰▰▰",
		Duration(45 * time.Second): "45s", Duration(185 * time.Second): "3m 05s", Duration(62 * time.Minute): "1h 02m",
		Escape("a<b>&c"): "a&lt;b&gt;&amp;c", Mention(""): "someone", Mention("U1"): "<@U1>",
		truncate("abcdef", 4): "abc…",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
