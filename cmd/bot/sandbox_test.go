package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
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
