package slacksim

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func TestSocketModeSlashAndClick(t *testing.T) {
	s := newSim(t, Options{})
	bot := startBot(t, s, func(b *testBot) {
		b.onSlash = func(cmd slack.SlashCommand) (any, bool) {
			if cmd.Text == "loud" {
				return map[string]any{"text": "Deploying for everyone", "response_type": "in_channel"}, true
			}
			return map[string]any{"text": "Working on it"}, true
		}
	})
	waitConns(t, s, 1)
	ctx := ctx5(t)

	res, err := s.Slash(ctx, SlashRequest{UserID: "U0ALICE", ChannelID: "C0DEPLOYS", Command: "/deploy", Text: "myapp v1.4"})
	if err != nil {
		t.Fatal(err)
	}
	if res.EnvelopeID == "" || !strings.Contains(string(res.Ack), "Working on it") || res.AckMS < 0 || res.AckMS > 3000 {
		t.Fatalf("slash result = %+v (%s)", res, res.Ack)
	}
	cmd := bot.lastSlash()
	if cmd.TeamID != "T0SANDBOX" || cmd.TeamDomain != "switchyard-sandbox" || cmd.ChannelID != "C0DEPLOYS" ||
		cmd.ChannelName != "deploys" || cmd.UserID != "U0ALICE" || cmd.UserName != "alice" || cmd.Command != "/deploy" ||
		cmd.Text != "myapp v1.4" || !strings.HasPrefix(cmd.ResponseURL, s.BaseURL()+"/_sim/response_url/") ||
		cmd.TriggerID == "" || cmd.APIAppID != "A0SWITCHYRD" || cmd.IsEnterpriseInstall {
		t.Fatalf("slash command payload = %+v", cmd)
	}
	// The ack's message is shown to alice alone.
	msgs := s.Messages("C0DEPLOYS")
	if len(msgs) != 1 || msgs[0].EphemeralTo != "U0ALICE" || msgs[0].Text != "Working on it" {
		t.Fatalf("ack message = %+v", msgs)
	}
	// The trigger opens a modal.
	modal := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, "Deploy", false, false)}
	if _, err := botAPI(s).OpenViewContext(ctx, cmd.TriggerID, modal); err != nil {
		t.Fatalf("views.open with the slash trigger: %v", err)
	}
	// in_channel answers go to the channel.
	if _, err := s.Slash(ctx, SlashRequest{UserID: "U0ALICE", ChannelID: "C0DEPLOYS", Command: "/deploy", Text: "loud"}); err != nil {
		t.Fatal(err)
	}
	msgs = s.Messages("C0DEPLOYS")
	if last := msgs[len(msgs)-1]; last.EphemeralTo != "" || last.Text != "Deploying for everyone" || last.User != "U0SWITCHYRD" {
		t.Fatalf("in_channel ack = %+v", last)
	}

	// A click on a real button.
	_, ts, err := botAPI(s).PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("card", false), slack.MsgOptionBlocks(blocksJSON(t, cardBlocks)...))
	if err != nil {
		t.Fatal(err)
	}
	res, err = s.Click(ctx, ClickRequest{UserID: "U0BOB", ChannelID: "C0DEPLOYS", MessageTS: ts, ActionID: "confirm"})
	if err != nil || res.Ack != nil {
		t.Fatalf("click = %+v, %v", res, err)
	}
	cb := bot.lastClick()
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("click payload = %+v", cb)
	}
	act := cb.ActionCallback.BlockActions[0]
	if act.ActionID != "confirm" || act.BlockID != "card_actions" || act.Value != "dep-1" || act.Text.Text != "Confirm" ||
		act.Type != "button" || act.ActionTs == "" {
		t.Fatalf("action = %+v", act)
	}
	if cb.User.ID != "U0BOB" || cb.User.Name != "bob" || cb.User.TeamID != "T0SANDBOX" || cb.Team.ID != "T0SANDBOX" ||
		cb.APIAppID != "A0SWITCHYRD" || cb.TriggerID == "" || cb.ResponseURL == "" ||
		cb.Container.Type != "message" || cb.Container.MessageTs != ts || cb.Container.ChannelID != "C0DEPLOYS" || cb.Container.IsEphemeral ||
		cb.Channel.ID != "C0DEPLOYS" || cb.Channel.Name != "deploys" ||
		cb.Message.Timestamp != ts || cb.Message.BotID != "B0SWITCHYRD" || len(cb.Message.Blocks.BlockSet) != 3 {
		t.Fatalf("click payload = %+v", cb)
	}

	// What Slack would not let a user do.
	if _, err := s.Click(ctx, ClickRequest{UserID: "U0BOB", ChannelID: "C0DEPLOYS", MessageTS: ts, ActionID: "nope"}); !errors.Is(err, ErrNoSuchButton) {
		t.Fatalf("click on a missing button: %v", err)
	}
	if _, err := s.Slash(ctx, SlashRequest{UserID: "U0ALICE", ChannelID: "C0OPSPRIV", Command: "/deploy"}); !errors.Is(err, ErrNotInChannel) {
		t.Fatalf("slash outside one's channels: %v", err)
	}
	if _, err := s.Slash(ctx, SlashRequest{UserID: "U0ALICE", ChannelID: "C0DEPLOYS", Command: "/deploy", ThreadTS: ts}); !errors.Is(err, ErrInThread) {
		t.Fatalf("slash in a thread: %v", err)
	}
	if len(s.UserErrors()) != 0 {
		t.Fatalf("user errors = %+v", s.UserErrors())
	}
}

func TestSocketModeMissingAndLateAck(t *testing.T) {
	s := newSim(t, Options{AckTimeout: 300 * time.Millisecond})
	held := make(chan socketmode.Request, 1)
	bot := startBot(t, s, func(b *testBot) {
		b.onSlash = func(slack.SlashCommand) (any, bool) { return nil, false }
	})
	waitConns(t, s, 1)
	go func() {
		id := <-bot.got
		held <- socketmode.Request{EnvelopeID: id}
	}()
	res, err := s.Slash(ctx5(t), SlashRequest{UserID: "U0ALICE", ChannelID: "C0DEPLOYS", Command: "/deploy"})
	if !errors.Is(err, ErrNoAck) || res.EnvelopeID == "" {
		t.Fatalf("slash without ack = %+v, %v", res, err)
	}
	errs := s.UserErrors()
	if len(errs) != 1 || errs[0].Error != "dispatch_failed" || errs[0].UserID != "U0ALICE" || errs[0].EnvelopeID != res.EnvelopeID {
		t.Fatalf("user errors = %+v", errs)
	}
	// The app acks too late: recorded as late, the user keeps the error.
	if err := bot.sm.Ack(<-held); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		acks := s.Acks()
		if len(acks) == 1 && acks[0].Missing && acks[0].Late && acks[0].Latency >= 300*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("acks = %+v", acks)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSocketModeRefreshAndDropLoseNothing(t *testing.T) {
	s := newSim(t, Options{})
	var mu sync.Mutex
	firstSeen := map[string]bool{}
	dropNow := make(chan struct{}, 1)
	bot := startBot(t, s, func(b *testBot) {
		b.onSlash = func(cmd slack.SlashCommand) (any, bool) {
			if cmd.Text != "drop" {
				return nil, true
			}
			mu.Lock()
			defer mu.Unlock()
			if !firstSeen[cmd.TriggerID] { // first delivery: lose it with the connection
				firstSeen[cmd.TriggerID] = true
				dropNow <- struct{}{}
				return nil, false
			}
			return map[string]any{"text": "got it after all"}, true
		}
	})
	waitConns(t, s, 1)
	ctx := ctx5(t)

	// refresh_requested: the old link takes no new envelopes; the one sent
	// meanwhile waits for the new link.
	if n := s.Disconnect("refresh_requested"); n != 1 {
		t.Fatalf("told %d connections", n)
	}
	if _, err := s.Slash(ctx, SlashRequest{UserID: "U0ALICE", ChannelID: "C0DEPLOYS", Command: "/deploy", Text: "during refresh"}); err != nil {
		t.Fatalf("slash across refresh: %v", err)
	}
	waitConns(t, s, 1)

	// A connection that dies before acking: the envelope comes again.
	go func() {
		<-dropNow
		s.DropConnections(0)
	}()
	res, err := s.Slash(ctx, SlashRequest{UserID: "U0ALICE", ChannelID: "C0DEPLOYS", Command: "/deploy", Text: "drop"})
	if err != nil || !strings.Contains(string(res.Ack), "got it after all") {
		t.Fatalf("slash across a dropped connection = %+v, %v", res, err)
	}
	var redelivered bool
	for _, a := range s.Acks() {
		if a.EnvelopeID == res.EnvelopeID && a.Deliveries == 2 {
			redelivered = true
		}
	}
	if !redelivered {
		t.Fatalf("acks = %+v", s.Acks())
	}
	bot.mu.Lock()
	defer bot.mu.Unlock()
	if bot.seen[res.EnvelopeID] != 2 || bot.hellos < 3 {
		t.Fatalf("bot saw envelope %d times, %d hellos", bot.seen[res.EnvelopeID], bot.hellos)
	}
}

// rawSocket opens a Socket Mode link with gorilla directly, to see frames
// slack-go handles internally.
func rawSocket(t *testing.T, s *Server) *websocket.Conn {
	t.Helper()
	_, url, err := botAPI(s).StartSocketModeContext(ctx5(t))
	if err != nil {
		t.Fatal(err)
	}
	hdr := map[string][]string{"Origin": {"https://api.slack.com"}}
	ws, _, err := websocket.DefaultDialer.Dial(url, hdr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	// A second dial of the same URL fails: tickets are single-use.
	if _, resp, err := websocket.DefaultDialer.Dial(url, hdr); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("ticket reused: %v", err)
	}
	return ws
}

func readFrame(t *testing.T, ws *websocket.Conn) map[string]any {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(3 * time.Second))
	var m map[string]any
	if err := ws.ReadJSON(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSocketHelloPingDisconnectAndLimit(t *testing.T) {
	s := newSim(t, Options{MaxConnections: 2, PingInterval: 50 * time.Millisecond})
	ws := rawSocket(t, s)
	pinged := make(chan struct{}, 1)
	ws.SetPingHandler(func(string) error {
		select {
		case pinged <- struct{}{}:
		default:
		}
		return nil
	})
	hello := readFrame(t, ws)
	info, _ := hello["connection_info"].(map[string]any)
	debug, _ := hello["debug_info"].(map[string]any)
	if hello["type"] != "hello" || hello["num_connections"] != 1.0 || info["app_id"] != "A0SWITCHYRD" || debug["host"] == nil {
		t.Fatalf("hello = %v", hello)
	}
	second := rawSocket(t, s)
	if h := readFrame(t, second); h["num_connections"] != 2.0 {
		t.Fatalf("second hello = %v", h)
	}
	third := rawSocket(t, s)
	if m := readFrame(t, third); m["type"] != "disconnect" || m["reason"] != "too_many_websockets" {
		t.Fatalf("third connection got %v", m)
	}
	if s.Connections() != 2 {
		t.Fatalf("connections = %d", s.Connections())
	}
	disabled := make(chan struct{})
	go func() { // reading runs the ping handler
		_ = ws.SetReadDeadline(time.Now().Add(3 * time.Second))
		for {
			var m map[string]any
			if ws.ReadJSON(&m) != nil {
				return
			}
			if m["type"] == "disconnect" && m["reason"] == "link_disabled" {
				close(disabled)
				return
			}
		}
	}()
	select {
	case <-pinged:
	case <-time.After(3 * time.Second):
		t.Fatal("no ping from the server")
	}
	s.Disconnect("link_disabled")
	select {
	case <-disabled:
	case <-time.After(3 * time.Second):
		t.Fatal("no link_disabled disconnect")
	}
	if s.Connections() != 0 {
		t.Fatalf("draining connections still counted: %d", s.Connections())
	}
}
