package commands

import (
	"context"
	"github.com/slack-go/slack"
	"github.com/switchyard/switchyard/internal/slacksim"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
)

func TestBadInputIsAnsweredWithoutAWS(t *testing.T) {
	w := newWorld(t, worldOptions{})
	cases := []struct {
		name, user, channel, text string
		want                      []string
	}{
		{"unknown app", alice, deploys, "wbe v1.4", []string{"I don't know the app `wbe`.", "Did you mean `web`?"}},
		{"bad tag", alice, deploys, "web v1.4;rm", []string{"I couldn't read that version", "“;”"}},
		{"unknown option", alice, deploys, "web v1.4 --force", []string{"I don't know the option “--force”"}},
		{"extra words", alice, deploys, "status web please now", []string{"I don't know what to do with “please now”"}},
		{"quoted app", alice, deploys, "“web v1.4”", []string{"I couldn't read the app name “web v1.4”"}},
		{"look-alike", alice, deploys, "wеb v1.4", []string{"Cyrillic letter that looks like the Latin “e”"}},
		{"4 KB", alice, deploys, strings.Repeat("web v1.4 ", 460), []string{"characters long; I read at most 4,000"}},
		{"unknown env", alice, deploys, "web v1.4 to prod", []string{"web has no environment `prod`."}},
		{"unknown config", alice, deploys, "web v1.4 --config Fast.Config", []string{"I don't know the deployment config `Fast.Config`"}},
		{"lone unknown word", alice, deploys, "frobnicate", []string{"I don't know the app `frobnicate`.", "I know `payments`, `shop`, `web`, `website`.", "run `/deploy help`"}},
		{"lone misspelt app", alice, deploys, "wbe to production", []string{"I don't know the app `wbe`.", "Did you mean `web`?", "`/deploy help`"}},
		{"direct message", alice, aliceDM, "web v1.4", []string{"I don't take that in a direct message", "<#C0DEPLOYS>"}},
		{"channel not allowed", alice, random, "web v1.4", []string{"web in staging is handled in <#C0DEPLOYS> only"}},
		{"not a deployer", carol, deploys, "web v1.4", []string{"You may not deploy web to staging"}},
		{"not a deployer of production", dave, deploys, "website v1.4 to production", []string{"You may not deploy web to production"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(w.audits())
			w.slash(c.user, c.channel, c.text)
			wantIn(t, "answer", w.lastEphemeral(c.channel, c.user), c.want...)
			if n := len(w.channelMessages(c.channel)); n != 0 {
				t.Fatalf("%d messages in the channel", n)
			}
			as := w.audits()
			if len(as) != before+1 || as[len(as)-1].Result != switchyard.ResultRefused || as[len(as)-1].User != c.user {
				t.Fatalf("audit: %+v", as[before:])
			}
		})
	}
	if n := w.dep.awsCalls(); n != 0 {
		t.Fatalf("bad input made %d deployer calls", n)
	}
	pend, err := w.st.ListExpired(context.Background(), t0.Add(24*time.Hour))
	must(t, err)
	if len(pend) != 0 {
		t.Fatalf("bad input created %d requests", len(pend))
	}
}

func TestHelpAndList(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.slash(bob, deploys, "help")
	wantIn(t, "help", w.lastEphemeral(deploys, bob), "How to use /deploy")
	w.slash(bob, aliceDM[:1]+"0BOB", "help")
	wantIn(t, "help in a DM", w.lastEphemeral("D0BOB", bob), "How to use /deploy")
	w.slash(bob, deploys, "list")
	es := w.ephemerals(deploys, bob)
	wantIn(t, "list", shown(es[len(es)-1]), "*web* (also `website`)", "`production` from <#C0DEPLOYS>, needs a second person's approval", "`staging` (default)")
	if w.dep.awsCalls() != 0 {
		t.Fatal("help or list called AWS")
	}
}

func TestLockAndUnlock(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.slash(dave, deploys, "lock web nobody should see this")
	wantIn(t, "dave's answer", w.lastEphemeral(deploys, dave), "You may not lock web")

	w.slash(alice, deploys, "lock web database migration until 15:00")
	wantIn(t, "lock announcement", shown(w.card()), ":lock: *web* is locked by <@U0ALICE>", "database migration until 15:00")

	w.slash(bob, deploys, "web v1.4 to staging")
	wantIn(t, "bob's answer", shown(w.ephemerals(deploys, bob)[0]), "*web* is locked by <@U0ALICE>", "database migration until 15:00", "Nothing was deployed")
	if n := w.dep.awsCalls(); n != 0 {
		t.Fatalf("a locked deploy made %d AWS calls", n)
	}
	if a := w.lastAudit(); a.Action != actDeploy || a.Result != switchyard.ResultRefused || !strings.Contains(a.Detail, "locked by U0ALICE") {
		t.Fatalf("audit = %+v", a)
	}

	w.slash(alice, deploys, "lock web again")
	wantIn(t, "second lock", w.lastEphemeral(deploys, alice), "*web* is locked by <@U0ALICE>", "Nothing changed")

	w.slash(dave, deploys, "unlock web")
	wantIn(t, "dave's unlock", w.lastEphemeral(deploys, dave), "You may not unlock web")
	w.slash(carol, deploys, "unlock web") // on-call, through the user group
	wantIn(t, "unlock announcement", shown(w.card()), ":unlock: *web* is unlocked by <@U0CAROL>")
	w.slash(carol, deploys, "unlock web")
	wantIn(t, "unlock of nothing", w.lastEphemeral(deploys, carol), "web is not locked.")

	w.request(bob, "web v1.4 to staging")
	if w.dep.plans.Load() != 1 {
		t.Fatal("the deploy after unlock was not planned")
	}
}

func TestLockOneEnvironment(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.slash(alice, deploys, "lock web to production release freeze")
	w.request(alice, "web v1.4 to staging")
	w.slash(alice, deploys, "web v1.4 to production")
	wantIn(t, "answer", w.lastEphemeral(deploys, alice), "*web in production* is locked")
	w.slash(alice, deploys, "unlock web")
	wantIn(t, "unlock without env", w.lastEphemeral(deploys, alice), "The lock is on web in production; run `/deploy unlock web to production`.")
}

func seedHistory(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	for i, d := range []switchyard.Deployment{
		{ID: "d-AAAAAAAA1", Version: "v1.1", Status: switchyard.StatusSucceeded, RequestedBy: alice, ConfirmedBy: alice,
			Created: t0.Add(-3 * time.Hour), Completed: t0.Add(-3*time.Hour + 6*time.Minute)},
		{ID: "d-AAAAAAAA2", Version: "v1.2", Status: switchyard.StatusFailed, RequestedBy: bob, ConfirmedBy: dave,
			Created: t0.Add(-2 * time.Hour), Completed: t0.Add(-2*time.Hour + 3*time.Minute)},
		{ID: "d-AAAAAAAA3", Version: "v1.3", Status: switchyard.StatusSucceeded, RequestedBy: bob, ConfirmedBy: bob,
			Created: t0.Add(-time.Hour), Completed: t0.Add(-time.Hour + 9*time.Minute + 30*time.Second)},
	} {
		d.App, d.Env = "web", "staging"
		if i == 1 {
			d.Env = "production"
		}
		_, err := w.st.CreateDeployment(ctx, switchyard.Record{Deployment: d})
		must(t, err)
	}
}

func TestHistoryAndStatus(t *testing.T) {
	w := newWorld(t, worldOptions{})
	seedHistory(t, w)
	w.slash(carol, deploys, "history website 2")
	es := w.ephemerals(deploys, carol)
	got := shown(es[len(es)-1])
	wantIn(t, "history", got, "Deployments of web", "`v1.3` to `staging`: :white_check_mark: succeeded in 9m 30s, asked by <@U0BOB>",
		"`v1.2` to `production`: :x: failed in 3m 00s, asked by <@U0BOB>, approved by <@U0DAVE>", "The last 2")
	if strings.Contains(got, "v1.1") {
		t.Fatal("history shows more than asked")
	}
	w.slash(carol, deploys, "history payments")
	wantIn(t, "empty history", w.lastEphemeral(deploys, carol), "I know of no deployment of payments yet.")

	w.slash(carol, deploys, "lock web to production incident 42")
	w.slash(dave, random, "status web")
	es = w.ephemerals(random, dave)
	wantIn(t, "status", shown(es[len(es)-1]), "*web* `production`: :x: failed `v1.2`", "*web in production* is locked by <@U0CAROL>",
		"*web* `staging`: :white_check_mark: succeeded `v1.3`")
	w.slash(dave, random, "status")
	es = w.ephemerals(random, dave)
	wantIn(t, "overview", shown(es[len(es)-1]), "*payments* `production`: no deployment yet")
	if w.dep.awsCalls() != 0 {
		t.Fatal("history or status called AWS")
	}
}

// cardWithButtons posts a live card for rec as notify would, so that its
// buttons can be pressed.
func cardWithButtons(t *testing.T, w *world, rec switchyard.Record) string {
	t.Helper()
	d := rec.Deployment
	d.Status, d.BlueAlive, d.Waiting = switchyard.StatusReady, true, switchyard.WaitReady
	m := blocks.DeploymentCard(d, w.clock.Now())
	ts, err := w.h.post(context.Background(), deploys, m)
	must(t, err)
	return ts
}

func TestRollbackFromCardAndCommand(t *testing.T) {
	w := newWorld(t, worldOptions{})
	ts := w.request(alice, "web v1.4 to staging")
	w.click(alice, ts, blocks.ActionConfirm)
	recs, err := w.st.ListByApp(context.Background(), "web", "staging", 1)
	must(t, err)
	rec := recs[0]
	live := cardWithButtons(t, w, rec)
	if !slices.Contains(actions(w.card()), blocks.ActionRollback) {
		t.Fatalf("the live card has no Rollback: %v", actions(w.card()))
	}

	w.click(dave, live, blocks.ActionRollback)
	wantIn(t, "dave's answer", w.lastEphemeral(deploys, dave), "You may not roll back web in staging")
	if w.dep.rollbacks.Load() != 0 {
		t.Fatal("a refused rollback reached AWS")
	}

	w.click(carol, live, blocks.ActionRollback) // on-call: may roll back, may not deploy
	if w.dep.rollbacks.Load() != 1 {
		t.Fatalf("rollbacks = %d", w.dep.rollbacks.Load())
	}
	wantIn(t, "carol's answer", w.lastEphemeral(deploys, carol), "Rolling back web in staging")
	// Who rolled back is a request of carol's, accepted by AWS: notify
	// reads it from there onto the card.
	rbs, err := w.st.ListRollbacksOf(context.Background(), rec.ID)
	must(t, err)
	if len(rbs) != 1 || rbs[0].RequestedBy != carol || rbs[0].State != switchyard.StateConfirmed || rbs[0].DeploymentID != rec.ID {
		t.Fatalf("rollback requests %+v", rbs)
	}
	var watched int
	for _, id := range w.watch.seen() {
		if id == rec.ID {
			watched++
		}
	}
	if watched != 2 { // once started, once rolled back
		t.Fatalf("watched %v", w.watch.seen())
	}
	l, ok, err := w.st.GetLock(context.Background(), "web", "")
	must(t, err)
	if !ok || l.LockedBy != carol || !strings.Contains(l.Reason, rec.ID) {
		t.Fatalf("lock on rollback = %+v %v", l, ok)
	}
	wantIn(t, "lock announcement", shown(w.card()), ":lock: *web* is locked by <@U0CAROL>")

	// The same deployment again, by command: already stopped, so the
	// deployer refuses and says why.
	w.slash(bob, deploys, "rollback web")
	wantIn(t, "second rollback", w.lastEphemeral(deploys, bob), rec.ID)
	if a := w.lastAudit(); a.Action != actRollback || a.User != bob {
		t.Fatalf("audit = %+v", a)
	}
	w.slash(bob, deploys, "rollback payments")
	wantIn(t, "nothing to roll back", w.lastEphemeral(deploys, bob), "I know of no deployment of payments in production to roll back.")
}

// Shift traffic now is the deploy list's, and on a rollback's card the
// rollback list's too.
func TestShiftTrafficNeedsDeployPermission(t *testing.T) {
	w := newWorld(t, worldOptions{})
	seedHistory(t, w)
	rec, err := w.st.GetDeployment(context.Background(), "d-AAAAAAAA3")
	must(t, err)
	live := cardWithButtons(t, w, rec)
	w.click(carol, live, blocks.ActionShiftNow)
	wantIn(t, "carol's answer", w.lastEphemeral(deploys, carol), "You may not shift traffic of deployments of web in staging")
	w.click(bob, live, blocks.ActionShiftNow)
	// The deployment is not in CodeDeploy at all: the deployer says so.
	wantIn(t, "bob's answer", w.lastEphemeral(deploys, bob), "d-AAAAAAAA3")
	if w.dep.continues.Load() != 1 {
		t.Fatalf("continues = %d", w.dep.continues.Load())
	}

	// The on-call person who rolled back sees the rollback through: a
	// rollback's redeploy waits for the go-ahead as any deployment of its
	// group does, and the rollback list may give it there, not elsewhere.
	_, err = w.st.UpdateDeploymentIf(context.Background(), rec.ID, switchyard.AnyRev, func(r *switchyard.Record) error {
		r.RollbackOf = "d-AAAAAAAA2"
		return nil
	})
	must(t, err)
	w.click(carol, live, blocks.ActionShiftNow)
	if w.dep.continues.Load() != 2 {
		t.Fatalf("carol, on call, could not give a rollback the go-ahead: %s", w.lastEphemeral(deploys, carol))
	}
}

func TestPanicInJobIsContained(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.dep.planHook = func() { panic("boom") }
	w.slash(alice, deploys, "web v1.4 to staging")
	wantIn(t, "apology", w.lastEphemeral(deploys, alice), "Something went wrong on our side")
	if a := w.lastAudit(); a.Action != "panic" || a.Result != switchyard.ResultFailed {
		t.Fatalf("audit = %+v", a)
	}
	w.dep.planHook = nil
	w.request(alice, "web v1.4 to staging")
}

func TestGroupMembersAreCached(t *testing.T) {
	w := newWorld(t, worldOptions{})
	calls := func() int { return w.slack.Calls()["usergroups.users.list"] }
	w.slash(carol, deploys, "lock web one")
	w.slash(carol, deploys, "unlock web")
	if n := calls(); n != 1 {
		t.Fatalf("usergroups.users.list called %d times, want 1", n)
	}
	w.clock.Advance(6 * time.Minute) // past group_cache: 5m
	w.slash(carol, deploys, "lock web two")
	if n := calls(); n != 2 {
		t.Fatalf("usergroups.users.list called %d times after the cache expired, want 2", n)
	}
}

func TestShutdownDrainsJobsInFlight(t *testing.T) {
	w := newWorld(t, worldOptions{})
	planning, release := make(chan struct{}), make(chan struct{})
	w.dep.planHook = func() {
		close(planning)
		<-release
	}
	w.slashAsync(alice, deploys, "web v1.4 to staging")
	<-planning
	stopped := make(chan struct{})
	go func() {
		w.stop()
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("Run returned while a job was still running")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-stopped
	if n := len(w.channelMessages(deploys)); n != 1 {
		t.Fatalf("the job in flight posted %d cards, want 1", n)
	}
}

// A tag that does not exist is the person's to fix: they are told, the
// audit files it as refused, and the operator's log gets no warning for it (nor for the alarm read the
// abandoned plan cut short).
func TestATypoIsNotAnOperatorWarning(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	w := newWorld(t, worldOptions{log: zap.New(core)})
	w.slash(alice, deploys, "web v9.9.9")
	wantIn(t, "answer", w.lastEphemeral(deploys, alice), "There is no image v9.9.9")
	if a := w.lastAudit(); a.Action != actDeploy || a.Result != switchyard.ResultRefused {
		t.Errorf("the typo is audited as %s %s, want a refused deploy", a.Action, a.Result)
	}
	w.stop()
	for _, e := range logs.All() {
		if e.Level >= zap.WarnLevel {
			t.Errorf("a typo was logged at %s: %s %v", e.Level, e.Message, e.ContextMap())
		}
	}
	if logs.FilterMessage("action failed").Len() != 1 {
		t.Errorf("the failed plan is not logged once at info: %v", logs.All())
	}
}

// When Slack cannot answer for a group (here, rate limited), the members
// read within the last hour still answer: carol, on call through her
// group, may still act. Past that hour the bot says it could not check.
func TestGroupMembersOutliveASlackThatCannotAnswer(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.slash(carol, deploys, "lock web one")
	w.slash(carol, deploys, "unlock web")
	limited := func() int { return w.slack.Calls()["usergroups.users.list"] }
	before := limited()

	w.slack.SetRateLimit(slacksim.RateTight)
	api := slack.New(w.slack.BotToken(), slack.OptionAPIURL(w.slack.URL()))
	if _, err := api.GetUserGroupMembers(oncallID); err != nil {
		t.Fatalf("the one call tight limits allow: %v", err)
	}
	w.clock.Advance(6 * time.Minute) // past group_cache: 5m
	w.slash(carol, deploys, "lock web two")
	if limited() != before+2 {
		t.Fatalf("usergroups.users.list calls: %d, want %d (the bot asked Slack again)", limited(), before+2)
	}
	wantIn(t, "the lock", shown(w.card()), "*web* is locked by <@U0CAROL>", "two")

	w.clock.Advance(2 * time.Hour)
	w.slash(carol, deploys, "unlock web")
	wantIn(t, "carol's answer", w.lastEphemeral(deploys, carol), "couldn't check your user groups")
}

// TestPersonsRollbackReadsAsTheirs: bob pressed Rollback on alice's v1.4,
// so the bot stopped it with rollback and CodeDeploy made the deployment
// that carries it. History, status and the Home tab call that rollback
// bob's, and say the stop was his, not CodeDeploy's own after a failure
// nor alice's.
func TestPersonsRollbackReadsAsTheirs(t *testing.T) {
	w := newWorld(t, worldOptions{})
	ctx := context.Background()
	for _, d := range []switchyard.Deployment{
		{ID: "d-AAAAAAAA4", Version: "v1.4", Status: switchyard.StatusStopped, ErrorCode: "MANUAL_STOP", RequestedBy: alice, ConfirmedBy: alice,
			RolledBackBy: bob, RollbackID: "d-AAAAAAAA5", Created: t0.Add(-time.Hour), Completed: t0.Add(-50 * time.Minute)},
		{ID: "d-AAAAAAAA5", Status: switchyard.StatusSucceeded, Creator: switchyard.CreatorRollback, RollbackOf: "d-AAAAAAAA4",
			TaskDefinition: "web:7", Created: t0.Add(-50 * time.Minute), Completed: t0.Add(-48 * time.Minute)},
	} {
		d.App, d.Env = "web", "production"
		_, err := w.st.CreateDeployment(ctx, switchyard.Record{Deployment: d})
		must(t, err)
	}
	const theirs = "rollback to `web:7` by <@U0BOB>, of d-AAAAAAAA4"
	w.slash(carol, deploys, "history web")
	got := lastShown(w, deploys, carol)
	wantIn(t, "history", got, theirs, "stopped in 10m 00s, asked by <@U0ALICE>, rolled back by <@U0BOB>")
	// Only the rollback is shown: the deployment it undoes is looked up.
	w.slash(carol, deploys, "history web 1")
	one := lastShown(w, deploys, carol)
	w.slash(dave, random, "status web")
	status := lastShown(w, random, dave)
	for name, s := range map[string]string{"history": got, "history of one": one, "status": status} {
		wantIn(t, name, s, theirs)
		if strings.Contains(s, "automatic") || strings.Contains(s, "started by CodeDeploy") {
			t.Errorf("%s calls bob's rollback CodeDeploy's own: %s", name, s)
		}
	}
	w.openHome(dave, "rollback to `web:7` in `production` succeeded, asked by <@U0BOB>",
		"`v1.4` to `production` stopped by <@U0BOB>, asked by <@U0ALICE>")
}

// lastShown is everything the last ephemeral message to user in channel
// shows.
func lastShown(w *world, channel, user string) string {
	es := w.ephemerals(channel, user)
	if len(es) == 0 {
		w.t.Fatalf("%s was told nothing in %s", user, channel)
	}
	return shown(es[len(es)-1])
}
