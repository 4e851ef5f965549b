package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/simtest"
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
	simtest.NoDuplicates(t, th)
	all := simtest.Texts(th)
	simtest.InOrder(t, all, "*AfterInstall* failed", "smoke test returned 503",
		"myapp v1.4 failed in production: AfterInstall failed", "CodeDeploy is rolling back", "<@U0ALICE>",
		"Rollback "+rec.RollbackID, "Rollback of myapp in production finished")
	if top := r.topLevel(); len(top) != 2 {
		t.Errorf("top-level messages = %d, want the card and the failure broadcast:\n%s", len(top), simtest.Texts(top))
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
	simtest.NoDuplicates(t, th)
	simtest.InOrder(t, simtest.Texts(th), "20% of traffic on green", "all traffic is back on blue",
		"was stopped: a watched alarm fired", "myapp-5xx", "Traffic is back on blue", "<@U0ALICE>")
	card := r.card(ts)
	if !strings.Contains(string(card.Blocks), "blue 100%") || !strings.Contains(string(card.Blocks), ":red_circle: `myapp-5xx` ALARM") {
		t.Errorf("card = %s", card.Blocks)
	}
}

// Rollback from Slack in the middle of the shift, as commands does it: a
// rollback request, deployer.Rollback, the request linked; the card and
// thread say who, and traffic is back.
func TestRollbackMidShift(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", "")
	r.run(5*time.Second, 10*time.Minute, func() bool { return r.record(id).Traffic.Green >= 30 })
	if res := r.rollback(id, "U0BOB"); res.Kind != switchyard.StoppedWithRollback {
		t.Fatalf("rollback = %+v", res)
	}
	r.run(5*time.Second, 5*time.Minute, r.finished(id))
	th := r.thread(ts)
	simtest.NoDuplicates(t, th)
	// Who rolled back is in the store before AWS is asked, and what comes
	// after it is held until AWS has answered: the thread tells it in order.
	simtest.InOrder(t, simtest.Texts(th), "30% of traffic on green", "<@U0BOB> rolled back: traffic is going back to blue",
		"all traffic is back on blue", "was stopped by <@U0BOB>.")
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
	if err := r.dep.Continue(ctx, env, id, switchyard.WaitReady, switchyard.Actor{User: "U0ALICE"}); err != nil {
		t.Fatal(err)
	}
	r.n.Watch(ctx, id)
	r.run(5*time.Second, 10*time.Minute, func() bool { return r.hasReply(id, "wait:termination") })
	if card := string(r.card(ts).Blocks); !strings.Contains(card, `"finish_now"`) || strings.Contains(card, `"shift_now"`) {
		t.Fatalf("termination card: %s", card)
	}
	if err := r.dep.Continue(ctx, env, id, switchyard.WaitTermination, switchyard.Actor{User: "U0ALICE"}); err != nil {
		t.Fatal(err)
	}
	r.n.Watch(ctx, id)
	r.settle()
	r.run(time.Second, time.Minute, r.finished(id))
	th := r.thread(ts)
	simtest.NoDuplicates(t, th)
	simtest.InOrder(t, simtest.Texts(th), "Green is ready", "100% of traffic on green", "termination wait", "payments v1.4 is live")
	if card := string(r.card(ts).Blocks); strings.Contains(card, `"actions"`) {
		t.Errorf("finished card still has buttons: %s", card)
	}
}

// Rollback after success redeploys the previous version: the rollback
// request has no card; notify records the redeployment from it, posts its
// card and says so in the thread of the deployment it undoes.
func TestRollbackAfterSuccessGetsItsOwnCard(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", allAtOnce)
	r.run(30*time.Second, 20*time.Minute, r.finished(id))
	res := r.rollback(id, "U0BOB")
	if res.Kind != switchyard.Redeployed || res.NewDeploymentID == "" {
		t.Fatalf("rollback = %+v", res)
	}
	r.run(30*time.Second, 20*time.Minute, r.finished(res.NewDeploymentID))
	simtest.InOrder(t, simtest.Texts(r.thread(ts)), "myapp v1.4 is live", "<@U0BOB> rolled back: redeploying the previous version as "+res.NewDeploymentID)
	simtest.NoDuplicates(t, r.thread(ts))
	redo := r.record(res.NewDeploymentID)
	if redo.CardTS == "" || redo.CardTS == ts {
		t.Fatalf("redeployment card = %q", redo.CardTS)
	}
	card := r.card(redo.CardTS)
	if !strings.Contains(card.Text, "Rollback of myapp in production") || !strings.Contains(card.Text, "succeeded") {
		t.Errorf("redeployment card = %s", card.Text)
	}
	simtest.InOrder(t, simtest.Texts(r.thread(redo.CardTS)), "Rollback of myapp in production finished", "<@U0BOB>")
}
