package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/switchyard/switchyard/internal/pgtest"
)

// invoke runs the command in-process with the given environment.
func invoke(t testing.TB, envv map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return envv[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := invoke(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "switchyard ") {
		t.Fatalf("code %d, out %q", code, out)
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := invoke(t, nil, "-h")
	if code != 0 {
		t.Fatalf("bot -h exit %d", code)
	}
	for _, c := range []string{"run", "setup", "sandbox", "audit", "healthcheck", "version"} {
		if !strings.Contains(out, "  "+c+" ") {
			t.Errorf("bot -h does not list %s:\n%s", c, out)
		}
		code, sub, _ := invoke(t, nil, c, "-h")
		if code != 0 || strings.Count(sub, "Usage: bot "+c) != 1 {
			t.Errorf("bot %s -h: exit %d, want the usage once:\n%s", c, code, sub)
		}
	}
	if code, _, _ := invoke(t, nil); code != exitUsage {
		t.Errorf("bot with no command: exit %d, want 2", code)
	}
	if code, _, errOut := invoke(t, nil, "deploy"); code != exitUsage || !strings.Contains(errOut, `unknown command "deploy"`) {
		t.Errorf("unknown command: exit %d, %q", code, errOut)
	}
	tokens := map[string]string{"SLACK_APP_TOKEN": "xapp-1-test", "SLACK_BOT_TOKEN": "xoxb-1-test"}
	missing := filepath.Join(t.TempDir(), "switchyard.yaml")
	if code, _, errOut := invoke(t, tokens, "run", "-config", missing); code != exitUsage ||
		!strings.Contains(errOut, "there is no configuration file at "+missing+": copy switchyard.example.yaml") {
		t.Errorf("a missing configuration: exit %d, %q", code, errOut)
	}
	if code, _, errOut := invoke(t, nil, "version", "-x"); code != exitUsage || !strings.Contains(errOut, "-x") {
		t.Errorf("unknown flag: exit %d, %q", code, errOut)
	}
}

func TestRunRefusesWithoutTokens(t *testing.T) {
	good := map[string]string{"SLACK_APP_TOKEN": "xapp-1-A1-1-abc", "SLACK_BOT_TOKEN": "xoxb-1-2-abc"}
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no app token", map[string]string{"SLACK_BOT_TOKEN": good["SLACK_BOT_TOKEN"]}, "SLACK_APP_TOKEN is not set"},
		{"bot token as app token", map[string]string{"SLACK_APP_TOKEN": "xoxb-1", "SLACK_BOT_TOKEN": good["SLACK_BOT_TOKEN"]}, "SLACK_APP_TOKEN must be an app-level token starting with xapp-"},
		{"no bot token", map[string]string{"SLACK_APP_TOKEN": good["SLACK_APP_TOKEN"]}, "SLACK_BOT_TOKEN is not set"},
		{"user token as bot token", map[string]string{"SLACK_APP_TOKEN": good["SLACK_APP_TOKEN"], "SLACK_BOT_TOKEN": "xoxp-1"}, "SLACK_BOT_TOKEN must be a bot token starting with xoxb-"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := invoke(t, tc.env, "run", "-config", "../../switchyard.example.yaml")
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
			if strings.Contains(errOut, "xoxb-1") || strings.Contains(errOut, "xoxp-1") {
				t.Fatalf("the token's value reached stderr: %q", errOut)
			}
		})
	}
	t.Run("bad config", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bad.yaml")
		if err := os.WriteFile(path, []byte("apps:\n  - name: x\n    colour: blue\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := invoke(t, good, "run", "-config", path)
		if code != exitUsage || !strings.Contains(errOut, path+`:3: unknown key "colour"`) {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("missing config", func(t *testing.T) {
		code, _, errOut := invoke(t, good, "run", "-config", filepath.Join(t.TempDir(), "none.yaml"))
		if code != exitUsage || !strings.Contains(errOut, "none.yaml") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
}

// built is the binary built once, without cgo, for the tests that run it.
var built struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// staticBinary builds the bot with CGO_ENABLED=0, as the distroless image
// needs, once per test run.
func staticBinary(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "switchyard-bot-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "bot")
		cmd := exec.Command("go", "build", "-trimpath", "-o", built.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		built.out, built.err = cmd.CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", built.err, built.out)
	}
	return built.path
}

func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	if built.path != "" {
		_ = os.RemoveAll(filepath.Dir(built.path))
	}
	os.Exit(code)
}

// TestStaticBuild proves the binary builds without cgo and runs.
func TestStaticBuild(t *testing.T) {
	b, err := exec.Command(staticBinary(t), "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(b), "switchyard ") {
		t.Fatalf("built binary: %v %s", err, b)
	}
}
