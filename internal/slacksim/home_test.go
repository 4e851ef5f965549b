package slacksim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// homeEvent is the app_home_opened inside an Events API envelope.
func homeEvent(t *testing.T, e botEvent) *slackevents.AppHomeOpenedEvent {
	t.Helper()
	ev, ok := e.Event.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok {
		t.Fatalf("inner event = %T %+v", e.Event.InnerEvent.Data, e.Event.InnerEvent)
	}
	return ev
}

// TestAppHomeOpened: app_home_opened comes as an events_api envelope on
// every visit, with the published Home view once there is one
// (api.slack.com/events/app_home_opened); a button in the Home tab sends
// block_actions with a trigger_id that opens a modal.
func TestAppHomeOpened(t *testing.T) {
	clock := newTestClock()
	s := newSim(t, Options{Now: clock.Now})
	api := botAPI(s)
	bot := startBot(t, s, func(b *testBot) {
		b.onEvent = func(e botEvent) (any, bool) {
			ev := homeEvent(t, e)
			if ev.Tab == "home" {
				home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocksJSON(t,
					`[{"type":"actions","block_id":"home_actions","elements":[{"type":"button","action_id":"new_deploy","text":{"type":"plain_text","text":"New deploy"}}]}]`)}}
				if _, err := api.PublishViewContext(ctx5(t), slack.PublishViewContextRequest{UserID: ev.User, View: home}); err != nil {
					t.Errorf("views.publish on app_home_opened: %v", err)
				}
			}
			return nil, true
		}
		b.onClick = func(cb slack.InteractionCallback) (any, bool) {
			if _, err := api.OpenViewContext(ctx5(t), cb.TriggerID, modal(t, "deploy", deployForm)); err != nil {
				t.Errorf("views.open from the Home tab: %v", err)
			}
			return nil, true
		}
	})
	waitConns(t, s, 1)
	ctx := ctx5(t)

	res, err := s.OpenHome(ctx, HomeRequest{UserID: "U0ALICE"})
	if err != nil || res.EnvelopeID == "" {
		t.Fatalf("first visit = %+v, %v", res, err)
	}
	first := bot.allEvents()[0]
	ev := homeEvent(t, first)
	if first.Event.Type != slackevents.CallbackEvent || first.Event.TeamID != "T0SANDBOX" || first.Event.APIAppID != "A0SWITCHYRD" ||
		ev.Type != "app_home_opened" || ev.User != "U0ALICE" || ev.Channel != "D0ALICE" || ev.Tab != "home" || ev.View != nil ||
		!strings.HasPrefix(ev.EventTimeStamp, "1772355600.") || first.RetryAttempt != 0 {
		t.Fatalf("first app_home_opened = %+v / %+v", first, ev)
	}
	views := s.UserViews("U0ALICE")
	if len(views) != 1 || views[0].Type != "home" {
		t.Fatalf("after the first visit alice sees %+v", views)
	}
	homeID := views[0].ID
	if _, err := s.OpenHome(ctx, HomeRequest{UserID: "U0ALICE"}); err != nil {
		t.Fatal(err)
	}
	if ev := homeEvent(t, bot.allEvents()[1]); ev.View == nil || ev.View.ID != homeID || ev.View.Type != slack.VTHomeTab {
		t.Fatalf("second app_home_opened = %+v", ev)
	}
	if _, err := s.OpenHome(ctx, HomeRequest{UserID: "U0ALICE", Tab: "messages"}); err != nil {
		t.Fatal(err)
	}
	if ev := homeEvent(t, bot.allEvents()[2]); ev.Tab != "messages" {
		t.Fatalf("Messages tab = %+v", ev)
	}

	res2, err := s.ViewAction(ctx, ViewActionRequest{UserID: "U0ALICE", ViewID: homeID, ActionID: "new_deploy"})
	cb := bot.lastClick()
	if err != nil || res2.View == nil || res2.View.ID != homeID || cb.Type != slack.InteractionTypeBlockActions ||
		cb.Container.Type != "view" || cb.Container.ViewID != homeID || cb.View.Type != slack.VTHomeTab || cb.TriggerID == "" {
		t.Fatalf("Home button = %+v; result %+v, %v", cb, res2, err)
	}
	views = s.UserViews("U0ALICE")
	if len(views) != 2 || views[0].Type != "modal" || views[0].CallbackID != "deploy" || views[1].ID != homeID {
		t.Fatalf("after the Home button alice sees %+v", views)
	}
	if _, err := s.OpenHome(ctx, HomeRequest{UserID: "U0SWITCHYRD"}); !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("the bot opening its own Home: %v", err)
	}
}

// TestAppHomeOpenedRetried: an events_api envelope not acked in time comes
// again with retry_attempt and retry_reason, and no user sees an error.
// A user without a DM with the bot gets one.
func TestAppHomeOpenedRetried(t *testing.T) {
	ws := DefaultWorkspace()
	ws.Users = append(ws.Users, User{ID: "U0ERIN", Name: "erin", RealName: "Erin Eve", TZ: "UTC"})
	s := newSim(t, Options{Workspace: ws, AckTimeout: 200 * time.Millisecond})
	bot := startBot(t, s, func(b *testBot) {
		b.onEvent = func(e botEvent) (any, bool) { return nil, e.RetryAttempt > 0 }
	})
	waitConns(t, s, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.OpenHome(ctx, HomeRequest{UserID: "U0ERIN"}); !errors.Is(err, ErrNoAck) {
		t.Fatalf("an unacked event: %v", err)
	}
	for len(bot.allEvents()) < 2 {
		select {
		case <-bot.got:
		case <-ctx.Done():
			t.Fatalf("no retry; events %+v", bot.allEvents())
		}
	}
	events := bot.allEvents()
	first, retry := events[0], events[1]
	if retry.RetryAttempt != 1 || retry.RetryReason != "timeout" || retry.Event.InnerEvent.Type != "app_home_opened" {
		t.Fatalf("retry = %+v", retry)
	}
	if a, b := first.Event.Data.(*slackevents.EventsAPICallbackEvent), retry.Event.Data.(*slackevents.EventsAPICallbackEvent); a.EventID == "" || a.EventID != b.EventID {
		t.Fatalf("event ids %q and %q", a.EventID, b.EventID)
	}
	dm := homeEvent(t, first).Channel
	found := false
	for _, c := range s.Channels() {
		found = found || (c.ID == dm && c.IsIM && c.User == "U0ERIN")
	}
	if !strings.HasPrefix(dm, "D") || !found {
		t.Fatalf("erin's DM %q not among %+v", dm, s.Channels())
	}
	if len(s.UserErrors()) != 0 {
		t.Fatalf("user errors = %+v", s.UserErrors())
	}
}

// TestGlobalShortcut: a shortcut payload has a callback_id and a
// trigger_id, no channel and no response_url (docs.slack.dev/reference/
// interaction-payloads/shortcuts-interaction-payload).
func TestGlobalShortcut(t *testing.T) {
	s := newSim(t, Options{})
	api := botAPI(s)
	bot := startBot(t, s, func(b *testBot) {
		b.onClick = func(cb slack.InteractionCallback) (any, bool) {
			if _, err := api.OpenViewContext(ctx5(t), cb.TriggerID, modal(t, "deploy", deployForm)); err != nil {
				t.Errorf("views.open from a shortcut: %v", err)
			}
			return nil, true
		}
	})
	waitConns(t, s, 1)
	ctx := ctx5(t)
	res, err := s.Shortcut(ctx, ShortcutRequest{UserID: "U0BOB", CallbackID: "new_deploy"})
	cb := bot.lastClick()
	if err != nil || res.EnvelopeID == "" || cb.Type != slack.InteractionTypeShortcut || cb.CallbackID != "new_deploy" ||
		cb.TriggerID == "" || cb.ActionTs == "" || cb.ResponseURL != "" || cb.Channel.ID != "" || cb.User.ID != "U0BOB" ||
		cb.Team.ID != "T0SANDBOX" || cb.APIAppID != "A0SWITCHYRD" {
		t.Fatalf("shortcut = %+v; result %+v, %v", cb, res, err)
	}
	if v := s.UserViews("U0BOB"); len(v) != 1 || v[0].CallbackID != "deploy" || v[0].TriggerID != cb.TriggerID {
		t.Fatalf("bob sees %+v", v)
	}
	if _, err := s.Shortcut(ctx, ShortcutRequest{UserID: "U0NOPE", CallbackID: "x"}); !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("a shortcut from no one: %v", err)
	}
}
