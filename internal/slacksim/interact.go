package slacksim

import (
	"context"
	"encoding/json"
	"time"
)

// AckResult is the app's answer to one envelope, as the control API shows it.
type AckResult struct {
	EnvelopeID string          `json:"envelope_id"`
	Ack        json.RawMessage `json:"ack"` // the ack payload, null when the app sent none
	AckMS      int64           `json:"ack_ms"`
}

// SlashRequest is a user typing a slash command.
type SlashRequest struct {
	UserID    string `json:"user_id"`
	ChannelID string `json:"channel_id"`
	Command   string `json:"command"`
	Text      string `json:"text"`
	// ThreadTS, when set, types the command in a thread: refused as Slack does.
	ThreadTS string `json:"thread_ts,omitempty"`
}

// ClickRequest is a user pressing a button on a stored message. ChannelID
// may be empty: the message is then found by MessageTS alone.
type ClickRequest struct {
	UserID    string `json:"user_id"`
	ChannelID string `json:"channel_id,omitempty"`
	MessageTS string `json:"message_ts"`
	ActionID  string `json:"action_id"`
}

// Slash delivers a slash_commands envelope and waits for the app's ack. A
// message in the ack is shown as Slack shows it: to the user alone unless
// response_type is in_channel. Past the ack deadline it answers ErrNoAck and
// the user has seen dispatch_failed.
func (s *Server) Slash(ctx context.Context, req SlashRequest) (AckResult, error) {
	s.mu.Lock()
	u, ok := s.ws.users[req.UserID]
	ch := s.ws.channels[req.ChannelID]
	var err error
	switch {
	case !ok:
		err = ErrUnknownUser
	case ch == nil:
		err = ErrUnknownChannel
	case !ch.members[req.UserID]:
		err = ErrNotInChannel
	case req.ThreadTS != "":
		err = ErrInThread
	}
	if err != nil {
		s.mu.Unlock()
		return AckResult{}, err
	}
	team := s.opts.Workspace.Team
	trigger := s.newTriggerLocked(u.ID, "")
	rurl := s.newResponseURLLocked(ch.ID, u.ID, "")
	name := ch.Name
	if ch.IsIM {
		name = "directmessage"
	}
	s.mu.Unlock()

	payload := map[string]any{
		"token": "slacksim-verification", "team_id": team.ID, "team_domain": team.Domain,
		"channel_id": ch.ID, "channel_name": name, "user_id": u.ID, "user_name": u.Name,
		"command": req.Command, "text": req.Text, "api_app_id": s.opts.Workspace.Bot.AppID,
		"is_enterprise_install": "false", "response_url": s.BaseURL() + "/_sim/response_url/" + rurl.id,
		"trigger_id": trigger,
	}
	res, err := s.roundTrip(ctx, "slash_commands", u.ID, ch.ID, payload)
	if err != nil {
		return res, err
	}
	s.showSlashAck(rurl, res.Ack)
	return res, nil
}

// showSlashAck posts the message carried by a slash command's ack.
func (s *Server) showSlashAck(rurl *responseURL, ack json.RawMessage) {
	if len(ack) == 0 {
		return
	}
	var msg responseMessage
	if json.Unmarshal(ack, &msg) != nil || (msg.Text == "" && len(msg.blocks()) == 0) {
		return
	}
	if err := s.respond(rurl, msg, false); err != nil {
		s.recordFailure(UserError{UserID: rurl.user, ChannelID: rurl.channel, Kind: "slash_commands", Error: err.Error(), At: s.now()})
	}
}

// Click presses the button with req.ActionID on a message and waits for the
// app's ack, as Slash does. Without ChannelID the message is found by its
// ts among those the user can see, which is how an ephemeral message is
// named.
func (s *Server) Click(ctx context.Context, req ClickRequest) (AckResult, error) {
	s.mu.Lock()
	u, ok := s.ws.users[req.UserID]
	if !ok {
		s.mu.Unlock()
		return AckResult{}, ErrUnknownUser
	}
	ch, m, err := s.clickableLocked(u.ID, req.ChannelID, req.MessageTS)
	var bt button
	if err == nil {
		if bt, ok = findButton(m.Blocks, req.ActionID); !ok {
			err = ErrNoSuchButton
		}
	}
	if err != nil {
		s.mu.Unlock()
		return AckResult{}, err
	}
	rurl := s.newResponseURLLocked(ch.ID, u.ID, m.TS)
	container := map[string]any{"type": "message", "message_ts": m.TS, "channel_id": ch.ID, "is_ephemeral": m.EphemeralTo != ""}
	if m.ThreadTS != "" {
		container["thread_ts"] = m.ThreadTS
	}
	action := map[string]any{
		"action_id": bt.ActionID, "block_id": bt.BlockID, "text": bt.Text, "type": "button", "action_ts": s.nextTSLocked(),
	}
	for key, v := range map[string]string{"value": bt.Value, "style": bt.Style, "url": bt.URL} {
		if v != "" {
			action[key] = v
		}
	}
	payload := s.interactionLocked(u, "block_actions")
	payload["trigger_id"] = s.newTriggerLocked(u.ID, "")
	payload["response_url"] = s.BaseURL() + "/_sim/response_url/" + rurl.id
	payload["container"], payload["channel"] = container, map[string]any{"id": ch.ID, "name": ch.Name}
	payload["state"] = map[string]any{"values": map[string]any{}}
	payload["actions"] = []any{action}
	if m.EphemeralTo == "" { // Slack sends no message body for ephemeral messages
		payload["message"] = s.messageJSON(m)
	}
	s.mu.Unlock()
	return s.roundTrip(ctx, "interactive", u.ID, ch.ID, payload)
}

// clickableLocked finds a message whose buttons the user can press: in the
// named channel, or by ts alone in any channel. Ephemeral messages are seen
// only by their user, private channels and DMs only by members.
func (s *Server) clickableLocked(user, channelID, ts string) (*channelState, *Message, error) {
	visible := func(ch *channelState, m *Message) bool {
		return m != nil && (m.EphemeralTo == "" || m.EphemeralTo == user) &&
			(ch.members[user] || (!ch.IsPrivate && !ch.IsIM))
	}
	if channelID != "" {
		ch := s.ws.channels[channelID]
		if ch == nil {
			return nil, nil, ErrUnknownChannel
		}
		if _, m := ch.find(ts); visible(ch, m) {
			return ch, m, nil
		}
		return nil, nil, ErrNoSuchButton
	}
	for _, ch := range s.ws.channels {
		if _, m := ch.find(ts); visible(ch, m) {
			return ch, m, nil
		}
	}
	return nil, nil, ErrNoSuchButton
}

// roundTrip sends an envelope and waits for its ack or its deadline.
func (s *Server) roundTrip(ctx context.Context, kind, user, channel string, payload any) (AckResult, error) {
	return s.deliver(ctx, delivery{kind: kind, user: user, channel: channel, payload: payload, accepts: kind == "slash_commands"})
}

// delivery is one envelope to send: its type, who caused it, its payload,
// whether the app may answer with a payload, and extra envelope fields
// (retry_attempt and retry_reason of events_api).
type delivery struct {
	kind, user, channel string
	payload             any
	accepts             bool
	extra               map[string]any
}

// deliver sends an envelope and waits for its ack or its deadline.
func (s *Server) deliver(ctx context.Context, d delivery) (AckResult, error) {
	env, err := s.hub.send(d)
	if err != nil {
		return AckResult{}, err
	}
	select {
	case r := <-env.result:
		res := AckResult{EnvelopeID: env.id, Ack: r.payload, AckMS: r.latency.Milliseconds()}
		return res, r.err
	case <-ctx.Done():
		return AckResult{EnvelopeID: env.id}, ctx.Err()
	}
}

// responseURLTTL and responseURLUses are Slack's limits on one response_url.
const (
	responseURLTTL  = 30 * time.Minute
	responseURLUses = 5
)
