package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/switchyard/switchyard/internal/slacksim"
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
// sandbox as root, no background networking on a closed network), its page
// width×height pixels as a laptop's screen would show it.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	// The window's size includes the browser's own frame; the page gets
	// exactly this.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatal(err)
	}
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
	if err := chromedp.Do(ctx, evalJS(`(() => { const l = document.querySelectorAll('.replies-link'); l[l.length-1].click(); return true; })()`),
		chromedp.WaitVisible(chromedp.CSS("#thread-replies .msg"))); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#thread-replies")))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// pageJSON runs a script that returns JSON and decodes it into v.
func pageJSON(ctx context.Context, t *testing.T, script string, v any) {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](script))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
}

// rawSlackCode finds Slack codes the console should have drawn: emoji codes,
// control sequences, date tokens.
var rawSlackCode = regexp.MustCompile(`:[a-z][a-z0-9_]+:|<[@#!][^>]*>|\{(date|time|ago)[a-z_]*\}`)

// TestConsoleMission drives the sandbox console in headless Chromium as a
// person would, in a large window and in a 1280×720 laptop's: alice deploys
// and watches the rollout finish, carol is refused a rollback, bob rolls a
// second deployment back mid-shift.
func TestConsoleMission(t *testing.T) {
	for _, size := range []struct{ w, h int }{{1500, 1000}, {1280, 720}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) { mission(t, size.w, size.h) })
	}
}

func mission(t *testing.T, width, height int) {
	shot := func(b context.Context, name string) {
		screenshot(t, b, fmt.Sprintf("mission-%dx%d-%s", width, height, name))
	}
	// Slack's rate limits are off here: the test moves the simulated
	// clock a minute per second of real time, five times the sandbox's
	// default, and watches the card pass through 30% and 60%; at that pace
	// real limits (in real time) make the bot coalesce the card's edits, as
	// it should, and skip the very states the test looks for. The README
	// test and the e2e tests run with the limits.
	sb, err := Start(Options{Speed: 0, SlackOptions: slacksim.Options{RateLimit: slacksim.RateOff}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	ctx := context.Background()
	if err := sb.StartBot(ctx, BotOptions{}); err != nil {
		t.Fatal(err)
	}
	b := browser(t, width, height)
	if err := chromedp.Do(b,
		chromedp.Navigate(sb.URL()),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)),
		chromedp.WaitVisible(chromedp.CSS("#empty-hint")),
	); err != nil {
		t.Fatal(err)
	}
	// An empty channel says who may do what; so does the picker.
	hint, _ := chromedp.Run(b, chromedp.Text(chromedp.CSS("#empty-hint")))
	picker, _ := chromedp.Run(b, chromedp.Text(chromedp.CSS("#user-picker")))
	for _, want := range []string{"alice may deploy, roll back, lock", "carol may only watch", "dave may approve", "/deploy myapp v1.4"} {
		if !strings.Contains(hint, want) {
			t.Errorf("the empty channel's hint lacks %q:\n%s", want, hint)
		}
	}
	if !strings.Contains(picker, "carol — may only watch") || !strings.Contains(picker, "bob — may roll back, lock") {
		t.Errorf("the user picker does not show roles:\n%s", picker)
	}
	shot(b, "0-empty")
	if err := chromedp.Do(b, pickUser("alice"), slash("/deploy myapp v1.4 fix the login page")); err != nil {
		t.Fatal(err)
	}
	waitText(b, t, "Deploy myapp v1.4 to production?", 20*time.Second)
	if err := chromedp.Do(b, lastButton("confirm")); err != nil {
		t.Fatal(err)
	}
	advanceUntil(b, t, sb, 20*time.Second, "30% green", time.Minute)
	// The card changes as traffic shifts; its element and its buttons stay
	// the same ones, so a click aimed at them lands.
	if err := chromedp.Do(b, evalJS(`(() => { const c = [...document.querySelectorAll('#messages .msg')].find(m => m.textContent.includes('30% green'));
		window.card = c; window.cardButton = c.querySelector('button[data-action-id="rollback"]'); return !!window.cardButton; })()`)); err != nil {
		t.Fatal(err)
	}
	shot(b, "1-shifting")
	advanceUntil(b, t, sb, 20*time.Second, "60% green", time.Minute)
	var kept struct{ Card, Button, Updated bool }
	pageJSON(b, t, `JSON.stringify({card: window.card.isConnected, button: window.cardButton.isConnected, updated: window.card.textContent.includes('60% green')})`, &kept)
	if !kept.Card || !kept.Button || !kept.Updated {
		t.Fatalf("the card was redrawn rather than patched: %+v", kept)
	}
	advanceUntil(b, t, sb, 30*time.Second, "is live in production", 2*time.Minute)
	got, _ := chromedp.Run(b, chromedp.Text(chromedp.CSS("#messages")))
	if !strings.Contains(got, "100% green") || !strings.Contains(got, "Succeeded") {
		t.Fatalf("the finished card does not show 100%% green and success:\n%s", got)
	}
	// Emoji, mentions and dates as Slack draws them, in alice's time zone.
	if m := rawSlackCode.FindString(got); m != "" {
		t.Errorf("the channel shows %q raw:\n%s", m, got)
	}
	if !regexp.MustCompile(`Started\s+(Today|Yesterday) \d{1,2}:\d{2} [AP]M`).MatchString(got) || !strings.Contains(got, "✅") {
		t.Errorf("the card does not show its start date or its emoji as Slack would:\n%s", got)
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
	if m := rawSlackCode.FindString(thread); m != "" {
		t.Errorf("the thread shows %q raw", m)
	}
	threadReadable(b, t)
	shot(b, "2-succeeded")
	deploymentPage(b, t, sb)

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
	shot(b, "3-carol-refused")
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
	shot(b, "4-bob-rolled-back")
}

// threadReadable checks that the open thread's replies can be read: the
// replies take most of the pane, each on its own lines, several in view,
// none cut short.
func threadReadable(b context.Context, t *testing.T) {
	t.Helper()
	var m struct {
		Pane, Window, Visible, Total int
		OwnLines, Clipped            bool
		MinHeight                    float64
	}
	pageJSON(b, t, `(() => {
		const pane = document.querySelector('#thread-replies').getBoundingClientRect();
		const all = [...document.querySelectorAll('#thread-replies .msg')];
		const seen = all.filter(r => { const x = r.getBoundingClientRect(); return x.height > 0 && x.top >= pane.top - 1 && x.bottom <= pane.bottom + 1; });
		let own = true, clipped = false, min = 1e9;
		seen.forEach((r, i) => {
			const x = r.getBoundingClientRect();
			if (i > 0 && x.top < seen[i-1].getBoundingClientRect().bottom - 1) own = false;
			const body = r.querySelector('.blocks');
			if (body.scrollHeight > body.clientHeight + 1) clipped = true;
			min = Math.min(min, body.getBoundingClientRect().height);
		});
		return JSON.stringify({pane: Math.round(pane.height), window: innerHeight, visible: seen.length, total: all.length, ownLines: own, clipped, minHeight: min});
	})()`, &m)
	if m.Pane < m.Window*2/5 || m.Visible < 4 || !m.OwnLines || m.Clipped || m.MinHeight < 16 {
		t.Fatalf("the thread's replies are not readable in a %d px window: %+v", m.Window, m)
	}
}

// deploymentPage follows the card's deployment link to the sandbox's own
// view of the deployment, and comes back.
func deploymentPage(b context.Context, t *testing.T, sb *Sandbox) {
	t.Helper()
	href, err := chromedp.Run(b, chromedp.Evaluate[string](`[...document.querySelectorAll('#messages a')].map(a => a.getAttribute('href')).find(h => h.startsWith('/aws/deployments/')) || ''`))
	if err != nil || href == "" {
		t.Fatalf("the card links nowhere in the sandbox (%v)", err)
	}
	if err := chromedp.Do(b, chromedp.Navigate(sb.URL()+href), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`))); err != nil {
		t.Fatal(err)
	}
	page, _ := chromedp.Run(b, chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"Succeeded", "AfterAllowTraffic", "Green", "myapp:v1.4", "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"} {
		if !strings.Contains(page, want) {
			t.Errorf("the deployment page lacks %q:\n%s", want, page)
		}
	}
	screenshot(t, b, "deployment")
	if err := chromedp.Do(b, chromedp.Navigate(sb.URL()), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`))); err != nil {
		t.Fatal(err)
	}
}
