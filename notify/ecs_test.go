package notify

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/simtest"
)

// checkout deploys itself through ECS in the sandbox's world: linear in
// 25% steps, a Lambda hook after scale-up, a pause after test traffic.

// threadTexts is the texts of a card's thread.
func (r *rig) threadTexts(ts string) []string {
	var out []string
	for _, m := range r.thread(ts) {
		out = append(out, m.Text)
	}
	return out
}

// count is how many of texts contain s.
func countContaining(texts []string, s string) int {
	n := 0
	for _, t := range texts {
		if strings.Contains(t, s) {
			n++
		}
	}
	return n
}

// pauseOf waits until the record of id waits at a pause and returns it.
func (r *rig) pauseOf(id string) switchyard.PauseHook {
	r.t.Helper()
	r.run(5*time.Second, 5*time.Minute, func() bool { return r.record(id).Waiting == switchyard.WaitPause })
	return r.record(id).Pause
}

// shiftPastThePause lets checkout's deployment id go on at its pause, as
// alice, and follows it until green carries at least green percent.
func (r *rig) shiftPastThePause(id string, green float64) {
	r.t.Helper()
	pause := r.pauseOf(id)
	if err := r.dep.ContinueHook(context.Background(), r.env("checkout"), id, pause.ID, switchyard.Actor{User: "U0ALICE"}); err != nil {
		r.t.Fatal(err)
	}
	r.n.Watch(context.Background(), id)
	r.run(5*time.Second, 5*time.Minute, func() bool { return r.record(id).Traffic.Green >= green })
}

func TestECSCardAndThread(t *testing.T) {
	r := newRig(t, Options{})
	id, ts := r.deploy("checkout", "v2.1", "U0ALICE", "")
	pause := r.pauseOf(id)
	card := r.card(ts)
	if got := simtest.Buttons(card); !slices.Equal(got, []string{blocks.ActionContinueHook, blocks.ActionRollbackHook}) {
		t.Fatalf("buttons at the pause %v", got)
	}
	simtest.WantIn(t, "the card at the pause", simtest.Shown(card), "Waiting at the pause after test traffic", "ECS rolls it back by itself",
		"After test traffic hooks", "Production traffic 25%", "Bake 2 min", "as ECS requested it")
	simtest.WantIn(t, "the thread at the pause", strings.Join(r.threadTexts(ts), "\n"), "*Scale up* ", "*After scale-up hooks*", "Waiting at the pause")

	if err := r.dep.ContinueHook(context.Background(), r.env("checkout"), id, pause.ID, switchyard.Actor{User: "U0ALICE"}); err != nil {
		t.Fatal(err)
	}
	r.n.Watch(context.Background(), id)
	r.run(10*time.Second, 15*time.Minute, r.finished(id))
	thread := r.threadTexts(ts)
	for _, step := range []string{"25% of traffic on green", "50% of traffic on green", "75% of traffic on green", "100% of traffic on green"} {
		if n := countContaining(thread, step); n != 1 {
			t.Errorf("%q told %d times:\n%s", step, n, strings.Join(thread, "\n"))
		}
	}
	if n := countContaining(thread, "*Bake 2 min*"); n != 1 {
		t.Errorf("the bake told %d times", n)
	}
	final := r.thread(ts)[len(r.thread(ts))-1]
	if !final.ReplyBroadcast || !strings.Contains(final.Text, "checkout v2.1 is live in production") {
		t.Errorf("final reply %+v", final)
	}
	card = r.card(ts)
	if got := simtest.Buttons(card); len(got) != 0 {
		t.Errorf("buttons after success %v", got)
	}
	simtest.WantIn(t, "the card after success", simtest.Shown(card), "Succeeded", "Clean up")
}

// A pause is shown with its buttons as soon as ECS's hook event arrives,
// without waiting for a poll.
func TestECSHookEventShowsTheButtonsAtOnce(t *testing.T) {
	r := newRig(t, Options{Poll: time.Hour, FastPoll: time.Hour, Discover: time.Hour})
	id, ts := r.deploy("checkout", "v2.1", "U0ALICE", "")
	for range 60 {
		if st, err := r.dep.Describe(context.Background(), r.env("checkout"), id); err == nil && st.Waiting == switchyard.WaitPause {
			break
		}
		r.aws.Advance(5 * time.Second)
	}
	simtest.WaitFor(t, "the pause's buttons on the card", func() bool {
		return slices.Contains(simtest.Buttons(r.card(ts)), blocks.ActionContinueHook)
	}, func() string { return simtest.Shown(r.card(ts)) })
}

// Deployments started with the AWS CLI or console get a card too: a forced
// new deployment and a new task definition.
func TestECSDeploymentsStartedElsewhereGetACard(t *testing.T) {
	r := newRig(t, Options{})
	client := ecs.NewFromConfig(r.aws.Config())
	ctx := context.Background()
	if _, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("checkout"), ForceNewDeployment: true}); err != nil {
		t.Fatal(err)
	}
	var card string
	simtest.WaitFor(t, "a card for the forced deployment", func() bool {
		for _, m := range r.topLevel() {
			if strings.Contains(simtest.Shown(m), "outside Slack") && strings.Contains(m.Text, "checkout") {
				card = m.TS
				return true
			}
		}
		return false
	}, func() string { return simtest.Texts(r.slack.Messages(channel)) })
	simtest.WantIn(t, "the outside card", simtest.Shown(r.card(card)), "checkout v2.0 → production", "ECS strategy")
}

// Rolled back mid-shift by someone: ECS sends traffic back, the service
// runs the previous task definition, and the card and thread say who.
func TestECSRollbackMidShift(t *testing.T) {
	r := newRig(t, Options{})
	id, ts := r.deploy("checkout", "v2.1", "U0ALICE", "")
	r.shiftPastThePause(id, 50)
	res := r.rollback(id, "U0BOB")
	if res.Kind != switchyard.StoppedWithRollback {
		t.Fatalf("rollback %+v", res)
	}
	r.run(5*time.Second, 5*time.Minute, r.finished(id))
	rec := r.record(id)
	if rec.Status != switchyard.StatusRolledBack || rec.RolledBackBy != "U0BOB" || rec.Traffic.Green != 0 {
		t.Fatalf("record %s by %s, traffic %+v", rec.Status, rec.RolledBackBy, rec.Traffic)
	}
	simtest.WantIn(t, "the card", simtest.Shown(r.card(ts)), "Rolled back", "Rolled back by <@U0BOB>", "Production traffic 50% · interrupted", "Clean up the new version")
	thread := strings.Join(r.threadTexts(ts), "\n")
	simtest.WantIn(t, "the thread", thread, "<@U0BOB> rolled back", "all traffic is back on blue", "was rolled back by <@U0BOB>")
}

// An alarm during the shift rolls the deployment back, and the card says
// which.
func TestECSAlarmDuringTheShift(t *testing.T) {
	r := newRig(t, Options{})
	id, ts := r.deploy("checkout", "v2.1", "U0ALICE", "")
	r.shiftPastThePause(id, 25)
	if err := r.aws.SetAlarm("checkout-5xx", "ALARM", "5xx above 1%"); err != nil {
		t.Fatal(err)
	}
	r.run(5*time.Second, 5*time.Minute, r.finished(id))
	if rec := r.record(id); rec.Status != switchyard.StatusRolledBack || rec.ErrorCode != switchyard.ErrorAlarm {
		t.Fatalf("record %s %s", rec.Status, rec.ErrorCode)
	}
	simtest.WantIn(t, "the card", simtest.Shown(r.card(ts)), "a watched alarm fired", "checkout-5xx")
}
