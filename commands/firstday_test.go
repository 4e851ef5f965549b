package commands

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
)

// startOutside starts a deployment of web to env with the real deployer,
// as the console or CI would, and returns its id.
func (w *world) startOutside(env, version string) string {
	w.t.Helper()
	a, _ := w.cfg.Lookup("web")
	e, _ := a.Env(env)
	ctx := context.Background()
	plan, err := w.dep.Deployer.Plan(ctx, e, version, switchyard.PlanOptions{App: "web"})
	must(w.t, err)
	id, err := w.dep.Deployer.Start(ctx, plan, switchyard.Actor{User: bob})
	must(w.t, err)
	return id
}

// A deployment the bot does not know of holds the group: the card leads
// with it and has no Confirm, since CodeDeploy would refuse the start.
func TestCardWithoutConfirmWhileTheGroupIsBusy(t *testing.T) {
	w := newWorld(t, worldOptions{})
	other := w.startOutside("staging", "v1.4")
	w.request(alice, "web v1.4 to staging")
	card := w.card()
	wantIn(t, "card", shown(card), ":no_entry: Deployment "+other+" of this group is still running.",
		"There is nothing to confirm while AWS would refuse the start.")
	if got := actions(card); !slices.Equal(got, []string{blocks.ActionCancel}) {
		t.Fatalf("buttons = %v, want Cancel alone", got)
	}
	if first := strings.Index(shown(card), ":no_entry:"); first < 0 || first > strings.Index(shown(card), "Requested by") {
		t.Errorf("the running deployment does not lead the card:\n%s", shown(card))
	}
	if n := w.dep.starts.Load(); n != 0 {
		t.Fatalf("Start called %d times", n)
	}
}
