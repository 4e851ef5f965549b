package commands

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/simtest"
)

const ecrWeb = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web"

// golden compares m's JSON with testdata/<name>.golden.json.
func golden(t *testing.T, name string, m blocks.Message) {
	t.Helper()
	simtest.Golden(t, name, m)
}

// pendingFor is a request as requestDeploy stores it.
func pendingFor(plan *switchyard.Plan) switchyard.Pending {
	return switchyard.Pending{ID: "p-1", App: plan.App, Env: plan.Env.Name, Version: plan.Version, RequestedBy: alice,
		Channel: deploys, Created: t0, Expires: t0.Add(15 * time.Minute)}
}

// TestForeignImageCardGolden pins the card of an image from another
// registry: the header names the whole reference, the first note warns of
// the repository change, and the image note says it was not checked.
func TestForeignImageCardGolden(t *testing.T) {
	plan := &switchyard.Plan{App: "web", Env: switchyard.Environment{Name: "staging"}, Version: "v1",
		ImageNow: ecrWeb + ":v1.3", ImageNext: "evil.example.com/x:v1",
		Config: "CodeDeployDefault.ECSAllAtOnce", Traffic: switchyard.TrafficShape{Type: switchyard.RoutingAllAtOnce}}
	m := blocks.ConfirmCard(confirmation(pendingFor(plan), plan))
	if m.Text != "Deploy web evil.example.com/x:v1 to staging?" {
		t.Errorf("title %q hides the image's repository", m.Text)
	}
	golden(t, "confirm_foreign_image", m)
}

func TestForeignImageIsFlaggedOnTheCard(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.request(alice, "web evil.example.com/x:v1")
	card := w.card()
	if card.Text != "Deploy web evil.example.com/x:v1 to staging?" {
		t.Errorf("card title %q", card.Text)
	}
	wantIn(t, "foreign card", shown(card),
		`"text":"Deploy web evil.example.com/x:v1 to staging?"`, // the header block
		":warning: *This changes the image repository:* `"+ecrWeb+"` → `evil.example.com/x`",
		"Not an ECR image, so its existence was not checked.",
	)

	// A tag of the running repository stays short and warns of nothing.
	w.request(alice, "web v1.4")
	card = w.card()
	if card.Text != "Deploy web v1.4 to staging?" {
		t.Errorf("card title %q", card.Text)
	}
	wantIn(t, "ordinary card", shown(card), "Found in ECR repository web.")
	if strings.Contains(shown(card), "changes the image repository") {
		t.Errorf("a tag of the running repository is flagged:\n%s", shown(card))
	}

	// The same repository named in full is no change either.
	w.request(alice, "web "+ecrWeb+":v1.5")
	if s := shown(w.card()); strings.Contains(s, "changes the image repository") || !strings.Contains(s, "Deploy web v1.5 to staging?") {
		t.Errorf("the running repository named in full is flagged:\n%s", s)
	}
}

// TestCardSaysEachFactOnce renders cards from the deployer's own plans:
// one made while another deployment runs in the group, and one of the
// version already running. Each fact must appear on the card once.
func TestCardSaysEachFactOnce(t *testing.T) {
	w := newWorld(t, worldOptions{})
	first := w.request(bob, "web v1.5 to staging")
	w.click(bob, first, blocks.ActionConfirm)
	if w.dep.starts.Load() != 1 {
		t.Fatalf("%d starts", w.dep.starts.Load())
	}

	// The Plan→card step alone, from a real plan.
	a, _ := w.cfg.Lookup("web")
	env, _ := a.Env("staging")
	plan, err := w.dep.Plan(ctx10(t), env, "v1.4", switchyard.PlanOptions{App: "web"})
	must(t, err)
	if plan.ActiveDeployment == "" {
		t.Fatal("the plan does not see the running deployment")
	}
	m := blocks.ConfirmCard(confirmation(pendingFor(plan), plan))
	body, err := json.Marshal(m.Blocks)
	must(t, err)
	if n := strings.Count(string(body), plan.ActiveDeployment); n != 1 {
		t.Errorf("the card names the running deployment %d times:\n%s", n, body)
	}
	if n := strings.Count(string(body), "still running"); n != 1 {
		t.Errorf("the card says %d times that a deployment is still running:\n%s", n, body)
	}

	// Through /deploy, the deploy under way is a refusal that offers the
	// queue instead of a card.
	before := len(w.channelMessages(deploys))
	w.slash(alice, deploys, "web v1.4 to staging")
	told := w.ephemerals(deploys, alice)
	if len(w.channelMessages(deploys)) != before || len(told) == 0 {
		t.Fatalf("a deploy while another runs posted %d messages", len(w.channelMessages(deploys))-before)
	}
	wantIn(t, "the refusal", shown(told[len(told)-1]), "web in staging is already deploying `v1.5`, asked by <@U0BOB>", plan.ActiveDeployment)
	if !slices.Contains(actions(told[len(told)-1]), blocks.ActionQueueMe) {
		t.Errorf("the refusal offers no Queue me: %v", actions(told[len(told)-1]))
	}

	// The version that runs now, in production where nothing is deploying.
	w.request(alice, "web v1.3 to production")
	s := shown(w.card())
	if n := strings.Count(s, "already run"); n != 1 {
		t.Errorf("the card says %d times that v1.3 already runs:\n%s", n, s)
	}
	if strings.Contains(s, "still running") {
		t.Errorf("a production card speaks of a staging deployment:\n%s", s)
	}
}
