package slacksim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// nodeTool finds node or npm, failing (not skipping) without them: the
// second, independent client is part of what proves the simulator.
func nodeTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: this test drives the simulator with Slack's Node SDK and needs node >= 20 and npm on PATH", name)
	}
	return path
}

// TestNodeSDK drives the simulator with @slack/web-api and
// @slack/socket-mode, installed from npm at the versions pinned in
// testdata/node/package-lock.json.
func TestNodeSDK(t *testing.T) {
	node, npm := nodeTool(t, "node"), nodeTool(t, "npm")
	ver, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	major, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(strings.TrimSpace(string(ver)), "v"), ".", 2)[0])
	if major < 20 {
		t.Fatalf("node %s is too old: the pinned Slack SDKs need node >= 20", ver)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	install.Dir = "testdata/node"
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in testdata/node: %v\n%s", err, out)
	}

	s := newSim(t, Options{})
	run := exec.CommandContext(ctx, node, "check.mjs")
	run.Dir = "testdata/node"
	run.Env = append(os.Environ(), "SLACK_API_URL="+s.URL(), "SLACK_BOT_TOKEN="+s.BotToken(), "SLACK_APP_TOKEN="+s.AppToken())
	var stderr bytes.Buffer
	run.Stderr = &stderr
	stdout, err := run.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}

	type line struct {
		Step        string           `json:"step"`
		UserID      string           `json:"user_id"`
		Channel     string           `json:"channel"`
		TS          string           `json:"ts"`
		UpdatedText string           `json:"updated_text"`
		Refused     string           `json:"refused"`
		Seen        []map[string]any `json:"seen"`
	}
	var web, done line
	var once sync.Once
	var driveErr error
	var wg sync.WaitGroup
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Errorf("node printed %q", sc.Text())
			continue
		}
		switch l.Step {
		case "web":
			web = l
		case "connected":
			once.Do(func() {
				wg.Add(1)
				go func() { // play the user while node listens
					defer wg.Done()
					res, err := s.Slash(ctx, SlashRequest{UserID: "U0CAROL", ChannelID: "C0DEPLOYS", Command: "/deploy", Text: "from go"})
					if err == nil && !strings.Contains(string(res.Ack), "node got from go") {
						t.Errorf("node's slash ack = %s", res.Ack)
					}
					if err == nil {
						_, err = s.Click(ctx, ClickRequest{UserID: "U0BOB", ChannelID: "C0DEPLOYS", MessageTS: web.TS, ActionID: "node_ok"})
					}
					driveErr = err
				}()
			})
		case "done", "timeout":
			done = l
		}
	}
	werr := run.Wait()
	wg.Wait()
	if werr != nil || driveErr != nil || done.Step != "done" {
		t.Fatalf("node run: %v, driving: %v, last step %q\nstderr:\n%s", werr, driveErr, done.Step, stderr.String())
	}

	if web.UserID != "U0SWITCHYRD" || web.Channel != "C0DEPLOYS" || web.UpdatedText != "hello from node, edited" || web.Refused != "channel_not_found" {
		t.Fatalf("web step = %+v", web)
	}
	m, ok := s.Message("C0DEPLOYS", web.TS)
	if !ok || m.Text != "hello from node, edited" || len(m.Edits) != 1 || m.Edits[0].Text != "hello from node" ||
		!strings.Contains(string(m.Blocks), "node_actions") {
		t.Fatalf("message posted by node = %+v", m)
	}
	if len(done.Seen) != 2 {
		t.Fatalf("node saw %v", done.Seen)
	}
	slash, click := done.Seen[0], done.Seen[1]
	if slash["type"] != "slash_commands" || slash["command"] != "/deploy" || slash["text"] != "from go" || slash["user_id"] != "U0CAROL" {
		t.Fatalf("slash seen by node = %v", slash)
	}
	if click["type"] != "block_actions" || click["action_id"] != "node_ok" || click["block_id"] != "node_actions" || click["value"] != "v1" || click["user_id"] != "U0BOB" {
		t.Fatalf("click seen by node = %v", click)
	}
	// views.open and views.publish, form-encoded with the view as a JSON
	// string, and a trigger_id used twice.
	views := s.UserViews("U0BOB")
	state, _ := click["view_state"].(map[string]any)
	if values, ok := state["values"].(map[string]any); !ok || len(values) != 0 || click["reused"] != "exchanged_trigger_id" {
		t.Fatalf("node's views.open = %v", click)
	}
	if len(views) != 2 || views[0].ID != click["view_id"] || views[0].CallbackID != "node_modal" || views[0].Title != "From node" ||
		!strings.Contains(string(views[0].Blocks), `"block_id":"why"`) || views[1].ID != click["home_id"] || click["home_type"] != "home" {
		t.Fatalf("bob's views after node = %+v; node saw %v", views, click)
	}
	for _, a := range s.Acks() {
		if a.Missing {
			t.Fatalf("node missed an ack: %+v", a)
		}
	}
}
