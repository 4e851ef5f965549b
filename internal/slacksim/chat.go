package slacksim

import (
	"encoding/json"
	"fmt"
	"strings"
)

// channelForPostLocked resolves where the bot wants to post, applying
// Slack's membership rules: private channels and DMs the bot is not in do
// not exist for it; public channels need membership or chat:write.public.
func (s *Server) channelForPostLocked(id string) (*channelState, error) {
	c := s.resolveChannelLocked(id)
	if c == nil {
		return nil, fail("channel_not_found")
	}
	bot := s.opts.Workspace.Bot.UserID
	if c.members[bot] {
		return c, nil
	}
	if c.IsPrivate || c.IsIM {
		return nil, fail("channel_not_found")
	}
	if s.opts.Workspace.NoChatWritePublic {
		return nil, fail("not_in_channel")
	}
	return c, nil
}

// resolveChannelLocked accepts a channel ID, "#name" or a user ID (the DM
// with that user), as chat.postMessage does.
func (s *Server) resolveChannelLocked(id string) *channelState {
	if c := s.ws.channels[id]; c != nil {
		return c
	}
	name := strings.TrimPrefix(id, "#")
	for _, c := range s.ws.channels {
		if (c.Name == name && !c.IsIM) || (c.IsIM && c.User == id) {
			return c
		}
	}
	return nil
}

// messageBody reads text and blocks of a post, validating the blocks.
func messageBody(c *call) (text string, blocks json.RawMessage, err error) {
	text = c.str("text")
	if raw, ok := c.rawJSON("blocks"); ok && string(raw) != "" && string(raw) != "null" {
		if err := validateBlocks(raw); err != nil {
			return "", nil, err
		}
		blocks = withBlockIDs(raw)
	}
	if text == "" && len(blocks) == 0 && c.str("attachments") == "" {
		return "", nil, fail("no_text")
	}
	return text, blocks, nil
}

// withBlockIDs gives every block a block_id, as Slack does when storing a
// message, so that every button action carries one.
func withBlockIDs(raw json.RawMessage) json.RawMessage {
	var blocks []map[string]any
	if json.Unmarshal(raw, &blocks) != nil || len(blocks) == 0 {
		return raw
	}
	for i, b := range blocks {
		if id, _ := b["block_id"].(string); id == "" {
			b["block_id"] = fmt.Sprintf("b%03d", i)
		}
	}
	out, err := json.Marshal(blocks)
	if err != nil {
		return raw
	}
	return out
}

func (s *Server) postMessage(c *call) (map[string]any, error) {
	text, blocks, err := messageBody(c)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, err := s.channelForPostLocked(c.str("channel"))
	if err != nil {
		return nil, err
	}
	m := &Message{
		Channel: ch.ID, User: s.opts.Workspace.Bot.UserID, BotID: s.opts.Workspace.Bot.BotID,
		Text: text, Blocks: blocks, Edits: []Edit{},
		UnfurlLinks: c.optBool("unfurl_links"), UnfurlMedia: c.optBool("unfurl_media"),
	}
	if parent := c.str("thread_ts"); parent != "" {
		_, p := ch.find(parent)
		if p == nil || p.EphemeralTo != "" {
			return nil, fail("thread_not_found")
		}
		if p.ThreadTS != "" {
			parent = p.ThreadTS // a reply to a reply joins the same thread
		}
		m.ThreadTS = parent
		m.ReplyBroadcast = c.boolean("reply_broadcast")
	}
	m.TS = s.nextTSLocked()
	s.insertLocked(ch, m, "post")
	return map[string]any{"channel": ch.ID, "ts": m.TS, "message": s.messageJSON(m)}, nil
}

func (s *Server) update(c *call) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, m, err := s.ownMessageLocked(c.str("channel"), c.str("ts"), "cant_update_message")
	if err != nil {
		return nil, err
	}
	next := Edit{Text: m.Text, Blocks: m.Blocks}
	if c.has("text") {
		next.Text = c.str("text")
	}
	if raw, ok := c.rawJSON("blocks"); ok {
		switch strings.TrimSpace(string(raw)) {
		case "", "null", "[]":
			next.Blocks = nil
		default:
			if err := validateBlocks(raw); err != nil {
				return nil, err
			}
			next.Blocks = withBlockIDs(raw)
		}
	}
	if next.Text == "" && len(next.Blocks) == 0 {
		return nil, fail("no_text")
	}
	m.Edits = append(m.Edits, Edit{Text: m.Text, Blocks: m.Blocks, Replaced: s.now(), By: s.opts.Workspace.Bot.UserID})
	m.Text, m.Blocks = next.Text, next.Blocks
	s.stream.publish(StreamEvent{Channel: ch.ID, TS: m.TS, Kind: "update"})
	return map[string]any{"channel": ch.ID, "ts": m.TS, "text": m.Text, "message": s.messageJSON(m)}, nil
}

// ownMessageLocked finds a message the bot posted; someone else's answers
// notOwn. Ephemeral messages cannot be edited through the Web API.
func (s *Server) ownMessageLocked(channel, ts, notOwn string) (*channelState, *Message, error) {
	ch := s.resolveChannelLocked(channel)
	if ch == nil || (!ch.members[s.opts.Workspace.Bot.UserID] && (ch.IsPrivate || ch.IsIM)) {
		return nil, nil, fail("channel_not_found")
	}
	if ts == "" {
		return nil, nil, fail("message_not_found")
	}
	_, m := ch.find(ts)
	if m == nil || m.EphemeralTo != "" {
		return nil, nil, fail("message_not_found")
	}
	if m.User != s.opts.Workspace.Bot.UserID {
		return nil, nil, fail(notOwn)
	}
	return ch, m, nil
}

func (s *Server) deleteMessage(c *call) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, m, err := s.ownMessageLocked(c.str("channel"), c.str("ts"), "cant_delete_message")
	if err != nil {
		return nil, err
	}
	s.removeLocked(ch, m)
	return map[string]any{"channel": ch.ID, "ts": m.TS}, nil
}

func (s *Server) removeLocked(ch *channelState, m *Message) {
	if i, _ := ch.find(m.TS); i >= 0 {
		ch.msgs = append(ch.msgs[:i], ch.msgs[i+1:]...)
	}
	s.stream.publish(StreamEvent{Channel: ch.ID, TS: m.TS, Kind: "delete"})
}

func (s *Server) postEphemeral(c *call) (map[string]any, error) {
	text, blocks, err := messageBody(c)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, err := s.channelForPostLocked(c.str("channel"))
	if err != nil {
		return nil, err
	}
	user := c.str("user")
	if _, ok := s.ws.users[user]; !ok {
		return nil, fail("user_not_found")
	}
	if !ch.members[user] {
		return nil, fail("user_not_in_channel")
	}
	m := s.addEphemeralLocked(ch, user, text, blocks, c.str("thread_ts"))
	return map[string]any{"message_ts": m.TS}, nil
}

func (s *Server) addEphemeralLocked(ch *channelState, user, text string, blocks json.RawMessage, threadTS string) *Message {
	m := &Message{
		Channel: ch.ID, User: s.opts.Workspace.Bot.UserID, BotID: s.opts.Workspace.Bot.BotID,
		Text: text, Blocks: blocks, Edits: []Edit{}, EphemeralTo: user, ThreadTS: threadTS,
	}
	m.TS = s.nextTSLocked()
	s.insertLocked(ch, m, "ephemeral")
	return m
}

func (s *Server) permalink(c *call) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.resolveChannelLocked(c.str("channel"))
	if ch == nil {
		return nil, fail("channel_not_found")
	}
	_, m := ch.find(c.str("message_ts"))
	if m == nil || m.EphemeralTo != "" {
		return nil, fail("message_not_found")
	}
	link := fmt.Sprintf("https://%s.slack.com/archives/%s/p%s", s.opts.Workspace.Team.Domain, ch.ID, strings.ReplaceAll(m.TS, ".", ""))
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		link += fmt.Sprintf("?thread_ts=%s&cid=%s", m.ThreadTS, ch.ID)
	}
	return map[string]any{"channel": ch.ID, "permalink": link}, nil
}

// messageJSON renders a stored message as the Web API returns it.
func (s *Server) messageJSON(m *Message) map[string]any {
	out := map[string]any{
		"type": "message", "ts": m.TS, "user": m.User, "text": m.Text, "team": s.opts.Workspace.Team.ID,
	}
	if m.BotID != "" {
		out["bot_id"] = m.BotID
		out["app_id"] = s.opts.Workspace.Bot.AppID
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if len(m.Edits) > 0 {
		last := m.Edits[len(m.Edits)-1]
		out["edited"] = map[string]any{"user": last.By, "ts": formatTS(last.Replaced)}
	}
	if m.ReplyBroadcast {
		out["subtype"] = "thread_broadcast"
	}
	return out
}
