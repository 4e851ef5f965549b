package blocks

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	sy "github.com/switchyard/switchyard"
)

func deployForm() DeployForm {
	return DeployForm{
		Apps: []string{"myapp", "payments"}, App: "myapp",
		Envs:          []EnvChoice{{Name: "production", Channels: []string{"C0DEPLOYS"}}, {Name: "staging", Channels: []string{"C0STAGING"}}},
		Env:           "production",
		Configs:       []string{"CodeDeployDefault.ECSAllAtOnce", "CodeDeployDefault.ECSCanary10Percent5Minutes"},
		DefaultConfig: "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
		Channel:       "C0DEPLOYS", Metadata: `{"c":"C0DEPLOYS"}`,
	}
}

func TestDeployModal(t *testing.T) {
	f := deployForm()
	golden(t, "modal_deploy", DeployModal(f))

	none := f
	none.App = ""
	golden(t, "modal_deploy_choose_app", DeployModal(none))

	shortcut := f
	shortcut.Channel = ""
	m := DeployModal(shortcut)
	if b := jsonText(m); !strings.Contains(b, "production to <#C0DEPLOYS>, staging to <#C0STAGING>") {
		t.Errorf("a modal from a shortcut does not say where each environment's card goes:\n%s", b)
	}

	nothing := DeployModal(DeployForm{Channel: "C0DEPLOYS"})
	golden(t, "modal_deploy_no_app", nothing)
	if nothing.Submit != nil {
		t.Error("a modal with nothing to choose has a submit button")
	}
	// Every input names the same block and action, so that an errors
	// answer can point at it.
	for _, bl := range DeployModal(f).Blocks.BlockSet {
		if in, ok := bl.(*slack.InputBlock); ok {
			if sel, ok := in.Element.(*slack.SelectBlockElement); ok && sel.ActionID != in.BlockID {
				t.Errorf("input %s has action %s", in.BlockID, sel.ActionID)
			}
		}
	}
}

func TestVersionOptions(t *testing.T) {
	pushed := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	long := strings.Repeat("v", 70)
	got := VersionOptions([]VersionChoice{
		{Value: "v1.5", Tags: []string{"v1.5", "latest"}, Digest: "sha256:" + strings.Repeat("ab", 32), Pushed: pushed.Add(time.Hour)},
		{Value: "v1.4", Tags: []string{"v1.4"}, Digest: "sha256:" + strings.Repeat("cd", 32), Pushed: pushed, RunsIn: []string{"production"}},
		{Value: long, Tags: []string{long}, Digest: "sha256:" + strings.Repeat("ef", 32), Pushed: pushed, RunsIn: []string{"staging"}},
		{Value: "sha256:" + strings.Repeat("01", 32), Digest: "sha256:" + strings.Repeat("01", 32), Pushed: pushed},
		{Value: "v9.9", Typed: true},
	})
	golden(t, "version_options", got)
	for _, o := range got.Options {
		if n := len([]rune(o.Text.Text)); n > 75 {
			t.Errorf("option text of %d characters: %q", n, o.Text.Text)
		}
	}
	if !strings.HasSuffix(got.Options[2].Text.Text, " · runs in staging") {
		t.Errorf("a long tag cut the running mark: %q", got.Options[2].Text.Text)
	}
	many := make([]VersionChoice, 150)
	for i := range many {
		many[i] = VersionChoice{Value: "v" + strings.Repeat("1", i%5+1)}
	}
	if n := len(VersionOptions(many).Options); n != 100 {
		t.Errorf("%d options; Slack takes 100", n)
	}
	if n := len(VersionOptions(nil).Options); n != 0 {
		t.Errorf("no versions gave %d options", n)
	}
}

func home() Home {
	d := deployment()
	rec := []HomeDeployment{
		{Deployment: d, Link: CardLink("C0DEPLOYS", "1772442000.000100")},
		{Deployment: sy.Deployment{ID: "d-OLDER0001", App: "myapp", Env: "production", Version: "v1.3", Status: sy.StatusSucceeded,
			RequestedBy: "U0BOB00001", Created: t0.Add(-24 * time.Hour), Completed: t0.Add(-23 * time.Hour), FreezeOverride: "hotfix <now>"},
			Link: CardLink("C0DEPLOYS", "1772355600.000200")},
	}
	return Home{User: "U0ALICE001", Now: now, Apps: []HomeApp{
		{
			Name: "myapp", CanDeploy: true, CanLock: true, Recent: rec,
			Envs: []HomeEnv{{
				Name: "production", Running: "v1.3", InFlight: &rec[0], CanRollback: true,
				Freeze: &FreezeInfo{App: "myapp", Reason: "release <week>", By: "U0BOB00001", End: t0.Add(time.Hour)},
				Queue: []QueueInfo{{ID: "q-1", App: "myapp", Env: "production", Version: "v1.5", By: "U0ALICE001", Position: 1, Expires: t0.Add(4 * time.Hour)},
					{ID: "q-2", App: "myapp", Env: "production", Version: "v1.6", By: "U0CAROL001", Position: 2, Expires: t0.Add(4 * time.Hour)}},
			}},
		},
		{
			Name: "payments", CanLock: true,
			Lock: &LockInfo{App: "payments", Reason: "migration", By: "U0BOB00001", Since: t0},
			Envs: []HomeEnv{{Name: "production"}},
		},
	}}
}

func TestHomeView(t *testing.T) {
	h := home()
	golden(t, "home_alice", HomeView(h))
	// Recent lines name who or what ended a deployment, and what a
	// rollback went back to.
	lines := func(ds ...sy.Deployment) string {
		var out []string
		for _, d := range ds {
			out = append(out, recentLine(HomeDeployment{Deployment: d}, now))
		}
		return strings.Join(out, "\n")
	}
	base := sy.Deployment{ID: "d-ABCDEFGHI", App: "checkout", Env: "production", Version: "v2.2", RequestedBy: "U0ALICE001", Created: t0}
	byBob := base
	byBob.Status, byBob.RolledBackBy, byBob.ErrorCode = sy.StatusRolledBack, "U0BOB00001", "MANUAL_STOP"
	own := byBob
	own.RolledBackBy = "U0ALICE001"
	alarm := base
	alarm.Version, alarm.Status, alarm.ErrorCode = "v1.4", sy.StatusStopped, "ALARM_ACTIVE"
	alarm.Alarms = []sy.Alarm{{Name: "myapp-5xx", State: sy.AlarmFiring}, {Name: "myapp-latency", State: "OK"}}
	auto := sy.Deployment{ID: "d-ROLLBACK1", Env: "production", Status: sy.StatusSucceeded, Creator: sy.CreatorRollback,
		RollbackOf: "d-ABCDEFGHI", TaskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/myapp:12", Created: t0}
	pressed := auto
	pressed.Version, pressed.RequestedBy = "v1.3", "U0BOB00001"
	blind := auto
	blind.TaskDefinition = ""
	got := lines(byBob, own, alarm, auto, pressed, blind)
	for _, want := range []string{
		"`v2.2` to `production` rolled back by <@U0BOB00001>, asked by <@U0ALICE001>",
		"`v2.2` to `production` rolled back by <@U0ALICE001>\n",
		"`v1.4` to `production` stopped by alarm `myapp-5xx`, asked by <@U0ALICE001>",
		"rollback to `myapp:12` in `production` succeeded, started by CodeDeploy",
		"rollback to `v1.3` in `production` succeeded, asked by <@U0BOB00001>",
		"rollback to the previous version in `production` succeeded, started by CodeDeploy",
	} {
		if !strings.Contains(got+"\n", want) {
			t.Errorf("recent lines lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "``") || strings.Contains(got, "stopped by <@U0ALICE001>") {
		t.Errorf("recent lines show an empty version or blame the requester:\n%s", got)
	}

	// Someone who may only watch sees the same, without a button.
	watcher := h
	watcher.User = "U0CAROL001"
	watcher.Apps = append([]HomeApp(nil), h.Apps...)
	for i := range watcher.Apps {
		watcher.Apps[i].CanDeploy, watcher.Apps[i].CanLock = false, false
		watcher.Apps[i].Envs = append([]HomeEnv(nil), watcher.Apps[i].Envs...)
		for j := range watcher.Apps[i].Envs {
			watcher.Apps[i].Envs[j].CanRollback = false
		}
	}
	v := HomeView(watcher)
	golden(t, "home_carol", v)
	s := jsonText(v)
	for _, action := range []string{HomeDeploy, HomeRollback, HomeLock, HomeUnlock} {
		if strings.Contains(s, `"action_id":"`+action) {
			t.Errorf("carol's Home has %s", action)
		}
	}
	// Carol's own place in line has its Leave button.
	if !strings.Contains(s, `"action_id":"home.leave.q-2"`) {
		t.Errorf("carol cannot leave her place: %s", s)
	}
	if strings.Contains(s, "<week>") || strings.Contains(s, "<now>") {
		t.Error("a person's text reached the Home tab unescaped")
	}
	if kind, subject := HomeAction("home.rollback.myapp.production"); kind != HomeRollback || len(subject) != 2 || subject[1] != "production" {
		t.Errorf("HomeAction = %s %v", kind, subject)
	}
	if kind, _ := HomeAction("confirm"); kind != "" {
		t.Errorf("HomeAction(confirm) = %q", kind)
	}
	if got := CardLink("C0DEPLOYS", "1772442000.000100"); got != "https://slack.com/archives/C0DEPLOYS/p1772442000000100" {
		t.Errorf("CardLink = %s", got)
	}

	// Many apps stay under Slack's hundred blocks.
	for range 40 {
		h.Apps = append(h.Apps, h.Apps[0])
	}
	if n := len(HomeView(h).Blocks.BlockSet); n > 100 {
		t.Errorf("%d blocks", n)
	}
}

func TestQueueAndFreezeMessages(t *testing.T) {
	q := QueueInfo{ID: "q-1", App: "myapp", Env: "production", Version: "v1.5", By: "U0ALICE001", Position: 2, Expires: t0.Add(4 * time.Hour)}
	l := LockInfo{App: "myapp", Reason: "incident <42>", By: "U0BOB00001", Since: t0}
	f := FreezeInfo{App: "myapp", Reason: "release week", By: "U0BOB00001", End: t0.Add(30 * time.Minute)}
	golden(t, "queue_messages", []Message{
		WithQueueMe(LockedRefusal(l, "U0ALICE001", true), `{"app":"myapp"}`),
		Queued(q), AlreadyInLine(q), LeftQueue("myapp", "production", "v1.5"),
		QueueExpired("myapp", "production", "v1.5", t0.Add(4*time.Hour)),
		TurnCame(Notice("Deploy myapp v1.5 to production?"), "U0ALICE001", "myapp", "production"),
		TurnRefused("myapp", "production", "v1.5", "There is no image v1.5."),
		LockAnnouncement(l, nil, [][]QueueInfo{{q}}),
	})
	golden(t, "freeze_messages", []Message{
		WithQueueMe(FrozenRefusal(f), `{"app":"myapp"}`),
		FreezeTaken(f), FreezeLifted(f, "U0ALICE001"),
		FrozenRefusal(FreezeInfo{Window: "weekend", Reason: "No deploys at the weekend", End: t0.Add(48 * time.Hour)}),
	})
	c := confirmation()
	c.Override, c.NeedsApproval = "hotfix for <checkout>", true
	golden(t, "confirm_during_freeze", ConfirmCard(c))
	d := deployment()
	d.FreezeOverride = "hotfix for <checkout>"
	golden(t, "card_during_freeze", DeploymentCard(d, now))
	if got := History("myapp", []sy.Deployment{d}, now); !strings.Contains(simpleText(got), "during a freeze") {
		t.Errorf("history does not say it was deployed during a freeze: %s", simpleText(got))
	}
}

func simpleText(m Message) string { return jsonText(m.Blocks) }

// jsonText is v as JSON with <, > and & as they are.
func jsonText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	// slack-go's text objects escape them on their own.
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(b.String())
}
