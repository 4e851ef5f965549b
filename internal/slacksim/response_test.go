package slacksim

import (
	"context"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// respondVia posts to a response_url with slack-go, as a bot does.
func respondVia(api *slack.Client, url string, opts ...slack.MsgOption) error {
	_, _, err := api.PostMessageContext(context.Background(), "", append([]slack.MsgOption{slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral)}, opts...)...)
	return err
}

func TestResponseURLSemantics(t *testing.T) {
	clock := newTestClock()
	s := newSim(t, Options{Now: clock.Now})
	bot := startBot(t, s, nil)
	waitConns(t, s, 1)
	api := botAPI(s)
	ctx := ctx5(t)

	_, ts, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("card", false), slack.MsgOptionBlocks(blocksJSON(t, cardBlocks)...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Click(ctx, ClickRequest{UserID: "U0BOB", ChannelID: "C0DEPLOYS", MessageTS: ts, ActionID: "confirm"}); err != nil {
		t.Fatal(err)
	}
	url := bot.lastClick().ResponseURL

	// 1: ephemeral by default, to the clicker.
	if err := respondVia(api, url, slack.MsgOptionText("only bob sees this", false)); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages("C0DEPLOYS")
	if last := msgs[len(msgs)-1]; last.EphemeralTo != "U0BOB" || last.Text != "only bob sees this" {
		t.Fatalf("ephemeral response = %+v", last)
	}
	// 2: in_channel posts for everyone.
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, slack.ResponseTypeInChannel), slack.MsgOptionText("for all", false)); err != nil {
		t.Fatal(err)
	}
	msgs = s.Messages("C0DEPLOYS")
	if last := msgs[len(msgs)-1]; last.EphemeralTo != "" || last.Text != "for all" {
		t.Fatalf("in_channel response = %+v", last)
	}
	// 3: replace_original edits the clicked message: buttons become a line.
	done := blocksJSON(t, `[{"type":"context","elements":[{"type":"mrkdwn","text":"Confirmed by <@U0BOB>"}]}]`)
	if err := respondVia(api, "", slack.MsgOptionReplaceOriginal(url), slack.MsgOptionText("confirmed", false), slack.MsgOptionBlocks(done...)); err != nil {
		t.Fatal(err)
	}
	m, _ := s.Message("C0DEPLOYS", ts)
	if m.Text != "confirmed" || len(m.Edits) != 1 || m.Edits[0].Text != "card" {
		t.Fatalf("replaced = %+v", m)
	}
	if _, err := s.Click(ctx, ClickRequest{UserID: "U0BOB", ChannelID: "C0DEPLOYS", MessageTS: ts, ActionID: "confirm"}); err == nil {
		t.Fatal("button still clickable after replace_original removed it")
	}
	// Invalid blocks are refused and do not use the URL up.
	bad := blocksJSON(t, `[{"type":"header","text":{"type":"plain_text","text":""}}]`)
	if err := respondVia(api, url, slack.MsgOptionText("x", false), slack.MsgOptionBlocks(bad...)); slackErr(err) != "invalid_blocks" {
		t.Fatalf("bad blocks: %v", err)
	}
	// 4: delete_original removes it.
	if err := respondVia(api, "", slack.MsgOptionDeleteOriginal(url)); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Message("C0DEPLOYS", ts); ok {
		t.Fatal("delete_original left the message")
	}
	// 5: the last use; a response_url has five.
	if err := respondVia(api, url, slack.MsgOptionText("fifth", false)); err != nil {
		t.Fatalf("fifth use: %v", err)
	}
	if err := respondVia(api, url, slack.MsgOptionText("sixth", false)); slackErr(err) != "used_url" {
		t.Fatalf("sixth use: %v", err)
	}

	// A fresh URL expires after 30 minutes.
	_, ts2, _ := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("card", false), slack.MsgOptionBlocks(blocksJSON(t, cardBlocks)...))
	if _, err := s.Click(ctx, ClickRequest{UserID: "U0CAROL", ChannelID: "C0DEPLOYS", MessageTS: ts2, ActionID: "cancel"}); err != nil {
		t.Fatal(err)
	}
	url2 := bot.lastClick().ResponseURL
	clock.Advance(29 * time.Minute)
	if err := respondVia(api, url2, slack.MsgOptionText("in time", false)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	if err := respondVia(api, url2, slack.MsgOptionText("too late", false)); slackErr(err) != "expired_url" {
		t.Fatalf("after 31 minutes: %v", err)
	}
}

func TestSlashResponseURLReplacesItsOwnAnswer(t *testing.T) {
	s := newSim(t, Options{})
	bot := startBot(t, s, func(b *testBot) {
		b.onSlash = func(slack.SlashCommand) (any, bool) { return map[string]any{"text": "planning…"}, true }
	})
	waitConns(t, s, 1)
	if _, err := s.Slash(ctx5(t), SlashRequest{UserID: "U0ALICE", ChannelID: "C0DEPLOYS", Command: "/deploy", Text: "myapp"}); err != nil {
		t.Fatal(err)
	}
	url := bot.lastSlash().ResponseURL
	if err := respondVia(botAPI(s), "", slack.MsgOptionReplaceOriginal(url), slack.MsgOptionText("plan ready", false)); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages("C0DEPLOYS")
	if len(msgs) != 1 || msgs[0].Text != "plan ready" || msgs[0].EphemeralTo != "U0ALICE" || len(msgs[0].Edits) != 1 {
		t.Fatalf("messages = %+v", msgs)
	}
}
