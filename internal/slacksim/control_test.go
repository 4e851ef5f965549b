package slacksim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func postJSON(t *testing.T, url string, body any) (*http.Response, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

func getJSON(t *testing.T, url string, into any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode
}

func TestControlAPI(t *testing.T) {
	s := newSim(t, Options{AckTimeout: 300 * time.Millisecond})
	base := s.BaseURL()

	// Mounted in another mux, beside other routes.
	var users []map[string]any
	if code := getJSON(t, base+"/_sim/users", &users); code != 200 || len(users) != 5 || users[0]["id"] == nil || users[0]["name"] == nil {
		t.Fatalf("users = %d %v", code, users)
	}
	var channels []map[string]any
	getJSON(t, base+"/_sim/channels", &channels)
	found := false
	for _, c := range channels {
		found = found || (c["id"] == "C0DEPLOYS" && c["name"] == "deploys")
	}
	if !found {
		t.Fatalf("channels = %v", channels)
	}
	var tokens map[string]string
	getJSON(t, base+"/_sim/tokens", &tokens)
	if !strings.HasPrefix(tokens["bot_token"], "xoxb-") || !strings.HasPrefix(tokens["app_token"], "xapp-") {
		t.Fatalf("tokens = %v", tokens)
	}
	if _, err := slack.New(tokens["bot_token"], slack.OptionAPIURL(s.URL())).AuthTest(); err != nil {
		t.Fatalf("token from /_sim/tokens: %v", err)
	}

	// Live updates.
	req, _ := http.NewRequest(http.MethodGet, base+"/_sim/stream", nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	lines := bufio.NewReader(stream.Body)
	if first, _ := lines.ReadString('\n'); !strings.HasPrefix(first, ":") || stream.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream opened with %q", first)
	}

	// No app connected: /slash times out with 504, as Slack would.
	resp, body := postJSON(t, base+"/_sim/slash", map[string]string{"user_id": "U0ALICE", "channel_id": "C0DEPLOYS", "command": "/deploy", "text": "x"})
	if resp.StatusCode != http.StatusGatewayTimeout || body["error"] == nil || body["envelope_id"] == nil {
		t.Fatalf("slash with no app = %d %v", resp.StatusCode, body)
	}
	var errs []UserError
	getJSON(t, base+"/_sim/errors", &errs)
	if len(errs) != 1 || errs[0].Error != "dispatch_failed" {
		t.Fatalf("errors = %+v", errs)
	}

	startBot(t, s, func(b *testBot) {
		b.onSlash = func(slack.SlashCommand) (any, bool) { return map[string]any{"text": "on it"}, true }
	})
	waitConns(t, s, 1)
	resp, body = postJSON(t, base+"/_sim/slash", map[string]string{"user_id": "U0ALICE", "channel_id": "C0DEPLOYS", "command": "/deploy", "text": "myapp v2"})
	ack, _ := body["ack"].(map[string]any)
	if resp.StatusCode != 200 || body["envelope_id"] == "" || ack["text"] != "on it" || body["ack_ms"] == nil {
		t.Fatalf("slash = %d %v", resp.StatusCode, body)
	}
	_, ts, err := botAPI(s).PostMessageContext(ctx5(t), "C0DEPLOYS", slack.MsgOptionText("card", false), slack.MsgOptionBlocks(blocksJSON(t, cardBlocks)...))
	if err != nil {
		t.Fatal(err)
	}
	resp, body = postJSON(t, base+"/_sim/click", map[string]string{"user_id": "U0BOB", "channel_id": "C0DEPLOYS", "message_ts": ts, "action_id": "cancel"})
	if resp.StatusCode != 200 || body["ack"] != nil || body["envelope_id"] == nil {
		t.Fatalf("click = %d %v", resp.StatusCode, body)
	}
	if resp, _ := postJSON(t, base+"/_sim/click", map[string]string{"user_id": "U0BOB", "channel_id": "C0DEPLOYS", "message_ts": ts, "action_id": "nope"}); resp.StatusCode != 404 {
		t.Fatalf("click on nothing = %d", resp.StatusCode)
	}
	if _, _, _, err := botAPI(s).UpdateMessageContext(ctx5(t), "C0DEPLOYS", ts, slack.MsgOptionText("card v2", false)); err != nil {
		t.Fatal(err)
	}

	var msgs []map[string]any
	getJSON(t, base+"/_sim/messages?channel=C0DEPLOYS", &msgs)
	if len(msgs) != 2 {
		t.Fatalf("messages = %v", msgs)
	}
	for _, key := range []string{"ts", "thread_ts", "user", "text", "blocks", "edits", "ephemeral_to"} {
		if _, ok := msgs[0][key]; !ok {
			t.Fatalf("message lacks %q: %v", key, msgs[0])
		}
	}
	if msgs[0]["ephemeral_to"] != "U0ALICE" || msgs[1]["text"] != "card v2" || len(msgs[1]["edits"].([]any)) != 1 {
		t.Fatalf("messages = %v", msgs)
	}
	if code := getJSON(t, base+"/_sim/messages?channel=C0NOPE", &map[string]any{}); code != 404 {
		t.Fatalf("unknown channel = %d", code)
	}

	var kinds []string
	for len(kinds) < 3 {
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		var e StreamEvent
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e); err != nil || e.Channel != "C0DEPLOYS" || e.TS == "" {
			t.Fatalf("stream event %q: %v", line, err)
		}
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, ",") != "ephemeral,post,update" {
		t.Fatalf("stream kinds = %v", kinds)
	}
}

func TestMountedBesideOtherRoutes(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	mux := http.NewServeMux()
	mux.Handle("/api/", s.Handler())
	mux.Handle("/_sim/", s.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("console")) })
	srv := &http.Server{Handler: mux}
	ln, err := listenLocal()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	s.SetBaseURL("http://" + ln.Addr().String() + "/")
	if s.URL() != "http://"+ln.Addr().String()+"/api/" {
		t.Fatalf("URL = %s", s.URL())
	}
	bot := startBot(t, s, nil)
	waitConns(t, s, 1)
	if _, err := s.Slash(ctx5(t), SlashRequest{UserID: "U0DAVE", ChannelID: "C0DEPLOYS", Command: "/deploy"}); err != nil {
		t.Fatal(err)
	}
	if bot.lastSlash().UserID != "U0DAVE" {
		t.Fatal("slash not delivered through the mounted handler")
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("console route = %d", resp.StatusCode)
	}
}
