package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/sandbox"
	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// awsSecret is the AWS secret key the child processes get; no log may show it.
const awsSecret = "simsecret0123456789"

// simWorld starts the sandbox's simulators (no bot) and writes the sandbox's
// configuration with a store in dir, for `bot run` processes to use.
func simWorld(t *testing.T, dir string) (*sandbox.Sandbox, string) {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{Speed: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	cfgYAML, err := os.ReadFile("../../internal/sandbox/switchyard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "switchyard.yaml")
	if err := os.WriteFile(cfgPath, append([]byte("store: "+filepath.Join(dir, "bot.db")+"\n"), cfgYAML...), 0o600); err != nil {
		t.Fatal(err)
	}
	return sb, cfgPath
}

// botProcess runs `bot run` against the sandbox's simulators with the given
// config, as a child process that the test can signal or kill.
func botProcess(t *testing.T, sb *sandbox.Sandbox, cfgPath, dir string, log io.Writer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(staticBinary(t), append([]string{"run", "-config", cfgPath, "-log-format", "console"}, args...)...)
	cmd.Env = []string{
		"SLACK_APP_TOKEN=" + sb.Slack.AppToken(), "SLACK_BOT_TOKEN=" + sb.Slack.BotToken(), "SLACK_API_URL=" + sb.Slack.URL(),
		"AWS_ENDPOINT_URL=" + sb.AWS.URL(), "AWS_ACCESS_KEY_ID=AKIDSIM", "AWS_SECRET_ACCESS_KEY=" + awsSecret,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"), "HOME=" + dir,
	}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// waitFor polls the channel until ok says yes.
func waitFor(t *testing.T, sb *sandbox.Sandbox, what string, within time.Duration, ok func([]slacksim.Message) bool) []slacksim.Message {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(100 * time.Millisecond) {
		msgs := sb.Slack.Messages("C0DEPLOYS")
		if ok(msgs) {
			return msgs
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, m := range msgs {
				b.WriteString(m.TS + " " + m.ThreadTS + " " + m.Text + "\n")
			}
			t.Fatalf("never saw %s; the channel holds:\n%s", what, b.String())
		}
	}
}

func thread(msgs []slacksim.Message, parent string) []string {
	var out []string
	for _, m := range msgs {
		if m.ThreadTS == parent && m.TS != parent {
			out = append(out, m.Text)
		}
	}
	return out
}

func has(texts []string, s string) bool {
	for _, x := range texts {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// TestKilledMidDeploymentResumesOnTheSameCard kills `bot run` with SIGKILL
// while traffic shifts, lets the deployment move on without it, and starts
// a new process on the same store: it keeps editing the same card, tells
// what changed while it was down once, never repeats a reply, and shows the
// final state.
func TestKilledMidDeploymentResumesOnTheSameCard(t *testing.T) {
	dir := t.TempDir()
	sb, cfgPath := simWorld(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	var logA strings.Builder
	a := botProcess(t, sb, cfgPath, dir, &logA)
	defer func() { _ = a.Process.Kill() }()
	if err := sb.Slack.WaitConnections(ctx, 1); err != nil {
		t.Fatalf("first bot never connected: %v\n%s", err, logA.String())
	}
	if _, err := sb.Slack.Slash(ctx, slacksim.SlashRequest{UserID: "U0ALICE", ChannelID: "C0DEPLOYS", Command: "/deploy", Text: "myapp v1.4"}); err != nil {
		t.Fatal(err)
	}
	msgs := waitFor(t, sb, "the confirmation card", simtest.Patience, func(m []slacksim.Message) bool { return len(m) > 0 })
	card := msgs[0].TS
	if _, err := sb.Slack.Click(ctx, slacksim.ClickRequest{UserID: "U0ALICE", ChannelID: "C0DEPLOYS", MessageTS: card, ActionID: "confirm"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, sb, "the deployment card", simtest.Patience, func(m []slacksim.Message) bool {
		return strings.Contains(m[0].Text, "myapp v1.4 → production")
	})
	sb.AWS.Advance(2 * time.Minute) // installed, traffic starting to shift
	waitFor(t, sb, "traffic shifting in the thread", simtest.Patience, func(m []slacksim.Message) bool {
		return has(thread(m, card), "of traffic on green")
	})

	if err := a.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = a.Wait()
	before := thread(sb.Slack.Messages("C0DEPLOYS"), card)
	sb.AWS.Advance(5 * time.Minute) // the shift goes on without the bot

	var logB strings.Builder
	b := botProcess(t, sb, cfgPath, dir, &logB)
	defer func() { _ = b.Process.Kill() }()
	waitFor(t, sb, "the new process catching up", simtest.Patience, func(m []slacksim.Message) bool {
		return len(thread(m, card)) > len(before) && strings.Contains(string(m[0].Blocks), "70% green")
	})
	sb.AWS.Advance(15 * time.Minute) // rest of the shift and the termination wait
	msgs = waitFor(t, sb, "the success broadcast", simtest.Patience, func(m []slacksim.Message) bool {
		return has(thread(m, card), "is live in production")
	})

	if msgs[0].TS != card || !strings.Contains(msgs[0].Text, "succeeded") {
		t.Errorf("the card is %s %q, want the same message %s, succeeded", msgs[0].TS, msgs[0].Text, card)
	}
	var top []string
	for _, m := range msgs {
		if m.ThreadTS == "" || m.ReplyBroadcast {
			top = append(top, m.Text)
		}
	}
	if len(top) != 2 {
		t.Errorf("the channel shows %d messages, want the card and the broadcast:\n%s", len(top), strings.Join(top, "\n"))
	}
	seen := map[string]bool{}
	for _, r := range thread(msgs, card) {
		if seen[r] {
			t.Errorf("reply posted twice: %q", r)
		}
		seen[r] = true
	}
	after := thread(msgs, card)
	for _, r := range before {
		if !has(after, r) {
			t.Errorf("a reply from before the kill is gone: %q", r)
		}
	}
	if !has(after, "70% of traffic on green") || !has(after, "100% of traffic on green") {
		t.Errorf("the thread lacks the state found after the restart or the end of the shift:\n%s", strings.Join(after, "\n"))
	}
}
