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
	wantIn(t, "card", shown(card), ":no_entry: Deployment "+other+" is still running here, and a second one cannot start",
		"There is nothing to confirm while the start would be refused.")
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

// /deploy audit shows the app's latest entries to those on its lock list,
// and refuses anyone else without showing any.
func TestAuditCommand(t *testing.T) {
	w := newWorld(t, worldOptions{})
	ts := w.request(alice, "web v1.4 to staging")
	w.click(carol, ts, blocks.ActionConfirm)
	w.slash(alice, deploys, "lock web load test <!here> & the cache")
	w.slash(alice, deploys, "payments v1.4") // another app: not in web's trail

	w.slash(carol, deploys, "audit web 5") // on call: on web's lock list
	got := w.lastEphemeral(deploys, carol)
	wantIn(t, "carol's audit", got, "Audit trail of web")
	m := w.ephemerals(deploys, carol)
	s := shown(m[len(m)-1])
	wantIn(t, "the audit answer", s, "<@U0CAROL> `confirm` in staging: :no_entry: refused", "<@U0ALICE> `deploy` in staging: :white_check_mark: ok",
		"<@U0ALICE> `lock`: :white_check_mark: ok · load test &lt;!here&gt; &amp; the cache", "<!date^")
	if strings.Contains(s, "payments") || strings.Contains(s, "<!here>") {
		t.Errorf("the audit answer shows another app or live markup:\n%s", s)
	}
	if strings.Index(s, "`confirm`") > strings.Index(s, "`deploy`") {
		t.Errorf("the audit answer is not newest first:\n%s", s)
	}
	if a := w.lastAudit(); a.User != carol || a.Action != actAudit || a.Result != switchyard.ResultOK || a.App != "web" {
		t.Errorf("the audit read is not itself audited: %+v", a)
	}

	w.slash(dave, deploys, "audit web")
	refusal := w.lastEphemeral(deploys, dave)
	wantIn(t, "dave's refusal", refusal, "You may not read the audit trail of web", "lock list")
	if strings.Contains(refusal, "Audit trail") {
		t.Errorf("dave, not on the lock list, saw the trail: %s", refusal)
	}
}

// A mistyped subcommand is answered with the one meant, not as an unknown
// app; a mistyped app is still told as an app.
func TestMistypedSubcommand(t *testing.T) {
	w := newWorld(t, worldOptions{})
	for text, sub := range map[string]string{"histroy web": "history", "hisotry web 5": "history", "stauts": "status",
		"rollbakc web to staging": "rollback", "adit web": "audit", "lsit": "list"} {
		w.slash(alice, deploys, text)
		got := w.lastEphemeral(deploys, alice)
		if !strings.Contains(got, "Did you mean `"+sub+"`?") || !strings.Contains(got, "`/deploy "+sub) {
			t.Errorf("%q was answered %q, want a suggestion of %s", text, got, sub)
		}
	}
	w.slash(alice, deploys, "wbe v1.4")
	if got := w.lastEphemeral(deploys, alice); !strings.Contains(got, "Did you mean `web`?") {
		t.Errorf("a mistyped app was answered %q", got)
	}
	if n := w.dep.plans.Load(); n != 0 {
		t.Errorf("a typo was planned %d times", n)
	}
}
