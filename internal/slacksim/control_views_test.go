package slacksim

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// TestViewsControlAPI drives a deploy modal, the Home tab, a shortcut and
// an ephemeral message's buttons through /_sim/, as the console and
// people's scripts do, and watches the view changes on /_sim/stream.
func TestViewsControlAPI(t *testing.T) {
	s := newSim(t, Options{})
	base := s.BaseURL()
	bot := deployBot(t, s)

	stream, err := http.Get(base + "/_sim/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	lines := bufio.NewReader(stream.Body)
	if first, _ := lines.ReadString('\n'); !strings.HasPrefix(first, ":") {
		t.Fatalf("stream opened with %q", first)
	}

	if resp, _ := postJSON(t, base+"/_sim/slash", map[string]string{"user_id": "U0ALICE", "channel_id": "C0DEPLOYS", "command": "/deploy"}); resp.StatusCode != 200 {
		t.Fatalf("slash = %d", resp.StatusCode)
	}
	var views []map[string]any
	if code := getJSON(t, base+"/_sim/views?user_id=U0ALICE", &views); code != 200 || len(views) != 1 {
		t.Fatalf("GET /_sim/views = %d %v", code, views)
	}
	v := views[0]
	blocks, _ := v["blocks"].([]any)
	if v["type"] != "modal" || v["callback_id"] != "deploy" || v["title"] != "Deploy" || len(blocks) != 5 || v["id"] == "" || v["view"] != nil {
		t.Fatalf("view = %v", v)
	}
	id := v["id"].(string)
	if code := getJSON(t, base+"/_sim/views", &map[string]any{}); code != 400 {
		t.Fatalf("GET /_sim/views without user_id = %d", code)
	}
	if code := getJSON(t, base+"/_sim/views?user_id=U0NOPE", &map[string]any{}); code != 404 {
		t.Fatalf("GET /_sim/views for no user = %d", code)
	}

	resp, body := postJSON(t, base+"/_sim/views/suggest", map[string]string{"user_id": "U0ALICE", "view_id": id, "action_id": "app", "value": "myap"})
	opts, _ := body["options"].([]any)
	ack, _ := body["ack"].(map[string]any)
	if resp.StatusCode != 200 || len(opts) != 2 || ack["options"] == nil || body["envelope_id"] == "" {
		t.Fatalf("suggest = %d %v", resp.StatusCode, body)
	}
	if resp, body := postJSON(t, base+"/_sim/views/suggest", map[string]string{"user_id": "U0ALICE", "view_id": id, "action_id": "app", "value": "m"}); resp.StatusCode != 400 || body["error"] == nil {
		t.Fatalf("suggest with one character = %d %v", resp.StatusCode, body)
	}
	resp, body = postJSON(t, base+"/_sim/views/action", map[string]string{"user_id": "U0ALICE", "view_id": id, "action_id": "env", "value": "staging"})
	if resp.StatusCode != 200 || body["envelope_id"] == "" || body["view"] == nil {
		t.Fatalf("action = %d %v", resp.StatusCode, body)
	}
	if resp, _ := postJSON(t, base+"/_sim/views/action", map[string]string{"user_id": "U0ALICE", "view_id": id, "action_id": "nope"}); resp.StatusCode != 404 {
		t.Fatalf("action on nothing = %d", resp.StatusCode)
	}

	submit := func(values any) (*http.Response, map[string]any) {
		return postJSON(t, base+"/_sim/views/submit", map[string]any{"user_id": "U0ALICE", "view_id": id, "values": values})
	}
	resp, body = submit(map[string]any{"version_block": map[string]any{"version": map[string]any{"type": "plain_text_input", "value": "v9"}}})
	if errs, _ := body["errors"].(map[string]any); resp.StatusCode != 400 || errs["app_block"] == nil || body["envelope_id"] != nil {
		t.Fatalf("submit with the app missing = %d %v", resp.StatusCode, body)
	}
	app := map[string]any{"app": map[string]any{"type": "external_select", "selected_option": map[string]any{"value": "myapp"}}}
	resp, body = submit(map[string]any{"app_block": app})
	if errs, _ := body["errors"].(map[string]any); resp.StatusCode != 200 || errs["version_block"] != "No such version" || body["view"] == nil {
		t.Fatalf("submit answered with errors = %d %v", resp.StatusCode, body)
	}
	resp, body = submit(map[string]any{"version_block": map[string]any{"version": map[string]any{"value": "v1.4"}}})
	if view, _ := body["view"].(map[string]any); resp.StatusCode != 200 || view["callback_id"] != "confirm" {
		t.Fatalf("submit answered with update = %d %v", resp.StatusCode, body)
	}
	resp, body = postJSON(t, base+"/_sim/views/close", map[string]string{"user_id": "U0ALICE", "view_id": id})
	if resp.StatusCode != 200 || body["view"] != nil || body["envelope_id"] != "" {
		t.Fatalf("close = %d %v", resp.StatusCode, body)
	}
	if resp, _ := submit(nil); resp.StatusCode != 404 {
		t.Fatalf("submit a closed view = %d", resp.StatusCode)
	}

	if resp, body := postJSON(t, base+"/_sim/home", map[string]string{"user_id": "U0BOB"}); resp.StatusCode != 200 || body["envelope_id"] == "" {
		t.Fatalf("home = %d %v", resp.StatusCode, body)
	}
	if resp, _ := postJSON(t, base+"/_sim/home", map[string]string{"user_id": "U0BOB", "tab": "settings"}); resp.StatusCode != 400 {
		t.Fatalf("home on no tab = %d", resp.StatusCode)
	}
	if resp, body := postJSON(t, base+"/_sim/shortcut", map[string]string{"user_id": "U0BOB", "callback_id": "new_deploy"}); resp.StatusCode != 200 || body["envelope_id"] == "" {
		t.Fatalf("shortcut = %d %v", resp.StatusCode, body)
	}
	if resp, _ := postJSON(t, base+"/_sim/shortcut", map[string]string{"user_id": "U0BOB"}); resp.StatusCode != 400 {
		t.Fatalf("shortcut without callback_id = %d", resp.StatusCode)
	}
	if cb := bot.lastClick(); cb.Type != slack.InteractionTypeShortcut || cb.CallbackID != "new_deploy" {
		t.Fatalf("shortcut delivered = %+v", cb)
	}

	// The buttons of an ephemeral message, named by its ts alone.
	ets, err := botAPI(s).PostEphemeralContext(ctx5(t), "C0DEPLOYS", "U0BOB", slack.MsgOptionText("plan", false), slack.MsgOptionBlocks(blocksJSON(t, cardBlocks)...))
	if err != nil {
		t.Fatal(err)
	}
	resp, body = postJSON(t, base+"/_sim/click", map[string]string{"user_id": "U0BOB", "message_ts": ets, "action_id": "confirm"})
	if cb := bot.lastClick(); resp.StatusCode != 200 || body["envelope_id"] == "" || !cb.Container.IsEphemeral ||
		cb.Container.MessageTs != ets || cb.Container.ChannelID != "C0DEPLOYS" || cb.ActionCallback.BlockActions[0].ActionID != "confirm" {
		t.Fatalf("click on an ephemeral button = %d %v; %+v", resp.StatusCode, body, cb)
	}
	if resp, _ := postJSON(t, base+"/_sim/click", map[string]string{"user_id": "U0ALICE", "message_ts": ets, "action_id": "confirm"}); resp.StatusCode != 404 {
		t.Fatalf("alice clicking bob's ephemeral message = %d", resp.StatusCode)
	}

	// The stream told of every view change, in order.
	var seen []string
	for len(seen) < 6 {
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		var e StreamEvent
		if strings.HasPrefix(line, "data: ") && json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e) == nil && e.ViewID != "" {
			seen = append(seen, e.User+":"+e.Kind)
		}
	}
	want := "U0ALICE:view_opened,U0ALICE:view_updated,U0ALICE:view_updated,U0ALICE:view_updated,U0ALICE:view_closed,U0BOB:home_published"
	if strings.Join(seen, ",") != want {
		t.Fatalf("view events = %v, want %s", seen, want)
	}
}
