package slacksim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestRateLimitSurfacesAsRateLimitedError(t *testing.T) {
	s := newSim(t, Options{RateLimit: RateTight})
	api := botAPI(s)
	ctx := ctx5(t)
	_, ts, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("one", false))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("two", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("second post: %#v, want RateLimitedError{2s}", err)
	}
	// chat.postMessage is limited per channel.
	if _, _, err := api.PostMessageContext(ctx, "C0OPSPRIV", slack.MsgOptionText("elsewhere", false)); err != nil {
		t.Fatalf("other channel: %v", err)
	}
	// chat.update is Tier 3, its own bucket.
	if _, _, _, err := api.UpdateMessageContext(ctx, "C0DEPLOYS", ts, slack.MsgOptionText("one'", false)); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = api.UpdateMessageContext(ctx, "C0DEPLOYS", ts, slack.MsgOptionText("one''", false))
	if !errors.As(err, &rl) || rl.RetryAfter != 5*time.Second {
		t.Fatalf("second update: %#v, want RateLimitedError{5s}", err)
	}
	// usergroups.users.list is Tier 2.
	if _, err := api.GetUserGroupMembersContext(ctx, "S0ONCALL"); err != nil {
		t.Fatal(err)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S0ONCALL"); !errors.As(err, &rl) || rl.RetryAfter != 10*time.Second {
		t.Fatalf("second usergroups.users.list: %#v", err)
	}
	if n := s.Calls()["chat.postMessage"]; n != 3 {
		t.Fatalf("chat.postMessage counted %d, want 3 (refused calls count)", n)
	}
	s.SetRateLimit(RateOff)
	for i := 0; i < 5; i++ {
		if _, _, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("free", false)); err != nil {
			t.Fatalf("limits off: %v", err)
		}
	}
}

func TestRealRateLimitBurst(t *testing.T) {
	s := newSim(t, Options{RateLimit: RateReal})
	api := botAPI(s)
	ctx := ctx5(t)
	var rl *slack.RateLimitedError
	for i := 0; i < 6; i++ {
		_, _, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("burst", false))
		switch {
		case i < 5 && err != nil:
			t.Fatalf("post %d within the burst: %v", i, err)
		case i == 5 && (!errors.As(err, &rl) || rl.RetryAfter != time.Second):
			t.Fatalf("post past the burst: %#v", err)
		}
	}
}

func TestBlockKitValidation(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	btn := func(extra string) string {
		return `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"Go"}` + extra + `}]}]`
	}
	confirm := func(title, text, yes, no, style string) string {
		return btn(fmt.Sprintf(`,"confirm":{"title":{"type":"plain_text","text":%q},"text":{"type":"mrkdwn","text":%q},"confirm":{"type":"plain_text","text":%q},"deny":{"type":"plain_text","text":%q}%s}`, title, text, yes, no, style))
	}
	many := func(n int, item string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(item, i)
		}
		return strings.Join(parts, ",")
	}
	cases := []struct {
		name, blocks, want string
	}{
		{"ok card", cardBlocks, ""},
		{"all known block types", `[{"type":"divider"},{"type":"image","image_url":"https://x/y.png","alt_text":"y"},{"type":"rich_text","elements":[]},{"type":"context","elements":[{"type":"mrkdwn","text":"hi"},{"type":"image","image_url":"https://x","alt_text":"a"}]}]`, ""},
		{"50 blocks", "[" + many(50, `{"type":"divider","block_id":"d%d"}`) + "]", ""},
		{"51 blocks", "[" + many(51, `{"type":"divider","block_id":"d%d"}`) + "]", "invalid_blocks"},
		{"not an array", `{"type":"divider"}`, "invalid_blocks_format"},
		{"unknown block", `[{"type":"carousel"}]`, "invalid_blocks"},
		{"unknown element", `[{"type":"actions","elements":[{"type":"slider","action_id":"s"}]}]`, "invalid_blocks"},
		{"section text 3000", `[{"type":"section","text":{"type":"mrkdwn","text":"` + long(3000) + `"}}]`, ""},
		{"section text 3001", `[{"type":"section","text":{"type":"mrkdwn","text":"` + long(3001) + `"}}]`, "invalid_blocks"},
		{"section 11 fields", `[{"type":"section","fields":[` + many(11, `{"type":"mrkdwn","text":"f%d"}`) + `]}]`, "invalid_blocks"},
		{"field 2001", `[{"type":"section","fields":[{"type":"mrkdwn","text":"` + long(2001) + `"}]}]`, "invalid_blocks"},
		{"empty section", `[{"type":"section"}]`, "invalid_blocks"},
		{"header 150", `[{"type":"header","text":{"type":"plain_text","text":"` + long(150) + `"}}]`, ""},
		{"header 151", `[{"type":"header","text":{"type":"plain_text","text":"` + long(151) + `"}}]`, "invalid_blocks"},
		{"header mrkdwn", `[{"type":"header","text":{"type":"mrkdwn","text":"*h*"}}]`, "invalid_blocks"},
		{"context 11", `[{"type":"context","elements":[` + many(11, `{"type":"mrkdwn","text":"c%d"}`) + `]}]`, "invalid_blocks"},
		{"actions 26", `[{"type":"actions","elements":[` + many(26, `{"type":"button","action_id":"b%d","text":{"type":"plain_text","text":"b"}}`) + `]}]`, "invalid_blocks"},
		{"button text 76", `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"` + long(76) + `"}}]}]`, "invalid_blocks"},
		{"button text mrkdwn", `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"mrkdwn","text":"*b*"}}]}]`, "invalid_blocks"},
		{"button value 2000", btn(`,"value":"` + long(2000) + `"`), ""},
		{"button value 2001", btn(`,"value":"` + long(2001) + `"`), "invalid_blocks"},
		{"button style", btn(`,"style":"green"`), "invalid_blocks"},
		{"button url", btn(`,"url":"https://example.com"`), ""},
		{"action_id 256", `[{"type":"actions","elements":[{"type":"button","action_id":"` + long(256) + `","text":{"type":"plain_text","text":"b"}}]}]`, "invalid_blocks"},
		{"duplicate action_id in block", `[{"type":"actions","elements":[` + many(2, `{"type":"button","action_id":"same","text":{"type":"plain_text","text":"b%d"}}`) + `]}]`, "invalid_blocks"},
		{"duplicate action_id in message", `[` + many(2, `{"type":"actions","elements":[{"type":"button","action_id":"same","text":{"type":"plain_text","text":"b%d"}}]}`) + `]`, "invalid_blocks"},
		{"duplicate block_id", `[{"type":"divider","block_id":"x"},{"type":"divider","block_id":"x"}]`, "invalid_blocks"},
		{"block_id 256", `[{"type":"divider","block_id":"` + long(256) + `"}]`, "invalid_blocks"},
		{"confirm ok", confirm("Sure?", "Really", "Yes", "No", `,"style":"danger"`), ""},
		{"confirm title 101", confirm(long(101), "Really", "Yes", "No", ""), "invalid_blocks"},
		{"confirm text 301", confirm("Sure?", long(301), "Yes", "No", ""), "invalid_blocks"},
		{"confirm button 31", confirm("Sure?", "Really", long(31), "No", ""), "invalid_blocks"},
		{"deny 31", confirm("Sure?", "Really", "Yes", long(31), ""), "invalid_blocks"},
		{"confirm style", confirm("Sure?", "Really", "Yes", "No", `,"style":"blue"`), "invalid_blocks"},
		{"too much text in all", "[" + many(5, `{"type":"section","block_id":"s%d","text":{"type":"mrkdwn","text":"`+long(2900)+`"}}`) + "]", "msg_blocks_too_long"},
	}
	for _, c := range cases {
		err := validateBlocks([]byte(c.blocks))
		got := ""
		if err != nil {
			got = err.(*apiError).code
		}
		if got != c.want {
			t.Errorf("%s: got %q (%v), want %q", c.name, got, err, c.want)
		}
	}
}

func TestBlockErrorsThroughSlackGo(t *testing.T) {
	s := newSim(t, Options{})
	api := botAPI(s)
	ctx := ctx5(t)
	bad := blocksJSON(t, `[{"type":"header","text":{"type":"plain_text","text":"`+strings.Repeat("h", 151)+`"}}]`)
	_, _, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("x", false), slack.MsgOptionBlocks(bad...))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_blocks" || len(se.Errors) != 1 || se.Errors[0].Message == nil ||
		!strings.Contains(*se.Errors[0].Message, "[json-pointer:/blocks/0/text/text]") {
		t.Fatalf("invalid header through slack-go: %#v", err)
	}
	var blocks []slack.Block
	for i := 0; i < 51; i++ {
		blocks = append(blocks, slack.NewDividerBlock())
	}
	if _, _, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("x", false), slack.MsgOptionBlocks(blocks...)); slackErr(err) != "invalid_blocks" {
		t.Fatalf("51 blocks: %v", err)
	}
	_, ts, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("x", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C0DEPLOYS", ts, slack.MsgOptionBlocks(bad...)); slackErr(err) != "invalid_blocks" {
		t.Fatalf("update with bad blocks: %v", err)
	}
	if m, _ := s.Message("C0DEPLOYS", ts); len(m.Edits) != 0 {
		t.Fatalf("refused update was recorded: %+v", m)
	}
}
