package blocks

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	sy "github.com/switchyard/switchyard"
)

func TestCommandAnswers(t *testing.T) {
	lock := LockInfo{App: "myapp", Reason: "incident <#123> & freeze", By: "U0BOB00001", Since: t0}
	golden(t, "answer_help", Help([]string{"myapp", "payments", "web"}))
	golden(t, "answer_refusal", Refusal("You may not deploy myapp: ask someone in its deploy list."))
	golden(t, "answer_problem", Problem("A deployment is already running: d-ABCDEFGHI"))
	// The refusal fits who reads it: the lock's holder lifts it, someone on
	// the lock list may, anyone else asks.
	golden(t, "answer_locked_refusal", []Message{LockedRefusal(lock, "U0BOB00001", true),
		LockedRefusal(lock, "U0ALICE001", true), LockedRefusal(lock, "U0CAROL001", false),
		LockedRefusal(LockInfo{App: "myapp", Env: "staging", Reason: "load test", By: "U0BOB00001", Since: t0}, "U0ALICE001", true)})
	if own := LockedRefusal(lock, "U0BOB00001", true).Text; strings.Contains(own, "Ask <@U0BOB00001>") || !strings.Contains(own, "You locked it; run `/deploy unlock myapp`") {
		t.Errorf("the lock's holder is told %q", own)
	}
	if other := LockedRefusal(lock, "U0CAROL001", false).Text; strings.Contains(other, "/deploy unlock") {
		t.Errorf("someone who may not unlock is told %q", other)
	}
	golden(t, "answer_lock_taken", LockTaken(lock))
	golden(t, "answer_lock_released", LockReleased(lock, "U0ALICE001"))
	golden(t, "answer_list", AppList([]AppInfo{
		{Name: "myapp", Aliases: []string{"web"}, Envs: []EnvInfo{
			{Name: "production", Default: true, Channels: []string{"C0DEPLOYS1"}, RequireApproval: true},
			{Name: "staging", Channels: []string{"C0DEPLOYS1", "C0STAGING1"}},
		}, Locks: []LockInfo{lock}},
		{Name: "payments", Envs: []EnvInfo{{Name: "production", Default: true, Channels: []string{"C0DEPLOYS1"}}}},
	}))
	golden(t, "answer_list_empty", AppList(nil))

	d := deployment()
	ok := d
	ok.Status, ok.Completed, ok.ConfirmedBy = sy.StatusSucceeded, t0.Add(14*time.Minute), "U0DAVE0001"
	rb := sy.Deployment{ID: "d-ROLLBACK2", App: "myapp", Env: "production", Version: "v1.3", Status: sy.StatusStopped,
		RequestedBy: "U0BOB00001", RolledBackBy: "U0BOB00001", RollbackOf: "d-ABCDEFGHI", Created: t0.Add(-time.Hour), Completed: t0.Add(-50 * time.Minute)}
	outside := sy.Deployment{ID: "d-OUTSIDE01", App: "myapp", Env: "staging", Version: "v1.2", Status: sy.StatusFailed,
		Created: t0.Add(-2 * time.Hour), Completed: t0.Add(-2*time.Hour + 3*time.Minute)}
	golden(t, "answer_status", Status("", []EnvStatus{
		{App: "myapp", Env: "production", Last: &d, Lock: &lock},
		{App: "myapp", Env: "staging", Last: &outside},
		{App: "payments", Env: "production"},
	}, now))
	golden(t, "answer_status_empty", Status("payments", nil, now))
	golden(t, "answer_history", History("myapp", []sy.Deployment{d, ok, rb, outside}, now))
	golden(t, "answer_history_empty", History("payments", nil, now))
	// A rollback CodeDeploy made because bob pressed Rollback is bob's,
	// not an automatic one after a failure; one it made by itself still is.
	pressed := sy.Deployment{ID: "d-ROLLBACK3", App: "myapp", Env: "production", Version: "v1.3", Status: sy.StatusSucceeded,
		Creator: sy.CreatorRollback, RollbackOf: "d-ABCDEFGHI", RequestedBy: "U0BOB00001", Created: t0, Completed: t0.Add(time.Minute)}
	auto := pressed
	auto.RequestedBy, auto.Version = "", ""
	auto.TaskDefinition = "arn:aws:ecs:us-east-1:123456789012:task-definition/myapp:12"
	for name, got := range map[string]string{
		"history": simpleText(History("myapp", []sy.Deployment{pressed}, now)),
		"status":  simpleText(Status("myapp", []EnvStatus{{App: "myapp", Env: "production", Last: &pressed}}, now)),
	} {
		if !strings.Contains(got, "rollback to `v1.3` by <@U0BOB00001>, of d-ABCDEFGHI") ||
			strings.Contains(got, "automatic") || strings.Contains(got, "CodeDeploy") || strings.Contains(got, "asked by") {
			t.Errorf("%s of bob's rollback reads %q", name, got)
		}
	}
	if got := simpleText(History("myapp", []sy.Deployment{auto}, now)); !strings.Contains(got, "rollback to `myapp:12` (automatic, after d-ABCDEFGHI failed)") ||
		!strings.Contains(got, "started by CodeDeploy") {
		t.Errorf("history of CodeDeploy's own rollback reads %q", got)
	}
	golden(t, "answer_rollbacks", []Message{
		RollbackStarted("myapp", "production", "d-ABCDEFGHI", "d-NEW000001", true),
		RollbackStarted("myapp", "production", "d-ABCDEFGHI", "d-ROLLBACK2", false),
		RollbackStarted("myapp", "production", "d-ABCDEFGHI", "", false),
	})
	golden(t, "answer_audit", AuditTrail("myapp", []sy.AuditEntry{
		{ID: 3, At: t0.Add(2 * time.Minute), User: "U0CAROL001", Action: "confirm", App: "myapp", Env: "production", Result: sy.ResultRefused,
			Detail: "Only <@U0ALICE001>, who asked for this deploy, can confirm it."},
		{ID: 2, At: t0.Add(time.Minute), Action: "expire", App: "myapp", Env: "production", Result: sy.ResultOK, Detail: "request p-1 of <@U0ALICE001>"},
		{ID: 1, At: t0, User: "U0ALICE001", Action: "deploy", App: "myapp", Env: "production", Result: sy.ResultOK,
			Detail: "asked for v1.4 (CodeDeployDefault.ECSAllAtOnce), reason <!here> & *all*\nsecond line <@U0EVIL|x> <#C0SECRET>"},
	}))
	golden(t, "answer_audit_empty", AuditTrail("payments", nil))
	golden(t, "answer_rolled_back_past_lock", RolledBackPastLock("U0BOB00001", "d-ABCDEFGHI", lock))
	if b, _ := json.Marshal(RolledBackPastLock("U0BOB00001", "d-ABCDEFGHI", lock).Blocks); strings.Contains(string(b), "<#123>") {
		t.Fatal("a lock reason reached mrkdwn unescaped")
	}
	golden(t, "answer_continued", []Message{Continued("d-ABCDEFGHI", false), Continued("d-ABCDEFGHI", true)})

	for _, m := range []Message{LockedRefusal(lock, "U1", true), LockTaken(lock), LockReleased(lock, "U1")} {
		b, _ := json.Marshal(m.Blocks)
		if strings.Contains(string(b), "<#123>") {
			t.Fatal("a lock reason reached mrkdwn unescaped")
		}
	}
	if h, _ := json.Marshal(History("myapp", []sy.Deployment{d, ok}, now).Blocks); !strings.Contains(string(h), "14m 00s") {
		t.Fatalf("history lacks the duration: %s", h)
	}
}
