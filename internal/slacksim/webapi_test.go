package slacksim

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestAuthTestAndTokens(t *testing.T) {
	s := newSim(t, Options{})
	ctx := ctx5(t)
	resp, err := botAPI(s).AuthTestContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws := DefaultWorkspace()
	if resp.UserID != ws.Bot.UserID || resp.BotID != ws.Bot.BotID || resp.TeamID != ws.Team.ID {
		t.Fatalf("auth.test = %+v", resp)
	}
	if _, err := slack.New("xoxb-wrong", slack.OptionAPIURL(s.URL())).AuthTestContext(ctx); slackErr(err) != "invalid_auth" {
		t.Fatalf("bad token: %v", err)
	}
	if _, err := slack.New("", slack.OptionAPIURL(s.URL())).AuthTestContext(ctx); slackErr(err) != "not_authed" {
		t.Fatalf("no token: %v", err)
	}
	if _, err := slack.New(s.AppToken(), slack.OptionAPIURL(s.URL())).AuthTestContext(ctx); slackErr(err) != "not_allowed_token_type" {
		t.Fatalf("app token on a bot method: %v", err)
	}
	// apps.connections.open takes only the app token.
	if _, _, err := slack.New(s.BotToken(), slack.OptionAPIURL(s.URL()), slack.OptionAppLevelToken(s.BotToken())).StartSocketModeContext(ctx); slackErr(err) != "not_allowed_token_type" {
		t.Fatalf("bot token on apps.connections.open: %v", err)
	}
	_, url, err := botAPI(s).StartSocketModeContext(ctx)
	if err != nil || !strings.HasPrefix(url, "ws://127.0.0.1:") || !strings.Contains(url, "/_sim/link/?ticket=") {
		t.Fatalf("apps.connections.open = %q, %v", url, err)
	}
	if got := s.Calls()["auth.test"]; got != 4 {
		t.Fatalf("auth.test counted %d times, want 4", got)
	}
}

func TestPostMessageThreadsAndBroadcast(t *testing.T) {
	s := newSim(t, Options{})
	api := botAPI(s)
	ctx := ctx5(t)
	ch, ts, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("deploying <@U0ALICE>", false),
		slack.MsgOptionBlocks(blocksJSON(t, cardBlocks)...), slack.MsgOptionDisableLinkUnfurl())
	if err != nil || ch != "C0DEPLOYS" {
		t.Fatalf("post: %s %v", ch, err)
	}
	if !regexp.MustCompile(`^\d{10}\.\d{6}$`).MatchString(ts) {
		t.Fatalf("ts %q is not %%d.%%06d", ts)
	}
	_, r1, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("stage 1", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatal(err)
	}
	// A reply to a reply joins the parent's thread.
	_, r2, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("done", false), slack.MsgOptionTS(r1), slack.MsgOptionBroadcast())
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages("C0DEPLOYS")
	if len(msgs) != 3 || msgs[0].TS != ts || msgs[1].ThreadTS != ts || msgs[2].ThreadTS != ts || !msgs[2].ReplyBroadcast {
		t.Fatalf("messages = %+v", msgs)
	}
	if msgs[0].UnfurlLinks == nil || *msgs[0].UnfurlLinks {
		t.Fatalf("unfurl_links not recorded as false: %+v", msgs[0].UnfurlLinks)
	}
	if !strings.Contains(string(msgs[0].Blocks), `"block_id":"b000"`) || !strings.Contains(string(msgs[0].Blocks), `"block_id":"card_actions"`) {
		t.Fatalf("block ids not filled in: %s", msgs[0].Blocks)
	}

	hist, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0DEPLOYS"})
	if err != nil {
		t.Fatal(err)
	}
	// Newest first; the plain reply is hidden, the broadcast one is shown.
	if len(hist.Messages) != 2 || hist.Messages[0].Timestamp != r2 || hist.Messages[1].Timestamp != ts || hist.Messages[1].ReplyCount != 2 {
		t.Fatalf("history = %+v", hist.Messages)
	}
	replies, more, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C0DEPLOYS", Timestamp: ts})
	if err != nil || more || len(replies) != 3 || replies[1].Timestamp != r1 || replies[2].Timestamp != r2 {
		t.Fatalf("replies = %+v more=%v err=%v", replies, more, err)
	}
	if _, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C0DEPLOYS", Timestamp: "1.000001"}); slackErr(err) != "thread_not_found" {
		t.Fatalf("replies of nothing: %v", err)
	}
	// Pagination.
	page1, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0DEPLOYS", Limit: 1})
	if err != nil || len(page1.Messages) != 1 || !page1.HasMore || page1.ResponseMetaData.NextCursor == "" {
		t.Fatalf("page 1 = %+v, %v", page1, err)
	}
	page2, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0DEPLOYS", Limit: 1, Cursor: page1.ResponseMetaData.NextCursor})
	if err != nil || len(page2.Messages) != 1 || page2.Messages[0].Timestamp != ts || page2.HasMore {
		t.Fatalf("page 2 = %+v, %v", page2, err)
	}
}

func TestPostMessageErrors(t *testing.T) {
	ws := DefaultWorkspace()
	ws.NoChatWritePublic = true
	s := newSim(t, Options{Workspace: ws})
	api := botAPI(s)
	ctx := ctx5(t)
	cases := []struct {
		name, channel, want string
		opts                []slack.MsgOption
	}{
		{"unknown channel", "C0NOPE", "channel_not_found", nil},
		{"public channel without chat:write.public", "C0GENERAL", "not_in_channel", nil},
		{"no text", "C0DEPLOYS", "no_text", []slack.MsgOption{}},
		{"thread that does not exist", "C0DEPLOYS", "thread_not_found", []slack.MsgOption{slack.MsgOptionText("x", false), slack.MsgOptionTS("1.000001")}},
	}
	for _, c := range cases {
		opts := c.opts
		if opts == nil {
			opts = []slack.MsgOption{slack.MsgOptionText("hi", false)}
		}
		if _, _, err := api.PostMessageContext(ctx, c.channel, opts...); slackErr(err) != c.want {
			t.Errorf("%s: got %v, want %s", c.name, err, c.want)
		}
	}
	// With chat:write.public (the default) the bot may post in a public
	// channel it has not joined, but never in a private one.
	s2 := newSim(t, Options{})
	api2 := botAPI(s2)
	if _, _, err := api2.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("hi", false)); err != nil {
		t.Fatalf("chat:write.public: %v", err)
	}
	s2.mu.Lock()
	delete(s2.ws.channels["C0OPSPRIV"].members, s2.opts.Workspace.Bot.UserID)
	s2.mu.Unlock()
	if _, _, err := api2.PostMessageContext(ctx, "C0OPSPRIV", slack.MsgOptionText("hi", false)); slackErr(err) != "channel_not_found" {
		t.Fatalf("private channel: %v", err)
	}
	// Posting to a user ID lands in the DM with that user.
	ch, _, err := api2.PostMessageContext(ctx, "U0ALICE", slack.MsgOptionText("psst", false))
	if err != nil || ch != "D0ALICE" {
		t.Fatalf("post to user: %s %v", ch, err)
	}
}

func TestUpdateDeleteEphemeralPermalink(t *testing.T) {
	clock := newTestClock()
	s := newSim(t, Options{Now: clock.Now})
	api := botAPI(s)
	ctx := ctx5(t)
	_, ts, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("v1", false), slack.MsgOptionBlocks(blocksJSON(t, cardBlocks)...))
	if err != nil {
		t.Fatal(err)
	}
	// Text only: blocks kept.
	if _, _, _, err := api.UpdateMessageContext(ctx, "C0DEPLOYS", ts, slack.MsgOptionText("v2", false)); err != nil {
		t.Fatal(err)
	}
	m, _ := s.Message("C0DEPLOYS", ts)
	if m.Text != "v2" || !strings.Contains(string(m.Blocks), "confirm") || len(m.Edits) != 1 || m.Edits[0].Text != "v1" {
		t.Fatalf("after text update: %+v", m)
	}
	// Empty blocks: removed.
	clock.Advance(time.Second)
	if _, _, _, err := api.UpdateMessageContext(ctx, "C0DEPLOYS", ts, slack.MsgOptionText("v3", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatal(err)
	}
	m, _ = s.Message("C0DEPLOYS", ts)
	if m.Text != "v3" || len(m.Blocks) != 0 || len(m.Edits) != 2 || len(m.Edits[1].Blocks) == 0 || !m.Edits[1].Replaced.Equal(clock.Now()) {
		t.Fatalf("after block removal: %+v", m)
	}
	userTS, err := s.Say("C0DEPLOYS", "U0ALICE", "hello", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ channel, ts, want string }{
		{"C0DEPLOYS", userTS, "cant_update_message"},
		{"C0DEPLOYS", "1.000001", "message_not_found"},
		{"C0NOPE", ts, "channel_not_found"},
	} {
		if _, _, _, err := api.UpdateMessageContext(ctx, c.channel, c.ts, slack.MsgOptionText("x", false)); slackErr(err) != c.want {
			t.Errorf("update %s/%s: %v, want %s", c.channel, c.ts, err, c.want)
		}
	}
	if _, _, err := api.DeleteMessageContext(ctx, "C0DEPLOYS", userTS); slackErr(err) != "cant_delete_message" {
		t.Errorf("delete someone else's: %v", err)
	}

	link, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: "C0DEPLOYS", Ts: ts})
	want := "https://switchyard-sandbox.slack.com/archives/C0DEPLOYS/p" + strings.ReplaceAll(ts, ".", "")
	if err != nil || link != want {
		t.Fatalf("permalink = %q, %v; want %q", link, err, want)
	}

	ets, err := api.PostEphemeralContext(ctx, "C0DEPLOYS", "U0BOB", slack.MsgOptionText("only you", false))
	if err != nil || ets == "" {
		t.Fatalf("ephemeral: %q %v", ets, err)
	}
	em, _ := s.Message("C0DEPLOYS", ets)
	if em.EphemeralTo != "U0BOB" {
		t.Fatalf("ephemeral stored as %+v", em)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C0DEPLOYS", ets, slack.MsgOptionText("x", false)); slackErr(err) != "message_not_found" {
		t.Fatalf("chat.update on an ephemeral message: %v", err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C0DEPLOYS", "U0NOBODY", slack.MsgOptionText("x", false)); slackErr(err) != "user_not_found" {
		t.Fatalf("ephemeral to nobody: %v", err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C0OPSPRIV", "U0ALICE", slack.MsgOptionText("x", false)); slackErr(err) != "user_not_in_channel" {
		t.Fatalf("ephemeral to a non-member: %v", err)
	}

	if _, _, err := api.DeleteMessageContext(ctx, "C0DEPLOYS", ts); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Message("C0DEPLOYS", ts); ok {
		t.Fatal("deleted message still stored")
	}
	if _, _, err := api.DeleteMessageContext(ctx, "C0DEPLOYS", ts); slackErr(err) != "message_not_found" {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestConversationsUsersGroups(t *testing.T) {
	s := newSim(t, Options{})
	api := botAPI(s)
	ctx := ctx5(t)
	ch, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C0DEPLOYS"})
	if err != nil || ch.Name != "deploys" || !ch.IsMember || ch.IsPrivate {
		t.Fatalf("conversations.info = %+v, %v", ch, err)
	}
	dm, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "D0BOB"})
	if err != nil || !dm.IsIM || dm.User != "U0BOB" {
		t.Fatalf("DM info = %+v, %v", dm, err)
	}
	if _, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C0NOPE"}); slackErr(err) != "channel_not_found" {
		t.Fatalf("unknown channel: %v", err)
	}
	if _, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0GENERAL"}); slackErr(err) != "not_in_channel" {
		t.Fatalf("history of a channel the bot is not in: %v", err)
	}

	u, err := api.GetUserInfoContext(ctx, "U0DAVE")
	if err != nil || u.Name != "dave" || u.TZ != "Asia/Tokyo" || u.TZOffset != 9*3600 || u.RealName != "Dave Diaz" {
		t.Fatalf("users.info = %+v, %v", u, err)
	}
	if _, err := api.GetUserInfoContext(ctx, "U0NOBODY"); slackErr(err) != "user_not_found" {
		t.Fatalf("unknown user: %v", err)
	}
	members, err := api.GetUserGroupMembersContext(ctx, "S0ONCALL")
	if err != nil || strings.Join(members, ",") != "U0BOB,U0CAROL" {
		t.Fatalf("usergroups.users.list = %v, %v", members, err)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S0NOPE"); slackErr(err) != "no_such_subteam" {
		t.Fatalf("unknown group: %v", err)
	}
}

func TestTSUniqueWithFrozenClock(t *testing.T) {
	clock := newTestClock()
	s := newSim(t, Options{Now: clock.Now})
	api := botAPI(s)
	ctx := ctx5(t)
	seen := map[string]bool{}
	last := ""
	for i := 0; i < 20; i++ {
		_, ts, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("x", false))
		if err != nil {
			t.Fatal(err)
		}
		if seen[ts] || (last != "" && !tsLess(last, ts)) {
			t.Fatalf("ts %q repeats or goes back after %q", ts, last)
		}
		seen[ts], last = true, ts
	}
	if last != "1772355600.000019" {
		t.Fatalf("last ts = %s", last)
	}
}
