package commands

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// quickHome publishes Home tabs without the production Gap, so that the
// tests see every change at once.
var quickHome = HomeOptions{Gap: time.Millisecond, Tick: 10 * time.Millisecond, PerMinute: 6000}

// openHome opens user's Home tab and waits until the bot published it
// with want in it.
func (w *world) openHome(user string, want ...string) slacksim.View {
	w.t.Helper()
	if _, err := w.slack.OpenHome(ctx10(w.t), slacksim.HomeRequest{UserID: user}); err != nil {
		w.t.Fatalf("%s opens Home: %v", user, err)
	}
	return w.waitHome(user, want...)
}

// waitHome waits until user's Home tab shows every want.
func (w *world) waitHome(user string, want ...string) slacksim.View {
	w.t.Helper()
	var v slacksim.View
	simtest.WaitFor(w.t, user+"'s Home tab showing "+strings.Join(want, ", "), func() bool {
		var ok bool
		v, ok = w.home(user)
		if !ok {
			return false
		}
		for _, s := range want {
			if !strings.Contains(viewText(v), s) {
				return false
			}
		}
		return true
	}, func() string { return viewText(v) })
	return v
}

// press presses a button of user's Home tab and waits for the bot.
func (w *world) press(user, action string) {
	w.t.Helper()
	v, _ := w.home(user)
	w.choose(user, v.ID, action, "")
}

// TestHomeTab: alice's tab shows every app with the buttons she may press,
// dave's (he only approves) the same apps and no button; the tab follows a deployment from
// its start to its end; its buttons lock, unlock, open the deploy modal
// and roll back, each as its command would.
func TestHomeTab(t *testing.T) {
	w := newWorld(t, worldOptions{opts: Options{Home: quickHome}})
	a := w.openHome(alice, "*web*", "*payments*")
	for _, b := range []string{"home.deploy.web", "home.lock.web", "home.deploy.payments", "home.lock.payments"} {
		if !strings.Contains(viewText(a), `"action_id":"`+b+`"`) {
			t.Errorf("alice's tab lacks %s:\n%s", b, viewText(a))
		}
	}
	wantIn(t, "alice's tab", viewText(a), "`staging` runs `v1.3`", "`production` runs `v1.3`")
	d := w.openHome(dave, "*web*", "*payments*")
	if strings.Contains(viewText(d), `"action_id":"home.`) {
		t.Errorf("dave, who may press nothing here, has buttons:\n%s", viewText(d))
	}

	// A deployment starts: both tabs show it, with a link to its card.
	ts := w.request(bob, "web v1.5 to staging")
	w.click(bob, ts, blocks.ActionConfirm)
	link := blocks.CardLink(deploys, ts)
	w.waitHome(alice, "Deploying `v1.5`", "asked by <@U0BOB>", link)
	w.waitHome(dave, "Deploying `v1.5`")
	// Bob, who may roll back, sees Roll back on his own tab.
	w.openHome(bob, `"action_id":"home.rollback.web.staging"`)

	// It ends.
	id := w.watch.seen()[0]
	rec, err := w.st.UpdateDeploymentIf(context.Background(), id, switchyard.AnyRev, func(r *switchyard.Record) error {
		r.Status, r.Completed = switchyard.StatusSucceeded, w.clock.Now()
		return nil
	})
	must(t, err)
	w.h.DeploymentChanged(context.Background(), rec.Deployment)
	simtest.WaitFor(t, "the tab to show the end", func() bool {
		v, _ := w.home(dave)
		s := viewText(v)
		return !strings.Contains(s, "Deploying") && strings.Contains(s, "`v1.5` to `staging` succeeded, asked by <@U0BOB>")
	}, nil)

	// Lock… asks why, then locks as /deploy lock does.
	w.press(alice, "home.lock.web")
	m := w.modal(alice)
	if m.CallbackID != blocks.CallbackLock {
		t.Fatalf("Lock… opened %s", m.CallbackID)
	}
	if res := w.submit(alice, m.ID, values(typed("reason", " "))); res.Errors["reason"] == "" {
		t.Fatalf("a lock without a reason: %v", res.Errors)
	}
	w.submit(alice, m.ID, values(typed("reason", "incident 9")))
	wantIn(t, "the lock's announcement", shown(w.card()), "*web* is locked by <@U0ALICE>", "incident 9")
	w.waitHome(alice, `"action_id":"home.unlock.web"`, "incident 9")
	w.press(alice, "home.unlock.web")
	wantIn(t, "the unlock", shown(w.card()), ":unlock: *web* is unlocked by <@U0ALICE>")

	// Deploy… opens the modal with the app chosen.
	w.press(alice, "home.deploy.payments")
	if m := w.modal(alice); !hasInput(m, "version") || !strings.Contains(m.PrivateMetadata, `"app":"payments"`) {
		t.Errorf("Deploy… did not choose payments: %s", m.Blocks)
	}

	// Roll back, as /deploy rollback does.
	before := w.dep.rollbacks.Load()
	w.press(bob, "home.rollback.web.staging")
	if w.dep.rollbacks.Load() != before+1 {
		t.Fatalf("Roll back made %d rollbacks; told %v", w.dep.rollbacks.Load()-before, w.ephemerals(deploys, bob))
	}
}

// Another replica's change reaches a tab opened here: another bot process
// on the same store locks and unlocks web, freezes and unfreezes it, and
// sees a deployment end, none of it telling this handler; the tab shows each within a look at
// the store.
func TestHomeTabFollowsOtherReplicasChanges(t *testing.T) {
	opts := quickHome
	opts.Look = 20 * time.Millisecond
	w := newWorld(t, worldOptions{opts: Options{Home: opts}})
	w.openHome(alice, "*web*")

	// What another replica writes: a lock, straight into the store.
	if _, err := w.st.Lock(context.Background(), switchyard.Lock{App: "web", Reason: "incident 12", LockedBy: bob, Created: w.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	w.waitHome(alice, "incident 12", "<@U0BOB>")
	if _, err := w.st.Unlock(context.Background(), "web", ""); err != nil {
		t.Fatal(err)
	}
	simtest.WaitFor(t, "the tab to lose the lock", func() bool {
		v, _ := w.home(alice)
		return !strings.Contains(viewText(v), "incident 12")
	}, nil)

	// A freeze, in force from now.
	now := w.clock.Now()
	if _, err := w.st.Freeze(context.Background(), switchyard.Freeze{App: "web", Reason: "release week", By: bob, Start: now, End: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	w.waitHome(alice, "release week")
	if _, err := w.st.Unfreeze(context.Background(), "web", w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	simtest.WaitFor(t, "the tab to lose the freeze", func() bool {
		v, _ := w.home(alice)
		return !strings.Contains(viewText(v), "release week")
	}, nil)

	// And a deployment another replica follows, seen to end there.
	ts := w.request(bob, "web v1.5 to staging")
	w.click(bob, ts, blocks.ActionConfirm)
	w.waitHome(alice, "Deploying `v1.5`")
	id := w.watch.seen()[0]
	if _, err := w.st.UpdateDeploymentIf(context.Background(), id, switchyard.AnyRev, func(r *switchyard.Record) error {
		r.Status, r.Completed = switchyard.StatusSucceeded, w.clock.Now()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	simtest.WaitFor(t, "the tab to show the end", func() bool {
		v, _ := w.home(alice)
		s := viewText(v)
		return !strings.Contains(s, "Deploying") && strings.Contains(s, "`v1.5` to `staging` succeeded, asked by <@U0BOB>")
	}, func() string { v, _ := w.home(alice); return viewText(v) })
}
