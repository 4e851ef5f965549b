package sandbox

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromium finds Debian's Chromium, which .ci/run installs. Its absence is a
// broken machine, not a reason to skip.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium on PATH: run .ci/run, which installs Debian's chromium package")
	return ""
}

// artifacts is where screenshots go: $SWITCHYARD_ARTIFACTS, else
// internal/sandbox/artifacts (ignored by git).
func artifacts(t *testing.T) string {
	dir := os.Getenv("SWITCHYARD_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser starts headless Chromium with the flags this machine needs (no
// sandbox as root, no background networking on a closed network).
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1500, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(artifacts(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// pickUser chooses a user in the console's picker, as a person would.
func pickUser(name string) chromedp.Action[chromedp.Void] {
	return evalJS(`(() => {
		const p = document.querySelector('#user-picker');
		const o = [...p.options].find(o => o.textContent.startsWith('` + name + ` '));
		p.value = o.value; p.dispatchEvent(new Event('change')); return true; })()`)
}

// slash types a command into the composer and sends it.
func slash(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Click(chromedp.CSS("#composer-input")),
		chromedp.SendKeys(chromedp.CSS("#composer-input"), text+kb.Enter),
	)
}

// evalJS runs a script for its effect.
func evalJS(script string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](script)(ctx, t)
		return chromedp.Void{}, err
	}
}

// waitText waits until the message list shows text.
func waitText(ctx context.Context, t *testing.T, text string, within time.Duration) {
	t.Helper()
	advanceUntil(ctx, t, nil, 0, text, within)
}

// lastButton clicks the newest button with that action id on the page.
func lastButton(actionID string) chromedp.Action[chromedp.Void] {
	return evalJS(`(() => {
		const bs = document.querySelectorAll('#messages button[data-action-id="` + actionID + `"]');
		if (!bs.length) throw new Error('no button ` + actionID + `');
		bs[bs.length-1].click(); return true; })()`)
}

// advanceUntil moves the simulated clock in steps (none when sb is nil)
// until the console shows text.
func advanceUntil(ctx context.Context, t *testing.T, sb *Sandbox, step time.Duration, text string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#messages")))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(got, text) {
			return
		}
		if time.Now().After(deadline) {
			screenshot(t, ctx, "timeout")
			t.Fatalf("the console never showed %q; it shows:\n%s", text, got)
		}
		if sb != nil {
			sb.AWS.Advance(step)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// threadText opens the newest thread and returns what it shows.
func threadText(ctx context.Context, t *testing.T) string {
	t.Helper()
	if err := chromedp.Do(ctx, evalJS(`(() => { const l = document.querySelectorAll('.replies-link'); l[l.length-1].click(); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#thread-replies")))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestConsoleMission drives the sandbox console in headless Chromium as a
// person would: alice deploys and watches the rollout finish, carol is
// refused a rollback, bob rolls a second deployment back mid-shift.
func TestConsoleMission(t *testing.T) {
	sb, err := Start(Options{Speed: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	ctx := context.Background()
	if err := sb.StartBot(ctx, BotOptions{}); err != nil {
		t.Fatal(err)
	}
	b := browser(t)
	if err := chromedp.Do(b,
		chromedp.Navigate(sb.URL()),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)),
		pickUser("alice"),
		slash("/deploy myapp v1.4 fix the login page"),
	); err != nil {
		t.Fatal(err)
	}
	waitText(b, t, "Deploy myapp v1.4 to production?", 20*time.Second)
	if err := chromedp.Do(b, lastButton("confirm")); err != nil {
		t.Fatal(err)
	}
	advanceUntil(b, t, sb, 20*time.Second, "30% green", time.Minute)
	screenshot(t, b, "1-shifting")
	advanceUntil(b, t, sb, 30*time.Second, "is live in production", 2*time.Minute)
	got, _ := chromedp.Run(b, chromedp.Text(chromedp.CSS("#messages")))
	if !strings.Contains(got, "100% green") || !strings.Contains(got, "Succeeded") {
		t.Fatalf("the finished card does not show 100%% green and success:\n%s", got)
	}
	thread := threadText(b, t)
	// The sandbox e2e tests pin every step; here the person sees the
	// stages, several traffic steps, and the end of the shift.
	for _, want := range []string{"BeforeInstall succeeded", "100% of traffic on green", "AfterAllowTraffic succeeded"} {
		if !strings.Contains(thread, want) {
			t.Errorf("the thread lacks %q:\n%s", want, thread)
		}
	}
	if n := strings.Count(thread, "of traffic on green"); n < 3 {
		t.Errorf("the thread shows %d traffic steps, want several:\n%s", n, thread)
	}
	screenshot(t, b, "2-succeeded")

	// A second deployment; carol (who may do nothing) tries to roll it back.
	if err := chromedp.Do(b, slash("/deploy myapp v1.5")); err != nil {
		t.Fatal(err)
	}
	waitText(b, t, "Deploy myapp v1.5 to production?", 20*time.Second)
	if err := chromedp.Do(b, lastButton("confirm")); err != nil {
		t.Fatal(err)
	}
	advanceUntil(b, t, sb, 20*time.Second, "30% green", time.Minute)
	if err := chromedp.Do(b, pickUser("carol"), lastButton("rollback"), chromedp.WaitVisible(chromedp.CSS("#confirm-dialog:not([hidden])")),
		chromedp.Click(chromedp.CSS("#confirm-ok"))); err != nil {
		t.Fatal(err)
	}
	waitText(b, t, "Only visible to you", 20*time.Second)
	screenshot(t, b, "3-carol-refused")
	if cards := sb.Slack.Messages("C0DEPLOYS"); strings.Contains(string(cards[len(cards)-1].Text), "rolled back") {
		t.Fatal("carol's click changed something")
	}

	// bob, on call, rolls it back.
	if err := chromedp.Do(b, pickUser("bob"), lastButton("rollback"), chromedp.WaitVisible(chromedp.CSS("#confirm-dialog:not([hidden])")),
		chromedp.Click(chromedp.CSS("#confirm-ok"))); err != nil {
		t.Fatal(err)
	}
	advanceUntil(b, t, sb, 5*time.Second, "Rolled back by @bob", time.Minute)
	advanceUntil(b, t, sb, 10*time.Second, "blue 100%", time.Minute)
	screenshot(t, b, "4-bob-rolled-back")
}
