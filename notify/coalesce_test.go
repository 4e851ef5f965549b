package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/simtest"
)

// While one edit of a card is held up, the deployment runs to its end:
// the states seen meanwhile are coalesced into one edit carrying the
// latest, no two edits of the card are ever in flight at once, and the
// last edit is the final state the card shows.
func TestCardEditsCoalesceOneInFlight(t *testing.T) {
	t.Parallel()
	var spy *slackSpy
	r := newRigSlack(t, Options{}, func(sl Slack) Slack {
		spy = newSlackSpy(sl)
		spy.delay = 5 * time.Millisecond
		return spy
	})
	held, release := spy.holdFirstUpdate()
	defer release()
	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", allAtOnce)
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the card was never edited")
	}
	// The world moves on while the first edit hangs: the Notifier keeps
	// observing (the store follows AWS) but cannot send.
	for range 80 {
		if r.record(id).Status.Done() {
			break
		}
		r.aws.Advance(15 * time.Second)
		r.caughtUp(id)
	}
	if !r.record(id).Status.Done() {
		t.Fatal("the deployment did not end")
	}
	if n := len(spy.updates(ts)); n != 0 {
		t.Fatalf("%d edits finished while the first was held", n)
	}
	release()
	simtest.WaitFor(t, "the final state shown", func() bool { return r.finished(id)() && r.n.out.Idle() }, nil)

	ups := spy.updates(ts)
	if n := spy.mostInFlight(); n != 1 {
		t.Errorf("%d edits of one card were in flight at once", n)
	}
	// The held edit, then the latest state: the intermediate ones (every
	// stage and the traffic step, told in the thread) were never sent.
	replies := len(r.thread(ts))
	if len(ups) > 3 || len(ups) >= replies {
		t.Errorf("%d card edits for %d changes told in the thread: not coalesced", len(ups), replies)
	}
	last := ups[len(ups)-1]
	card := r.card(ts)
	if last.err != nil || last.text != card.Text || !strings.Contains(last.text, "succeeded") {
		t.Errorf("last edit %q (err %v); the card shows %q", last.text, last.err, card.Text)
	}
	// Every edit the card had came from these calls, so its blocks now are
	// the last edit's (slack-go keeps the blocks it sends to itself).
	if len(card.Edits) != len(ups) {
		t.Errorf("the card was edited %d times, the Notifier made %d edits", len(card.Edits), len(ups))
	}
	if !strings.Contains(string(card.Blocks), "100% green") || !strings.Contains(string(card.Blocks), "*Succeeded*") {
		t.Errorf("the last edit is not the final state: %s", card.Blocks)
	}
	simtest.NoDuplicates(t, r.thread(ts))
	t.Logf("%d card edits, %d thread replies", len(ups), replies)
}
