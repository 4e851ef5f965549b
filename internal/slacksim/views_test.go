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

// deployForm is a deploy modal's blocks: an app picked from the app's
// suggestions, a version typed, an environment chosen, and a button.
const deployForm = `[
 {"type":"input","block_id":"app_block","label":{"type":"plain_text","text":"App"},
  "element":{"type":"external_select","action_id":"app","min_query_length":2,"placeholder":{"type":"plain_text","text":"Pick an app"}}},
 {"type":"input","block_id":"version_block","label":{"type":"plain_text","text":"Version"},
  "element":{"type":"plain_text_input","action_id":"version","max_length":64}},
 {"type":"input","block_id":"env_block","dispatch_action":true,"label":{"type":"plain_text","text":"Environment"},
  "element":{"type":"static_select","action_id":"env","options":[
   {"text":{"type":"plain_text","text":"staging"},"value":"staging"},
   {"text":{"type":"plain_text","text":"prod"},"value":"prod"}]}},
 {"type":"input","block_id":"note_block","optional":true,"label":{"type":"plain_text","text":"Note"},
  "element":{"type":"plain_text_input","action_id":"note","multiline":true}},
 {"type":"actions","block_id":"more_block","elements":[
  {"type":"button","action_id":"more","text":{"type":"plain_text","text":"More"},"value":"m1"}]}
]`

// modal is a modal view request with a title, submit and close buttons.
func modal(t *testing.T, callbackID, blocks string) slack.ModalViewRequest {
	t.Helper()
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: callbackID,
		Title:  slack.NewTextBlockObject(slack.PlainTextType, "Deploy", false, false),
		Submit: slack.NewTextBlockObject(slack.PlainTextType, "Deploy", false, false),
		Close:  slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		Blocks: slack.Blocks{BlockSet: blocksJSON(t, blocks)},
	}
}

// TestViewsOpenReplyAndTrigger: views.open answers {"ok":true,"view":{…}}
// with Slack's fields; a trigger_id opens one view, within 3 s of real
// time (docs: api.slack.com/docs/triggers), whatever the workspace clock.
func TestViewsOpenReplyAndTrigger(t *testing.T) {
	clock, real := newTestClock(), newTestClock()
	s := newSim(t, Options{Now: clock.Now})
	useRealClock(s, real)
	api := botAPI(s)
	ctx := ctx5(t)

	req := modal(t, "deploy", deployForm)
	req.PrivateMetadata, req.ExternalID, req.NotifyOnClose = `{"channel":"C0DEPLOYS"}`, "deploy-alice", true
	trigger := s.IssueTriggerFor("U0ALICE")
	resp, err := api.OpenViewContext(ctx, trigger, req)
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	v := resp.View
	if v.ID == "" || v.TeamID != "T0SANDBOX" || v.Type != slack.VTModal || v.Title.Text != "Deploy" || v.Submit.Text != "Deploy" ||
		v.Close.Text != "Cancel" || v.CallbackID != "deploy" || v.PrivateMetadata != `{"channel":"C0DEPLOYS"}` ||
		v.ExternalID != "deploy-alice" || !v.NotifyOnClose || v.RootViewID != v.ID || v.PreviousViewID != "" ||
		v.AppID != "A0SWITCHYRD" || v.BotID != "B0SWITCHYRD" || v.AppInstalledTeamID != "T0SANDBOX" ||
		!strings.HasPrefix(v.Hash, "1772355600.") || v.State == nil || len(v.State.Values) != 0 || len(v.Blocks.BlockSet) != 5 {
		t.Fatalf("views.open view = %+v", v)
	}
	if _, err := api.OpenViewContext(ctx, trigger, req); slackErr(err) != "exchanged_trigger_id" {
		t.Fatalf("a trigger used twice: %v", err)
	}
	if _, err := api.OpenViewContext(ctx, "1.2.bogus", modal(t, "x", `[]`)); slackErr(err) != "invalid_trigger_id" {
		t.Fatalf("a trigger never issued: %v", err)
	}

	// The workspace clock (simulated in the sandbox) does not age triggers.
	fresh := s.IssueTriggerFor("U0ALICE")
	clock.Advance(time.Hour)
	if _, err := api.OpenViewContext(ctx, fresh, modal(t, "second", `[]`)); err != nil {
		t.Fatalf("a trigger after an hour of workspace time: %v", err)
	}
	// Real time does: 3 s is still fine, a moment more is not.
	onTime, late := s.IssueTriggerFor("U0ALICE"), s.IssueTriggerFor("U0ALICE")
	real.Advance(3 * time.Second)
	if _, err := api.OpenViewContext(ctx, onTime, modal(t, "third", `[]`)); err != nil {
		t.Fatalf("a trigger at 3 s: %v", err)
	}
	real.Advance(time.Millisecond)
	if _, err := api.OpenViewContext(ctx, late, modal(t, "x", `[]`)); slackErr(err) != "expired_trigger_id" {
		t.Fatalf("a trigger after 3 s: %v", err)
	}

	// A new modal replaces the user's open one; the history keeps all.
	open := s.UserViews("U0ALICE")
	if len(open) != 1 || open[0].CallbackID != "third" || !open[0].Open {
		t.Fatalf("alice's views = %+v", open)
	}
	all := s.Views()
	if len(all) != 3 || all[0].ID != v.ID || all[0].Open || all[0].TriggerID != trigger || all[0].UserID != "U0ALICE" {
		t.Fatalf("view history = %+v", all)
	}
	if len(s.UserViews("U0BOB")) != 0 {
		t.Fatal("bob sees alice's modal")
	}
}

// TestViewsUpdateHashAndValues: views.update by view_id or external_id,
// hash_conflict on a stale hash, not_found for closed views, and inputs
// that keep what the user typed when block_id and action_id stay the same
// (docs.slack.dev/reference/views/modal-views).
func TestViewsUpdateHashAndValues(t *testing.T) {
	s := newSim(t, Options{})
	api := botAPI(s)
	ctx := ctx5(t)
	req := modal(t, "deploy", deployForm)
	req.ExternalID = "deploy-1"
	opened, err := api.OpenViewContext(ctx, s.IssueTriggerFor("U0ALICE"), req)
	if err != nil {
		t.Fatal(err)
	}
	id := opened.View.ID
	// The user types a version: no dispatch_action, so nothing is sent.
	res, err := s.ViewAction(ctx, ViewActionRequest{UserID: "U0ALICE", ViewID: id, ActionID: "version", Value: "v1.4"})
	if err != nil || res.EnvelopeID != "" || res.View == nil || !strings.Contains(string(res.View.State), `"value":"v1.4"`) {
		t.Fatalf("typing in an input = %+v, %v", res, err)
	}

	req.Title = slack.NewTextBlockObject(slack.PlainTextType, "Deploy (checked)", false, false)
	updated, err := api.UpdateViewContext(ctx, req, "", opened.View.Hash, id)
	if err != nil {
		t.Fatalf("views.update with the current hash: %v", err)
	}
	u := updated.View
	if u.ID != id || u.Hash == opened.View.Hash || u.Title.Text != "Deploy (checked)" ||
		u.State.Values["version_block"]["version"].Value != "v1.4" {
		t.Fatalf("updated view = %+v", u)
	}
	if _, err := api.UpdateViewContext(ctx, req, "", opened.View.Hash, id); slackErr(err) != "hash_conflict" {
		t.Fatalf("views.update with a stale hash: %v", err)
	}
	// By external_id, no hash. The version input loses its block_id: Slack
	// generates one, so what the user typed is gone.
	bare := modal(t, "deploy", strings.Replace(deployForm, `"block_id":"version_block",`, "", 1))
	bare.ExternalID = "deploy-1"
	byExt, err := api.UpdateViewContext(ctx, bare, "deploy-1", "", "")
	if err != nil || byExt.View.ID != id {
		t.Fatalf("views.update by external_id = %+v, %v", byExt, err)
	}
	if len(byExt.View.State.Values) != 0 {
		t.Fatalf("values kept under a new block_id: %+v", byExt.View.State.Values)
	}
	if _, err := api.UpdateViewContext(ctx, req, "", "", "V404"); slackErr(err) != "not_found" {
		t.Fatalf("views.update of no view: %v", err)
	}
	dup := modal(t, "other", `[]`)
	dup.ExternalID = "deploy-1"
	if _, err := api.OpenViewContext(ctx, s.IssueTriggerFor("U0BOB"), dup); slackErr(err) != "duplicate_external_id" {
		t.Fatalf("a second open view with the same external_id: %v", err)
	}
	if _, err := s.CloseView(ctx, CloseRequest{UserID: "U0ALICE", ViewID: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.UpdateViewContext(ctx, req, "", "", id); slackErr(err) != "not_found" {
		t.Fatalf("views.update of a closed view: %v", err)
	}
	if _, err := api.OpenViewContext(ctx, s.IssueTriggerFor("U0BOB"), dup); err != nil {
		t.Fatalf("external_id free again once its view closed: %v", err)
	}
}

// TestViewsPushStack: views.push needs a trigger from an interaction in
// the open modal; a stack holds three views (push_limit_reached).
func TestViewsPushStack(t *testing.T) {
	s, bot, api, ctx := rig(t)
	more := `[{"type":"actions","block_id":"nav","elements":[{"type":"button","action_id":"more","text":{"type":"plain_text","text":"More"},"value":"v"}]}]`
	root, err := api.OpenViewContext(ctx, s.IssueTriggerFor("U0ALICE"), modal(t, "root", more))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.PushViewContext(ctx, s.IssueTriggerFor("U0ALICE"), modal(t, "x", more)); slackErr(err) != "not_found" {
		t.Fatalf("views.push with a trigger from outside the modal: %v", err)
	}
	press := func(viewID string) slack.InteractionCallback {
		t.Helper()
		res, err := s.ViewAction(ctx, ViewActionRequest{UserID: "U0ALICE", ViewID: viewID, ActionID: "more"})
		if err != nil || res.EnvelopeID == "" {
			t.Fatalf("pressing More in %s = %+v, %v", viewID, res, err)
		}
		return bot.lastClick()
	}
	cb := press(root.View.ID)
	act := cb.ActionCallback.BlockActions
	if cb.Type != slack.InteractionTypeBlockActions || cb.Container.Type != "view" || cb.Container.ViewID != root.View.ID ||
		cb.View.ID != root.View.ID || cb.View.Hash != root.View.Hash || cb.TriggerID == "" || cb.ResponseURL != "" ||
		cb.User.ID != "U0ALICE" || cb.Team.ID != "T0SANDBOX" || len(act) != 1 || act[0].ActionID != "more" ||
		act[0].BlockID != "nav" || act[0].Type != "button" || act[0].Value != "v" || act[0].ActionTs == "" {
		t.Fatalf("block_actions from a modal = %+v", cb)
	}
	second, err := api.PushViewContext(ctx, cb.TriggerID, modal(t, "second", more))
	if err != nil || second.View.RootViewID != root.View.ID || second.View.PreviousViewID != root.View.ID {
		t.Fatalf("views.push = %+v, %v", second, err)
	}
	if _, err := s.ViewAction(ctx, ViewActionRequest{UserID: "U0ALICE", ViewID: root.View.ID, ActionID: "more"}); !errors.Is(err, ErrNoSuchView) {
		t.Fatalf("pressing a button under a pushed modal: %v", err)
	}
	third, err := api.PushViewContext(ctx, press(second.View.ID).TriggerID, modal(t, "third", more))
	if err != nil || third.View.PreviousViewID != second.View.ID || third.View.RootViewID != root.View.ID {
		t.Fatalf("second views.push = %+v, %v", third, err)
	}
	if _, err := api.PushViewContext(ctx, press(third.View.ID).TriggerID, modal(t, "fourth", more)); slackErr(err) != "push_limit_reached" {
		t.Fatalf("a fourth view: %v", err)
	}
	stack := s.UserViews("U0ALICE")
	if len(stack) != 3 || stack[0].ID != root.View.ID || stack[2].ID != third.View.ID {
		t.Fatalf("stack = %+v", stack)
	}
	// Closing the top shows the one under it; the ✕ closes them all.
	res, err := s.CloseView(ctx, CloseRequest{UserID: "U0ALICE", ViewID: third.View.ID})
	if err != nil || res.View == nil || res.View.ID != second.View.ID || res.EnvelopeID != "" {
		t.Fatalf("closing the top view = %+v, %v", res, err)
	}
	res, err = s.CloseView(ctx, CloseRequest{UserID: "U0ALICE", ViewID: second.View.ID, Clear: true})
	if err != nil || res.View != nil || len(s.UserViews("U0ALICE")) != 0 {
		t.Fatalf("clearing the stack = %+v, %v", res, err)
	}
}

// TestViewsPublishHome: views.publish sets a user's Home tab (type home),
// keeping its view ID across publishes and checking hash.
func TestViewsPublishHome(t *testing.T) {
	s := newSim(t, Options{})
	api := botAPI(s)
	ctx := ctx5(t)
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, CallbackID: "home",
		Blocks: slack.Blocks{BlockSet: blocksJSON(t, `[{"type":"section","text":{"type":"mrkdwn","text":"*Recent deploys*"}}]`)}}
	first, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U0ALICE", View: home})
	if err != nil || first.View.Type != slack.VTHomeTab || first.View.ID == "" || first.View.Hash == "" || first.View.CallbackID != "home" {
		t.Fatalf("views.publish = %+v, %v", first, err)
	}
	hash := first.View.Hash
	second, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U0ALICE", View: home, Hash: &hash})
	if err != nil || second.View.ID != first.View.ID || second.View.Hash == hash {
		t.Fatalf("views.publish with the current hash = %+v, %v", second, err)
	}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U0ALICE", View: home, Hash: &hash}); slackErr(err) != "hash_conflict" {
		t.Fatalf("views.publish with a stale hash: %v", err)
	}
	_, err = api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U0NOPE", View: home})
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_arguments" || len(se.ResponseMetadata.Messages) != 1 ||
		!strings.Contains(se.ResponseMetadata.Messages[0], "invalid `user_id`") {
		t.Fatalf("views.publish for no user: %#v", err)
	}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U0BOB", View: slack.HomeTabViewRequest{Type: slack.VTHomeTab}}); slackErr(err) != "invalid_arguments" {
		t.Fatalf("a Home view without blocks: %v", err)
	}
	views := s.UserViews("U0ALICE")
	if len(views) != 1 || views[0].Type != "home" || views[0].ID != first.View.ID || views[0].Title != "" {
		t.Fatalf("alice's views = %+v", views)
	}

	off := newSim(t, Options{Workspace: func() Workspace { w := DefaultWorkspace(); w.NoHomeTab = true; return w }()})
	if _, err := botAPI(off).PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U0ALICE", View: home}); slackErr(err) != "not_enabled" {
		t.Fatalf("views.publish with the Home tab off: %v", err)
	}
}

// TestViewsWireErrors: what slack-go sees of Slack's view checks.
func TestViewsWireErrors(t *testing.T) {
	s := newSim(t, Options{})
	api := botAPI(s)
	ctx := context.Background()
	long := modal(t, "x", `[]`)
	long.Title = slack.NewTextBlockObject(slack.PlainTextType, "A title far longer than Slack allows", false, false)
	trigger := s.IssueTrigger()
	_, err := api.OpenViewContext(ctx, trigger, long)
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_arguments" || len(se.ResponseMetadata.Messages) != 1 ||
		!strings.Contains(se.ResponseMetadata.Messages[0], "[json-pointer:/view/title/text]") {
		t.Fatalf("a 36-character title: %#v", err)
	}
	big := strings.Repeat(`{"type":"section","text":{"type":"mrkdwn","text":"`+strings.Repeat("x", 2900)+`"}},`, 99)
	if _, err := api.OpenViewContext(ctx, s.IssueTrigger(), modal(t, "x", "["+strings.TrimSuffix(big, ",")+"]")); slackErr(err) != "view_too_large" {
		t.Fatalf("a 290 kB view: %v", err)
	}
	// A refused view does not use the trigger up.
	if _, err := api.OpenViewContext(ctx, trigger, modal(t, "x", deployForm)); err != nil {
		t.Fatalf("the trigger of a refused view: %v", err)
	}
}

// TestAppHomeOpened: app_home_opened comes as an events_api envelope on
// every visit, with the published Home view once there is one
// (api.slack.com/events/app_home_opened); a button in the Home tab sends
// block_actions with a trigger_id that opens a modal.
func TestAppHomeOpened(t *testing.T) {
	clock := newTestClock()
	s := newSim(t, Options{Now: clock.Now})
	api := botAPI(s)
	bot := connected(t, s, func(b *testBot) {
		b.onEvent = func(e botEvent) (any, bool) {
			if ev := homeEvent(t, e); ev.Tab == "home" {
				publishHome(t, api, ev.User, `[{"type":"actions","block_id":"home_actions","elements":[{"type":"button","action_id":"new_deploy","text":{"type":"plain_text","text":"New deploy"}}]}]`)
			}
			return nil, true
		}
		b.onClick = opensModal(t, api)
	})
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
	bot := connected(t, s, func(b *testBot) {
		b.onEvent = func(e botEvent) (any, bool) { return nil, e.RetryAttempt > 0 }
	})
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
	bot := connected(t, s, func(b *testBot) { b.onClick = opensModal(t, api) })
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
