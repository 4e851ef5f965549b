package commands

import (
	"context"
	"runtime/debug"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard/internal/blocks"
)

// ShortcutDeploy is the callback_id of the global shortcut "Deploy…" in
// the app's manifest.
const ShortcutDeploy = "deploy"

// answerBudget is how long the handler may take to compute an ack that
// carries a payload: Slack waits 3 s for it, and the ack must still travel.
const answerBudget = 2500 * time.Millisecond

// interactive routes an interaction. A view_submission and a
// block_suggestion are answered in their ack (errors, options), so their
// work runs before it, each in its own goroutine so that the loop keeps
// acking; everything else is acked at once and queued.
func (h *Handler) interactive(ctx context.Context, a acker, p *pool, evt socketmode.Event, cb slack.InteractionCallback) {
	switch cb.Type {
	case slack.InteractionTypeViewSubmission, slack.InteractionTypeBlockSuggestion:
		go h.answer(ctx, a, p, evt, cb)
		return
	}
	h.ack(ctx, a, evt)
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		p.submit(h, job{user: cb.User.ID, channel: channelOf(cb), what: "click", run: func(ctx context.Context) {
			h.click(ctx, cb)
		}})
	case slack.InteractionTypeShortcut:
		if cb.CallbackID != ShortcutDeploy {
			return
		}
		p.submit(h, job{user: cb.User.ID, what: "shortcut", run: func(ctx context.Context) {
			h.openDeployModal(ctx, cb.User.ID, cb.TriggerID, "", "")
		}})
	}
}

// answer computes the ack of a view_submission or block_suggestion within
// answerBudget and sends it. A submission's follow-up (the card) runs
// afterwards in the pool.
func (h *Handler) answer(ctx context.Context, a acker, p *pool, evt socketmode.Event, cb slack.InteractionCallback) {
	h.answering <- struct{}{}
	defer func() { <-h.answering }()
	var payload any
	defer func() {
		if r := recover(); r != nil {
			h.log.Error("answer panicked", zap.String("type", string(cb.Type)), zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
			payload = nil
		}
		h.ackWith(ctx, a, evt, payload)
	}()
	actx, cancel := context.WithTimeout(ctx, answerBudget)
	defer cancel()
	switch cb.Type {
	case slack.InteractionTypeBlockSuggestion:
		payload = h.suggest(actx, cb)
	case slack.InteractionTypeViewSubmission:
		var next func(context.Context)
		payload, next = h.submitted(actx, cb)
		if next != nil {
			p.submit(h, job{user: cb.User.ID, what: "submission", run: next})
		}
	}
}

// event handles an Events API envelope, already acked: app_home_opened
// publishes the person's Home tab.
func (h *Handler) event(p *pool, evt socketmode.Event) {
	ev, ok := evt.Data.(slackevents.EventsAPIEvent)
	if !ok {
		return
	}
	var user, tab string
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		user, tab = e.User, e.Tab
	case slackevents.AppHomeOpenedEvent:
		user, tab = e.User, e.Tab
	default:
		return
	}
	if user == "" || tab != "home" {
		return
	}
	h.home.opened(user)
}

// click routes one button press, or a choice in a menu: on a message by
// its block ("confirm:<request id>", "deploy:<deployment id>", "queue…"),
// in a view by the view (the deploy modal, the Home tab). Anything else
// is not ours and is ignored.
func (h *Handler) click(ctx context.Context, cb slack.InteractionCallback) {
	if cb.Container.Type == "view" || (cb.View.ID != "" && cb.Container.ChannelID == "" && cb.Channel.ID == "") {
		h.viewClick(ctx, cb)
		return
	}
	r := request{user: cb.User.ID, channel: channelOf(cb), ts: cb.Container.MessageTs, team: teamOf(cb)}
	if r.ts == "" {
		r.ts = cb.Message.Timestamp
	}
	for _, a := range cb.ActionCallback.BlockActions {
		kind, id, _ := strings.Cut(a.BlockID, ":")
		switch kind {
		case "confirm":
			h.confirmClick(ctx, r, a.ActionID, id)
		case "deploy":
			if a.ActionID == blocks.ActionContinueHook || a.ActionID == blocks.ActionRollbackHook {
				h.hookClick(ctx, r, a.ActionID, id, a.Value)
				continue
			}
			h.cardClick(ctx, r, a.ActionID, id)
		case "queue":
			h.queueClick(ctx, r, a.ActionID, a.Value)
		default:
			h.log.Debug("click on a block that is not ours", zap.String("block_id", a.BlockID))
		}
	}
}

// viewClick handles an act inside a view: choosing an app in the deploy
// modal, or a button of the Home tab.
func (h *Handler) viewClick(ctx context.Context, cb slack.InteractionCallback) {
	for _, a := range cb.ActionCallback.BlockActions {
		switch {
		case cb.View.CallbackID == blocks.CallbackDeploy && a.ActionID == blocks.FieldAppID:
			h.modalAppChosen(ctx, cb, a.SelectedOption.Value)
		case cb.View.Type == slack.VTHomeTab:
			h.homeClick(ctx, cb, a.ActionID)
		}
	}
}
