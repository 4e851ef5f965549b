package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// TestRunServesAndStopsOnSIGTERM runs the real binary against the sandbox's
// simulators, as it would run against Slack and AWS: it connects, answers a
// command, and exits 0 on SIGTERM.
func TestRunServesAndStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	sb, cfgPath := simWorld(t, dir)
	var stderr bytes.Buffer
	cmd := botProcess(t, sb, cfgPath, dir, &stderr, "-log-level", "debug")
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := sb.Slack.WaitConnections(ctx, 1); err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("bot run never connected: %v\n%s", err, stderr.String())
	}
	res, err := sb.Slack.Slash(ctx, slacksim.SlashRequest{UserID: "U0ALICE", ChannelID: "C0DEPLOYS", Command: "/deploy", Text: "list"})
	if err != nil {
		t.Fatalf("slash: %v", err)
	}
	if res.Ack != nil && !json.Valid(res.Ack) {
		t.Fatalf("ack = %s", res.Ack)
	}
	answered := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !answered; time.Sleep(50 * time.Millisecond) {
		for _, m := range sb.Slack.Messages("C0DEPLOYS") {
			answered = answered || (m.EphemeralTo == "U0ALICE" && strings.Contains(string(m.Blocks)+m.Text, "payments"))
		}
	}
	if !answered {
		t.Fatalf("no answer to /deploy list\n%s", stderr.String())
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("bot run exited with %v after SIGTERM\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("bot run did not stop within 20s of SIGTERM\n%s", stderr.String())
	}
	logs := stderr.String()
	if !strings.Contains(logs, "stopped") {
		t.Errorf("no clean-stop line in the log:\n%s", logs)
	}
	for _, secret := range []string{sb.Slack.AppToken(), sb.Slack.BotToken(), awsSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("a secret reached the log: %q", secret)
		}
	}
}

func TestBadSlackAPIURL(t *testing.T) {
	for _, u := range []string{"slack.com", "http://slack.com/api/"} {
		env := map[string]string{"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_API_URL": u}
		code, _, errOut := invoke(t, env, "run", "-config", "../../switchyard.example.yaml")
		if code != exitUsage || !strings.Contains(errOut, "SLACK_API_URL must") || strings.Contains(errOut, "xoxb-1") {
			t.Fatalf("%s: exit %d, %s", u, code, errOut)
		}
	}
}

// TestSlackAPIURLSchemes: https goes anywhere; plain http, which would
// carry the bot token in clear, only to this machine.
func TestSlackAPIURLSchemes(t *testing.T) {
	for _, tc := range []struct {
		url  string
		ok   bool
		want string // in the refusal
	}{
		{"https://slack-gov.com/api/", true, ""},
		{"https://127.0.0.1:8443/api/", true, ""},
		{"http://127.0.0.1:8080/api/", true, ""},
		{"http://127.9.8.7/api/", true, ""},
		{"http://[::1]:8080/api/", true, ""},
		{"http://localhost:3000/api/", true, ""},
		{"http://LocalHost/api/", true, ""},
		{"http://slack.com/api/", false, "must use https"},
		{"http://10.0.0.5:8080/api/", false, "must use https"},
		{"http://0.0.0.0:8080/api/", false, "must use https"},
		{"http://[::2]/api/", false, "must use https"},
		{"http://128.0.0.1/api/", false, "must use https"},
		{"http://localhost.example.com/api/", false, "must use https"},
		{"http://127.0.0.1.nip.io/api/", false, "must use https"},
		{"http://user@slack.com/api/", false, "must use https"},
		{"ftp://127.0.0.1/api/", false, "ending in /api/"},
		{"https://slack-gov.com/", false, "ending in /api/"},
	} {
		env := map[string]string{"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_API_URL": tc.url}
		got, err := readTokens(func(k string) string { return env[k] })
		switch {
		case tc.ok && (err != nil || got.apiURL != tc.url):
			t.Errorf("%s: refused (%v) or not kept (%q)", tc.url, err, got.apiURL)
		case !tc.ok && err == nil:
			t.Errorf("%s: accepted", tc.url)
		case !tc.ok && !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: %v; want it to say %q", tc.url, err, tc.want)
		}
	}
}

// A Slack that cannot be reached is not said to refuse the token, and a
// token Slack refuses is named as the thing to check.
func TestSlackUnreachableOrRefusing(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/api/"
	l.Close()
	ss := simtest.Slack(t, slacksim.Options{})
	for _, tc := range []struct {
		url, token, want string
	}{
		{closed, "xoxb-1-anything", "could not reach Slack to check the bot token"},
		{ss.URL(), "xoxb-1-not-the-workspaces", "Slack refused the bot token (auth.test answered invalid_auth): check SLACK_BOT_TOKEN"},
	} {
		env := map[string]string{"SLACK_APP_TOKEN": "xapp-1-test", "SLACK_BOT_TOKEN": tc.token, "SLACK_API_URL": tc.url,
			"SWITCHYARD_STORE": filepath.Join(t.TempDir(), "switchyard.db")}
		code, _, errOut := invoke(t, env, "run", "-config", "../../switchyard.example.yaml")
		if code != exitFailure || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, tc.token) {
			t.Errorf("%s: exit %d, want %q (and no token):\n%s", tc.url, code, tc.want, errOut)
		}
	}
}
