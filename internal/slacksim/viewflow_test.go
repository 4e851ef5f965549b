package slacksim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// deployBot is a bot with a deploy modal: /deploy opens it, the app field
// suggests apps, choosing prod adds a warning, and submitting checks the
// version, then asks for confirmation, then closes. Its Home tab is
// published on each visit.
func deployBot(t *testing.T, s *Server) *testBot {
	api := botAPI(s)
	return connected(t, s, func(b *testBot) {
		b.onEvent = func(e botEvent) (any, bool) {
			publishHome(t, api, homeEvent(t, e).User, `[{"type":"divider"}]`)
			return nil, true
		}
		b.onSlash = func(cmd slack.SlashCommand) (any, bool) {
			if _, err := api.OpenViewContext(ctx5(t), cmd.TriggerID, modal(t, "deploy", deployForm)); err != nil {
				t.Errorf("views.open from /deploy: %v", err)
			}
			return nil, true
		}
		b.onClick = func(cb slack.InteractionCallback) (any, bool) {
			switch cb.Type {
			case slack.InteractionTypeBlockSuggestion:
				var out slack.OptionsResponse
				for _, app := range []string{"myapp", "myapi", "other"} {
					if strings.HasPrefix(app, cb.Value) {
						out.Options = append(out.Options, slack.NewOptionBlockObject(app, slack.NewTextBlockObject(slack.PlainTextType, app, false, false), nil))
					}
				}
				return out, true
			case slack.InteractionTypeBlockActions:
				if a := cb.ActionCallback.BlockActions; len(a) == 1 && a[0].ActionID == "env" && a[0].SelectedOption.Value == "prod" {
					warned := modal(t, "deploy", `[{"type":"context","elements":[{"type":"mrkdwn","text":"prod needs an approval"}]},`+deployForm[1:])
					if _, err := api.UpdateViewContext(ctx5(t), warned, "", cb.View.Hash, cb.View.ID); err != nil {
						t.Errorf("views.update after choosing prod: %v", err)
					}
				}
				return nil, true
			case slack.InteractionTypeViewSubmission:
				values := cb.View.State.Values
				switch {
				case cb.View.CallbackID == "confirm":
					return nil, true // an empty ack closes the view
				case values["version_block"]["version"].Value == "v9":
					return slack.NewErrorsViewSubmissionResponse(map[string]string{"version_block": "No such version"}), true
				default:
					confirm := modal(t, "confirm", `[{"type":"section","text":{"type":"mrkdwn","text":"Deploy *`+
						values["app_block"]["app"].SelectedOption.Value+`* `+values["version_block"]["version"].Value+`?"}}]`)
					return slack.NewUpdateViewSubmissionResponse(&confirm), true
				}
			}
			return nil, true
		}
	})
}

// TestDeployModalFlow plays a person through a deploy modal over Socket
// Mode: block_suggestion for an external select, block_actions from an
// input with dispatch_action, view_submission acked with response_action
// errors, then update, then an empty ack that closes the view.
func TestDeployModalFlow(t *testing.T) {
	s := newSim(t, Options{})
	bot := deployBot(t, s)
	ctx := ctx5(t)
	if _, err := s.Slash(ctx, SlashRequest{UserID: "U0ALICE", ChannelID: "C0DEPLOYS", Command: "/deploy"}); err != nil {
		t.Fatal(err)
	}
	views := s.UserViews("U0ALICE")
	if len(views) != 1 || views[0].CallbackID != "deploy" || views[0].Title != "Deploy" || views[0].Submit != "Deploy" {
		t.Fatalf("after /deploy alice sees %+v", views)
	}
	id := views[0].ID

	// Typing in the external select asks the app for options.
	if _, err := s.Suggest(ctx, SuggestRequest{UserID: "U0ALICE", ViewID: id, ActionID: "app", Value: "m"}); !errors.Is(err, ErrQueryTooShort) {
		t.Fatalf("one character, min_query_length 2: %v", err)
	}
	sug, err := s.Suggest(ctx, SuggestRequest{UserID: "U0ALICE", ViewID: id, ActionID: "app", Value: "my"})
	if err != nil {
		t.Fatal(err)
	}
	var offered []slack.OptionBlockObject
	if err := json.Unmarshal(sug.Options, &offered); err != nil || len(offered) != 2 || offered[0].Value != "myapp" || offered[1].Text.Text != "myapi" {
		t.Fatalf("suggested options = %s (%v); ack %s", sug.Options, err, sug.Ack)
	}
	cb := bot.lastClick()
	if cb.Type != slack.InteractionTypeBlockSuggestion || cb.ActionID != "app" || cb.BlockID != "app_block" || cb.Value != "my" ||
		cb.View.ID != id || cb.Container.ViewID != id || cb.User.ID != "U0ALICE" || cb.APIAppID != "A0SWITCHYRD" {
		t.Fatalf("block_suggestion = %+v", cb)
	}

	// The version input sends nothing; the environment (dispatch_action) does.
	before := len(bot.interactions())
	if res, err := s.ViewAction(ctx, ViewActionRequest{UserID: "U0ALICE", ViewID: id, ActionID: "version", Value: "v9"}); err != nil || res.EnvelopeID != "" {
		t.Fatalf("typing a version = %+v, %v", res, err)
	}
	if _, err := s.ViewAction(ctx, ViewActionRequest{UserID: "U0ALICE", ViewID: id, ActionID: "env", Value: "qa"}); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("an environment not offered: %v", err)
	}
	res, err := s.ViewAction(ctx, ViewActionRequest{UserID: "U0ALICE", ViewID: id, ActionID: "env", Value: "prod"})
	if err != nil || res.EnvelopeID == "" || len(bot.interactions()) != before+1 {
		t.Fatalf("choosing prod = %+v, %v", res, err)
	}
	cb = bot.lastClick()
	if a := cb.ActionCallback.BlockActions; len(a) != 1 || a[0].Type != "static_select" || a[0].SelectedOption.Value != "prod" ||
		a[0].BlockID != "env_block" || cb.BlockActionState == nil || cb.BlockActionState.Values["version_block"]["version"].Value != "v9" ||
		cb.View.State.Values["env_block"]["env"].SelectedOption.Value != "prod" {
		t.Fatalf("block_actions for the environment = %+v", cb)
	}
	// The app's update kept both inputs: same block_id and action_id.
	var state struct {
		Values map[string]map[string]slack.BlockAction `json:"values"`
	}
	if err := json.Unmarshal(res.View.State, &state); err != nil || state.Values["version_block"]["version"].Value != "v9" ||
		state.Values["env_block"]["env"].SelectedOption.Value != "prod" || !strings.Contains(string(res.View.Blocks), "prod needs an approval") {
		t.Fatalf("view after the app's update = %s / %s (%v)", res.View.State, res.View.Blocks, err)
	}

	// Submitting: the app refuses v9 under its input.
	app := map[string]map[string]map[string]any{"app_block": {"app": {"selected_option": map[string]any{"value": "myapp"}}}}
	res, err = s.SubmitView(ctx, SubmitRequest{UserID: "U0ALICE", ViewID: id, Values: app})
	if err != nil || res.Errors["version_block"] != "No such version" || res.View == nil || res.View.ID != id ||
		res.View.Errors["version_block"] != "No such version" {
		t.Fatalf("submission answered with errors = %+v, %v", res, err)
	}
	cb = bot.lastClick()
	v := cb.View.State.Values
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.ID != id || cb.View.CallbackID != "deploy" || cb.TriggerID == "" ||
		v["app_block"]["app"].SelectedOption.Value != "myapp" || v["app_block"]["app"].SelectedOption.Text.Text != "myapp" ||
		v["app_block"]["app"].Type != "external_select" || v["version_block"]["version"].Value != "v9" ||
		v["env_block"]["env"].SelectedOption.Value != "prod" || v["note_block"]["note"].Type != "plain_text_input" {
		t.Fatalf("view_submission = %+v", cb)
	}
	// Fixed: the app answers with response_action update.
	version := map[string]map[string]map[string]any{"version_block": {"version": {"value": "v1.4"}}}
	res, err = s.SubmitView(ctx, SubmitRequest{UserID: "U0ALICE", ViewID: id, Values: version})
	if err != nil || len(res.Errors) != 0 || res.View == nil || res.View.ID != id || res.View.CallbackID != "confirm" ||
		!strings.Contains(string(res.View.Blocks), "Deploy *myapp* v1.4?") {
		t.Fatalf("submission answered with update = %+v, %v", res, err)
	}
	// Confirmed: an empty ack closes it.
	res, err = s.SubmitView(ctx, SubmitRequest{UserID: "U0ALICE", ViewID: id})
	if err != nil || res.View != nil || len(s.UserViews("U0ALICE")) != 0 {
		t.Fatalf("submission answered with an empty ack = %+v, %v", res, err)
	}
	if len(s.UserErrors()) != 0 {
		t.Fatalf("user errors = %+v", s.UserErrors())
	}
}

// TestRequiredInputs: Slack does not send a submission while a required
// input is empty; optional ones may stay empty. An external select offers
// only what the app suggested.
func TestRequiredInputs(t *testing.T) {
	s := newSim(t, Options{})
	bot := deployBot(t, s)
	ctx := ctx5(t)
	opened, err := botAPI(s).OpenViewContext(ctx, s.IssueTriggerFor("U0BOB"), modal(t, "deploy", deployForm))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.SubmitView(ctx, SubmitRequest{UserID: "U0BOB", ViewID: opened.View.ID,
		Values: map[string]map[string]map[string]any{"version_block": {"version": {"value": "v2"}}}})
	if !errors.Is(err, ErrInputRequired) || res.EnvelopeID != "" || len(res.Errors) != 2 ||
		res.Errors["app_block"] == "" || res.Errors["env_block"] == "" || len(bot.interactions()) != 0 {
		t.Fatalf("submitting with empty required inputs = %+v, %v", res, err)
	}
	if _, err := s.SubmitView(ctx, SubmitRequest{UserID: "U0BOB", ViewID: opened.View.ID,
		Values: map[string]map[string]map[string]any{"version_block": {"nope": {"value": "x"}}}}); !errors.Is(err, ErrNoSuchElement) {
		t.Fatalf("a value for no input: %v", err)
	}
	if _, err := s.SubmitView(ctx, SubmitRequest{UserID: "U0BOB", ViewID: opened.View.ID,
		Values: map[string]map[string]map[string]any{"env_block": {"env": {"selected_option": map[string]any{"value": "qa"}}}}}); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("an option not offered: %v", err)
	}
	if _, err := s.SubmitView(ctx, SubmitRequest{UserID: "U0ALICE", ViewID: opened.View.ID}); !errors.Is(err, ErrNoSuchView) {
		t.Fatalf("submitting someone else's modal: %v", err)
	}
	app := map[string]map[string]map[string]any{"app_block": {"app": {"selected_option": map[string]any{"value": "myapp"}}}}
	if _, err := s.SubmitView(ctx, SubmitRequest{UserID: "U0BOB", ViewID: opened.View.ID, Values: app}); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("an app never suggested: %v", err)
	}
	if _, err := s.Suggest(ctx, SuggestRequest{UserID: "U0BOB", ViewID: opened.View.ID, ActionID: "app", Value: "myap"}); err != nil {
		t.Fatal(err)
	}
	res, err = s.SubmitView(ctx, SubmitRequest{UserID: "U0BOB", ViewID: opened.View.ID, Values: map[string]map[string]map[string]any{
		"app_block": app["app_block"], "env_block": {"env": {"selected_option": map[string]any{"value": "staging"}}},
	}})
	if err != nil || res.EnvelopeID == "" || res.View == nil || res.View.CallbackID != "confirm" {
		t.Fatalf("a complete submission = %+v, %v", res, err)
	}
	if v := bot.lastClick().View.State.Values; v["note_block"]["note"].Value != "" || v["version_block"]["version"].Value != "v2" ||
		v["env_block"]["env"].SelectedOption.Text.Text != "staging" {
		t.Fatalf("submitted values = %+v", v)
	}
}

// TestSubmissionAcks: what Slack does with each view_submission ack
// (slack-go views.go; docs.slack.dev/surfaces/modals): push stacks a view,
// clear closes them all, errors must name input blocks, a view in the ack
// is checked like views.update's, an empty ack closes the view even right
// after a views.update (slack-go/slack#1142).
func TestSubmissionAcks(t *testing.T) {
	s := newSim(t, Options{})
	api := botAPI(s)
	field := `[{"type":"input","block_id":"why","label":{"type":"plain_text","text":"Why"},"optional":true,
	  "element":{"type":"plain_text_input","action_id":"why"}},
	 {"type":"actions","block_id":"nav","elements":[{"type":"button","action_id":"nav","text":{"type":"plain_text","text":"Next"}}]}]`
	connected(t, s, func(b *testBot) {
		b.onClick = func(cb slack.InteractionCallback) (any, bool) {
			if cb.Type != slack.InteractionTypeViewSubmission {
				return nil, true
			}
			switch cb.View.CallbackID {
			case "push", "pushed":
				next := modal(t, "pushed", field)
				return slack.NewPushViewSubmissionResponse(&next), true
			case "clear":
				return slack.NewClearViewSubmissionResponse(), true
			case "errors_on_actions":
				return slack.NewErrorsViewSubmissionResponse(map[string]string{"nav": "not an input"}), true
			case "bad_update":
				bad := modal(t, "x", field)
				bad.Title = slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("t", 25), false, false)
				return slack.NewUpdateViewSubmissionResponse(&bad), true
			case "unknown":
				return map[string]any{"response_action": "explode"}, true
			case "update_then_empty":
				again := modal(t, "updated", field)
				if _, err := api.UpdateViewContext(ctx5(t), again, "", "", cb.View.ID); err != nil {
					t.Errorf("views.update during a submission: %v", err)
				}
				return nil, true
			}
			return nil, true
		}
	})
	ctx := ctx5(t)
	open := func(callbackID string) string {
		t.Helper()
		v, err := api.OpenViewContext(ctx, s.IssueTriggerFor("U0CAROL"), modal(t, callbackID, field))
		if err != nil {
			t.Fatal(err)
		}
		return v.View.ID
	}
	submit := func(viewID string) (ViewResult, error) {
		return s.SubmitView(ctx, SubmitRequest{UserID: "U0CAROL", ViewID: viewID})
	}

	root := open("push")
	res, err := submit(root)
	if err != nil || res.View == nil || res.View.CallbackID != "pushed" || res.View.PreviousViewID != root || res.View.RootViewID != root {
		t.Fatalf("ack with push = %+v, %v", res, err)
	}
	second := res.View.ID
	res, err = submit(second)
	if err != nil || res.View == nil || res.View.PreviousViewID != second {
		t.Fatalf("second push = %+v, %v", res, err)
	}
	res, err = submit(res.View.ID)
	if !errors.Is(err, ErrBadAck) || !strings.Contains(err.Error(), "push_limit_reached") || len(s.UserViews("U0CAROL")) != 3 {
		t.Fatalf("a push past three views = %+v, %v", res, err)
	}

	clear := open("clear") // replaces carol's stack
	if res, err := submit(clear); err != nil || res.View != nil || len(s.UserViews("U0CAROL")) != 0 {
		t.Fatalf("ack with clear = %+v, %v", res, err)
	}
	for _, bad := range []string{"errors_on_actions", "bad_update", "unknown"} {
		id := open(bad)
		res, err := submit(id)
		if !errors.Is(err, ErrBadAck) || res.EnvelopeID == "" || res.View == nil || res.View.ID != id || res.View.CallbackID != bad {
			t.Fatalf("%s: %+v, %v", bad, res, err)
		}
	}
	if errs := s.UserErrors(); len(errs) != 4 || errs[0].UserID != "U0CAROL" || errs[0].Kind != "interactive" || errs[0].EnvelopeID == "" {
		t.Fatalf("user errors = %+v", errs)
	}
	if res, err := submit(open("update_then_empty")); err != nil || res.View != nil {
		t.Fatalf("an empty ack after views.update = %+v, %v", res, err)
	}
}

// TestSubmissionWithoutAck: the modal stays open and the user sees
// dispatch_failed, at the workspace clock's time.
func TestSubmissionWithoutAck(t *testing.T) {
	clock := newTestClock()
	s := newSim(t, Options{AckTimeout: 200 * time.Millisecond, Now: clock.Now})
	connected(t, s, func(b *testBot) {
		b.onClick = func(slack.InteractionCallback) (any, bool) { return nil, false }
	})
	ctx := ctx5(t)
	v, err := botAPI(s).OpenViewContext(ctx, s.IssueTriggerFor("U0DAVE"), modal(t, "deploy", `[]`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.SubmitView(ctx, SubmitRequest{UserID: "U0DAVE", ViewID: v.View.ID})
	if !errors.Is(err, ErrNoAck) || res.View == nil || res.View.ID != v.View.ID {
		t.Fatalf("a submission never acked = %+v, %v", res, err)
	}
	if errs := s.UserErrors(); len(errs) != 1 || errs[0].Error != "dispatch_failed" || errs[0].UserID != "U0DAVE" || !errs[0].At.Equal(clock.Now()) {
		t.Fatalf("user errors = %+v", errs)
	}
}

// TestViewClosed: view_closed comes only for views with notify_on_close,
// carrying the view and is_cleared (docs.slack.dev/reference/
// interaction-payloads/view-interactions-payload).
func TestViewClosed(t *testing.T) {
	s, bot, api, ctx := rig(t)
	quiet, err := api.OpenViewContext(ctx, s.IssueTriggerFor("U0ALICE"), modal(t, "quiet", `[]`))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := s.CloseView(ctx, CloseRequest{UserID: "U0ALICE", ViewID: quiet.View.ID}); err != nil || res.EnvelopeID != "" || len(bot.interactions()) != 0 {
		t.Fatalf("closing a view without notify_on_close = %+v, %v", res, err)
	}

	loud := modal(t, "loud", `[{"type":"actions","block_id":"n","elements":[{"type":"button","action_id":"next","text":{"type":"plain_text","text":"Next"}}]}]`)
	loud.NotifyOnClose = true
	root, err := api.OpenViewContext(ctx, s.IssueTriggerFor("U0ALICE"), loud)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.CloseView(ctx, CloseRequest{UserID: "U0ALICE", ViewID: root.View.ID})
	cb := bot.lastClick()
	if err != nil || res.EnvelopeID == "" || res.View != nil || cb.Type != slack.InteractionTypeViewClosed ||
		cb.View.ID != root.View.ID || cb.View.CallbackID != "loud" || cb.IsCleared || cb.User.ID != "U0ALICE" {
		t.Fatalf("view_closed = %+v; result %+v, %v", cb, res, err)
	}

	// The ✕ over a pushed view clears the stack: is_cleared.
	root, err = api.OpenViewContext(ctx, s.IssueTriggerFor("U0ALICE"), loud)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ViewAction(ctx, ViewActionRequest{UserID: "U0ALICE", ViewID: root.View.ID, ActionID: "next"}); err != nil {
		t.Fatal(err)
	}
	top, err := api.PushViewContext(ctx, bot.lastClick().TriggerID, loud)
	if err != nil {
		t.Fatal(err)
	}
	res, err = s.CloseView(ctx, CloseRequest{UserID: "U0ALICE", ViewID: top.View.ID, Clear: true})
	cb = bot.lastClick()
	if err != nil || res.View != nil || cb.Type != slack.InteractionTypeViewClosed || cb.View.ID != top.View.ID || !cb.IsCleared ||
		len(s.UserViews("U0ALICE")) != 0 {
		t.Fatalf("view_closed on clear = %+v; result %+v, %v", cb, res, err)
	}
}

// TestSuggestionAcks: a block_suggestion ack is {"options":[…]} or
// {"option_groups":[…]}, within Slack's option limits (≤100, text ≤75,
// value ≤150); an empty ack offers nothing.
func TestSuggestionAcks(t *testing.T) {
	s := newSim(t, Options{})
	option := func(text, value string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject(value, slack.NewTextBlockObject(slack.PlainTextType, text, false, false), nil)
	}
	connected(t, s, func(b *testBot) {
		b.onClick = func(cb slack.InteractionCallback) (any, bool) {
			switch cb.Value {
			case "groups":
				return slack.OptionGroupsResponse{OptionGroups: []*slack.OptionGroupBlockObject{
					slack.NewOptionGroupBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "Recent", false, false), option("myapp", "myapp")),
				}}, true
			case "many":
				var out slack.OptionsResponse
				for i := 0; i < 101; i++ {
					out.Options = append(out.Options, option("app", strings.Repeat("a", i+1)))
				}
				return out, true
			case "long":
				return slack.OptionsResponse{Options: []*slack.OptionBlockObject{option(strings.Repeat("t", 76), "v")}}, true
			}
			return nil, true
		}
	})
	ctx := ctx5(t)
	opened, err := botAPI(s).OpenViewContext(ctx, s.IssueTriggerFor("U0ALICE"), modal(t, "deploy", deployForm))
	if err != nil {
		t.Fatal(err)
	}
	suggest := func(typed string) (SuggestResult, error) {
		return s.Suggest(ctx, SuggestRequest{UserID: "U0ALICE", ViewID: opened.View.ID, ActionID: "app", Value: typed})
	}
	res, err := suggest("groups")
	var groups []slack.OptionGroupBlockObject
	if err != nil || res.Options != nil || json.Unmarshal(res.OptionGroups, &groups) != nil || len(groups) != 1 ||
		groups[0].Label.Text != "Recent" || groups[0].Options[0].Value != "myapp" {
		t.Fatalf("option groups = %s, %v", res.OptionGroups, err)
	}
	// An option from a group can be chosen.
	if _, err := s.ViewAction(ctx, ViewActionRequest{UserID: "U0ALICE", ViewID: opened.View.ID, ActionID: "app", Value: "myapp"}); err != nil {
		t.Fatalf("choosing a suggested option: %v", err)
	}
	for _, typed := range []string{"many", "long"} {
		if res, err := suggest(typed); !errors.Is(err, ErrBadAck) || res.EnvelopeID == "" || len(res.Ack) == 0 {
			t.Fatalf("%s: %+v, %v", typed, res, err)
		}
	}
	if res, err := suggest("nothing"); err != nil || string(res.Options) != "[]" {
		t.Fatalf("an empty ack = %+v, %v", res, err)
	}
	if _, err := s.Suggest(ctx, SuggestRequest{UserID: "U0ALICE", ViewID: opened.View.ID, ActionID: "version", Value: "abc"}); !errors.Is(err, ErrNoSuchElement) {
		t.Fatalf("suggestions for a text input: %v", err)
	}
	if len(s.UserErrors()) != 2 {
		t.Fatalf("user errors = %+v", s.UserErrors())
	}
}

// TestViewActionValues: what a user can choose in each kind of element,
// kept in view.state.values as Slack shapes it (block.go BlockAction).
func TestViewActionValues(t *testing.T) {
	s := newSim(t, Options{})
	two := `{"text":{"type":"plain_text","text":"a"},"value":"a"},{"text":{"type":"plain_text","text":"b"},"value":"b"}`
	input := func(id, el string) string {
		return `{"type":"input","block_id":"` + id + `","optional":true,"label":{"type":"plain_text","text":"` + id + `"},"element":` + el + `}`
	}
	blocks := "[" + strings.Join([]string{
		input("who", `{"type":"users_select","action_id":"who"}`),
		input("where", `{"type":"conversations_select","action_id":"where"}`),
		input("when", `{"type":"datepicker","action_id":"when"}`),
		input("at", `{"type":"timepicker","action_id":"at"}`),
		input("stamp", `{"type":"datetimepicker","action_id":"stamp"}`),
		input("many", `{"type":"multi_static_select","action_id":"many","options":[`+two+`]}`),
		input("boxes", `{"type":"checkboxes","action_id":"boxes","options":[`+two+`]}`),
	}, ",") + "]"
	ctx := ctx5(t)
	opened, err := botAPI(s).OpenViewContext(ctx, s.IssueTriggerFor("U0ALICE"), modal(t, "kinds", blocks))
	if err != nil {
		t.Fatal(err)
	}
	act := func(action, value string) error {
		_, err := s.ViewAction(ctx, ViewActionRequest{UserID: "U0ALICE", ViewID: opened.View.ID, ActionID: action, Value: value})
		return err
	}
	for _, c := range []struct{ action, value string }{
		{"who", "U0BOB"}, {"where", "C0DEPLOYS"}, {"when", "2026-03-01"}, {"at", "09:30"}, {"stamp", "1772355600"},
		{"many", "a"}, {"many", "b"}, {"many", "a"}, {"boxes", "b"},
	} {
		if err := act(c.action, c.value); err != nil {
			t.Fatalf("%s %s: %v", c.action, c.value, err)
		}
	}
	for _, c := range []struct{ action, value string }{
		{"who", "U0NOPE"}, {"who", "U0SWITCHYRD"}, {"where", "C0NOPE"}, {"when", "March 1st"}, {"at", "9.30"}, {"stamp", "soon"}, {"many", "c"},
	} {
		if err := act(c.action, c.value); !errors.Is(err, ErrInvalidValue) {
			t.Fatalf("%s %q: %v", c.action, c.value, err)
		}
	}
	var state struct {
		Values map[string]map[string]slack.BlockAction `json:"values"`
	}
	if err := json.Unmarshal(s.UserViews("U0ALICE")[0].State, &state); err != nil {
		t.Fatal(err)
	}
	v := state.Values
	if v["who"]["who"].SelectedUser != "U0BOB" || v["where"]["where"].SelectedConversation != "C0DEPLOYS" ||
		v["when"]["when"].SelectedDate != "2026-03-01" || v["at"]["at"].SelectedTime != "09:30" ||
		v["stamp"]["stamp"].SelectedDateTime != 1772355600 || len(v["many"]["many"].SelectedOptions) != 1 ||
		v["many"]["many"].SelectedOptions[0].Value != "b" || len(v["boxes"]["boxes"].SelectedOptions) != 1 ||
		v["boxes"]["boxes"].Type != "checkboxes" {
		t.Fatalf("state = %+v", v)
	}
}
