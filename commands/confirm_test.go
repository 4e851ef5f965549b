package commands

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
)

func TestDeployPostsConfirmationCard(t *testing.T) {
	w := newWorld(t, worldOptions{})
	ts := w.request(alice, "web v1.4 to staging fix <login> & checkout")
	card := w.card()
	if card.TS != ts || card.User != "U0SWITCHYRD" {
		t.Fatalf("card = %+v", card)
	}
	wantIn(t, "card", shown(card),
		"Deploy web v1.4 to staging?",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1.3", // image now
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1.4", // image next
		"CodeDeployDefault.ECSAllAtOnce",
		"<@U0ALICE>",
		"fix &lt;login&gt; &amp; checkout",
		"Only <@U0ALICE> can confirm",
		"Blue is kept 5 minutes after success",
	)
	if got := actions(card); !slices.Equal(got, []string{blocks.ActionConfirm, blocks.ActionCancel}) {
		t.Fatalf("buttons = %v", got)
	}
	p, err := w.st.FindPendingByMessage(context.Background(), deploys, ts)
	must(t, err)
	if p.State != switchyard.StatePending || p.RequestedBy != alice || p.Version != "v1.4" || !p.Expires.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("pending = %+v", p)
	}
	if w.dep.plans.Load() != 1 || w.dep.starts.Load() != 0 {
		t.Fatalf("plans %d starts %d", w.dep.plans.Load(), w.dep.starts.Load())
	}
	if a := w.lastAudit(); a.Action != actDeploy || a.Result != switchyard.ResultOK || a.MessageTS != ts || a.User != alice || a.Channel != deploys {
		t.Fatalf("audit = %+v", a)
	}
	for _, a := range w.slack.Acks() {
		if a.Missing || a.Late {
			t.Fatalf("envelope not acked in time: %+v", a)
		}
	}
}

func TestProductionCardShowsAlarmsAndApproval(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.request(alice, "web v1.4 to production")
	card := w.card()
	wantIn(t, "card", shown(card), "Deploy web v1.4 to production?", "CodeDeployDefault.ECSCanary10Percent5Minutes",
		"`web-5xx` OK", "needs a second person", "CodeDeploy rolls back by itself on failure or alarm")
	if got := actions(card); !slices.Equal(got, []string{blocks.ActionApprove, blocks.ActionCancel}) {
		t.Fatalf("buttons = %v", got)
	}
}

func TestDoubleConfirmStartsOneDeployment(t *testing.T) {
	w := newWorld(t, worldOptions{})
	ts := w.request(alice, "web v1.4 to staging")
	delivered := w.clicks(ts, [2]string{alice, blocks.ActionConfirm}, [2]string{alice, blocks.ActionConfirm})

	if n := w.dep.starts.Load(); n != 1 {
		t.Fatalf("Start called %d times", n)
	}
	recs, err := w.st.ListByApp(context.Background(), "web", "", 10)
	must(t, err)
	if len(recs) != 1 {
		t.Fatalf("%d deployments recorded", len(recs))
	}
	rec := recs[0]
	// The request, confirmed once, carries the deployment: notify makes
	// its record (with this card) from it.
	p, err := w.st.FindRequest(context.Background(), rec.ID)
	must(t, err)
	if p.Channel != deploys || p.MessageTS != ts || p.RequestedBy != alice || p.ChangedBy != alice || p.Version != "v1.4" ||
		p.State != switchyard.StateConfirmed || p.Plan == nil || p.Plan.ImageNext == "" {
		t.Fatalf("request = %+v", p)
	}
	if got := w.watch.seen(); !slices.Equal(got, []string{rec.ID}) {
		t.Fatalf("watched %v, want [%s]", got, rec.ID)
	}
	card := w.card()
	if len(actions(card)) != 0 {
		t.Fatalf("buttons after confirm: %v", actions(card))
	}
	wantIn(t, "card", shown(card), "Confirmed by <@U0ALICE>", "starting the deployment")
	if delivered == 2 { // else the second press found the button gone, as in Slack
		wantIn(t, "the second click's answer", w.lastEphemeral(deploys, alice), "already confirmed by <@U0ALICE>")
	}
	p, err = w.st.FindPendingByMessage(context.Background(), deploys, ts)
	must(t, err)
	if p.State != switchyard.StateConfirmed || p.DeploymentID != rec.ID {
		t.Fatalf("pending = %+v", p)
	}
}

func TestCancel(t *testing.T) {
	w := newWorld(t, worldOptions{})
	ts := w.request(alice, "web v1.4 to staging")
	w.click(bob, ts, blocks.ActionCancel)
	wantIn(t, "bob's answer", w.lastEphemeral(deploys, bob), "Only <@U0ALICE>, who asked for this deploy, can cancel it.")
	if len(w.card().Edits) != 0 {
		t.Fatal("someone else's Cancel changed the card")
	}
	w.click(alice, ts, blocks.ActionCancel)
	card := w.card()
	wantIn(t, "card", shown(card), "Cancelled by <@U0ALICE>", "Nothing was deployed")
	if len(actions(card)) != 0 || w.dep.starts.Load() != 0 {
		t.Fatalf("buttons %v, starts %d", actions(card), w.dep.starts.Load())
	}
	if a := w.lastAudit(); a.Action != actCancel || a.Result != switchyard.ResultOK || a.MessageTS != ts {
		t.Fatalf("audit = %+v", a)
	}
}

func TestConfirmRacingCancelEndsInOne(t *testing.T) {
	for i := range 3 {
		w := newWorld(t, worldOptions{})
		ts := w.request(alice, "web v1.4 to staging")
		delivered := w.clicks(ts, [2]string{alice, blocks.ActionConfirm}, [2]string{alice, blocks.ActionCancel})
		p, err := w.st.FindPendingByMessage(context.Background(), deploys, ts)
		must(t, err)
		recs, err := w.st.ListByApp(context.Background(), "web", "", 10)
		must(t, err)
		starts := w.dep.starts.Load()
		switch p.State {
		case switchyard.StateConfirmed:
			if starts != 1 || len(recs) != 1 {
				t.Fatalf("round %d: confirmed but %d starts, %d records", i, starts, len(recs))
			}
		case switchyard.StateCancelled:
			if starts != 0 || len(recs) != 0 {
				t.Fatalf("round %d: cancelled but %d starts, %d records", i, starts, len(recs))
			}
			wantIn(t, "card", shown(w.card()), "Cancelled by")
		default:
			t.Fatalf("round %d: state %s", i, p.State)
		}
		if delivered == 2 { // else the losing press found the button gone, as in Slack
			wantIn(t, "the losing click's answer", w.lastEphemeral(deploys, alice), "This deploy request for web v1.4 is already")
		}
	}
}

func TestSomeoneElsesConfirmIsRefused(t *testing.T) {
	w := newWorld(t, worldOptions{})
	ts := w.request(alice, "web v1.4 to staging")
	w.click(bob, ts, blocks.ActionConfirm)
	wantIn(t, "bob's answer", w.lastEphemeral(deploys, bob), "Only <@U0ALICE>, who asked for this deploy, can confirm it.")
	if w.dep.starts.Load() != 0 || len(w.card().Edits) != 0 || len(w.ephemerals(deploys, alice)) != 0 {
		t.Fatal("a refused click changed something")
	}
	a := w.lastAudit()
	if a.User != bob || a.Action != actConfirm || a.Result != switchyard.ResultRefused || a.MessageTS != ts {
		t.Fatalf("audit = %+v", a)
	}
	p, err := w.st.FindPendingByMessage(context.Background(), deploys, ts)
	must(t, err)
	if p.State != switchyard.StatePending {
		t.Fatalf("state = %s", p.State)
	}
}

func TestApprovalBySecondPerson(t *testing.T) {
	w := newWorld(t, worldOptions{})
	ts := w.request(alice, "web v1.4 to production")

	w.click(alice, ts, blocks.ActionApprove)
	wantIn(t, "self-approval answer", w.lastEphemeral(deploys, alice), "You can't approve your own deploy")
	w.click(carol, ts, blocks.ActionApprove)
	wantIn(t, "carol's answer", w.lastEphemeral(deploys, carol), "You may not approve deploys of web to production")
	if w.dep.starts.Load() != 0 || len(w.card().Edits) != 0 {
		t.Fatal("a refused approval changed something")
	}

	w.click(dave, ts, blocks.ActionApprove)
	if w.dep.starts.Load() != 1 {
		t.Fatalf("starts = %d", w.dep.starts.Load())
	}
	card := w.card()
	wantIn(t, "card", shown(card), "Approved by <@U0DAVE>")
	recs, err := w.st.ListByApp(context.Background(), "web", "production", 1)
	must(t, err)
	if len(recs) != 1 || recs[0].CardTS != ts {
		t.Fatalf("records = %+v", recs)
	}
	p, err := w.st.FindRequest(context.Background(), recs[0].ID)
	must(t, err)
	if p.ApprovedBy != dave || p.RequestedBy != alice || p.State != switchyard.StateConfirmed || p.MessageTS != ts {
		t.Fatalf("request = %+v", p)
	}
	var refused int
	for _, a := range w.audits() {
		if a.Action == actApprove && a.Result == switchyard.ResultRefused {
			refused++
		}
	}
	if refused != 2 {
		t.Fatalf("%d refused approvals audited, want 2", refused)
	}
}

func TestExpiry(t *testing.T) {
	w := newWorld(t, worldOptions{})
	ts := w.request(alice, "web v1.4 to staging")
	ts2 := w.request(bob, "web v1.5 to staging")

	w.clock.Advance(14 * time.Minute)
	n, err := w.h.Sweep(context.Background())
	must(t, err)
	if n != 0 {
		t.Fatalf("expired %d before their time", n)
	}
	w.clock.Advance(2 * time.Minute)
	// A click after the expiry but before the sweeper: refused, and the
	// card expires there and then.
	w.click(alice, ts, blocks.ActionConfirm)
	wantIn(t, "alice's answer", w.lastEphemeral(deploys, alice), "expired")
	n, err = w.h.Sweep(context.Background())
	must(t, err)
	if n != 1 {
		t.Fatalf("sweep expired %d, want 1", n)
	}
	for _, cardTS := range []string{ts, ts2} {
		m, ok := w.slack.Message(deploys, cardTS)
		if !ok {
			t.Fatal("card gone")
		}
		wantIn(t, "expired card", shown(m), "Expired at", "Nothing was deployed")
		if len(actions(m)) != 0 {
			t.Fatalf("expired card keeps buttons %v", actions(m))
		}
		p, err := w.st.FindPendingByMessage(context.Background(), deploys, cardTS)
		must(t, err)
		if p.State != switchyard.StateExpired {
			t.Fatalf("state = %s", p.State)
		}
	}
	if w.dep.starts.Load() != 0 {
		t.Fatal("an expired request started")
	}
	if n, _ := w.h.Sweep(context.Background()); n != 0 {
		t.Fatalf("a second sweep expired %d", n)
	}
}

func TestStartFailureShowsOnCard(t *testing.T) {
	w := newWorld(t, worldOptions{})
	ts := w.request(alice, "web v1.4 to staging")
	first := w.request(bob, "web v1.5 to staging")
	w.click(bob, first, blocks.ActionConfirm) // now a deployment runs in the group
	w.click(alice, ts, blocks.ActionConfirm)
	m, _ := w.slack.Message(deploys, ts)
	wantIn(t, "failed card", shown(m), "Nothing was deployed.", "is still running here, and a second one cannot start", "<@U0ALICE> pressed Confirm")
	if strings.Contains(shown(m), "Confirmed by") {
		t.Fatalf("a card that deployed nothing claims a confirmation:\n%s", m.Blocks)
	}
	p, err := w.st.FindPendingByMessage(context.Background(), deploys, ts)
	must(t, err)
	if p.State != switchyard.StateFailed || p.Error == "" {
		t.Fatalf("pending = %+v", p)
	}
	if a := w.lastAudit(); a.Action != actStart || a.Result != switchyard.ResultFailed {
		t.Fatalf("audit = %+v", a)
	}
}

// A rollback's own confirmation card, like a deploy's, belongs to the
// person who asked for it, and the refusals call it a rollback.
func TestSomeoneElsesClickOnARollbackCardIsRefused(t *testing.T) {
	w := newWorld(t, worldOptions{})
	plan := &switchyard.Plan{App: "web", Env: switchyard.Environment{Name: "staging"}, Version: "v1.3",
		ImageNow: ecrWeb + ":v1.4", ImageNext: "evil.example.com/x:v1.3",
		Config: "CodeDeployDefault.ECSAllAtOnce", Traffic: switchyard.TrafficShape{Type: switchyard.RoutingAllAtOnce}}
	p := pendingFor(plan)
	p.Kind, p.RollbackOf = switchyard.KindRollback, "d-ABCDEFGHI"
	ts := w.postCard(p, plan)

	w.click(bob, ts, blocks.ActionCancel)
	wantIn(t, "bob's cancel", w.lastEphemeral(deploys, bob), "Only <@U0ALICE>, who asked for this rollback, can cancel it.")
	w.click(bob, ts, blocks.ActionConfirm)
	wantIn(t, "bob's confirm", w.lastEphemeral(deploys, bob), "Only <@U0ALICE>, who asked for this rollback, can confirm it.")
	if a := w.lastAudit(); a.User != bob || a.Action != actRollback || a.Result != switchyard.ResultRefused {
		t.Fatalf("audit = %+v", a)
	}
	if w.dep.starts.Load() != 0 || w.dep.rollbacks.Load() != 0 || len(w.card().Edits) != 0 {
		t.Fatal("a refused click changed something")
	}
}

// slowCardSave holds back saving the first card's ts until released, as a
// busy store does between Slack taking the card and the bot remembering it.
type slowCardSave struct {
	Store
	release chan struct{}
	once    sync.Once
}

func (s *slowCardSave) SetPendingMessage(ctx context.Context, id, channel, ts string) error {
	first := false
	s.once.Do(func() { first = true })
	if first {
		<-s.release
	}
	return s.Store.SetPendingMessage(ctx, id, channel, ts)
}

// A Cancel that lands before the card's ts is saved still turns the card
// into "Cancelled": the click itself says which message it was.
func TestCancelBeforeTheCardIsSaved(t *testing.T) {
	slow := &slowCardSave{release: make(chan struct{})}
	w := newWorld(t, worldOptions{wrap: func(s Store) Store { slow.Store = s; return slow }})
	var released sync.Once
	release := func() { released.Do(func() { close(slow.release) }) }
	t.Cleanup(release) // a failed wait must not leave the handler stuck
	before := len(w.channelMessages(deploys))
	w.slashAsync(alice, deploys, "web v1.4 to staging")
	simtest.WaitFor(t, "the confirmation card", func() bool { return len(w.channelMessages(deploys)) > before }, nil)
	ts := w.card().TS

	w.expect(1)
	if _, err := w.slack.Click(ctx10(t), slacksim.ClickRequest{UserID: alice, ChannelID: deploys, MessageTS: ts, ActionID: blocks.ActionCancel}); err != nil {
		t.Fatal(err)
	}
	simtest.WaitFor(t, "the card to say cancelled", func() bool {
		return strings.Contains(shown(w.card()), "Cancelled by <@U0ALICE>")
	}, func() string { return shown(w.card()) })
	release()
	w.settle()
	if card := w.card(); len(actions(card)) != 0 || !strings.Contains(shown(card), "Nothing was deployed") {
		t.Fatalf("after the card's ts was saved: buttons %v, %s", actions(card), shown(card))
	}
}

// A card made before the environment named a role (or moved to another
// service) is refused at Confirm: what it shows was read in another
// place, or as the bot itself, and starting it would act there.
func TestConfirmOfACardMadeForAnotherTargetIsRefused(t *testing.T) {
	const role = "arn:aws:iam::210987654321:role/switchyard-deploy"
	w := newWorld(t, worldOptions{config: func(c *config.Config) {
		a, _ := c.Lookup("web")
		env := a.Environments["staging"]
		env.RoleARN = role
		a.Environments["staging"] = env
	}})
	a, _ := w.cfg.Lookup("web")
	was := a.Environments["staging"]
	was.RoleARN = "" // as the card was made, before the upgrade
	plan := &switchyard.Plan{App: "web", Env: was, Version: "v1.4", ImageNow: ecrWeb + ":v1.3", ImageNext: ecrWeb + ":v1.4",
		Config: "CodeDeployDefault.ECSAllAtOnce", Traffic: switchyard.TrafficShape{Type: switchyard.RoutingAllAtOnce}}
	p := pendingFor(plan)
	p.Kind = switchyard.KindDeploy
	ts := w.postCard(p, plan)

	w.click(alice, ts, blocks.ActionConfirm)
	wantIn(t, "alice's answer", w.lastEphemeral(deploys, alice), "web in staging now deploys to another place or through another role", "nothing was deployed")
	if w.dep.starts.Load() != 0 {
		t.Fatal("a card made without the role started a deployment")
	}
	if a := w.lastAudit(); a.User != alice || a.Action != actConfirm || a.Result != switchyard.ResultRefused {
		t.Fatalf("audit = %+v", a)
	}
}

// postCard stores p, a request made by hand with plan, and posts its
// confirmation card in #deploys as the bot would; it returns the card's ts.
func (w *world) postCard(p switchyard.Pending, plan *switchyard.Plan) string {
	w.t.Helper()
	p.ID, p.Plan = "", plan
	p, err := w.st.CreatePending(context.Background(), p)
	must(w.t, err)
	ts, err := w.h.post(context.Background(), deploys, blocks.ConfirmCard(confirmation(p, plan)))
	must(w.t, err)
	must(w.t, w.st.SetPendingMessage(context.Background(), p.ID, deploys, ts))
	return ts
}
