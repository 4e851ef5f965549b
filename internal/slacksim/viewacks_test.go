package slacksim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

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
	startBot(t, s, func(b *testBot) {
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
	waitConns(t, s, 1)
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
// dispatch_failed.
func TestSubmissionWithoutAck(t *testing.T) {
	s := newSim(t, Options{AckTimeout: 200 * time.Millisecond})
	startBot(t, s, func(b *testBot) {
		b.onClick = func(slack.InteractionCallback) (any, bool) { return nil, false }
	})
	waitConns(t, s, 1)
	ctx := ctx5(t)
	v, err := botAPI(s).OpenViewContext(ctx, s.IssueTriggerFor("U0DAVE"), modal(t, "deploy", `[]`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.SubmitView(ctx, SubmitRequest{UserID: "U0DAVE", ViewID: v.View.ID})
	if !errors.Is(err, ErrNoAck) || res.View == nil || res.View.ID != v.View.ID {
		t.Fatalf("a submission never acked = %+v, %v", res, err)
	}
	if errs := s.UserErrors(); len(errs) != 1 || errs[0].Error != "dispatch_failed" || errs[0].UserID != "U0DAVE" {
		t.Fatalf("user errors = %+v", errs)
	}
}

// TestViewClosed: view_closed comes only for views with notify_on_close,
// carrying the view and is_cleared (docs.slack.dev/reference/
// interaction-payloads/view-interactions-payload).
func TestViewClosed(t *testing.T) {
	s := newSim(t, Options{})
	bot := startBot(t, s, nil)
	waitConns(t, s, 1)
	api := botAPI(s)
	ctx := ctx5(t)
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
