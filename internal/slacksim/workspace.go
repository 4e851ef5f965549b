package slacksim

import (
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// Workspace is the seed of a simulated team: who is in it, its channels and
// user groups, and the app under test.
type Workspace struct {
	Team     Team
	Bot      Bot
	Users    []User
	Groups   []UserGroup
	Channels []Channel
	// NoChatWritePublic withholds the chat:write.public scope: the bot may
	// then post only in channels it is a member of (not_in_channel
	// otherwise). With the scope, public channels are open to it, as in Slack.
	NoChatWritePublic bool
	// NoHomeTab turns the app's Home tab off (features.app_home.
	// home_tab_enabled false): views.publish answers not_enabled and
	// app_home_opened only comes for the Messages tab.
	NoHomeTab bool
}

// Team is the Slack workspace itself.
type Team struct {
	ID     string `json:"id"`
	Domain string `json:"domain"`
	Name   string `json:"name"`
}

// Bot is the app under test: its bot user and its tokens.
type Bot struct {
	UserID   string // U…, the bot user
	BotID    string // B…
	AppID    string // A…
	Name     string // the bot user's name
	Token    string // xoxb-…
	AppToken string // xapp-…
}

// User is a member of the workspace.
type User struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	RealName string `json:"real_name"`
	TZ       string `json:"tz"`
	TZOffset int    `json:"tz_offset"` // seconds east of UTC
	IsBot    bool   `json:"is_bot"`
}

// UserGroup is a Slack user group (subteam), e.g. an on-call rota.
type UserGroup struct {
	ID     string   `json:"id"` // S…
	Handle string   `json:"handle"`
	Users  []string `json:"users"`
}

// Channel is a conversation: a channel (C…) or a direct message with the bot
// (D…, IsIM, User set).
type Channel struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Members   []string `json:"members"`
	IsPrivate bool     `json:"is_private"`
	IsIM      bool     `json:"is_im"`
	User      string   `json:"user,omitempty"` // the other party of a DM
}

// DefaultWorkspace is the sandbox team: alice, bob, carol and dave, an
// on-call group, #deploys (bot and everyone in it), #general (bot not a
// member), a private #ops-private, and a DM between the bot and each user.
func DefaultWorkspace() Workspace {
	bot := Bot{
		UserID: "U0SWITCHYRD", BotID: "B0SWITCHYRD", AppID: "A0SWITCHYRD", Name: "switchyard",
		Token: "xoxb-100000000001-200000000002-sandboxbottoken", AppToken: "xapp-1-A0SWITCHYRD-300000000003-sandboxapptoken",
	}
	users := []User{
		{ID: "U0ALICE", Name: "alice", RealName: "Alice Archer", TZ: "Europe/London", TZOffset: 0},
		{ID: "U0BOB", Name: "bob", RealName: "Bob Baker", TZ: "America/New_York", TZOffset: -5 * 3600},
		{ID: "U0CAROL", Name: "carol", RealName: "Carol Cruz", TZ: "Europe/Berlin", TZOffset: 3600},
		{ID: "U0DAVE", Name: "dave", RealName: "Dave Diaz", TZ: "Asia/Tokyo", TZOffset: 9 * 3600},
		{ID: bot.UserID, Name: bot.Name, RealName: "Switchyard", TZ: "UTC", IsBot: true},
	}
	everyone := []string{"U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"}
	ws := Workspace{
		Team:  Team{ID: "T0SANDBOX", Domain: "switchyard-sandbox", Name: "Switchyard Sandbox"},
		Bot:   bot,
		Users: users,
		Groups: []UserGroup{
			{ID: "S0ONCALL", Handle: "oncall", Users: []string{"U0BOB", "U0CAROL"}},
		},
		Channels: []Channel{
			{ID: "C0DEPLOYS", Name: "deploys", Members: append(append([]string(nil), everyone...), bot.UserID)},
			{ID: "C0GENERAL", Name: "general", Members: append([]string(nil), everyone...)},
			{ID: "C0OPSPRIV", Name: "ops-private", Members: []string{"U0BOB", "U0CAROL", bot.UserID}, IsPrivate: true},
		},
	}
	for _, u := range everyone {
		ws.Channels = append(ws.Channels, Channel{
			ID: "D" + strings.TrimPrefix(u, "U"), Name: u, IsIM: true, User: u, Members: []string{u, bot.UserID},
		})
	}
	return ws
}

// Message is one stored message as the simulator knows it.
type Message struct {
	Channel  string          `json:"channel"`
	TS       string          `json:"ts"`
	ThreadTS string          `json:"thread_ts,omitempty"`
	User     string          `json:"user"`
	BotID    string          `json:"bot_id,omitempty"`
	Text     string          `json:"text"`
	Blocks   json.RawMessage `json:"blocks,omitempty"`
	// Edits are the versions this message had before its current one,
	// oldest first.
	Edits []Edit `json:"edits"`
	// EphemeralTo is the only user who sees an ephemeral message.
	EphemeralTo    string `json:"ephemeral_to,omitempty"`
	ReplyBroadcast bool   `json:"reply_broadcast,omitempty"`
	UnfurlLinks    *bool  `json:"unfurl_links,omitempty"`
	UnfurlMedia    *bool  `json:"unfurl_media,omitempty"`
}

// Edit is one superseded version of a message.
type Edit struct {
	Text     string          `json:"text"`
	Blocks   json.RawMessage `json:"blocks,omitempty"`
	Replaced time.Time       `json:"replaced"`
	By       string          `json:"by"`
}

type workspace struct {
	seed     Workspace
	users    map[string]User
	groups   map[string]UserGroup
	channels map[string]*channelState
}

type channelState struct {
	Channel
	members map[string]bool
	msgs    []*Message // ts order
}

func newWorkspace(seed Workspace) workspace {
	w := workspace{seed: seed, users: map[string]User{}, groups: map[string]UserGroup{}, channels: map[string]*channelState{}}
	for _, u := range seed.Users {
		w.users[u.ID] = u
	}
	if _, ok := w.users[seed.Bot.UserID]; !ok && seed.Bot.UserID != "" {
		w.users[seed.Bot.UserID] = User{ID: seed.Bot.UserID, Name: seed.Bot.Name, RealName: seed.Bot.Name, TZ: "UTC", IsBot: true}
	}
	for _, g := range seed.Groups {
		w.groups[g.ID] = g
	}
	for _, c := range seed.Channels {
		cs := &channelState{Channel: c, members: map[string]bool{}}
		for _, m := range c.Members {
			cs.members[m] = true
		}
		w.channels[c.ID] = cs
	}
	return w
}

func (c *channelState) find(ts string) (int, *Message) {
	for i, m := range c.msgs {
		if m.TS == ts {
			return i, m
		}
	}
	return -1, nil
}

func cloneMessage(m *Message) Message {
	out := *m
	out.Edits = append([]Edit{}, m.Edits...)
	return out
}

// Messages lists every message of a channel oldest first: top-level
// messages, thread replies and ephemeral messages, each with its edits.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ws.channels[channelID]
	if c == nil {
		return nil
	}
	out := make([]Message, 0, len(c.msgs))
	for _, m := range c.msgs {
		out = append(out, cloneMessage(m))
	}
	return out
}

// Message returns one message of a channel by ts.
func (s *Server) Message(channelID, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ws.channels[channelID]
	if c == nil {
		return Message{}, false
	}
	_, m := c.find(ts)
	if m == nil {
		return Message{}, false
	}
	return cloneMessage(m), true
}

// Users lists the workspace's users, sorted by ID.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.ws.users))
	for _, u := range s.ws.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Channels lists the workspace's conversations, sorted by ID.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.ws.channels))
	for _, c := range s.ws.channels {
		ch := c.Channel
		ch.Members = sortedKeys(c.members)
		out = append(out, ch)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Join adds a user (or the bot) to a channel.
func (s *Server) Join(channelID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.ws.channels[channelID]; c != nil {
		c.members[userID] = true
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// insertLocked stores a new message in ts order and tells the stream.
func (s *Server) insertLocked(c *channelState, m *Message, kind string) {
	c.msgs = append(c.msgs, m)
	sort.SliceStable(c.msgs, func(i, j int) bool { return tsLess(c.msgs[i].TS, c.msgs[j].TS) })
	s.stream.publish(StreamEvent{Channel: c.ID, TS: m.TS, Kind: kind})
}

// tsLess orders "%d.%06d" timestamps.
func tsLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// Say posts a message as a user, as if typed in Slack, and returns its ts.
// ThreadTS, when not empty, makes it a reply.
func (s *Server) Say(channelID, userID, text, threadTS string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ws.channels[channelID]
	if c == nil {
		return "", ErrUnknownChannel
	}
	if _, ok := s.ws.users[userID]; !ok {
		return "", ErrUnknownUser
	}
	if !c.members[userID] {
		return "", ErrNotInChannel
	}
	m := &Message{Channel: c.ID, User: userID, Text: text, ThreadTS: threadTS, Edits: []Edit{}}
	m.TS = s.nextTSLocked()
	s.insertLocked(c, m, "post")
	return m.TS, nil
}
