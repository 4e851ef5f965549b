package slacksim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// deployBot is a bot with a deploy modal: /deploy opens it, the app field
// suggests apps, choosing prod adds a warning, and submitting checks the
// version, then asks for confirmation, then closes. Its Home tab is
// published on each visit.
func deployBot(t *testing.T, s *Server) *testBot {
	api := botAPI(s)
	return startBot(t, s, func(b *testBot) {
		b.onEvent = func(e botEvent) (any, bool) {
			home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocksJSON(t, `[{"type":"divider"}]`)}}
			if _, err := api.PublishViewContext(ctx5(t), slack.PublishViewContextRequest{UserID: homeEvent(t, e).User, View: home}); err != nil {
				t.Errorf("views.publish: %v", err)
			}
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
	waitConns(t, s, 1)
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
	waitConns(t, s, 1)
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
