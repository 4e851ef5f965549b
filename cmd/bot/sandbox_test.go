package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// TestSandboxCommand runs `bot sandbox` as a person would: it prints the
// ready line quickly, serves the console and the control API, answers a
// slash command, and stops cleanly on Ctrl-C.
func TestSandboxCommand(t *testing.T) {
	cmd := exec.Command(staticBinary(t), "sandbox", "-addr", "127.0.0.1:0", "-aws-addr", "127.0.0.1:0", "-speed", "60")
	tmp := t.TempDir()
	cmd.Env = []string{"HOME=" + t.TempDir(), "TMPDIR=" + tmp}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var ready string
	select {
	case ready = <-lines:
	case <-time.After(15 * time.Second):
		t.Fatalf("no ready line within 15 s\n%s", stderr.String())
	}
	if !strings.HasPrefix(ready, "sandbox ready: console http://127.0.0.1:") {
		t.Fatalf("first line = %q\n%s", ready, stderr.String())
	}
	t.Logf("%s (after %v)", ready, time.Since(started).Round(time.Millisecond))
	f := strings.Fields(ready) // sandbox ready: console URL slack-api URL aws URL
	if len(f) != 8 || f[4] != "slack-api" || f[6] != "aws" || !strings.HasSuffix(f[5], "/api/") {
		t.Fatalf("ready line = %q", ready)
	}
	console := f[3]

	res, err := http.Get(console + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), "<title>Switchyard sandbox</title>") {
		t.Fatalf("console: %d %.200s", res.StatusCode, page)
	}
	var users []struct{ ID, Name string }
	if err := getJSON(console+"/_sim/users", &users); err != nil || len(users) < 4 {
		t.Fatalf("users: %v %v", users, err)
	}
	body := strings.NewReader(`{"user_id":"U0ALICE","channel_id":"C0DEPLOYS","command":"/deploy","text":"myapp v1.4"}`)
	res, err = http.Post(console+"/_sim/slash", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("slash: %d", res.StatusCode)
	}
	var card bool
	for deadline := time.Now().Add(10 * time.Second); !card && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var msgs []struct{ Text string }
		if err := getJSON(console+"/_sim/messages?channel=C0DEPLOYS", &msgs); err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			card = card || strings.Contains(m.Text, "Deploy myapp v1.4 to production?")
		}
	}
	if !card {
		t.Fatalf("no confirmation card\n%s", stderr.String())
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sandbox exited with %v after Ctrl-C\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("sandbox did not stop within 20 s of Ctrl-C\n%s", stderr.String())
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the sandbox left its temporary store behind: %v", left)
	}
}

func getJSON(url string, v any) error {
	res, err := http.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	return json.NewDecoder(res.Body).Decode(v)
}

// -bots takes 0 or 1, and 0 needs -dir: the bots are then other processes.
func TestSandboxBotsFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-bots", "0"}, "-bots 0 needs -dir DIR"},
		{[]string{"-bots", "2", "-dir", t.TempDir()}, "-bots must be 0 or 1"},
		{[]string{"-bots", "-1"}, "-bots must be 0 or 1"},
	} {
		code, _, errOut := invoke(t, nil, append([]string{"sandbox"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("sandbox %v: exit %d, %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// A port another process holds is named with the flag that moves it, and
// the failed start leaves no temporary store behind.
func TestSandboxPortClash(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-addr", addr, "-aws-addr", "127.0.0.1:0"}, addr + ", for the console, is in use by another process (another sandbox?): stop it, or move the console with -addr HOST:PORT"},
		{[]string{"-addr", "127.0.0.1:0", "-aws-addr", addr}, addr + ", for the AWS simulator, is in use by another process (another sandbox?): stop it, or move the AWS simulator with -aws-addr HOST:PORT"},
	} {
		code, _, errOut := invoke(t, nil, append([]string{"sandbox"}, tc.args...)...)
		if code != exitFailure || !strings.Contains(errOut, "bot sandbox: "+tc.want) {
			t.Errorf("sandbox %v: exit %d, %q; want 1 and %q", tc.args, code, errOut, tc.want)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("sandbox %v left %v behind", tc.args, left)
		}
	}
}

// The sandbox runs Slack's real rate limits unless -slack-rate-limits=false
// turns them off: a sixth chat.postMessage in a row in one channel is
// answered 429, as Slack would.
func TestSandboxSlackRateLimitsFlag(t *testing.T) {
	for _, tc := range []struct {
		flag    string
		limited bool
	}{{"", true}, {"-slack-rate-limits=false", false}} {
		args := []string{"sandbox", "-addr", "127.0.0.1:0", "-aws-addr", "127.0.0.1:0"}
		if tc.flag != "" {
			args = append(args, tc.flag)
		}
		console := startSandboxProcess(t, args...)
		var tokens struct {
			BotToken string `json:"bot_token"`
		}
		if err := getJSON(console+"/_sim/tokens", &tokens); err != nil {
			t.Fatal(err)
		}
		api := slack.New(tokens.BotToken, slack.OptionAPIURL(console+"/api/"))
		var limited *slack.RateLimitedError
		for i := range 6 {
			if _, _, err := api.PostMessage("C0DEPLOYS", slack.MsgOptionText("hello", false)); err != nil && !errors.As(err, &limited) {
				t.Fatalf("post %d: %v", i, err)
			}
		}
		if (limited != nil) != tc.limited {
			t.Errorf("bot sandbox %s: a sixth post in a row rate limited: %v, want %v", tc.flag, limited != nil, tc.limited)
		}
	}
}

// startSandboxProcess starts `bot` with args, waits for its ready line and
// returns the console's URL; the process is killed when the test ends.
func startSandboxProcess(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(staticBinary(t), args...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "TMPDIR=" + t.TempDir()}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case ready <- sc.Text():
			default:
			}
		}
	}()
	select {
	case line := <-ready:
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(line, "sandbox ready: console ") {
			t.Fatalf("first line = %q\n%s", line, stderr.String())
		}
		return f[3]
	case <-time.After(15 * time.Second):
		t.Fatalf("no ready line within 15 s\n%s", stderr.String())
	}
	return ""
}
