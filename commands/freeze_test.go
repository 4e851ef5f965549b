package commands

import (
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/config"
)

// TestFreeze: whoever may lock freezes an app for a while; a deploy is
// refused with the reason and the end, and may queue; --override asks a
// second person from the approve list, and the card says so; a rollback is
// never frozen; a freeze made while a card waits stops its Confirm;
// unfreeze lifts it.
func TestFreeze(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.slash(dave, deploys, "freeze web 30m release week")
	wantIn(t, "dave's freeze", w.lastEphemeral(deploys, dave), "You may not freeze deploys of web: you are not on the lock list of web")

	w.slash(bob, deploys, "freeze web 30m release week")
	end := t0.Add(30 * time.Minute)
	wantIn(t, "the announcement", shown(w.card()), ":snowflake: *web* is frozen by <@U0BOB> until", "release week", "rollbacks still work")

	w.slash(alice, deploys, "web v1.5 to staging")
	refusal := w.ephemerals(deploys, alice)[0]
	wantIn(t, "alice's refusal", shown(refusal), "*web* is frozen by <@U0BOB>", "release week", blocks.Date(end), "--override <reason>")
	if !strings.Contains(strings.Join(actions(refusal), " "), blocks.ActionQueueMe) {
		t.Errorf("the freeze's refusal offers no Queue me")
	}
	if w.dep.plans.Load() != 0 {
		t.Fatal("a frozen deploy was planned")
	}

	// Override: a card that says so, which alice cannot confirm alone.
	ts := w.request(alice, "web v1.5 to staging fix login --override hotfix for checkout")
	card, _ := w.slack.Message(deploys, ts)
	wantIn(t, "the override's card", shown(card), "Deploy during a freeze.* Override: hotfix for checkout", "needs a second person")
	w.click(alice, ts, blocks.ActionApprove)
	wantIn(t, "alice approving herself", w.lastEphemeral(deploys, alice), "You can't approve your own deploy")
	w.click(dave, ts, blocks.ActionApprove)
	if w.dep.starts.Load() != 1 {
		t.Fatalf("dave's approval started %d deployments; told %v", w.dep.starts.Load(), w.ephemerals(deploys, dave))
	}
	p, err := w.st.FindPendingByMessage(ctx10(t), deploys, ts)
	must(t, err)
	if p.Override != "hotfix for checkout" || p.ApprovedBy != dave {
		t.Errorf("the request: override %q approved by %q", p.Override, p.ApprovedBy)
	}
	// Rollback still works.
	w.slash(bob, deploys, "rollback web to staging")
	if w.dep.rollbacks.Load() != 1 {
		t.Fatalf("the rollback during the freeze was not made; told %v", w.ephemerals(deploys, bob))
	}

	// An override without a freeze is refused; a freeze made while a card
	// waits stops its Confirm.
	w.slash(bob, deploys, "unfreeze web")
	wantIn(t, "the unfreeze", shown(w.card()), ":sunny: *web* is no longer frozen: lifted by <@U0BOB>")
	w.slash(bob, deploys, "unfreeze web")
	wantIn(t, "unfreeze of nothing", w.lastEphemeral(deploys, bob), "There is no freeze of web to lift")
	w.slash(bob, deploys, "unlock web") // lock_on_rollback locked it
	w.slash(alice, deploys, "payments v1.5 --override because")
	wantIn(t, "override without a freeze", w.lastEphemeral(deploys, alice), "payments is not frozen; deploy without `--override`")
	ts = w.request(alice, "web v1.4 to production")
	w.slash(alice, deploys, "freeze all 1h change board")
	w.click(dave, ts, blocks.ActionApprove)
	wantIn(t, "the approval under the freeze", w.lastEphemeral(deploys, dave), "*Every app* is frozen by <@U0ALICE>", "change board")
	if got, _ := w.st.FindPendingByMessage(ctx10(t), deploys, ts); got.State != switchyard.StatePending {
		t.Errorf("a Confirm under a freeze moved the request to %s", got.State)
	}
	w.slash(carol, deploys, "unfreeze all")
	wantIn(t, "carol lifting every app's freeze", w.lastEphemeral(deploys, carol), "You may not lift the freezes of every app: you are not on the lock lists of payments and shop in")
}

// TestFreezeWindowOfTheConfig: a window of the config refuses with its
// name and end, cannot be lifted by a command, and --override goes
// through it.
func TestFreezeWindowOfTheConfig(t *testing.T) {
	w := newWorld(t, worldOptions{config: func(c *config.Config) {
		c.Freezes = []switchyard.FreezeWindow{{Name: "monday-morning", Reason: "weekly change board", Location: time.UTC,
			Days: []time.Weekday{time.Monday}, From: 8 * 60, To: 12 * 60}} // t0 is Monday 09:00 UTC
	}})
	w.slash(alice, deploys, "web v1.5 to staging")
	wantIn(t, "the refusal", w.lastEphemeral(deploys, alice), "frozen by the config's freeze `monday-morning`", "weekly change board",
		blocks.Date(t0.Add(3*time.Hour)))
	w.slash(alice, deploys, "unfreeze web")
	wantIn(t, "unfreeze", w.lastEphemeral(deploys, alice), "only a change of the config lifts")
	w.request(alice, "web v1.5 to staging --override outage")
	w.clock.Advance(3 * time.Hour)
	w.request(alice, "web v1.4 to staging")
}
