package slacksim

import (
	"encoding/base64"
	"strconv"
	"strings"
)

func (s *Server) authTest(*call) (map[string]any, error) {
	ws := s.opts.Workspace
	return map[string]any{
		"url": "https://" + ws.Team.Domain + ".slack.com/", "team": ws.Team.Name, "user": ws.Bot.Name,
		"team_id": ws.Team.ID, "user_id": ws.Bot.UserID, "bot_id": ws.Bot.BotID, "is_enterprise_install": false,
	}, nil
}

// readableLocked is a channel the bot may read: a member of it, or (for
// conversations.info only) any public channel.
func (s *Server) readableLocked(id string, infoOnly bool) (*channelState, error) {
	c := s.ws.channels[id]
	if c == nil {
		return nil, fail("channel_not_found")
	}
	if c.members[s.opts.Workspace.Bot.UserID] {
		return c, nil
	}
	if c.IsPrivate || c.IsIM {
		return nil, fail("channel_not_found")
	}
	if infoOnly {
		return c, nil
	}
	return nil, fail("not_in_channel")
}

func (s *Server) conversationsInfo(c *call) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, err := s.readableLocked(c.str("channel"), true)
	if err != nil {
		return nil, err
	}
	info := map[string]any{
		"id": ch.ID, "name": ch.Name, "is_channel": !ch.IsIM && !ch.IsPrivate, "is_group": false,
		"is_im": ch.IsIM, "is_private": ch.IsPrivate || ch.IsIM, "is_member": ch.members[s.opts.Workspace.Bot.UserID],
		"is_archived": false, "created": 1700000000, "context_team_id": s.opts.Workspace.Team.ID,
	}
	if ch.IsIM {
		info["user"] = ch.User
		delete(info, "name")
	}
	if c.boolean("include_num_members") {
		info["num_members"] = len(ch.members)
	}
	return map[string]any{"channel": info}, nil
}

// page cuts list at cursor and limit the way Slack's cursor pagination
// does; the cursor is opaque to clients.
func page[T any](list []T, c *call) ([]T, string, error) {
	start := 0
	if cur := c.str("cursor"); cur != "" {
		raw, err := base64.StdEncoding.DecodeString(cur)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "next_ts:"))
		if err != nil || err2 != nil || n < 0 || n > len(list) {
			return nil, "", fail("invalid_cursor")
		}
		start = n
	}
	limit := c.integer("limit", 100)
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	end := min(start+limit, len(list))
	next := ""
	if end < len(list) {
		next = base64.StdEncoding.EncodeToString([]byte("next_ts:" + strconv.Itoa(end)))
	}
	return list[start:end], next, nil
}

func pageResult(key string, items []map[string]any, next string) map[string]any {
	return map[string]any{
		key: items, "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next},
	}
}

func (s *Server) history(c *call) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, err := s.readableLocked(c.str("channel"), false)
	if err != nil {
		return nil, err
	}
	oldest, latest, inclusive := c.str("oldest"), c.str("latest"), c.boolean("inclusive")
	var list []map[string]any
	for i := len(ch.msgs) - 1; i >= 0; i-- { // newest first
		m := ch.msgs[i]
		if m.EphemeralTo != "" || (m.ThreadTS != "" && m.ThreadTS != m.TS && !m.ReplyBroadcast) {
			continue
		}
		if !inRange(m.TS, oldest, latest, inclusive) {
			continue
		}
		list = append(list, s.withThreadLocked(ch, m))
	}
	items, next, err := page(list, c)
	if err != nil {
		return nil, err
	}
	return pageResult("messages", items, next), nil
}

func inRange(ts, oldest, latest string, inclusive bool) bool {
	if oldest != "" && (tsLess(ts, oldest) || (!inclusive && ts == oldest)) {
		return false
	}
	if latest != "" && (tsLess(latest, ts) || (!inclusive && ts == latest)) {
		return false
	}
	return true
}

// withThreadLocked renders a message with the thread summary Slack adds to
// a parent.
func (s *Server) withThreadLocked(ch *channelState, m *Message) map[string]any {
	out := s.messageJSON(m)
	var replies []string
	latest := ""
	for _, r := range ch.msgs {
		if r.ThreadTS == m.TS && r.TS != m.TS && r.EphemeralTo == "" {
			replies = append(replies, r.User)
			latest = r.TS
		}
	}
	if len(replies) > 0 {
		out["thread_ts"] = m.TS
		out["reply_count"] = len(replies)
		out["latest_reply"] = latest
		seen := map[string]bool{}
		var users []string
		for _, u := range replies {
			if !seen[u] {
				seen[u] = true
				users = append(users, u)
			}
		}
		out["reply_users"] = users
	}
	return out
}

func (s *Server) replies(c *call) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, err := s.readableLocked(c.str("channel"), false)
	if err != nil {
		return nil, err
	}
	_, m := ch.find(c.str("ts"))
	if m == nil || m.EphemeralTo != "" {
		return nil, fail("thread_not_found")
	}
	root := m.TS
	if m.ThreadTS != "" {
		root = m.ThreadTS
	}
	_, parent := ch.find(root)
	var list []map[string]any
	if parent != nil {
		list = append(list, s.withThreadLocked(ch, parent))
	}
	for _, r := range ch.msgs {
		if r.ThreadTS == root && r.TS != root && r.EphemeralTo == "" &&
			inRange(r.TS, c.str("oldest"), c.str("latest"), c.boolean("inclusive")) {
			list = append(list, s.messageJSON(r))
		}
	}
	items, next, err := page(list, c)
	if err != nil {
		return nil, err
	}
	return pageResult("messages", items, next), nil
}

func (s *Server) groupUsers(c *call) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.ws.groups[c.str("usergroup")]
	if !ok {
		return nil, fail("no_such_subteam")
	}
	return map[string]any{"users": append([]string{}, g.Users...)}, nil
}

func (s *Server) usersInfo(c *call) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.ws.users[c.str("user")]
	if !ok {
		return nil, fail("user_not_found")
	}
	return map[string]any{"user": s.userJSON(u)}, nil
}

func (s *Server) userJSON(u User) map[string]any {
	out := map[string]any{
		"id": u.ID, "team_id": s.opts.Workspace.Team.ID, "name": u.Name, "real_name": u.RealName,
		"deleted": false, "tz": u.TZ, "tz_label": u.TZ, "tz_offset": u.TZOffset, "is_bot": u.IsBot,
		"is_admin": false, "is_owner": false, "is_app_user": false,
		"profile": map[string]any{"real_name": u.RealName, "display_name": u.Name, "team": s.opts.Workspace.Team.ID},
	}
	if u.IsBot && u.ID == s.opts.Workspace.Bot.UserID {
		out["profile"].(map[string]any)["bot_id"] = s.opts.Workspace.Bot.BotID
	}
	return out
}
