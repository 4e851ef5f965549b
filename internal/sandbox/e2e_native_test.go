package sandbox

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// The Slack-native ways in, end to end: the deploy modal, the Home tab,
// the queue and freezes, with the real bot, through the Slack simulator's
// user-side API (what the console calls).

const (
	alice = "U0ALICE"
	bob   = "U0BOB"
	carol = "U0CAROL"
	dave  = "U0DAVE"
)

// modal waits for the modal on top of user's stack whose blocks contain
// want, and returns it.
func (e *e2e) modal(user, want string) slacksim.View {
	e.t.Helper()
	var top slacksim.View
	e.waitFor(user+"'s modal showing "+want, func() bool {
		for _, v := range e.sb.Slack.UserViews(user) {
			if v.Type == "modal" {
				top = v
			}
		}
		return top.ID != "" && strings.Contains(string(unescape(top.Blocks)), want)
	})
	return top
}

// options types in an external select of a view and returns the options
// offered as "value|text" lines.
func (e *e2e) options(user, viewID, action, typed string) []string {
	e.t.Helper()
	res, err := e.sb.Slack.Suggest(context.Background(), slacksim.SuggestRequest{UserID: user, ViewID: viewID, ActionID: action, Value: typed})
	if err != nil {
		e.t.Fatalf("%s types %q: %v", user, typed, err)
	}
	var opts []struct {
		Value string
		Text  struct{ Text string }
	}
	if err := json.Unmarshal(res.Options, &opts); err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, o := range opts {
		out = append(out, o.Value+"|"+o.Text.Text)
	}
	return out
}

// chosen is a menu choice of the bot's modals, whose inputs share their
// block and action IDs.
func chosen(id, value string) map[string]map[string]map[string]any {
	return map[string]map[string]map[string]any{id: {id: {"selected_option": map[string]any{"value": value}}}}
}

// homeOf waits until user's Home tab shows every want, and returns it.
func (e *e2e) homeOf(user string, want ...string) string {
	e.t.Helper()
	var text string
	e.waitFor(user+"'s Home tab showing "+strings.Join(want, ", "), func() bool {
		for _, v := range e.sb.Slack.UserViews(user) {
			if v.Type == "home" {
				text = string(unescape(v.Blocks))
			}
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				return false
			}
		}
		return text != ""
	})
	return text
}

var requestID = regexp.MustCompile(`p-[0-9a-f]{16}`)

// TestE2EDeployModal: /deploy alone opens the modal; typing "v1" in the
// version field offers v1.4 and v1.5 and marks the running one; a version
// ECR lacks is an error under the field and nothing is posted; myapp v1.5
// posts the very card the typed command posts; carol's modal offers no
// app.
func TestE2EDeployModal(t *testing.T) {
	e := newE2E(t, Options{})
	ctx := context.Background()
	e.slash(carol, "/deploy")
	if m := e.modal(carol, "You may not deploy any app"); m.Submit != "" {
		t.Errorf("carol's modal can be submitted: %s", m.Blocks)
	}

	e.slash(alice, "/deploy")
	m := e.modal(alice, `"value":"myapp"`)
	if _, err := e.sb.Slack.ViewAction(ctx, slacksim.ViewActionRequest{UserID: alice, ViewID: m.ID, ActionID: "app", Value: "myapp"}); err != nil {
		t.Fatal(err)
	}
	m = e.modal(alice, `"block_id":"version"`)
	got := e.options(alice, m.ID, "version", "v1")
	if len(got) != 3 || got[0] != "v1.5|v1.5" || got[1] != "v1.4|v1.4" || got[2] != "v1.3|v1.3 · runs in production" {
		t.Fatalf("typing v1 offers %q", got)
	}

	e.options(alice, m.ID, "version", "v9.9")
	before := len(e.topLevel())
	res, err := e.sb.Slack.SubmitView(ctx, slacksim.SubmitRequest{UserID: alice, ViewID: m.ID, Values: chosen("version", "v9.9")})
	if err != nil || res.Errors["version"] != "There is no image v9.9 in the ECR repository myapp." {
		t.Fatalf("submitting v9.9: %v, %v", res.Errors, err)
	}

	// Checked before the next submission, whose card may come at once.
	if len(e.topLevel()) != before {
		t.Fatal("the refused submission posted something")
	}
	e.options(alice, m.ID, "version", "v1")
	if res, err := e.sb.Slack.SubmitView(ctx, slacksim.SubmitRequest{UserID: alice, ViewID: m.ID, Values: chosen("version", "v1.5")}); err != nil || res.View != nil {
		t.Fatalf("submitting v1.5: %v, modal still open %v, errors %v", err, res.View != nil, res.Errors)
	}
	fromModal := e.newTop(before, "Deploy myapp v1.5 to production?")
	typed := e.request(alice, "myapp v1.5", "Deploy myapp v1.5 to production?")
	a := requestID.ReplaceAllString(string(e.message(fromModal.TS).Blocks), "p-ID")
	b := requestID.ReplaceAllString(string(e.message(typed).Blocks), "p-ID")
	if a != b {
		t.Errorf("the modal's card and the typed command's differ:\n%s\n%s", a, b)
	}
}

// TestE2EHomeTab: alice's Home tab shows myapp and payments with what she
// may press, carol's the same with no button; both follow a deployment
// from its start to its end.
func TestE2EHomeTab(t *testing.T) {
	e := newE2E(t, Options{})
	ctx := context.Background()
	for _, u := range []string{alice, carol} {
		if _, err := e.sb.Slack.OpenHome(ctx, slacksim.HomeRequest{UserID: u}); err != nil {
			t.Fatal(err)
		}
	}
	home := e.homeOf(alice, "*myapp*", "*payments*", "`production` runs `v1.3`")
	for _, b := range []string{"home.deploy.myapp", "home.lock.myapp", "home.deploy.payments", "home.lock.payments"} {
		if !strings.Contains(home, `"action_id":"`+b+`"`) {
			t.Errorf("alice's Home lacks %s", b)
		}
	}
	if c := e.homeOf(carol, "*myapp*", "*payments*"); strings.Contains(c, `"action_id"`) {
		t.Errorf("carol may only watch, yet her Home has buttons:\n%s", c)
	}

	ts := e.request(alice, "myapp v1.4", "Deploy myapp v1.4 to production?")
	e.mustClick(alice, ts, "confirm")
	id := e.deploymentID(ts)
	link := blocks.CardLink(deploys, ts)
	e.homeOf(alice, "Deploying `v1.4`", "asked by <@U0ALICE>", link, `"action_id":"home.rollback.myapp.production"`)
	e.homeOf(carol, "Deploying `v1.4`", link)
	e.advanceUntil("myapp", id, ts, 30*time.Second, 30*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	for _, u := range []string{alice, carol} {
		e.waitFor(u+"'s Home to show the end", func() bool {
			h := e.homeOf(u, "`production` runs `v1.4`")
			return !strings.Contains(h, "Deploying") && strings.Contains(h, "`v1.4` to `production` succeeded, asked by <@U0ALICE>")
		})
	}
}

// TestE2EQueue: myapp locked by bob; alice's deploy is refused and she
// queues; the lock's message lists her; bob unlocks and her confirmation
// card appears with a mention; a place whose time ran out is told, and
// nothing is posted for it.
func TestE2EQueue(t *testing.T) {
	e := newE2E(t, Options{})
	e.slash(bob, "/deploy lock myapp incident 12")
	lockMsg := e.newTop(0, "*myapp* is locked by <@U0BOB>")
	n := len(e.messages())
	e.slash(alice, "/deploy myapp v1.5 fix checkout")
	refusal := e.ephemeralTo(n, alice)
	if !slices.Contains(buttons(refusal), blocks.ActionQueueMe) {
		t.Fatalf("the refusal offers no Queue me: %s", refusal.Blocks)
	}
	n = len(e.messages())
	e.mustClick(alice, refusal.TS, blocks.ActionQueueMe)
	if got := e.ephemeralTo(n, alice); !strings.Contains(got.Text, "You are number 1 in line for myapp in production") {
		t.Fatalf("alice was told %q", got.Text)
	}
	e.waitFor("the lock's message to list alice", func() bool {
		return strings.Contains(string(e.message(lockMsg.TS).Blocks), "1. <@U0ALICE> `v1.5`")
	})

	n = len(e.messages())
	e.slash(bob, "/deploy unlock myapp")
	card := e.newTop(n, "<@U0ALICE>, your turn: myapp in production is free.")
	if !strings.Contains(card.Text, "<@U0ALICE>") || !strings.Contains(string(e.message(card.TS).Blocks), "Deploy myapp v1.5 to production?") ||
		!slices.Contains(buttons(card), "confirm") {
		t.Fatalf("alice's card: %q %s", card.Text, card.Blocks)
	}
	e.mustClick(alice, card.TS, "cancel")
	e.waitFor("alice's card to be cancelled", func() bool {
		return strings.Contains(string(e.message(card.TS).Blocks), "Cancelled by <@U0ALICE>")
	})

	// Again, but the lock outlasts her place. Each command is handled a
	// moment after Slack takes it: the test waits for each answer before
	// the next step (and before moving the clock).
	n = len(e.messages())
	e.slash(bob, "/deploy lock myapp incident 13")
	e.newTop(n, "incident 13")
	n = len(e.messages())
	e.slash(alice, "/deploy myapp v1.4")
	refusal = e.ephemeralTo(n, alice)
	n = len(e.messages())
	e.mustClick(alice, refusal.TS, blocks.ActionQueueMe)
	if got := e.ephemeralTo(n, alice); !strings.Contains(got.Text, "You are number 1 in line") {
		t.Fatalf("alice was told %q", got.Text)
	}
	// The sweep may tell her as soon as the clock moves, before the unlock.
	n = len(e.messages())
	e.sb.AWS.Advance(4*time.Hour + time.Minute)
	e.slash(bob, "/deploy unlock myapp")
	e.waitFor("alice to be told her place expired", func() bool {
		for _, m := range e.messages()[n:] {
			if m.EphemeralTo == alice && strings.Contains(m.Text, "expired") && strings.Contains(m.Text, "nothing was posted") {
				return true
			}
		}
		return false
	})
	for _, m := range e.topLevel() {
		if m.TS > refusal.TS && strings.Contains(m.Text, "Deploy myapp v1.4") {
			t.Fatalf("a card was posted for an expired place: %q", m.Text)
		}
	}
}

// TestE2EFreeze: bob freezes myapp for 30 minutes; alice is refused with
// "release week" and the end time; --override needs dave's approval and
// the card says it was deployed during a freeze; a rollback still works.
func TestE2EFreeze(t *testing.T) {
	e := newE2E(t, Options{})
	end := e.sb.AWS.Clock().Now().Add(30 * time.Minute)
	e.slash(bob, "/deploy freeze myapp 30m release week")
	e.newTop(0, "*myapp* is frozen by <@U0BOB>")
	n := len(e.messages())
	e.slash(alice, "/deploy myapp v1.4")
	refusal := e.ephemeralTo(n, alice)
	if s := string(unescape(refusal.Blocks)); !strings.Contains(s, "release week") || !strings.Contains(s, blocks.Date(end)) {
		t.Fatalf("alice's refusal lacks the reason or the end (%s):\n%s", blocks.Date(end), s)
	}

	ts := e.request(alice, "myapp v1.4 --override hotfix for checkout", "Deploy myapp v1.4 to production?")
	if s := string(e.message(ts).Blocks); !strings.Contains(s, "Deploy during a freeze.* Override: hotfix for checkout") || !slices.Contains(buttons(e.message(ts)), "approve") {
		t.Fatalf("the override's card: %s", s)
	}
	n = len(e.messages())
	e.mustClick(alice, ts, "approve")
	if got := e.ephemeralTo(n, alice); !strings.Contains(got.Text, "can't approve your own deploy") {
		t.Fatalf("alice approving herself was told %q", got.Text)
	}
	e.mustClick(dave, ts, "approve")
	id := e.deploymentID(ts)
	e.advanceUntilCard("myapp", id, ts, 20*time.Second, 10*time.Minute, "a Rollback button", func(m slacksim.Message) bool {
		return slices.Contains(buttons(m), "rollback")
	})
	if s := string(e.message(ts).Blocks); !strings.Contains(s, "Deployed during a freeze. Override: hotfix for checkout") {
		t.Errorf("the live card does not say it was deployed during a freeze:\n%s", s)
	}
	// The freeze does not stop a rollback.
	e.mustClick(bob, ts, "rollback")
	e.advanceUntilCard("myapp", id, ts, 10*time.Second, 10*time.Minute, "the rollback", func(m slacksim.Message) bool {
		return strings.Contains(string(m.Blocks), "Rolled back by <@U0BOB>")
	})
	n = len(e.messages())
	e.slash(alice, "/deploy history myapp")
	if got := e.ephemeralTo(n, alice); !strings.Contains(string(unescape(got.Blocks)), "during a freeze") {
		t.Errorf("the history does not say it was deployed during a freeze:\n%s", got.Blocks)
	}
}
