package slacksim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// HomeRequest is a user opening the app's Home tab, or with Tab "messages"
// its Messages tab.
type HomeRequest struct {
	UserID string `json:"user_id"`
	Tab    string `json:"tab,omitempty"` // home (default) or messages
}

// ShortcutRequest is a user running one of the app's global shortcuts.
type ShortcutRequest struct {
	UserID     string `json:"user_id"`
	CallbackID string `json:"callback_id"`
}

// eventRetryDelays are how long Slack waits before each retry of an
// events_api envelope that was not acked: roughly at once, after a minute,
// after five.
var eventRetryDelays = []time.Duration{0, time.Minute, 5 * time.Minute}

// OpenHome delivers app_home_opened as an events_api envelope, carrying the
// Home view published for that user if there is one, and waits for the
// ack. Slack sends it on every visit. An envelope not acked in time answers
// ErrNoAck and is retried as Slack retries events.
func (s *Server) OpenHome(ctx context.Context, req HomeRequest) (AckResult, error) {
	tab := req.Tab
	if tab == "" {
		tab = "home"
	}
	if tab != "home" && tab != "messages" {
		return AckResult{}, fmt.Errorf("%w: tab %q is neither home nor messages", ErrInvalidValue, tab)
	}
	if tab == "home" && s.opts.Workspace.NoHomeTab {
		return AckResult{}, fmt.Errorf("%w: the app's Home tab is turned off", ErrInvalidValue)
	}
	s.mu.Lock()
	u, err := s.humanLocked(req.UserID)
	if err != nil {
		s.mu.Unlock()
		return AckResult{}, err
	}
	dm := s.imChannelLocked(u.ID)
	event := map[string]any{"type": "app_home_opened", "user": u.ID, "channel": dm, "tab": tab, "event_ts": s.nextTSLocked()}
	if h := s.views.homes[u.ID]; h != nil {
		event["view"] = s.viewJSONLocked(h, false)
	}
	payload := s.eventCallbackLocked(event)
	s.mu.Unlock()
	d := delivery{kind: "events_api", user: u.ID, channel: dm, payload: payload, extra: map[string]any{"retry_attempt": 0, "retry_reason": ""}}
	res, err := s.deliver(ctx, d)
	if errors.Is(err, ErrNoAck) {
		s.retryEvent(d, 1)
	}
	return res, err
}

// retryEvent sends an events_api envelope again after its delay, with
// retry_attempt and retry_reason set, until it is acked or Slack gives up.
func (s *Server) retryEvent(d delivery, attempt int) {
	if attempt > len(eventRetryDelays) {
		return
	}
	time.AfterFunc(eventRetryDelays[attempt-1], func() {
		again := d
		again.extra = map[string]any{"retry_attempt": attempt, "retry_reason": "timeout"}
		env, err := s.hub.send(again)
		if err != nil {
			return // closed
		}
		if r := <-env.result; errors.Is(r.err, ErrNoAck) {
			s.retryEvent(d, attempt+1)
		}
	})
}

// eventCallbackLocked wraps an event as the Events API delivers it.
func (s *Server) eventCallbackLocked(event map[string]any) map[string]any {
	ws := s.opts.Workspace
	now := s.now()
	return map[string]any{
		"token": "slacksim-verification", "team_id": ws.Team.ID, "context_team_id": ws.Team.ID,
		"context_enterprise_id": nil, "api_app_id": ws.Bot.AppID, "event": event, "type": "event_callback",
		"event_id": s.newIDLocked("Ev"), "event_time": now.Unix(), "is_ext_shared_channel": false,
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": ws.Team.ID, "user_id": ws.Bot.UserID, "is_bot": true, "is_enterprise_install": false,
		}},
		"event_context": s.newIDLocked("4-"),
	}
}

// imChannelLocked is the DM between a user and the bot, made on first use
// as Slack makes it.
func (s *Server) imChannelLocked(user string) string {
	for _, c := range s.ws.channels {
		if c.IsIM && c.User == user {
			return c.ID
		}
	}
	id := "D" + strings.TrimPrefix(user, "U")
	for s.ws.channels[id] != nil {
		id += "X"
	}
	bot := s.opts.Workspace.Bot.UserID
	s.ws.channels[id] = &channelState{
		Channel: Channel{ID: id, Name: user, IsIM: true, User: user, Members: []string{user, bot}},
		members: map[string]bool{user: true, bot: true},
	}
	return id
}

// Shortcut runs a global shortcut: a shortcut interaction with a fresh
// trigger_id and no channel or response_url, answered like Slash.
func (s *Server) Shortcut(ctx context.Context, req ShortcutRequest) (AckResult, error) {
	if req.CallbackID == "" {
		return AckResult{}, fmt.Errorf("%w: empty callback_id", ErrInvalidValue)
	}
	s.mu.Lock()
	u, err := s.humanLocked(req.UserID)
	if err != nil {
		s.mu.Unlock()
		return AckResult{}, err
	}
	payload := s.interactionLocked(u, "shortcut")
	payload["callback_id"] = req.CallbackID
	payload["trigger_id"] = s.newTriggerLocked(u.ID, "")
	payload["action_ts"] = s.nextTSLocked()
	s.mu.Unlock()
	return s.deliver(ctx, delivery{kind: "interactive", user: u.ID, payload: payload})
}
