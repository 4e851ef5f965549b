package sandbox

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// buttonStyle is the style of the button action on message m ("" for a
// plain one), and whether there is such a button.
func buttonStyle(t *testing.T, m slacksim.Message, action string) (string, bool) {
	t.Helper()
	var bl []struct {
		Type     string `json:"type"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Style    string `json:"style"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(m.Blocks, &bl); err != nil {
		t.Fatalf("blocks of %s: %v", m.TS, err)
	}
	for _, b := range bl {
		for _, el := range b.Elements {
			if b.Type == "actions" && el.ActionID == action {
				return el.Style, true
			}
		}
	}
	return "", false
}

// leadText is the text of the card's first block after its header.
func leadText(t *testing.T, m slacksim.Message) string {
	t.Helper()
	var bl []struct {
		Type string `json:"type"`
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	if err := json.Unmarshal(m.Blocks, &bl); err != nil || len(bl) < 2 || bl[0].Type != "header" {
		t.Fatalf("card %s has no header and lead: %v\n%s", m.TS, err, m.Blocks)
	}
	return bl[1].Text.Text
}

// startOutside starts a deployment of myapp v1.4 as someone would from the
// console or CI, and returns its id.
func (e *e2e) startOutside(version string) string {
	e.t.Helper()
	ctx := context.Background()
	plan, err := e.aws.Plan(ctx, e.env("myapp"), version, switchyard.PlanOptions{App: "myapp"})
	if err != nil {
		e.t.Fatal(err)
	}
	id, err := e.aws.Start(ctx, plan, switchyard.Actor{User: "U0BOB"})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// With an alarm firing, the card leads with it and Confirm is red.
func TestE2EFiringAlarmLeadsTheCard(t *testing.T) {
	e := newE2E(t, Options{})
	if err := e.sb.AWS.SetAlarm("myapp-5xx", "ALARM", "5xx above 1%"); err != nil {
		t.Fatal(err)
	}
	ts := e.request("U0ALICE", "myapp v1.4 testing the cache", "Deploy myapp v1.4 to production?")
	card := e.message(ts)
	if lead := leadText(t, card); !strings.HasPrefix(lead, ":warning: *Alarm `myapp-5xx` is firing:*") {
		t.Errorf("the card does not lead with the firing alarm: %q", lead)
	}
	if style, ok := buttonStyle(t, card, "confirm"); !ok || style != "danger" {
		t.Errorf("Confirm under a firing alarm: present %v, style %q; want a danger button", ok, style)
	}
	if strings.Contains(string(card.Blocks), "[myapp-5xx]") {
		t.Errorf("the card prints a Go slice: %s", card.Blocks)
	}
}

// A deployment started elsewhere between the card and the click: AWS
// refuses the start, and the card says so in a sentence without claiming
// that anyone confirmed a deployment.
func TestE2ERefusedStartReadsAsASentence(t *testing.T) {
	e := newE2E(t, Options{})
	ts := e.request("U0ALICE", "myapp v1.4", "Deploy myapp v1.4 to production?")
	if style, ok := buttonStyle(t, e.message(ts), "confirm"); !ok || style != "primary" {
		t.Fatalf("a calm card's Confirm: present %v, style %q", ok, style)
	}
	other := e.startOutside("v1.4")
	e.mustClick("U0ALICE", ts, "confirm")
	e.waitFor("the card to say nothing was deployed", func() bool {
		return strings.Contains(string(e.message(ts).Blocks), "Nothing was deployed.")
	})
	card := string(e.message(ts).Blocks)
	for _, want := range []string{"Deployment " + other + " is still running here, and a second one cannot start", "<@U0ALICE> pressed Confirm"} {
		if !strings.Contains(card, want) {
			t.Errorf("the refused card lacks %q:\n%s", want, card)
		}
	}
	for _, bad := range []string{"Confirmed by", "DeploymentLimitExceeded", "already running:"} {
		if strings.Contains(card, bad) {
			t.Errorf("the refused card says %q:\n%s", bad, card)
		}
	}
}

// The service moved on between the card and the click: the refusal names
// task definition revisions as such.
func TestE2EStalePlanNamesRevisions(t *testing.T) {
	e := newE2E(t, Options{})
	ts := e.request("U0ALICE", "myapp v1.4", "Deploy myapp v1.4 to production?")
	other := e.startOutside("v1.4")
	for range 200 {
		if e.truth("myapp", other).Status.Done() {
			break
		}
		e.sb.AWS.Advance(30 * time.Second)
	}
	if d := e.truth("myapp", other); d.Status != switchyard.StatusSucceeded {
		t.Fatalf("the deployment started outside ended %s", d.Status)
	}
	e.mustClick("U0ALICE", ts, "confirm")
	e.waitFor("the card to say nothing was deployed", func() bool {
		return strings.Contains(string(e.message(ts).Blocks), "Nothing was deployed.")
	})
	card := string(e.message(ts).Blocks)
	if !strings.Contains(card, "its service now runs task definition revision myapp:") {
		t.Errorf("the stale plan does not name task definition revisions:\n%s", card)
	}
	if strings.Contains(card, "Confirmed by") {
		t.Errorf("the refused card claims a confirmation:\n%s", card)
	}
}

// Refusals fit the person: carol, who may not deploy, is not sent to
// /deploy; alice, stopped by her own lock, is told to lift it rather than
// to ask herself.
func TestE2ERefusalsFitThePerson(t *testing.T) {
	e := newE2E(t, Options{})
	ts := e.request("U0ALICE", "myapp v1.4", "Deploy myapp v1.4 to production?")
	n := len(e.messages())
	e.mustClick("U0CAROL", ts, "confirm")
	if got := e.ephemeralTo(n, "U0CAROL").Text; got != ":no_entry: Only <@U0ALICE>, who asked for this deploy, can confirm it." {
		t.Errorf("carol was told %q", got)
	}
	e.mustClick("U0ALICE", ts, "cancel")

	n = len(e.messages())
	e.slash("U0ALICE", "/deploy lock myapp load test until noon")
	e.newTop(n, "is locked by <@U0ALICE>")
	n = len(e.messages())
	e.slash("U0ALICE", "/deploy myapp v1.4")
	own := e.ephemeralTo(n, "U0ALICE").Text
	if !strings.Contains(own, "You locked it; run `/deploy unlock myapp`") || strings.Contains(own, "Ask <@U0ALICE>") {
		t.Errorf("alice, stopped by her own lock, was told %q", own)
	}
}

// /deploy audit reads the trail in Slack: alice (on myapp's lock list)
// sees who did what, newest first; dave is refused; a mistyped subcommand
// is answered with the one meant.
func TestE2EAuditAndMistypedSubcommand(t *testing.T) {
	e := newE2E(t, Options{})
	ts := e.request("U0ALICE", "myapp v1.4", "Deploy myapp v1.4 to production?")
	e.mustClick("U0CAROL", ts, "confirm")
	e.mustClick("U0ALICE", ts, "cancel")
	e.waitFor("the card to say it was cancelled", func() bool {
		return strings.Contains(string(e.message(ts).Blocks), "Cancelled by <@U0ALICE>")
	})

	n := len(e.messages())
	e.slash("U0ALICE", "/deploy histroy myapp")
	if got := e.ephemeralTo(n, "U0ALICE").Text; !strings.Contains(got, "Did you mean `history`?") {
		t.Errorf("a mistyped history was answered %q", got)
	}

	// Each click is audited after its answer, so alice asks until the
	// trail has caught up with all three (each answer is observed, never
	// waited for by the clock).
	want := []string{"<@U0ALICE> `deploy` in production: :white_check_mark: ok",
		"<@U0CAROL> `confirm` in production: :no_entry: refused · Only <@U0ALICE>, who asked for this deploy, can confirm it.",
		"<@U0ALICE> `cancel` in production: :white_check_mark: ok"}
	var trail string
	e.waitFor("the audit answer to show the deploy, carol's refusal and the cancel", func() bool {
		n := len(e.messages())
		e.slash("U0ALICE", "/deploy audit myapp")
		trail = string(unescape(e.ephemeralTo(n, "U0ALICE").Blocks))
		for _, w := range want {
			if !strings.Contains(trail, w) {
				return false
			}
		}
		return true
	})
	if !strings.Contains(trail, "Audit trail of myapp") || !strings.Contains(trail, "<!date^") {
		t.Errorf("the trail has no title or no times: %s", trail)
	}

	n = len(e.messages())
	e.slash("U0DAVE", "/deploy audit myapp")
	if got := e.ephemeralTo(n, "U0DAVE").Text; !strings.Contains(got, "You may not read the audit trail of myapp") {
		t.Errorf("dave was answered %q", got)
	}
}

// A tag that does not exist is answered with the nearest ones that do.
func TestE2EMissingTagNamesTheNearest(t *testing.T) {
	e := newE2E(t, Options{})
	n := len(e.messages())
	e.slash("U0ALICE", "/deploy myapp 1.4 testing the cache")
	got := e.ephemeralTo(n, "U0ALICE").Text
	if !strings.Contains(got, "There is no image 1.4 in the ECR repository myapp. The nearest tags it has are v1.4, ") {
		t.Errorf("a missing tag was answered %q", got)
	}
	for _, m := range e.messages()[n:] {
		if m.EphemeralTo == "" {
			t.Errorf("a missing tag posted %q for everyone", m.Text)
		}
	}
}

// /deploy rollback runs at once, lock or not, and the card's thread says
// when it went past a lock; without a lock it says nothing of the kind.
func TestE2ERollbackCommandPastALock(t *testing.T) {
	e := newE2E(t, Options{})
	ts := e.request("U0ALICE", "myapp v1.4", "Deploy myapp v1.4 to production?")
	e.mustClick("U0ALICE", ts, "confirm")
	id := e.deploymentID(ts)
	e.advanceUntil("myapp", id, ts, 10*time.Second, 10*time.Minute, func(d switchyard.Deployment) bool { return d.Traffic.Green >= 20 })

	n := len(e.messages())
	e.slash("U0ALICE", "/deploy lock myapp error rate is up, nobody deploys")
	e.newTop(n, "is locked by <@U0ALICE>")
	e.slash("U0BOB", "/deploy rollback myapp")
	e.waitFor("the card to say who rolled back", func() bool {
		return strings.Contains(string(e.message(ts).Blocks), "Rolled back by <@U0BOB>")
	})
	var past slacksim.Message
	e.waitFor("the card's thread to say the rollback went past the lock", func() bool {
		for _, m := range e.thread(ts) {
			if strings.HasPrefix(m.Text, ":unlock:") {
				past = m
				return true
			}
		}
		return false
	})
	for _, want := range []string{"<@U0BOB> rolled back " + id + " past the lock", "*myapp* is locked by <@U0ALICE>", "error rate is up, nobody deploys"} {
		if !strings.Contains(past.Text, want) {
			t.Errorf("the thread says %q, lacking %q", past.Text, want)
		}
	}
	if past.EphemeralTo != "" {
		t.Errorf("only %s was told the rollback went past the lock", past.EphemeralTo)
	}
	d := e.advanceUntil("myapp", id, ts, 5*time.Second, 10*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if d.Status != switchyard.StatusStopped {
		t.Fatalf("AWS says %s", d.Status)
	}
}
