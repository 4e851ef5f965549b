package sandbox

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// deployMyapp has alice request and confirm myapp v1.4 and returns the
// deployment id and its card.
func (e *e2e) deployMyapp(extra string) (string, string) {
	e.t.Helper()
	ts := e.request("U0ALICE", "myapp v1.4"+extra, "Deploy myapp v1.4 to production?")
	e.mustClick("U0ALICE", ts, "confirm")
	return e.deploymentID(ts), ts
}

// The Socket Mode connection dropped mid-shift and again in the termination
// wait: the bot reconnects, a click made right after the drop is delivered
// and handled, and the card ends right with every reply once.
func TestE2EDroppedSocket(t *testing.T) {
	e := newE2E(t, Options{})
	id, ts := e.deployMyapp("")
	e.advanceUntil("myapp", id, ts, 10*time.Second, 10*time.Minute, func(d switchyard.Deployment) bool { return d.Traffic.Green >= 30 })
	if n := e.sb.Slack.DropConnections(0); n != 1 {
		t.Fatalf("dropped %d connections, want the bot's one", n)
	}
	e.advanceUntilCard("myapp", id, ts, 10*time.Second, 15*time.Minute, "Finish now", func(m slacksim.Message) bool {
		return slices.Contains(buttons(m), "finish_now")
	})
	e.waitFor("the bot to reconnect", func() bool { return e.sb.Slack.Connections() == 1 })
	if n := e.sb.Slack.DropConnections(0); n != 1 {
		t.Fatalf("dropped %d connections, want the bot's one", n)
	}
	res, err := e.click("U0ALICE", ts, "finish_now") // while the bot reconnects
	if err != nil {
		t.Fatalf("the click right after the drop: %v", err)
	}
	if e.sb.Slack.Connections() != 1 {
		t.Errorf("the click was acked (%s) but %d connections are up", res.EnvelopeID, e.sb.Slack.Connections())
	}
	e.waitFor("Finish now to end the deployment", func() bool { return e.truth("myapp", id).Status.Done() })
	e.settle("myapp", id, ts)
	checkSucceeded(t, e, ts)
	for _, a := range e.sb.Slack.Acks() {
		if a.Missing || a.Late {
			t.Errorf("an envelope was not acked in time: %+v", a)
		}
	}
	if errs := e.sb.Slack.UserErrors(); len(errs) != 0 {
		t.Errorf("users saw errors: %+v", errs)
	}
}

// killOptions stop the bot with no grace: queued card edits and replies
// are abandoned and running jobs cut, as a kill would.
func killOptions() BotOptions {
	o := botOptions()
	o.Notify.Grace = time.Nanosecond
	o.Commands.DrainTimeout = time.Nanosecond
	return o
}

// The bot stopped without its grace period in the middle of sending, the
// world moving on while it is down, and a new bot on the same store: the
// same card is edited, what was missed is told once, and it finishes.
func TestE2EBotKilledAndRestarted(t *testing.T) {
	e := newE2E(t, Options{})
	if err := e.sb.StopBot(); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.StartBot(t.Context(), killOptions()); err != nil {
		t.Fatal(err)
	}
	id, ts := e.deployMyapp("")
	e.advanceUntil("myapp", id, ts, 10*time.Second, 10*time.Minute, func(d switchyard.Deployment) bool { return d.Traffic.Green >= 30 })
	// Kill it while it sends the next step.
	n := len(e.thread(ts))
	e.sb.AWS.Advance(time.Minute)
	e.waitFor("the bot to start telling the next step", func() bool { return len(e.thread(ts)) > n })
	if err := e.sb.StopBot(); err != nil {
		t.Fatal(err)
	}
	e.sb.AWS.Advance(2 * time.Minute) // the world moves on while nobody watches
	down := e.truth("myapp", id)
	if err := e.sb.StartBot(t.Context(), killOptions()); err != nil {
		t.Fatal(err)
	}
	e.settle("myapp", id, ts)
	if !strings.Contains(string(e.message(ts).Blocks), "blue "+switchyard.Percent(down.Traffic.Blue)+"%") {
		t.Errorf("after the restart the card does not show %.0f%% green: %s", down.Traffic.Green, e.message(ts).Blocks)
	}
	d := e.advanceUntil("myapp", id, ts, 10*time.Second, 30*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if d.Status != switchyard.StatusSucceeded {
		t.Fatalf("AWS says %s", d.Status)
	}
	th := e.finished(ts)
	noDuplicates(t, th)
	all := replyTexts(th)
	inOrder(t, all, "*BeforeAllowTraffic* succeeded", "10% of traffic on green", "30% of traffic on green",
		switchyard.Percent(down.Traffic.Green)+"% of traffic on green", "100% of traffic on green", "*AfterAllowTraffic* succeeded", "myapp v1.4 is live")
	if top := e.topLevel(); len(top) != 2 || top[0].TS != ts {
		t.Errorf("the channel shows %d messages, want the same card and the broadcast:\n%s", len(top), e.dump())
	}
	card := e.message(ts)
	if !strings.Contains(string(card.Blocks), ":white_check_mark: *Succeeded*") || len(buttons(card)) != 0 {
		t.Errorf("card: %s", card.Blocks)
	}
}

// Slack answering 429 (tight limits) and CodeDeploy throttling 30% of
// calls: both really happen, Retry-After is waited out, and the card still
// ends right with every reply once.
func TestE2ERateLimitsAndThrottling(t *testing.T) {
	e := newE2E(t, Options{})
	if err := e.sb.StopBot(); err != nil {
		t.Fatal(err)
	}
	slackCalls := newSlackTap(t, e.sb)
	awsCalls := e.startBotWithAWSTap()
	e.sb.Slack.SetRateLimit(slacksim.RateTight)
	e.sb.AWS.SetThrottle("codedeploy", 0.3)

	id, ts := e.deployMyapp(" --config all-at-once")
	// The clock moves on without waiting for the card, which can only
	// change every few seconds: the bot must coalesce and catch up.
	for range 40 {
		if e.truth("myapp", id).Status.Done() {
			break
		}
		e.sb.AWS.Advance(30 * time.Second)
	}
	if d := e.truth("myapp", id); d.Status != switchyard.StatusSucceeded {
		t.Fatalf("AWS says %s", d.Status)
	}
	th := e.finished(ts)
	noDuplicates(t, th)
	inOrder(t, replyTexts(th), "*BeforeAllowTraffic* succeeded", "100% of traffic on green", "myapp v1.4 is live in production")
	card := e.message(ts)
	if !strings.Contains(string(card.Blocks), ":white_check_mark: *Succeeded*") || len(buttons(card)) != 0 {
		t.Errorf("card: %s", card.Blocks)
	}
	if n := slackCalls.rateLimited(); n == 0 {
		t.Error("Slack never answered 429: the test did not test rate limits")
	} else {
		t.Logf("Slack answered 429 %d times in %d calls", n, len(slackCalls.snapshot()))
	}
	for _, v := range slackCalls.retryAfterViolations() {
		t.Errorf("Retry-After not honoured: %s", v)
	}
	if n := awsCalls.throttled(); n == 0 {
		t.Error("AWS never throttled the bot: the test did not test throttling")
	} else {
		t.Logf("AWS throttled %d of the bot's %d calls", n, awsCalls.calls)
	}
}
