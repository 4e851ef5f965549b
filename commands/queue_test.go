package commands

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// queueMe presses Queue me on the last refusal user was told, a second
// after the last press (places in line are ordered by when they were
// taken; on a clock that stands still they would tie).
func (w *world) queueMe(user string) slacksim.Message {
	w.t.Helper()
	w.clock.Advance(time.Second)
	told := w.ephemerals(deploys, user)
	if len(told) == 0 || !slices.Contains(actions(told[len(told)-1]), blocks.ActionQueueMe) {
		w.t.Fatalf("%s was offered no Queue me: %v", user, told)
	}
	w.click(user, told[len(told)-1].TS, blocks.ActionQueueMe)
	return w.ephemerals(deploys, user)[len(w.ephemerals(deploys, user))-1]
}

// TestQueue: a deploy refused by a lock waits in line; the lock's message
// lists the line; when the lock goes, the first in line gets the card with
// a mention and still confirms; the next gets the turn once that card is
// done with; a place can be left; the line is in /deploy status.
func TestQueue(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.slash(carol, deploys, "lock web incident 7")
	lockMsg := w.card()

	w.slash(alice, deploys, "web v1.5 to staging fix login")
	got := w.queueMe(alice)
	wantIn(t, "alice's place", shown(got), "You are number 1 in line for web in staging (`v1.5`)")
	if !slices.Contains(actions(got), blocks.ActionQueueLeave) {
		t.Errorf("no Leave the queue on %s", shown(got))
	}
	w.slash(bob, deploys, "web v1.4 to staging")
	wantIn(t, "bob's place", shown(w.queueMe(bob)), "You are number 2 in line")
	w.slash(alice, deploys, "web v1.5 to staging")
	wantIn(t, "alice again", shown(w.queueMe(alice)), "You are already number 1 in line")

	m, _ := w.slack.Message(deploys, lockMsg.TS)
	wantIn(t, "the lock's message", shown(m), "*web* is locked by <@U0CAROL>", "Queued for web in staging:*", "1. <@U0ALICE> `v1.5`", "2. <@U0BOB> `v1.4`")
	w.slash(dave, deploys, "status web")
	wantIn(t, "status", shown(w.ephemerals(deploys, dave)[0]), "Queued:", "1. <@U0ALICE> `v1.5`")
	if n := w.dep.plans.Load(); n != 0 {
		t.Fatalf("queueing planned %d deploys", n)
	}

	// The lock goes: alice's turn.
	before := len(w.channelMessages(deploys))
	w.slash(carol, deploys, "unlock web")
	ms := w.channelMessages(deploys)
	if len(ms) != before+2 {
		t.Fatalf("after the unlock %d messages, want the unlock and alice's card", len(ms)-before)
	}
	card := ms[len(ms)-1]
	wantIn(t, "alice's card", shown(card), "<@U0ALICE>, your turn: web in staging is free.", "Deploy web v1.5 to staging?", "fix login")
	if !strings.Contains(card.Text, "<@U0ALICE>") || !slices.Contains(actions(card), blocks.ActionConfirm) {
		t.Fatalf("the card does not mention alice or cannot be confirmed: %q %v", card.Text, actions(card))
	}
	// Bob waits while alice's card does.
	w.h.Sweep(context.Background())
	if n := len(w.channelMessages(deploys)); n != len(ms) {
		t.Fatalf("bob got a card while alice's waits")
	}
	// Alice lets it go; bob's turn comes.
	w.click(alice, card.TS, blocks.ActionCancel)
	simtest.WaitFor(t, "bob's card", func() bool {
		all := w.channelMessages(deploys)
		return strings.Contains(all[len(all)-1].Text, "<@U0BOB>, your turn")
	}, nil)
	if line, _ := w.st.ListQueue(context.Background(), "web", "staging"); len(line) != 1 || line[0].RequestedBy != bob || line[0].State != switchyard.QueueHanded {
		t.Errorf("line after both turns: %+v", line)
	}
}

// TestQueueExpiryAndLeaving: a place whose time runs out before the app is
// free is told, and nothing is posted for it; a place left is gone.
func TestQueueExpiryAndLeaving(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.slash(carol, deploys, "lock web incident 7")
	w.slash(alice, deploys, "web v1.5 to staging")
	w.queueMe(alice)
	w.slash(bob, deploys, "web v1.4 to staging")
	place := w.queueMe(bob)
	w.click(bob, place.TS, blocks.ActionQueueLeave)
	wantIn(t, "bob's leaving", w.lastEphemeral(deploys, bob), "You left the queue for web in staging (`v1.4`)")

	w.clock.Advance(4*time.Hour + time.Minute)
	before := len(w.channelMessages(deploys))
	w.slash(carol, deploys, "unlock web")
	if _, err := w.h.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(w.channelMessages(deploys)) - before; n != 1 {
		t.Fatalf("%d messages after the unlock; want the unlock alone", n)
	}
	wantIn(t, "alice's expiry", w.lastEphemeral(deploys, alice), "Your place in the queue for web in staging (`v1.5`) expired", "nothing was posted")
	if line, _ := w.st.ListQueue(context.Background(), "", ""); len(line) != 0 {
		t.Errorf("the line keeps %+v", line)
	}
	if n := w.dep.plans.Load(); n != 0 {
		t.Errorf("%d plans for expired and withdrawn places", n)
	}
	if a := w.lastAudit(); a.Action != actQueueExpire || a.User != alice {
		t.Errorf("last audit = %+v", a)
	}
}

// TestQueueBehindADeployment: a deploy under way refuses with Queue me;
// when notify says the deployment ended, the first in line gets the turn.
func TestQueueBehindADeployment(t *testing.T) {
	w := newWorld(t, worldOptions{})
	first := w.request(bob, "web v1.4 to staging")
	w.click(bob, first, blocks.ActionConfirm)
	ids := w.watch.seen()
	if len(ids) != 1 {
		t.Fatalf("watched %v", ids)
	}
	w.slash(alice, deploys, "web v1.5 to staging")
	wantIn(t, "alice's refusal", shown(w.ephemerals(deploys, alice)[0]), "web in staging is already deploying `v1.4`, asked by <@U0BOB>")
	w.queueMe(alice)

	// notify's record of the deployment ends.
	ctx := context.Background()
	rec, err := w.st.UpdateDeploymentIf(ctx, ids[0], switchyard.AnyRev, func(r *switchyard.Record) error {
		r.Status, r.Completed = switchyard.StatusSucceeded, w.clock.Now()
		return nil
	})
	must(t, err)
	w.h.DeploymentChanged(ctx, rec.Deployment)
	simtest.WaitFor(t, "alice's card", func() bool {
		all := w.channelMessages(deploys)
		return strings.Contains(all[len(all)-1].Text, "<@U0ALICE>, your turn")
	}, nil)
}
