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
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
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
		const o = [...p.options].find(o => o.textContent.startsWith('`+name+` '));
		p.value = o.value; p.dispatchEvent(new Event('change')); return true; })()`)
}

// slash types a command into the composer and sends it.
func slash(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SetValue(chromedp.CSS("#composer-input"), ""),
		chromedp.SendKeys(chromedp.CSS("#composer-input"), text),
		chromedp.Submit(chromedp.CSS("#composer-input")),
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
		time.Sleep(150 * time.Millisecond)
	}
}

// lastButton clicks the newest button with that action id on the page.
func lastButton(actionID string) chromedp.Action[chromedp.Void] {
	return evalJS(`(() => {
		const bs = document.querySelectorAll('#messages button[data-action-id="`+actionID+`"]');
		if (!bs.length) throw new Error('no button `+actionID+`');
		bs[bs.length-1].click(); return true; })()`)
}
