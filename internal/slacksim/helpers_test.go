package slacksim

import (
	"context"
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// newSim starts a simulator on 127.0.0.1 with short pings for tests.
func newSim(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.PingInterval == 0 {
		opts.PingInterval = 200 * time.Millisecond
	}
	s := New(opts)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// botAPI is the real slack-go client with the bot token.
func botAPI(s *Server) *slack.Client {
	return slack.New(s.BotToken(), slack.OptionAPIURL(s.URL()), slack.OptionAppLevelToken(s.AppToken()))
}

// testClock is a workspace clock that moves only when told.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// useRealClock makes c the simulator's real-time clock, the one trigger_id
// expiry reads.
func useRealClock(s *Server, c *testClock) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.realNow = c.Now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testBot is a Socket Mode app built on slack-go's socketmode client: it
// records every envelope it sees and acks with what its handlers return.
type testBot struct {
	t      *testing.T
	sm     *socketmode.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	seen    map[string]int // envelope_id → times received
	slashes []slack.SlashCommand
	clicks  []slack.InteractionCallback
	events  []botEvent
	hellos  int

	// onSlash and onClick return the ack payload (nil for none) and whether
	// to ack at all.
	onSlash func(slack.SlashCommand) (any, bool)
	onClick func(slack.InteractionCallback) (any, bool)
	onEvent func(botEvent) (any, bool)
	got     chan string // envelope IDs as they arrive
	// pingInterval is the client's patience for server pings.
	pingInterval time.Duration
}

func startBot(t *testing.T, s *Server, setup func(*testBot)) *testBot {
	t.Helper()
	api := botAPI(s)
	b := &testBot{
		t:            t,
		pingInterval: 5 * time.Second,
		done:         make(chan struct{}),
		seen:         map[string]int{},
		onSlash:      func(slack.SlashCommand) (any, bool) { return nil, true },
		onClick:      func(slack.InteractionCallback) (any, bool) { return nil, true },
		onEvent:      func(botEvent) (any, bool) { return nil, true },
		got:          make(chan string, 4096),
	}
	if setup != nil {
		setup(b)
	}
	b.sm = socketmode.New(api, socketmode.OptionPingInterval(b.pingInterval))
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go func() { _ = b.sm.RunContext(ctx) }()
	go b.loop(ctx)
	t.Cleanup(b.stop)
	return b
}

// connected starts a bot as startBot does and waits for its socket.
func connected(t *testing.T, s *Server, setup func(*testBot)) *testBot {
	t.Helper()
	b := startBot(t, s, setup)
	waitConns(t, s, 1)
	return b
}

// rig is a simulator with a connected bot that acks everything empty, the
// bot's Web API client and a 5 s context.
func rig(t *testing.T) (*Server, *testBot, *slack.Client, context.Context) {
	t.Helper()
	s := newSim(t, Options{})
	return s, connected(t, s, nil), botAPI(s), ctx5(t)
}

func (b *testBot) stop() {
	b.cancel()
	<-b.done
}

func (b *testBot) loop(ctx context.Context) {
	defer close(b.done)
	for {
		select {
		case <-ctx.Done():
			return
		case evt := <-b.sm.Events:
			b.handle(evt)
		}
	}
}

func (b *testBot) handle(evt socketmode.Event) {
	var payload any
	ack := true
	switch evt.Type {
	case socketmode.EventTypeHello:
		b.mu.Lock()
		b.hellos++
		b.mu.Unlock()
		return
	case socketmode.EventTypeSlashCommand:
		cmd := evt.Data.(slack.SlashCommand)
		b.mu.Lock()
		b.slashes = append(b.slashes, cmd)
		b.mu.Unlock()
		payload, ack = b.onSlash(cmd)
	case socketmode.EventTypeInteractive:
		cb := evt.Data.(slack.InteractionCallback)
		b.mu.Lock()
		b.clicks = append(b.clicks, cb)
		b.mu.Unlock()
		payload, ack = b.onClick(cb)
	case socketmode.EventTypeEventsAPI:
		e := botEvent{Event: evt.Data.(slackevents.EventsAPIEvent), RetryAttempt: evt.Request.RetryAttempt, RetryReason: evt.Request.RetryReason}
		b.mu.Lock()
		b.events = append(b.events, e)
		b.mu.Unlock()
		payload, ack = b.onEvent(e)
	default:
		return
	}
	id := evt.Request.EnvelopeID
	b.mu.Lock()
	b.seen[id]++
	b.mu.Unlock()
	b.got <- id
	if !ack {
		return
	}
	var err error
	if payload == nil {
		err = b.sm.Ack(*evt.Request)
	} else {
		err = b.sm.Ack(*evt.Request, payload)
	}
	if err != nil {
		b.t.Errorf("ack %s: %v", id, err)
	}
}

func (b *testBot) lastSlash() slack.SlashCommand {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.slashes[len(b.slashes)-1]
}

// botEvent is an Events API envelope as the bot saw it.
type botEvent struct {
	Event        slackevents.EventsAPIEvent
	RetryAttempt int
	RetryReason  string
}

func (b *testBot) allEvents() []botEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]botEvent(nil), b.events...)
}

func (b *testBot) interactions() []slack.InteractionCallback {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]slack.InteractionCallback(nil), b.clicks...)
}

func (b *testBot) lastClick() slack.InteractionCallback {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.clicks[len(b.clicks)-1]
}

func waitConns(t *testing.T, s *Server, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitConnections(ctx, n); err != nil {
		t.Fatalf("waiting for %d connections (have %d): %v", n, s.Connections(), err)
	}
}

func ctx5(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// blocksJSON builds slack-go blocks from JSON, as a bot might keep them.
func blocksJSON(t *testing.T, raw string) []slack.Block {
	t.Helper()
	var b slack.Blocks
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		t.Fatal(err)
	}
	return b.BlockSet
}

func slackErr(err error) string {
	if e, ok := err.(slack.SlackErrorResponse); ok {
		return e.Err
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// cardBlocks is a deploy card with Confirm and Cancel buttons.
const cardBlocks = `[
 {"type":"header","text":{"type":"plain_text","text":"Deploy myapp v1.4"}},
 {"type":"section","text":{"type":"mrkdwn","text":"*myapp* v1.3 → v1.4"},"fields":[{"type":"mrkdwn","text":"*env* prod"}]},
 {"type":"actions","block_id":"card_actions","elements":[
   {"type":"button","action_id":"confirm","text":{"type":"plain_text","text":"Confirm"},"style":"primary","value":"dep-1",
    "confirm":{"title":{"type":"plain_text","text":"Sure?"},"text":{"type":"mrkdwn","text":"Deploy to prod"},"confirm":{"type":"plain_text","text":"Yes"},"deny":{"type":"plain_text","text":"No"}}},
   {"type":"button","action_id":"cancel","text":{"type":"plain_text","text":"Cancel"},"style":"danger","value":"dep-1"}]}
]`

func listenLocal() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// opensModal is a bot's answer to any interaction: open the deploy modal
// with its trigger_id, then ack.
func opensModal(t *testing.T, api *slack.Client) func(slack.InteractionCallback) (any, bool) {
	return func(cb slack.InteractionCallback) (any, bool) {
		if _, err := api.OpenViewContext(ctx5(t), cb.TriggerID, modal(t, "deploy", deployForm)); err != nil {
			t.Errorf("views.open from a %s: %v", cb.Type, err)
		}
		return nil, true
	}
}

// publishHome publishes blocks as a user's Home tab.
func publishHome(t *testing.T, api *slack.Client, user, blocks string) {
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocksJSON(t, blocks)}}
	if _, err := api.PublishViewContext(ctx5(t), slack.PublishViewContextRequest{UserID: user, View: home}); err != nil {
		t.Errorf("views.publish: %v", err)
	}
}

// homeEvent is the app_home_opened inside an Events API envelope.
func homeEvent(t *testing.T, e botEvent) *slackevents.AppHomeOpenedEvent {
	t.Helper()
	ev, ok := e.Event.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok {
		t.Fatalf("inner event = %T %+v", e.Event.InnerEvent.Data, e.Event.InnerEvent)
	}
	return ev
}
