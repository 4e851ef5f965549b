package sandbox

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
)

const deploys = "C0DEPLOYS"

// e2e is a sandbox with the whole bot running in it, driven as people
// would drive Slack: slash commands and button clicks, then reading what
// the channel shows. AWS's own view (through a deployer of the test's own)
// tells when the bot has caught up with the simulated clock.
type e2e struct {
	t   *testing.T
	sb  *Sandbox
	aws *deployer.Deployer
}

// newE2E starts a sandbox on a frozen clock and the bot in it, with polling
// short enough that each step of the clock is seen before the next.
func newE2E(t *testing.T, opts Options) *e2e {
	t.Helper()
	opts.Speed = 0
	sb, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The AWS simulator's Close answers DeadlineExceeded when a client
		// left a connection open without a request on it (net/http waits
		// 5 s for those); that is not this test's concern.
		if err := sb.Close(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("close the sandbox: %v", err)
		}
	})
	e := &e2e{t: t, sb: sb, aws: deployer.NewFromConfig(sb.AWS.Config(), zap.NewNop(), deployer.Options{Now: sb.AWS.Clock().Now})}
	e.startBot()
	return e
}

// botOptions are the sandbox's, with faster polling: the simulated clock
// only moves when the test moves it, so fast polls cost nothing.
func botOptions() BotOptions {
	var o BotOptions
	o.Notify.Poll = 100 * time.Millisecond
	o.Notify.FastPoll = 50 * time.Millisecond
	o.Notify.Discover = 500 * time.Millisecond
	o.Commands.SweepEvery = 500 * time.Millisecond
	// Home tabs follow every change at once: the tests look, not wait.
	o.Commands.Home.Gap = 100 * time.Millisecond
	o.Commands.Home.Tick = 50 * time.Millisecond
	return o
}

func (e *e2e) startBot() {
	e.t.Helper()
	if err := e.sb.StartBot(context.Background(), botOptions()); err != nil {
		e.t.Fatal(err)
	}
}

// slash types a command in #deploys as user and returns the bot's ack.
func (e *e2e) slash(user, text string) slacksim.AckResult {
	e.t.Helper()
	cmd, rest, _ := strings.Cut(text, " ")
	res, err := e.sb.Slack.Slash(context.Background(), slacksim.SlashRequest{UserID: user, ChannelID: deploys, Command: cmd, Text: rest})
	if err != nil {
		e.t.Fatalf("%s types %q: %v", user, text, err)
	}
	return res
}

// click presses a button on a message in #deploys.
func (e *e2e) click(user, ts, action string) (slacksim.AckResult, error) {
	return e.sb.Slack.Click(context.Background(), slacksim.ClickRequest{UserID: user, ChannelID: deploys, MessageTS: ts, ActionID: action})
}

// mustClick presses a button that must be there and be acked.
func (e *e2e) mustClick(user, ts, action string) {
	e.t.Helper()
	if _, err := e.click(user, ts, action); err != nil {
		e.t.Fatalf("%s clicks %s on %s: %v\ncard: %s", user, action, ts, err, e.message(ts).Blocks)
	}
}

// messages is #deploys, oldest first, thread replies and ephemerals included.
func (e *e2e) messages() []slacksim.Message { return e.sb.Slack.Messages(deploys) }

// message is one message of #deploys, with its blocks unescaped for reading.
func (e *e2e) message(ts string) slacksim.Message {
	e.t.Helper()
	m, ok := e.sb.Slack.Message(deploys, ts)
	if !ok {
		e.t.Fatalf("no message %s in #deploys", ts)
	}
	m.Blocks = unescape(m.Blocks)
	return m
}

func unescape(b []byte) []byte { return []byte(simtest.Unescape(string(b))) }

// waitFor waits (in real time) until cond holds.
func (e *e2e) waitFor(what string, cond func() bool) {
	e.t.Helper()
	simtest.WaitFor(e.t, what, cond, e.dump)
}

// dump is the channel as text, for failure messages.
func (e *e2e) dump() string {
	var b strings.Builder
	for _, m := range e.messages() {
		fmt.Fprintf(&b, "[%s thread=%s eph=%s bcast=%v] %s\n", m.TS, m.ThreadTS, m.EphemeralTo, m.ReplyBroadcast, m.Text)
	}
	return b.String()
}

// newTop waits for a new top-level, non-ephemeral message whose text
// contains want, posted after the channel had n messages.
func (e *e2e) newTop(n int, want string) slacksim.Message {
	e.t.Helper()
	var found slacksim.Message
	e.waitFor("a message saying "+want, func() bool {
		ms := e.messages()
		for _, m := range ms[min(n, len(ms)):] {
			if m.ThreadTS == "" && m.EphemeralTo == "" && strings.Contains(m.Text+string(unescape(m.Blocks)), want) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// ephemeralTo waits for an ephemeral message to user, posted after the
// channel had n messages, and returns it.
func (e *e2e) ephemeralTo(n int, user string) slacksim.Message {
	e.t.Helper()
	var found slacksim.Message
	e.waitFor("an ephemeral answer to "+user, func() bool {
		ms := e.messages()
		for _, m := range ms[min(n, len(ms)):] {
			if m.EphemeralTo == user {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// deploy runs "/deploy <args>" as user, checks the confirmation card and
// returns its ts.
func (e *e2e) request(user, args, title string) string {
	e.t.Helper()
	n := len(e.messages())
	e.slash(user, "/deploy "+args)
	return e.newTop(n, title).TS
}

// deploymentID reads the deployment id off a card's buttons or text.
var deploymentIDPattern = regexp.MustCompile(`d-[A-Z0-9]{9}`)

func (e *e2e) deploymentID(ts string) string {
	e.t.Helper()
	var id string
	e.waitFor("a deployment id on the card", func() bool {
		m := e.message(ts)
		id = deploymentIDPattern.FindString(m.Text + string(m.Blocks))
		return id != ""
	})
	return id
}

// env is the app's default environment.
func (e *e2e) env(app string) switchyard.Environment {
	e.t.Helper()
	a, ok := e.sb.Config.Lookup(app)
	if !ok {
		e.t.Fatalf("no app %s", app)
	}
	env, _ := a.Env("")
	return env
}

// envNamed is one of the app's environments.
func (e *e2e) envNamed(app, name string) switchyard.Environment {
	e.t.Helper()
	a, ok := e.sb.Config.Lookup(app)
	if !ok {
		e.t.Fatalf("no app %s", app)
	}
	env, ok := a.Env(name)
	if !ok {
		e.t.Fatalf("app %s has no environment %s", app, name)
	}
	return env
}

// truth is what AWS says of a deployment of the app's default
// environment now.
func (e *e2e) truth(app, id string) switchyard.Deployment {
	e.t.Helper()
	return e.truthIn(e.env(app), id)
}

// truthIn is what AWS says of a deployment in env now.
func (e *e2e) truthIn(env switchyard.Environment, id string) switchyard.Deployment {
	e.t.Helper()
	var d switchyard.Deployment
	for attempt := 0; ; attempt++ {
		obs, err := e.aws.Describe(context.Background(), env, id)
		if err == nil {
			obs.Apply(&d)
			return d
		}
		if attempt == 20 {
			e.t.Fatalf("describe %s: %v", id, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shows reports whether the card shows the deployment's status and traffic
// as AWS has them.
func (e *e2e) shows(ts string, d switchyard.Deployment) bool {
	m := e.message(ts)
	blocks := string(m.Blocks)
	traffic := fmt.Sprintf("blue %s%%", switchyard.Percent(d.Traffic.Blue))
	if !strings.Contains(blocks, traffic) && !(d.Traffic.Blue == 0 && d.Traffic.Green == 0) {
		return false
	}
	switch {
	case d.Status.Done():
		return strings.Contains(strings.ToLower(m.Text), strings.ToLower(string(d.Status)))
	case d.Waiting == switchyard.WaitTermination:
		return slices.Contains(buttons(m), "finish_now")
	case d.Waiting == switchyard.WaitReady:
		return slices.Contains(buttons(m), "shift_now")
	}
	return true
}

// settle waits until the card shows what AWS has now.
func (e *e2e) settle(app, id, ts string) switchyard.Deployment {
	e.t.Helper()
	return e.settleIn(e.env(app), id, ts)
}

// settleIn is settle for a deployment in env.
func (e *e2e) settleIn(env switchyard.Environment, id, ts string) switchyard.Deployment {
	e.t.Helper()
	d := e.truthIn(env, id)
	e.waitFor(fmt.Sprintf("the card to show %s at %.0f%% green", d.Status, d.Traffic.Green), func() bool { return e.shows(ts, d) })
	if d.Traffic.Green > 0 && !d.Status.Done() {
		step := switchyard.Percent(d.Traffic.Green) + "% of traffic on green"
		e.waitFor("the thread to tell "+step, func() bool { return strings.Contains(replyTexts(e.thread(ts)), step) })
	}
	return d
}

// advanceUntil moves the simulated clock by step, letting the card catch up
// after each step, until done holds of AWS's view.
func (e *e2e) advanceUntil(app, id, ts string, step, limit time.Duration, done func(switchyard.Deployment) bool) switchyard.Deployment {
	e.t.Helper()
	for t := time.Duration(0); ; t += step {
		d := e.settle(app, id, ts)
		if done(d) {
			return d
		}
		if t >= limit {
			e.t.Fatalf("not done after %s simulated: %s at %.0f%% green\n%s", limit, d.Status, d.Traffic.Green, e.dump())
		}
		e.sb.AWS.Advance(step)
	}
}

// thread is the replies under a card, oldest first.
func (e *e2e) thread(ts string) []slacksim.Message { return simtest.Thread(e.messages(), ts) }

// replyTexts joins the thread's replies, one per line.
func replyTexts(ms []slacksim.Message) string { return simtest.Texts(ms) }

// noDuplicates fails if two replies in the thread say the same thing.
func noDuplicates(t *testing.T, ms []slacksim.Message) {
	t.Helper()
	simtest.NoDuplicates(t, ms)
}

// inOrder fails unless each of want appears in s after the previous one.
func inOrder(t *testing.T, s string, want ...string) {
	t.Helper()
	simtest.InOrder(t, s, want...)
}

// buttons lists the action ids of a message's buttons.
func buttons(m slacksim.Message) []string { return simtest.Buttons(m) }

// advanceUntilCard moves the simulated clock by step, letting the card
// catch up after each, until the card satisfies done.
func (e *e2e) advanceUntilCard(app, id, ts string, step, limit time.Duration, what string, done func(slacksim.Message) bool) {
	e.t.Helper()
	for t := time.Duration(0); ; t += step {
		e.settle(app, id, ts)
		if done(e.message(ts)) {
			return
		}
		if t >= limit {
			e.t.Fatalf("the card never showed %s in %s simulated:\n%s\ncard: %s", what, limit, e.dump(), e.message(ts).Blocks)
		}
		e.sb.AWS.Advance(step)
	}
}

// topLevel is the channel's messages everyone sees outside threads, plus
// thread replies broadcast to the channel.
func (e *e2e) topLevel() []slacksim.Message {
	var out []slacksim.Message
	for _, m := range e.messages() {
		if m.EphemeralTo == "" && (m.ThreadTS == "" || m.ReplyBroadcast) {
			out = append(out, m)
		}
	}
	return out
}

// finished waits for the final broadcast under the card and returns the
// thread.
func (e *e2e) finished(ts string) []slacksim.Message {
	e.t.Helper()
	e.waitFor("the final broadcast", func() bool {
		th := e.thread(ts)
		return len(th) > 0 && th[len(th)-1].ReplyBroadcast
	})
	return e.thread(ts)
}
