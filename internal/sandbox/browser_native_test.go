package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The deploy modal with the real bot, in the console as a person uses it.
const (
	botModal      = `.modal[data-callback-id="deploy"]`
	botAppSelect  = botModal + ` .block-input[data-block-id="app"] select`
	botVersion    = botModal + ` .block-input[data-block-id="version"] input`
	botVersionErr = botModal + ` .block-input[data-block-id="version"] .input-error`
	botTypeahead  = botModal + ` .block-input[data-block-id="version"] .typeahead-options`
	botSubmit     = botModal + ` .modal-submit`
)

// typeVersion clears the version field and types text into it, as a
// person would, and waits for the option with value want to be offered.
func typeVersion(b context.Context, t *testing.T, text, want string) {
	t.Helper()
	if err := chromedp.Do(b,
		evalJS(`(() => { const i = document.querySelector('`+botVersion+`'); i.value = ''; return true; })()`),
		chromedp.SendKeys(chromedp.CSS(botVersion), text),
		chromedp.WaitVisible(chromedp.CSS(botTypeahead+` .option[data-value="`+want+`"]`)),
	); err != nil {
		screenshot(t, b, "bot-modal-timeout")
		t.Fatalf("typing %q offered no %s: %v", text, want, err)
	}
}

// TestBrowserDeployModalWithTheBot: alice types /deploy in the console; the
// bot's modal lists the apps she may deploy; choosing myapp brings the
// environment and a version field whose typeahead, at "v1", offers v1.5
// and v1.4 and marks v1.3 as running; v9.9 is refused under the field;
// v1.5 closes the modal and the confirmation card appears. Carol's modal
// offers no app.
func TestBrowserDeployModalWithTheBot(t *testing.T) {
	sb := startConsoleSandbox(t)
	if err := sb.StartBot(context.Background(), botOptions()); err != nil {
		t.Fatal(err)
	}
	b := browser(t, 1280, 720)
	if err := chromedp.Do(b,
		chromedp.Navigate(sb.URL()),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)),
		pickUser("alice"),
		slash("/deploy"),
		chromedp.WaitVisible(chromedp.CSS(botAppSelect)),
	); err != nil {
		t.Fatal(err)
	}
	modal := pageText(b, t, botModal)
	for _, want := range []string{"Deploy", "App", "myapp", "payments", "Ask to deploy"} {
		if !strings.Contains(modal, want) {
			t.Errorf("the modal lacks %q:\n%s", want, modal)
		}
	}
	if err := chromedp.Do(b,
		evalJS(`(() => { const s = document.querySelector('`+botAppSelect+`'); s.value = 'myapp'; s.dispatchEvent(new Event('change')); return true; })()`),
		chromedp.WaitVisible(chromedp.CSS(botVersion)),
	); err != nil {
		t.Fatal(err)
	}
	typeVersion(b, t, "v1", "v1.5")
	offered := pageText(b, t, botTypeahead)
	for _, want := range []string{"v1.5", "v1.4", "v1.3 · runs in production", "pushed"} {
		if !strings.Contains(offered, want) {
			t.Errorf("typing v1 offers no %q:\n%s", want, offered)
		}
	}
	if strings.Index(offered, "v1.5") > strings.Index(offered, "v1.4") {
		t.Errorf("the newest version is not first:\n%s", offered)
	}
	screenshot(t, b, "bot-modal-1-versions")

	typeVersion(b, t, "v9.9", "v9.9")
	if err := chromedp.Do(b,
		chromedp.Click(chromedp.CSS(botTypeahead+` .option[data-value="v9.9"]`)),
		chromedp.Click(chromedp.CSS(botSubmit)),
	); err != nil {
		t.Fatal(err)
	}
	waitPage(b, t, "the error under the version", `document.querySelector('`+botVersionErr+`').textContent === 'There is no image v9.9 in the ECR repository myapp.'`)
	screenshot(t, b, "bot-modal-2-error")

	typeVersion(b, t, "v1.5", "v1.5")
	if err := chromedp.Do(b,
		chromedp.Click(chromedp.CSS(botTypeahead+` .option[data-value="v1.5"]`)),
		chromedp.Click(chromedp.CSS(botSubmit)),
		chromedp.WaitNotPresent(chromedp.CSS(botModal)),
	); err != nil {
		t.Fatal(err)
	}
	waitText(b, t, "Deploy myapp v1.5 to production?", 20*time.Second)
	screenshot(t, b, "bot-modal-3-card")

	if err := chromedp.Do(b, pickUser("carol"), slash("/deploy"), chromedp.WaitVisible(chromedp.CSS(botModal))); err != nil {
		t.Fatal(err)
	}
	waitPage(b, t, "carol's modal", `document.querySelector('`+botModal+`').textContent.includes('You may not deploy any app')`)
	if n, _ := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('`+botModal+` select, `+botSubmit+`:not([hidden])').length`)); n != 0 {
		t.Errorf("carol's modal shows %d menus or submit buttons", n)
	}
	screenshot(t, b, "bot-modal-4-carol")
}
