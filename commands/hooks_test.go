package commands

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/blocks"
)

// startShop asks for and confirms (or approves) shop v2 in env, plays the
// AWS clock to its pause, and posts the live card as notify would: it
// returns the deployment and the card's ts.
func startShop(t *testing.T, w *world, env, confirmer string) (*switchyard.Observation, string) {
	t.Helper()
	text := "shop v2 to " + env
	ts := w.request(alice, text)
	action := blocks.ActionConfirm
	if confirmer != alice {
		action = blocks.ActionApprove
	}
	w.click(confirmer, ts, action)
	recs, err := w.st.ListByApp(context.Background(), "shop", env, 1)
	must(t, err)
	if len(recs) == 0 {
		t.Fatalf("%s did not start: %v", text, w.ephemerals(deploys, confirmer))
	}
	return pauseCard(t, w, env, recs[0].ID)
}

// pauseCard plays deployment id of shop in env to its pause and posts its
// card.
func pauseCard(t *testing.T, w *world, env, id string) (*switchyard.Observation, string) {
	t.Helper()
	a, _ := w.cfg.Lookup("shop")
	e, _ := a.Env(env)
	for range 60 {
		obs, err := w.describe(context.Background(), e, id)
		must(t, err)
		if obs.Waiting == switchyard.WaitPause {
			rec, err := w.st.GetDeployment(context.Background(), id)
			must(t, err)
			d := rec.Deployment
			obs.Apply(&d)
			ts, err := w.h.post(context.Background(), deploys, blocks.DeploymentCard(d, w.clock.Now()))
			must(t, err)
			return obs, ts
		}
		w.aws.Advance(5 * time.Second)
	}
	t.Fatalf("%s never paused", id)
	return nil, ""
}

// describe asks the real deployer what AWS says of deployment id.
func (w *world) describe(_ context.Context, env switchyard.Environment, id string) (*switchyard.Observation, error) {
	return w.dep.Deployer.(*deployer.Deployer).Describe(context.Background(), env, id)
}

// Continue at a pause is the deployers' where no approval is needed, and
// answers that very pause: once answered, a second press is told so.
func TestContinueAtAPause(t *testing.T) {
	w := newWorld(t, worldOptions{})
	obs, live := startShop(t, w, "staging", alice)
	a, _ := w.cfg.Lookup("shop")
	env, _ := a.Env("staging")

	w.click(carol, live, blocks.ActionContinueHook)
	wantIn(t, "carol's answer", w.lastEphemeral(deploys, carol), "You may not let deployments of shop in staging go on past a pause", "deploy list")
	w.click(dave, live, blocks.ActionContinueHook)
	wantIn(t, "dave's answer", w.lastEphemeral(deploys, dave), "deploy list")
	if st, _ := w.describe(context.Background(), env, obs.ID); st.Waiting != switchyard.WaitPause {
		t.Fatal("a refused Continue reached AWS")
	}

	w.click(alice, live, blocks.ActionContinueHook)
	wantIn(t, "alice's answer", w.lastEphemeral(deploys, alice), "Continuing "+switchyard.ShortID(obs.ID))
	if st, _ := w.describe(context.Background(), env, obs.ID); st.Waiting == switchyard.WaitPause {
		t.Fatal("the pause still waits after Continue")
	}
	if au := w.lastAudit(); au.Action != actContinueHook || au.User != alice || au.Result != switchyard.ResultOK {
		t.Fatalf("audit %+v", au)
	}
	w.click(alice, live, blocks.ActionContinueHook) // the old card, pressed again
	wantIn(t, "second press", w.lastEphemeral(deploys, alice), "no longer waiting at that pause")
}

// Where deploys need a second person, going on past a pause is the
// approvers'.
func TestContinueAtAPauseNeedsAnApproverWhereDeploysDo(t *testing.T) {
	w := newWorld(t, worldOptions{})
	_, live := startShop(t, w, "production", dave)
	w.click(alice, live, blocks.ActionContinueHook)
	wantIn(t, "alice's answer", w.lastEphemeral(deploys, alice), "approve list")
	w.click(dave, live, blocks.ActionContinueHook)
	wantIn(t, "dave's answer", w.lastEphemeral(deploys, dave), "Continuing")
}

// Roll back at a pause is a rollback: on-call may, someone on no list may
// not, and it is recorded as the clicking person's.
func TestRollBackAtAPause(t *testing.T) {
	w := newWorld(t, worldOptions{})
	obs, live := startShop(t, w, "staging", alice)
	a, _ := w.cfg.Lookup("shop")
	env, _ := a.Env("staging")
	w.click(dave, live, blocks.ActionRollbackHook)
	wantIn(t, "dave's answer", w.lastEphemeral(deploys, dave), "You may not roll back shop in staging")
	if w.dep.rollbacks.Load() != 0 {
		t.Fatal("a refused rollback reached AWS")
	}
	w.click(carol, live, blocks.ActionRollbackHook) // on call
	wantIn(t, "carol's answer", w.lastEphemeral(deploys, carol), "Rolling back shop in staging")
	st, err := w.describe(context.Background(), env, obs.ID)
	must(t, err)
	if st.Status != switchyard.StatusRollingBack || st.Waiting != switchyard.WaitNone {
		t.Fatalf("after Roll back: %s, waiting %q", st.Status, st.Waiting)
	}
	rbs, err := w.st.ListRollbacksOf(context.Background(), obs.ID)
	must(t, err)
	if len(rbs) != 1 || rbs[0].RequestedBy != carol || rbs[0].DeploymentID != obs.ID {
		t.Fatalf("rollback requests %+v", rbs)
	}
}
