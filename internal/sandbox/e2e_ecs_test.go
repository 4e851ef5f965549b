package sandbox

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// checkout is the sandbox's service that ECS deploys itself: linear in 25%
// steps a simulated minute apart, a Lambda hook after scale-up, a pause
// after test traffic, a two-minute bake, alarm checkout-5xx.

// serviceDeploymentPattern finds an ECS service deployment's ARN on a card
// (its buttons' block carries it).
var serviceDeploymentPattern = regexp.MustCompile(`arn:aws:ecs:[a-z0-9-]+:\d{12}:service-deployment/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+`)

// ecsID reads the service deployment's ARN off a card.
func (e *e2e) ecsID(ts string) string {
	e.t.Helper()
	var id string
	e.waitFor("a service deployment on the card", func() bool {
		m := e.message(ts)
		id = serviceDeploymentPattern.FindString(string(m.Blocks))
		return id != ""
	})
	return id
}

// deployCheckout asks for checkout at version as alice, confirms, and
// returns the deployment and its card.
func (e *e2e) deployCheckout(version string) (string, string) {
	e.t.Helper()
	ts := e.request("U0ALICE", "checkout "+version, "Deploy checkout "+version+" to production?")
	e.mustClick("U0ALICE", ts, "confirm")
	return e.ecsID(ts), ts
}

// ecsWords is how the card's text ends for an ECS deployment that ended.
var ecsWords = map[switchyard.Status]string{
	switchyard.StatusSucceeded: "succeeded", switchyard.StatusRolledBack: "rolled back", switchyard.StatusStopped: "stopped",
}

// ecsShows reports whether the card shows what AWS says of an ECS
// deployment: its end, its pause and buttons, its traffic.
func (e *e2e) ecsShows(ts string, d switchyard.Deployment) bool {
	m := e.message(ts)
	switch {
	case d.Status.Done():
		return strings.HasSuffix(m.Text, ": "+ecsWords[d.Status])
	case d.Waiting == switchyard.WaitPause:
		return slices.Contains(buttons(m), "hook_continue")
	case d.Traffic.Blue+d.Traffic.Green > 0:
		return strings.Contains(string(m.Blocks), fmt.Sprintf("blue %s%%", switchyard.Percent(d.Traffic.Blue)))
	}
	return true
}

// ecsAdvance moves the simulated clock by step, letting the card catch up
// after each, until done holds of AWS's view.
func (e *e2e) ecsAdvance(id, ts string, step, limit time.Duration, done func(switchyard.Deployment) bool) switchyard.Deployment {
	e.t.Helper()
	for t := time.Duration(0); ; t += step {
		d := e.truth("checkout", id)
		e.waitFor(fmt.Sprintf("the card to show %s at %.0f%% green", d.Status, d.Traffic.Green), func() bool { return e.ecsShows(ts, d) })
		if d.Traffic.Green > 0 && !d.Status.Done() && d.Status != switchyard.StatusRollingBack {
			step := switchyard.Percent(d.Traffic.Green) + "% of traffic on green"
			e.waitFor("the thread to tell "+step, func() bool { return strings.Contains(replyTexts(e.thread(ts)), step) })
		}
		if done(d) {
			return d
		}
		if t >= limit {
			e.t.Fatalf("not done after %s simulated: %s at %.0f%% green\n%s", limit, d.Status, d.Traffic.Green, e.dump())
		}
		e.sb.AWS.Advance(step)
	}
}

// atPause plays deployment id to its pause, and the card to its buttons.
func (e *e2e) atPause(id, ts string) {
	e.t.Helper()
	e.ecsAdvance(id, ts, 5*time.Second, 5*time.Minute, func(d switchyard.Deployment) bool { return d.Waiting == switchyard.WaitPause })
	if got := buttons(e.message(ts)); !slices.Equal(got, []string{"hook_continue", "hook_rollback"}) {
		e.t.Fatalf("buttons at the pause %v", got)
	}
}

// continuePause presses Continue on the card as alice and waits until the
// bot has answered the pause: the card no longer asks.
func (e *e2e) continuePause(ts string) {
	e.t.Helper()
	e.mustClick("U0ALICE", ts, "hook_continue")
	e.waitFor("the pause to be answered", func() bool { return !slices.Contains(buttons(e.message(ts)), "hook_continue") })
}

// serviceTaskDefinition is what checkout runs, as ECS says.
func (e *e2e) serviceTaskDefinition() string {
	e.t.Helper()
	out, err := ecs.NewFromConfig(e.sb.AWS.Config()).DescribeServices(context.Background(),
		&ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"checkout"}})
	if err != nil || len(out.Services) != 1 {
		e.t.Fatalf("describe checkout: %v", err)
	}
	td := aws.ToString(out.Services[0].TaskDefinition)
	return td[strings.LastIndexByte(td, '/')+1:]
}

// The mission on the ECS backend: alice deploys checkout v2.1 from Slack;
// the card stops at the pause with Continue and Roll back, which carol may
// not press; alice continues; 25, 50, 75 and 100% are told once each, then
// the bake, and success is broadcast.
func TestE2EECSMission(t *testing.T) {
	e := newE2E(t, Options{})
	ts := e.request("U0ALICE", "checkout v2.1 ship the new cart", "Deploy checkout v2.1 to production?")
	confirm := string(e.message(ts).Blocks)
	for _, want := range []string{"LINEAR", "25% more every 1 minute", "a pause for Continue or Roll back on the card after test traffic"} {
		if !strings.Contains(confirm, want) {
			t.Errorf("the confirmation card lacks %q:\n%s", want, confirm)
		}
	}
	e.mustClick("U0ALICE", ts, "confirm")
	id := e.ecsID(ts)
	e.atPause(id, ts)

	before := e.message(ts)
	n := len(e.messages())
	e.mustClick("U0CAROL", ts, "hook_continue")
	if refusal := e.ephemeralTo(n, "U0CAROL"); !strings.Contains(refusal.Text, "You may not let deployments of checkout in production go on past a pause") {
		t.Errorf("carol was told %q", refusal.Text)
	}
	n = len(e.messages())
	e.mustClick("U0CAROL", ts, "hook_rollback")
	if refusal := e.ephemeralTo(n, "U0CAROL"); !strings.Contains(refusal.Text, "You may not roll back checkout") {
		t.Errorf("carol was told %q", refusal.Text)
	}
	if d := e.truth("checkout", id); d.Waiting != switchyard.WaitPause || string(e.message(ts).Blocks) != string(before.Blocks) {
		t.Fatalf("carol's clicks changed something: %s %s", d.Status, d.Waiting)
	}

	e.continuePause(ts)
	d := e.ecsAdvance(id, ts, 10*time.Second, 15*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if d.Status != switchyard.StatusSucceeded {
		t.Fatalf("AWS says %s", d.Status)
	}
	th := e.finished(ts)
	noDuplicates(t, th)
	inOrder(t, replyTexts(th), "*Scale up*", "*After scale-up hooks*", "Waiting at the pause after test traffic",
		"25% of traffic on green", "50% of traffic on green", "75% of traffic on green", "100% of traffic on green",
		"*Bake 2 min*", "*Clean up*", "checkout v2.1 is live in production")
	for _, step := range []string{"25%", "50%", "75%", "100%"} {
		if c := strings.Count(replyTexts(th), step+" of traffic on green"); c != 1 {
			t.Errorf("%s told %d times", step, c)
		}
	}
	last := th[len(th)-1]
	if !last.ReplyBroadcast || !strings.Contains(last.Text, "<@U0ALICE>") || !strings.Contains(last.Text, "ship the new cart") {
		t.Errorf("final reply %+v", last)
	}
	if b := buttons(e.message(ts)); len(b) != 0 {
		t.Errorf("the finished card still has buttons %v", b)
	}
}

// Bob rolls back mid-shift from the card: ECS sends traffic back, the
// service runs the previous version's task definition again, and the card
// says who and what.
func TestE2EECSRollbackMidShift(t *testing.T) {
	e := newE2E(t, Options{})
	id, ts := e.deployCheckout("v2.1")
	e.atPause(id, ts)
	e.continuePause(ts)
	e.ecsAdvance(id, ts, 10*time.Second, 15*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	e.finished(ts)
	v21 := e.serviceTaskDefinition()

	id, ts = e.deployCheckout("v2.2")
	e.atPause(id, ts)
	e.continuePause(ts)
	e.ecsAdvance(id, ts, 10*time.Second, 10*time.Minute, func(d switchyard.Deployment) bool { return d.Traffic.Green >= 50 })
	if !slices.Contains(buttons(e.message(ts)), "rollback") {
		t.Fatalf("no Rollback mid-shift: %v", buttons(e.message(ts)))
	}
	e.mustClick("U0BOB", ts, "rollback")
	// The clock stands still until the bot has rolled it back: at 50%.
	e.waitFor("the card to say who rolled back", func() bool {
		return strings.Contains(string(e.message(ts).Blocks), "Rolled back by <@U0BOB>")
	})
	d := e.ecsAdvance(id, ts, 5*time.Second, 10*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if d.Status != switchyard.StatusRolledBack {
		t.Fatalf("AWS says %s", d.Status)
	}
	if got := e.serviceTaskDefinition(); got != v21 {
		t.Errorf("checkout runs %s after the rollback, want v2.1's %s", got, v21)
	}
	th := e.finished(ts)
	noDuplicates(t, th)
	inOrder(t, replyTexts(th), "50% of traffic on green", "<@U0BOB> rolled back", "all traffic is back on blue", "was rolled back by <@U0BOB>")
	card := string(e.message(ts).Blocks)
	for _, want := range []string{"*Rolled back*", "Rolled back by <@U0BOB>", "Production traffic 50%"} {
		if !strings.Contains(card, want) {
			t.Errorf("the card lacks %q:\n%s", want, card)
		}
	}
}

// Roll back at the pause: the pause is answered ROLLBACK, and the card
// says who.
func TestE2EECSRollBackAtThePause(t *testing.T) {
	e := newE2E(t, Options{})
	id, ts := e.deployCheckout("v2.1")
	e.atPause(id, ts)
	e.mustClick("U0BOB", ts, "hook_rollback")
	// The answer reaches ECS a moment after Slack takes the click.
	e.waitFor("the pause to be answered", func() bool { return !slices.Contains(buttons(e.message(ts)), "hook_rollback") })
	d := e.ecsAdvance(id, ts, 5*time.Second, 5*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if d.Status != switchyard.StatusRolledBack {
		t.Fatalf("AWS says %s", d.Status)
	}
	th := e.finished(ts)
	inOrder(t, replyTexts(th), "Waiting at the pause", "<@U0BOB> rolled back", "was rolled back by <@U0BOB>")
	if card := string(e.message(ts).Blocks); !strings.Contains(card, "Rolled back by <@U0BOB>") || strings.Contains(card, "hook_continue") {
		t.Errorf("card after the rollback at the pause:\n%s", card)
	}
}

// A Lambda hook failure armed from the console and an alarm during the
// shift each roll the deployment back, and each card says why.
func TestE2EECSFailuresRollBack(t *testing.T) {
	e := newE2E(t, Options{})
	if status, out := e.post("/_sim/aws/fail", `{"app":"checkout","stage":"POST_SCALE_UP"}`); status != 200 || out["stage"] != "POST_SCALE_UP" {
		t.Fatalf("arm the failure: %d %v", status, out)
	}
	id, ts := e.deployCheckout("v2.1")
	d := e.ecsAdvance(id, ts, 5*time.Second, 5*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if d.Status != switchyard.StatusRolledBack {
		t.Fatalf("the armed failure: AWS says %s", d.Status)
	}
	th := e.finished(ts)
	inOrder(t, replyTexts(th), "*After scale-up hooks* failed", "was rolled back: After scale-up hooks failed", "failure armed from the sandbox console")
	if card := string(e.message(ts).Blocks); !strings.Contains(card, "*Why:* After scale-up hooks failed") {
		t.Errorf("the card does not say why:\n%s", card)
	}

	id, ts = e.deployCheckout("v2.1")
	e.atPause(id, ts)
	e.continuePause(ts)
	e.ecsAdvance(id, ts, 10*time.Second, 10*time.Minute, func(d switchyard.Deployment) bool { return d.Traffic.Green >= 25 })
	if status, _ := e.post("/_sim/aws/alarm", `{"name":"checkout-5xx","state":"ALARM"}`); status != 200 {
		t.Fatal("set the alarm")
	}
	d = e.ecsAdvance(id, ts, 5*time.Second, 5*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if d.Status != switchyard.StatusRolledBack || d.ErrorCode != switchyard.ErrorAlarm {
		t.Fatalf("the alarm: AWS says %s %s", d.Status, d.ErrorCode)
	}
	th = e.finished(ts)
	inOrder(t, replyTexts(th), "25% of traffic on green", "all traffic is back on blue", "was rolled back: a watched alarm fired: `checkout-5xx`")
	if card := string(e.message(ts).Blocks); !strings.Contains(card, "*Why:* a watched alarm fired: `checkout-5xx`") {
		t.Errorf("the card does not say why:\n%s", card)
	}
}

// ecsCard finds the top-level card of service deployment id.
func ecsCard(sb *Sandbox, id string) (slacksim.Message, bool) {
	short := id[strings.LastIndexByte(id, '/')+1:]
	for _, m := range sb.Slack.Messages("C0DEPLOYS") {
		if m.ThreadTS == "" && m.EphemeralTo == "" && strings.Contains(string(m.Blocks), "|"+short) { // the console link's text
			return m, true
		}
	}
	return slacksim.Message{}, false
}
