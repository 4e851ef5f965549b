package sandbox

import (
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchyard/switchyard/internal/slacksim"
)

// A start that fails, on a port another process holds, says which server
// and address, and leaves nothing behind: no temporary directory, and the
// AWS simulator's port free again when it was the console's that clashed.
func TestFailedStartLeavesNothingBehind(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free := freeAddr(t)

	for _, tc := range []struct {
		opts   Options
		server string
	}{
		{Options{Addr: busy.Addr().String(), AWSAddr: free}, ServerConsole},
		{Options{Addr: "127.0.0.1:0", AWSAddr: busy.Addr().String()}, ServerAWS},
	} {
		sb, err := Start(tc.opts)
		if err == nil {
			sb.Close()
			t.Fatalf("Start(%+v) succeeded on a port in use", tc.opts)
		}
		var le *ListenError
		if !errors.As(err, &le) || le.Server != tc.server || le.Addr != busy.Addr().String() || !le.InUse() {
			t.Errorf("Start(%+v): %v, want a ListenError of the %s at %s in use", tc.opts, err, tc.server, busy.Addr())
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("a failed start (%s) left %v in the temporary directory", tc.server, left)
		}
	}
	// The AWS simulator had started before the console's clash: its port
	// is free again.
	ln, err := net.Listen("tcp", free)
	if err != nil {
		t.Fatalf("the AWS simulator's port %s is still held after a failed start: %v", free, err)
	}
	ln.Close()
}

// freeAddr is a loopback address nobody listens on at the moment.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The sandbox's Slack keeps Slack's real rate limits unless told not to:
// chat.postMessage takes a burst of five in one channel, then answers 429
// with Retry-After, which slack-go reads as a RateLimitedError.
func TestSandboxRunsSlacksRealLimits(t *testing.T) {
	for _, tc := range []struct {
		mode    slacksim.RateMode
		limited bool
	}{{"", true}, {slacksim.RateOff, false}} {
		sb, err := Start(Options{SlackOptions: slacksim.Options{RateLimit: tc.mode}})
		if err != nil {
			t.Fatal(err)
		}
		api := slack.New(sb.Slack.BotToken(), slack.OptionAPIURL(sb.Slack.URL()))
		var limited *slack.RateLimitedError
		for i := range 6 {
			_, _, err := api.PostMessage(deploys, slack.MsgOptionText(fmt.Sprintf("message %d", i), false))
			if err != nil && !errors.As(err, &limited) {
				t.Fatalf("post %d: %v", i, err)
			}
			if limited != nil && i < 5 {
				t.Fatalf("post %d of a burst of five was refused", i)
			}
		}
		if tc.limited != (limited != nil) || (limited != nil && limited.RetryAfter < time.Second) {
			t.Errorf("RateLimit %q: the sixth post in a row was refused: %v (%v)", tc.mode, limited != nil, limited)
		}
		if err := sb.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
