package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/simtest"
)

// The mission: every stage and every traffic step of a linear deployment
// on the card and in the thread, in order, then the result broadcast.
func TestMissionLinear(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", "")
	r.run(10*time.Second, 30*time.Minute, r.finished(id))

	th := r.thread(ts)
	all := simtest.Texts(th)
	simtest.NoDuplicates(t, th)
	simtest.InOrder(t, all,
		"*BeforeInstall* succeeded", "*Install* succeeded", "*AfterInstall* succeeded",
		"*BeforeAllowTraffic* succeeded", "*AllowTraffic* started",
		"10% of traffic on green", "20% of traffic", "30% of traffic", "40% of traffic", "50% of traffic",
		"60% of traffic", "70% of traffic", "80% of traffic", "90% of traffic", "100% of traffic",
		"*AllowTraffic* succeeded", "*AfterAllowTraffic* succeeded",
		"Blue is kept for the termination wait",
		"myapp v1.4 is live in production")
	last := th[len(th)-1]
	if !last.ReplyBroadcast || !strings.Contains(last.Text, "<@U0ALICE>") {
		t.Errorf("final reply = %+v, want a broadcast mentioning the requester", last)
	}
	card := r.card(ts)
	if !strings.Contains(card.Text, "succeeded") || strings.Contains(string(card.Blocks), `"actions"`) {
		t.Errorf("final card = %s %s", card.Text, card.Blocks)
	}
	for _, want := range []string{"AfterAllowTraffic", "blue 0%", "100% green", "Confirmed by", "myapp-5xx"} {
		if !strings.Contains(string(card.Blocks), want) {
			t.Errorf("final card lacks %q: %s", want, card.Blocks)
		}
	}
	if len(card.Edits) < 12 {
		t.Errorf("card edited %d times, want one per state at least", len(card.Edits))
	}
	if top := r.topLevel(); len(top) != 2 {
		t.Errorf("top-level messages = %d, want the card and the broadcast:\n%s", len(top), simtest.Texts(top))
	}
	if rec := r.record(id); rec.Status != "Succeeded" || rec.Traffic.Green != 100 || len(rec.Stages) == 0 {
		t.Errorf("record = %+v", rec.Deployment)
	}
}
