package sandbox

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/slacksim"
)

var (
	stagesInOrder = []string{"*BeforeInstall* succeeded", "*Install* succeeded", "*AfterInstall* succeeded",
		"*BeforeAllowTraffic* succeeded", "*AllowTraffic* succeeded", "*AfterAllowTraffic* succeeded"}
	linearSteps = []string{"10% of traffic on green", "20% of traffic on green", "30% of traffic on green",
		"40% of traffic on green", "50% of traffic on green", "60% of traffic on green", "70% of traffic on green",
		"80% of traffic on green", "90% of traffic on green", "100% of traffic on green"}
)

// checkSucceeded asserts what a successful myapp v1.4 shows: the thread in
// order, once each, the broadcast mentioning alice, a finished card.
func checkSucceeded(t *testing.T, e *e2e, ts string) {
	t.Helper()
	th := e.finished(ts)
	noDuplicates(t, th)
	all := replyTexts(th)
	inOrder(t, all, stagesInOrder[:4]...)
	inOrder(t, all, append(append([]string{"*BeforeAllowTraffic* succeeded"}, linearSteps...), stagesInOrder[4:]...)...)
	last := th[len(th)-1]
	if !last.ReplyBroadcast || !strings.Contains(last.Text, "myapp v1.4 is live in production") || !strings.Contains(last.Text, "<@U0ALICE>") {
		t.Errorf("final reply = %+v", last)
	}
	for _, m := range th[:len(th)-1] {
		if m.ReplyBroadcast {
			t.Errorf("a reply other than the final one was broadcast: %q", m.Text)
		}
	}
	card := e.message(ts)
	if !strings.Contains(card.Text, "succeeded") || !strings.Contains(string(card.Blocks), ":white_check_mark: *Succeeded*") ||
		!strings.Contains(string(card.Blocks), "blue 0%") || !strings.Contains(string(card.Blocks), "100% green") {
		t.Errorf("finished card: %s\n%s", card.Text, card.Blocks)
	}
	if b := buttons(card); len(b) != 0 {
		t.Errorf("the finished card still has buttons %v", b)
	}
	if top := e.topLevel(); len(top) != 2 || top[0].TS != ts || top[1].TS != last.TS {
		t.Errorf("the channel shows %d messages, want the card and the broadcast:\n%s", len(top), e.dump())
	}
}

// The mission through the real command path: alice types /deploy, confirms
// on the card, and the card and its thread tell every stage and every step
// of the linear shift in order, once each, ending in a success broadcast.
func TestE2EMission(t *testing.T) {
	e := newE2E(t, Options{})
	ts := e.request("U0ALICE", "myapp v1.4 fix the login page", "Deploy myapp v1.4 to production?")
	if got := buttons(e.message(ts)); !slices.Contains(got, "confirm") || !slices.Contains(got, "cancel") {
		t.Fatalf("confirmation buttons = %v", got)
	}
	e.mustClick("U0ALICE", ts, "confirm")
	id := e.deploymentID(ts)
	sawRollback := false
	d := e.advanceUntil("myapp", id, ts, 10*time.Second, 30*time.Minute, func(d switchyard.Deployment) bool {
		if d.Traffic.Green > 0 && d.Traffic.Green < 100 {
			sawRollback = sawRollback || slices.Contains(buttons(e.message(ts)), "rollback")
		}
		return d.Status.Done()
	})
	if d.Status != switchyard.StatusSucceeded {
		t.Fatalf("AWS says %s", d.Status)
	}
	if !sawRollback {
		t.Error("the card had no Rollback button while traffic shifted")
	}
	checkSucceeded(t, e, ts)
}

// Rollback from the card mid-shift: carol may not and is told so privately,
// changing nothing; bob (on call) may, and the card and thread say so.
func TestE2ERollbackFromCard(t *testing.T) {
	e := newE2E(t, Options{})
	ts := e.request("U0ALICE", "myapp v1.4", "Deploy myapp v1.4 to production?")
	e.mustClick("U0ALICE", ts, "confirm")
	id := e.deploymentID(ts)
	e.advanceUntil("myapp", id, ts, 10*time.Second, 10*time.Minute, func(d switchyard.Deployment) bool { return d.Traffic.Green >= 30 })

	before := e.message(ts)
	n := len(e.messages())
	e.mustClick("U0CAROL", ts, "rollback")
	refusal := e.ephemeralTo(n, "U0CAROL")
	if !strings.Contains(refusal.Text, "You may not roll back myapp") {
		t.Errorf("carol was told %q", refusal.Text)
	}
	time.Sleep(300 * time.Millisecond) // time for a wrong edit to show, if any
	after := e.message(ts)
	if string(after.Blocks) != string(before.Blocks) || len(after.Edits) != len(before.Edits) {
		t.Errorf("carol's click changed the card:\nbefore %s\nafter  %s", before.Blocks, after.Blocks)
	}
	if d := e.truth("myapp", id); d.Status.Done() {
		t.Fatalf("carol's click stopped the deployment: %s", d.Status)
	}
	for _, m := range e.messages()[n:] {
		if m.EphemeralTo == "" && (m.ThreadTS == "" || strings.Contains(m.Text, "U0CAROL") || strings.Contains(m.Text, "roll")) {
			t.Errorf("carol's click posted %q for everyone", m.Text)
		}
	}

	e.mustClick("U0BOB", ts, "rollback")
	e.waitFor("the card to say who rolled back", func() bool {
		return strings.Contains(string(e.message(ts).Blocks), "Rolled back by <@U0BOB>")
	})
	d := e.advanceUntil("myapp", id, ts, 5*time.Second, 10*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if d.Status != switchyard.StatusStopped {
		t.Fatalf("AWS says %s", d.Status)
	}
	th := e.finished(ts)
	noDuplicates(t, th)
	all := replyTexts(th)
	inOrder(t, all, "30% of traffic on green", "<@U0BOB> rolled back", "stopped by <@U0BOB>")
	if strings.Contains(all, "past the lock") {
		t.Errorf("a rollback without a lock is said to go past one:\n%s", all)
	}
	if !strings.Contains(all, "all traffic is back on blue") {
		t.Errorf("the thread never says traffic is back on blue:\n%s", all)
	}
	if strings.Contains(all, "40% of traffic on green") && strings.Index(all, "40% of traffic") > strings.Index(all, "rolled back") {
		t.Errorf("traffic kept shifting after the rollback:\n%s", all)
	}
	last := th[len(th)-1]
	if !last.ReplyBroadcast || !strings.Contains(last.Text, "stopped by <@U0BOB>") || !strings.Contains(last.Text, "<@U0ALICE>") {
		t.Errorf("final reply = %+v", last)
	}
	card := e.message(ts)
	for _, want := range []string{"Rolled back by <@U0BOB>", "blue 100%", "0% green"} {
		if !strings.Contains(string(card.Blocks), want) {
			t.Errorf("the card lacks %q: %s", want, card.Blocks)
		}
	}
	// Who rolled back is the why: the card says it once.
	if strings.Contains(string(card.Blocks), "*Why:*") {
		t.Errorf("the card repeats why it stopped: %s", card.Blocks)
	}
	if b := buttons(card); len(b) != 0 {
		t.Errorf("the rolled back card still has buttons %v", b)
	}
	if _, err := e.click("U0BOB", ts, "rollback"); err != slacksim.ErrNoSuchButton {
		t.Errorf("a second rollback click found a button: %v", err)
	}
}

// payments needs dave's approval, waits for the go-ahead before shifting,
// and keeps blue for a termination wait; the buttons for each come and go.
func TestE2EPaymentsApprovalShiftAndFinish(t *testing.T) {
	e := newE2E(t, Options{})
	ts := e.request("U0ALICE", "payments v1.4", "payments v1.4")
	if got := buttons(e.message(ts)); !slices.Contains(got, "approve") || slices.Contains(got, "confirm") {
		t.Fatalf("a card that needs approval has buttons %v:\n%s", got, e.message(ts).Blocks)
	}
	n := len(e.messages())
	e.mustClick("U0ALICE", ts, "approve")
	if m := e.ephemeralTo(n, "U0ALICE"); !strings.Contains(m.Text, "can't approve your own deploy") {
		t.Errorf("alice approving her own deploy was told %q", m.Text)
	}
	if d := e.message(ts); deploymentIDPattern.MatchString(d.Text + string(d.Blocks)) {
		t.Fatalf("alice approved her own deploy: %s", d.Blocks)
	}
	e.mustClick("U0DAVE", ts, "approve")
	id := e.deploymentID(ts)

	e.advanceUntilCard("payments", id, ts, 5*time.Second, 10*time.Minute, "Shift traffic now", func(m slacksim.Message) bool {
		return slices.Contains(buttons(m), "shift_now")
	})
	card := e.message(ts)
	if b := buttons(card); !slices.Equal(b, []string{"rollback", "shift_now"}) {
		t.Errorf("in the ready wait the buttons are %v", b)
	}
	if !strings.Contains(string(card.Blocks), "blue 100%") {
		t.Errorf("traffic moved before the go-ahead: %s", card.Blocks)
	}
	// The ready wait holds however long the clock runs (within its 30 min).
	e.sb.AWS.Advance(5 * time.Minute)
	if d := e.settle("payments", id, ts); d.Traffic.Green != 0 || d.Status.Done() {
		t.Fatalf("the ready wait did not hold: %s at %.0f%% green", d.Status, d.Traffic.Green)
	}
	e.mustClick("U0ALICE", ts, "shift_now")
	// The click reaches the bot, and AWS, a moment after Slack takes it.
	e.waitFor("AWS to leave the ready wait", func() bool { return e.truth("payments", id).Waiting != switchyard.WaitReady })
	e.advanceUntilCard("payments", id, ts, 10*time.Second, 10*time.Minute, "10% green", func(m slacksim.Message) bool {
		return strings.Contains(string(m.Blocks), "10% green")
	})
	if b := buttons(e.message(ts)); !slices.Equal(b, []string{"rollback"}) {
		t.Errorf("while traffic shifts the buttons are %v", b)
	}
	e.advanceUntilCard("payments", id, ts, 30*time.Second, 15*time.Minute, "Finish now", func(m slacksim.Message) bool {
		return slices.Contains(buttons(m), "finish_now")
	})
	card = e.message(ts)
	if b := buttons(card); !slices.Equal(b, []string{"rollback", "finish_now"}) {
		t.Errorf("in the termination wait the buttons are %v", b)
	}
	if !strings.Contains(string(card.Blocks), "100% green") {
		t.Errorf("the termination wait began before all traffic was on green: %s", card.Blocks)
	}
	e.mustClick("U0ALICE", ts, "finish_now")
	e.waitFor("the deployment to finish without the clock moving", func() bool {
		return e.truth("payments", id).Status.Done()
	})
	d := e.settle("payments", id, ts)
	if d.Status != switchyard.StatusSucceeded {
		t.Fatalf("AWS says %s", d.Status)
	}
	th := e.finished(ts)
	noDuplicates(t, th)
	inOrder(t, replyTexts(th), "10% of traffic on green", "100% of traffic on green", "payments v1.4 is live in production")
	if b := buttons(e.message(ts)); len(b) != 0 {
		t.Errorf("the finished card still has buttons %v", b)
	}
	// dave is the approver on the card and in the final reply, not someone
	// who "confirmed".
	if b := string(e.message(ts).Blocks); !strings.Contains(b, `*Approved by*\n<@U0DAVE>`) || strings.Contains(b, "Confirmed by") {
		t.Errorf("the card does not say dave approved: %s", b)
	}
	if last := th[len(th)-1]; !strings.Contains(last.Text, "<@U0ALICE>, approved by <@U0DAVE>") {
		t.Errorf("the final reply does not name the approver: %q", last.Text)
	}
}
