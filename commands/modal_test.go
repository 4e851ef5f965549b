package commands

import (
	"regexp"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// TestDeployModal: /deploy alone opens the modal with the apps alice may
// deploy here; choosing one fills in its environments; typing in the
// version menu offers the repository's images newest first with the
// running one marked; a version ECR lacks is an error under the field and
// nothing is posted; a good one posts the very card the typed command
// posts.
func TestDeployModal(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.slash(alice, deploys, "")
	m := w.modal(alice)
	if m.CallbackID != blocks.CallbackDeploy || m.Submit == "" || hasInput(m, "version") {
		t.Fatalf("the modal before an app is chosen: %s %q %s", m.CallbackID, m.Submit, m.Blocks)
	}
	wantIn(t, "the app menu", viewText(m), `"value":"web"`, `"value":"payments"`)

	w.choose(alice, m.ID, blocks.FieldAppID, "web")
	m = w.modal(alice)
	for _, id := range []string{"env", "version", "config", "reason"} {
		if !hasInput(m, id) {
			t.Fatalf("after choosing web the modal lacks %s: %s", id, m.Blocks)
		}
	}
	wantIn(t, "the filled modal", viewText(m), `"value":"staging"`, `"value":"production"`, "The card goes to <#C0DEPLOYS>.")

	got := w.suggest(alice, m.ID, blocks.FieldVersionID, "v1")
	if len(got) != 3 || !strings.HasPrefix(got[0], "v1.5|v1.5|pushed ") || !strings.HasPrefix(got[1], "v1.4|v1.4|") ||
		!strings.HasPrefix(got[2], "v1.3|v1.3 · runs in production, staging|") {
		t.Fatalf("typing v1 offers %q", got)
	}
	if got := w.suggest(alice, m.ID, blocks.FieldVersionID, "v9.9"); len(got) != 1 || !strings.HasPrefix(got[0], "v9.9|v9.9 (as typed)|") {
		t.Fatalf("typing v9.9 offers %q", got)
	}
	res := w.submit(alice, m.ID, values(picked("version", "v9.9"), picked("env", "staging")))
	if res.Errors["version"] != "There is no image v9.9 in the ECR repository web." || res.View == nil {
		t.Fatalf("a version ECR lacks: errors %v, view open %v", res.Errors, res.View != nil)
	}
	if n := len(w.channelMessages(deploys)); n != 0 {
		t.Fatalf("a refused submission posted %d messages", n)
	}

	w.suggest(alice, m.ID, blocks.FieldVersionID, "v1")
	w.submit(alice, m.ID, values(picked("version", "v1.5"), picked("env", "staging"), typed("reason", "fix <login>")))
	w.noModal(alice)
	ms := w.channelMessages(deploys)
	if len(ms) != 1 {
		t.Fatalf("the submission posted %d messages; told %v", len(ms), w.ephemerals(deploys, alice))
	}
	fromModal := ms[0]

	// The typed command's card is the same card, but for the request's id.
	w.slash(alice, deploys, "web v1.5 to staging fix <login>")
	ms = w.channelMessages(deploys)
	if len(ms) != 2 {
		t.Fatalf("the typed command posted %d messages", len(ms)-1)
	}
	ids := regexp.MustCompile(`p-[0-9a-f]{16}`)
	if a, b := ids.ReplaceAllString(string(fromModal.Blocks), "p-ID"), ids.ReplaceAllString(string(ms[1].Blocks), "p-ID"); a != b {
		t.Errorf("the modal's card differs from the typed command's:\n%s\n%s", a, b)
	}
	if fromModal.Text != ms[1].Text {
		t.Errorf("texts differ: %q and %q", fromModal.Text, ms[1].Text)
	}
}

// TestDeployModalOffersWhatThePersonMay: carol may deploy nothing, so her
// modal offers no app; /deploy web opens it with web chosen; from a
// channel no app is deployed from it offers nothing; from the shortcut it
// offers every app alice may deploy, and the card goes to the
// environment's channel.
func TestDeployModalOffersWhatThePersonMay(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.slash(carol, deploys, "")
	m := w.modal(carol)
	if m.Submit != "" || hasInput(m, "app") || !strings.Contains(viewText(m), "You may not deploy any app from this channel") {
		t.Fatalf("carol's modal: %q %s", m.Submit, m.Blocks)
	}

	w.slash(alice, deploys, "Website")
	m = w.modal(alice)
	if !hasInput(m, "version") || !strings.Contains(viewText(m), `"initial_option":{"text":{"emoji":true,"text":"web","type":"plain_text"},"value":"web"}`) {
		t.Fatalf("/deploy website did not open the modal with web chosen: %s", m.Blocks)
	}

	w.slash(alice, random, "")
	if m := w.modal(alice); hasInput(m, "app") {
		t.Fatalf("from #random the modal offers apps: %s", m.Blocks)
	}

	w.expect(1)
	if _, err := w.slack.Shortcut(ctx10(t), slacksim.ShortcutRequest{UserID: alice, CallbackID: ShortcutDeploy}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	m = w.modal(alice)
	wantIn(t, "the shortcut's modal", viewText(m), `"value":"web"`, `"value":"payments"`)
	w.choose(alice, m.ID, blocks.FieldAppID, "web")
	m = w.modal(alice)
	wantIn(t, "where the card goes", viewText(m), "staging to <#C0DEPLOYS>")
	w.suggest(alice, m.ID, blocks.FieldVersionID, "v1.4")
	w.submit(alice, m.ID, values(picked("version", "v1.4")))
	if ms := w.channelMessages(deploys); len(ms) != 1 || !strings.Contains(ms[0].Text, "Deploy web v1.4 to staging?") {
		t.Fatalf("the shortcut's deploy posted %v; told %v", ms, w.ephemerals(deploys, alice))
	}

	// Bob may deploy web but not payments: his modal leaves payments out.
	w.slash(bob, deploys, "")
	wantNotIn(t, "bob's modal", viewText(w.modal(bob)), `"value":"payments"`)
}

// TestDeployModalSubmissionIsCheckedLikeACommand: a lock found at
// submission is the command's refusal, with Queue me, not an error in the
// modal; a config chosen is passed on.
func TestDeployModalSubmissionIsCheckedLikeACommand(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.slash(carol, deploys, "lock web incident 7")
	w.slash(alice, deploys, "web")
	m := w.modal(alice)
	w.suggest(alice, m.ID, blocks.FieldVersionID, "v1.5")
	w.submit(alice, m.ID, values(picked("version", "v1.5"), picked("config", "CodeDeployDefault.ECSAllAtOnce")))
	w.noModal(alice)
	told := w.ephemerals(deploys, alice)
	if len(told) != 1 || !strings.Contains(shown(told[0]), "*web* is locked by <@U0CAROL>") {
		t.Fatalf("alice was told %v", told)
	}
	if !strings.Contains(strings.Join(actions(told[0]), " "), blocks.ActionQueueMe) {
		t.Errorf("the refusal offers no Queue me")
	}
	w.slash(carol, deploys, "unlock web")
	w.slash(alice, deploys, "web")
	m = w.modal(alice)
	w.suggest(alice, m.ID, blocks.FieldVersionID, "v1.5")
	w.submit(alice, m.ID, values(picked("version", "v1.5"), picked("config", "CodeDeployDefault.ECSAllAtOnce")))
	if s := shown(w.card()); !strings.Contains(s, "CodeDeployDefault.ECSAllAtOnce") {
		t.Errorf("the config chosen is not on the card:\n%s", s)
	}
}
