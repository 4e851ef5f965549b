package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
)

const allAtOnce = "CodeDeployDefault.ECSAllAtOnce"

// A hook fails: CodeDeploy rolls back, and the rollback deployment is told
// on the same card and thread; the final result says which hook and why.
func TestFailedHookRollsBackOnSameCard(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	r.aws.FailNextDeployment("myapp", switchyard.AfterInstall, "smoke test returned 503")
	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", allAtOnce)
	r.run(5*time.Second, 10*time.Minute, func() bool {
		rec := r.record(id)
		return r.finished(id)() && rec.RollbackID != "" && r.finished(rec.RollbackID)()
	})
	rec := r.record(id)
	th := r.thread(ts)
	noDuplicates(t, th)
	all := texts(th)
	inOrder(t, all, "*AfterInstall* failed", "smoke test returned 503",
		"myapp v1.4 failed in production: AfterInstall failed", "CodeDeploy is rolling back", "<@U0ALICE>",
		"Rollback "+rec.RollbackID, "Rollback of myapp in production finished")
	if top := r.topLevel(); len(top) != 2 {
		t.Errorf("top-level messages = %d, want the card and the failure broadcast:\n%s", len(top), texts(top))
	}
	card := r.card(ts)
	for _, want := range []string{"AfterInstall failed: smoke test returned 503", rec.RollbackID} {
		if !strings.Contains(string(card.Blocks), want) {
			t.Errorf("card lacks %q: %s", want, card.Blocks)
		}
	}
	if child := r.record(rec.RollbackID); child.RollbackOf != id || child.CardTS != "" {
		t.Errorf("rollback record = %+v", child)
	}
}

// An alarm fires while traffic shifts: the deployment stops, rolls back,
// and the final result names the alarm; traffic is shown back on blue.
func TestAlarmStopsAndRollsBack(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", "")
	r.run(5*time.Second, 10*time.Minute, func() bool { return r.record(id).Traffic.Green >= 20 })
	if err := r.aws.SetAlarm("myapp-5xx", "ALARM", "5xx above 1%"); err != nil {
		t.Fatal(err)
	}
	r.run(5*time.Second, 5*time.Minute, r.finished(id))
	th := r.thread(ts)
	noDuplicates(t, th)
	inOrder(t, texts(th), "20% of traffic on green", "all traffic is back on blue",
		"was stopped: a watched alarm fired", "myapp-5xx", "Traffic is back on blue", "<@U0ALICE>")
	card := r.card(ts)
	if !strings.Contains(string(card.Blocks), "blue 100%") || !strings.Contains(string(card.Blocks), ":red_circle: `myapp-5xx` ALARM") {
		t.Errorf("card = %s", card.Blocks)
	}
}

// Rollback from Slack in the middle of the shift: deployer.Rollback, then
// commands records who; the card and thread say who, and traffic is back.
func TestRollbackMidShift(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	ctx := context.Background()
	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", "")
	r.run(5*time.Second, 10*time.Minute, func() bool { return r.record(id).Traffic.Green >= 30 })
	res, err := r.dep.Rollback(ctx, r.env("myapp"), r.record(id).Deployment, "U0BOB")
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != deployer.StoppedWithRollback {
		t.Fatalf("rollback = %+v", res)
	}
	if _, err := r.store.UpdateDeploymentIf(ctx, id, switchyard.AnyRev, func(rec *switchyard.Record) error {
		rec.RolledBackBy = "U0BOB"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r.n.Watch(ctx, id)
	r.run(5*time.Second, 5*time.Minute, r.finished(id))
	th := r.thread(ts)
	noDuplicates(t, th)
	// Who rolled back is recorded by commands just after StopDeployment, so
	// the notifier may see traffic back on blue before or after it learns
	// who: both replies come, in either order, before the final result.
	all := texts(th)
	inOrder(t, all, "30% of traffic on green", "<@U0BOB> rolled back: traffic is going back to blue", "was stopped: stopped by <@U0BOB>")
	inOrder(t, all, "30% of traffic on green", "all traffic is back on blue", "was stopped: stopped by <@U0BOB>")
	card := string(r.card(ts).Blocks)
	for _, want := range []string{"Rolled back by <@U0BOB>", "blue 100%"} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q: %s", want, card)
		}
	}
}

// Shift traffic now during a Ready wait and Finish now during the
// termination wait: the buttons come and go, the thread says so.
func TestShiftNowAndFinishNow(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	ctx := context.Background()
	env := r.env("payments")
	id, ts := r.deploy("payments", "v1.4", "U0ALICE", allAtOnce)
	r.run(5*time.Second, 10*time.Minute, func() bool { return r.hasReply(id, "wait:ready") })
	if card := string(r.card(ts).Blocks); !strings.Contains(card, `"shift_now"`) {
		t.Fatalf("ready card has no Shift traffic now: %s", card)
	}
	if err := r.dep.Continue(ctx, env, id, deployer.WaitReady); err != nil {
		t.Fatal(err)
	}
	r.n.Watch(ctx, id)
	r.run(5*time.Second, 10*time.Minute, func() bool { return r.hasReply(id, "wait:termination") })
	if card := string(r.card(ts).Blocks); !strings.Contains(card, `"finish_now"`) || strings.Contains(card, `"shift_now"`) {
		t.Fatalf("termination card: %s", card)
	}
	if err := r.dep.Continue(ctx, env, id, deployer.WaitTermination); err != nil {
		t.Fatal(err)
	}
	r.n.Watch(ctx, id)
	r.settle()
	r.run(time.Second, time.Minute, r.finished(id))
	th := r.thread(ts)
	noDuplicates(t, th)
	inOrder(t, texts(th), "Green is ready", "100% of traffic on green", "termination wait", "payments v1.4 is live")
	if card := string(r.card(ts).Blocks); strings.Contains(card, `"actions"`) {
		t.Errorf("finished card still has buttons: %s", card)
	}
}

// Rollback after success redeploys the previous version: commands records
// the redeployment without a card; notify posts its card and says so in
// the thread of the deployment it undoes.
func TestRollbackAfterSuccessGetsItsOwnCard(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	ctx := context.Background()
	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", allAtOnce)
	r.run(30*time.Second, 20*time.Minute, r.finished(id))
	res, err := r.dep.Rollback(ctx, r.env("myapp"), r.record(id).Deployment, "U0BOB")
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != deployer.Redeployed || res.NewDeploymentID == "" {
		t.Fatalf("rollback = %+v", res)
	}
	if _, err := r.store.UpdateDeploymentIf(ctx, id, switchyard.AnyRev, func(rec *switchyard.Record) error {
		rec.RolledBackBy = "U0BOB"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.CreateDeployment(ctx, switchyard.Record{Deployment: switchyard.Deployment{
		ID: res.NewDeploymentID, App: "myapp", Env: "production", Version: res.Plan.Version,
		Status: switchyard.StatusCreated, RequestedBy: "U0BOB", RollbackOf: id}}); err != nil {
		t.Fatal(err)
	}
	r.n.Watch(ctx, id)
	r.n.Watch(ctx, res.NewDeploymentID)
	r.run(30*time.Second, 20*time.Minute, r.finished(res.NewDeploymentID))
	inOrder(t, texts(r.thread(ts)), "myapp v1.4 is live", "<@U0BOB> rolled back: redeploying the previous version as "+res.NewDeploymentID)
	noDuplicates(t, r.thread(ts))
	redo := r.record(res.NewDeploymentID)
	if redo.CardTS == "" || redo.CardTS == ts {
		t.Fatalf("redeployment card = %q", redo.CardTS)
	}
	card := r.card(redo.CardTS)
	if !strings.Contains(card.Text, "Rollback of myapp in production") || !strings.Contains(card.Text, "succeeded") {
		t.Errorf("redeployment card = %s", card.Text)
	}
	inOrder(t, texts(r.thread(redo.CardTS)), "Rollback of myapp in production finished", "<@U0BOB>")
}
