package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the users' time zones, whatever the machine has

	"github.com/chromedp/chromedp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// viewsApp is a small Slack app, on slack-go over Socket Mode like the bot,
// that the bot does not yet replace: the Deploy… shortcut and a Home button
// open a deploy modal (an app typeahead, a version checked on submit, more
// options pushed on top), and every Home visit publishes a Home view. It
// lets the browser tests drive real views through the Slack simulator.
type viewsApp struct {
	t   *testing.T
	api *slack.Client

	mu        sync.Mutex
	submitted []map[string]string // what each accepted submission held
	refreshes int
}

const deployModalJSON = `{"type":"modal","callback_id":"deploy","title":{"type":"plain_text","text":"Deploy"},
 "submit":{"type":"plain_text","text":"Deploy"},"close":{"type":"plain_text","text":"Cancel"},"blocks":[
 {"type":"section","block_id":"intro","text":{"type":"mrkdwn","text":":rocket: Deploy an app to an environment of <#C0DEPLOYS>. *Locked* apps are refused."}},
 {"type":"input","block_id":"app","label":{"type":"plain_text","text":"App"},"element":{"type":"external_select","action_id":"app","min_query_length":2,"placeholder":{"type":"plain_text","text":"Search apps"}}},
 {"type":"input","block_id":"version","label":{"type":"plain_text","text":"Version"},"hint":{"type":"plain_text","text":"An image tag in ECR"},"element":{"type":"plain_text_input","action_id":"version","placeholder":{"type":"plain_text","text":"v1.4"}}},
 {"type":"input","block_id":"env","label":{"type":"plain_text","text":"Environment"},"element":{"type":"static_select","action_id":"env",
   "options":[{"text":{"type":"plain_text","text":"production"},"value":"production"},{"text":{"type":"plain_text","text":"staging"},"value":"staging"}],
   "initial_option":{"text":{"type":"plain_text","text":"production"},"value":"production"}}},
 {"type":"input","block_id":"approver","optional":true,"label":{"type":"plain_text","text":"Approver"},"element":{"type":"users_select","action_id":"approver"}},
 {"type":"actions","block_id":"more","elements":[{"type":"button","action_id":"more_options","text":{"type":"plain_text","text":"More options…"}}]}]}`

const optionsModalJSON = `{"type":"modal","callback_id":"options","title":{"type":"plain_text","text":"More options"},
 "close":{"type":"plain_text","text":"Back"},"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"Canary and linear configs come next :construction:"}}]}`

// homeJSON is the Home view for user, naming the simulated time it was
// published at.
func homeJSON(user string, at time.Time, refreshes int) string {
	return fmt.Sprintf(`{"type":"home","blocks":[
 {"type":"header","block_id":"title","text":{"type":"plain_text","text":"Switchyard :railway_track:"}},
 {"type":"section","block_id":"hello","text":{"type":"mrkdwn","text":"Hello <@%s> :wave: Deploys happen in <#C0DEPLOYS>; <!here> sees them."}},
 {"type":"context","block_id":"when","elements":[{"type":"mrkdwn","text":"Published <!date^%d^{date_long} at {time} ({ago})|%s>, refreshed %d times"}]},
 {"type":"actions","block_id":"buttons","elements":[
   {"type":"button","action_id":"open_deploy","style":"primary","text":{"type":"plain_text","text":"Deploy…"}},
   {"type":"button","action_id":"refresh","text":{"type":"plain_text","text":"Refresh"}}]}]}`,
		user, at.Unix(), at.UTC().Format(time.RFC3339), refreshes)
}

var versionRe = regexp.MustCompile(`^v\d+(\.\d+)*$`)

// startViewsApp connects the app to the sandbox's Slack and serves it until
// the test ends.
func startViewsApp(t *testing.T, sb *Sandbox) *viewsApp {
	t.Helper()
	api := slack.New(sb.Slack.BotToken(), slack.OptionAPIURL(sb.Slack.URL()), slack.OptionAppLevelToken(sb.Slack.AppToken()))
	a := &viewsApp{t: t, api: api}
	sm := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = sm.RunContext(ctx) }()
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-sm.Events:
				a.handle(ctx, sm, evt, sb)
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	wait, stop := context.WithTimeout(ctx, 15*time.Second)
	defer stop()
	if err := sb.Slack.WaitConnections(wait, 1); err != nil {
		t.Fatalf("the views app did not connect: %v", err)
	}
	return a
}

func (a *viewsApp) handle(ctx context.Context, sm *socketmode.Client, evt socketmode.Event, sb *Sandbox) {
	if evt.Request == nil {
		return
	}
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		sm.Ack(*evt.Request)
		ev, _ := evt.Data.(slackevents.EventsAPIEvent)
		var user string
		switch h := ev.InnerEvent.Data.(type) {
		case *slackevents.AppHomeOpenedEvent:
			user = h.User
		case slackevents.AppHomeOpenedEvent:
			user = h.User
		}
		if user != "" {
			a.publishHome(ctx, user, sb)
		}
	case socketmode.EventTypeInteractive:
		cb, _ := evt.Data.(slack.InteractionCallback)
		sm.Ack(*evt.Request, a.answer(ctx, cb, sb))
	default:
		sm.Ack(*evt.Request)
	}
}

// answer is the ack for one interaction; views are opened before it.
func (a *viewsApp) answer(ctx context.Context, cb slack.InteractionCallback, sb *Sandbox) any {
	switch cb.Type {
	case slack.InteractionTypeShortcut:
		if cb.CallbackID == "deploy" {
			a.open(ctx, cb.TriggerID, deployModalJSON, false)
		}
	case slack.InteractionTypeBlockSuggestion:
		var out slack.OptionsResponse
		for _, app := range []string{"myapp", "payments", "web"} {
			if strings.Contains(app, strings.ToLower(cb.Value)) {
				out.Options = append(out.Options, slack.NewOptionBlockObject(app, slack.NewTextBlockObject(slack.PlainTextType, app, false, false), nil))
			}
		}
		return out
	case slack.InteractionTypeBlockActions:
		for _, act := range cb.ActionCallback.BlockActions {
			switch act.ActionID {
			case "open_deploy":
				a.open(ctx, cb.TriggerID, deployModalJSON, false)
			case "more_options":
				a.open(ctx, cb.TriggerID, optionsModalJSON, true)
			case "refresh":
				a.mu.Lock()
				a.refreshes++
				a.mu.Unlock()
				a.publishHome(ctx, cb.User.ID, sb)
			}
		}
	case slack.InteractionTypeViewSubmission:
		v := cb.View.State.Values
		got := map[string]string{
			"app": v["app"]["app"].SelectedOption.Value, "version": v["version"]["version"].Value,
			"env": v["env"]["env"].SelectedOption.Value, "approver": v["approver"]["approver"].SelectedUser,
		}
		if !versionRe.MatchString(got["version"]) {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{"version": "Versions look like v1.4"})
		}
		a.mu.Lock()
		a.submitted = append(a.submitted, got)
		a.mu.Unlock()
		text := fmt.Sprintf(":rocket: <@%s> asked to deploy *%s* `%s` to %s from the Deploy… modal.", cb.User.ID, got["app"], got["version"], got["env"])
		if _, _, err := a.api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText(text, false)); err != nil {
			a.t.Errorf("post the submission: %v", err)
		}
	}
	return nil
}

func (a *viewsApp) open(ctx context.Context, trigger, view string, push bool) {
	var req slack.ModalViewRequest
	if err := json.Unmarshal([]byte(view), &req); err != nil {
		a.t.Errorf("modal JSON: %v", err)
		return
	}
	var err error
	if push {
		_, err = a.api.PushViewContext(ctx, trigger, req)
	} else {
		_, err = a.api.OpenViewContext(ctx, trigger, req)
	}
	if err != nil {
		a.t.Errorf("open %s (push %v): %v", req.CallbackID, push, err)
	}
}

func (a *viewsApp) publishHome(ctx context.Context, user string, sb *Sandbox) {
	a.mu.Lock()
	n := a.refreshes
	a.mu.Unlock()
	var home slack.HomeTabViewRequest
	if err := json.Unmarshal([]byte(homeJSON(user, sb.AWS.Clock().Now(), n)), &home); err != nil {
		a.t.Errorf("home JSON: %v", err)
		return
	}
	if _, err := a.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: home}); err != nil {
		a.t.Errorf("publish the Home tab: %v", err)
	}
}

func (a *viewsApp) submissions() []map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]map[string]string(nil), a.submitted...)
}

// consoleWithApp starts a sandbox with the views app in the bot's place and
// the console open as user.
func consoleWithApp(t *testing.T, user string) (*Sandbox, *viewsApp, context.Context) {
	t.Helper()
	sb := startConsoleSandbox(t)
	app := startViewsApp(t, sb)
	b := browser(t, 1280, 720)
	if err := chromedp.Do(b, chromedp.Navigate(sb.URL()), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)), pickUser(user)); err != nil {
		t.Fatal(err)
	}
	return sb, app, b
}

// pageText is what the page shows under sel.
func pageText(b context.Context, t *testing.T, sel string) string {
	t.Helper()
	got, err := chromedp.Run(b, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return got
}

// waitPage waits until the page's script says true.
func waitPage(b context.Context, t *testing.T, what, script string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](script)); err != nil {
		screenshot(t, b, "timeout")
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

const (
	deployModal   = `.modal[data-callback-id="deploy"]`
	versionError  = deployModal + ` .block-input[data-block-id="version"] .input-error`
	appTypeahead  = deployModal + ` .block-input[data-block-id="app"] input`
	versionInput  = deployModal + ` .block-input[data-block-id="version"] input`
	modalSubmit   = deployModal + ` .modal-submit`
	paymentsOpt   = deployModal + ` .typeahead-options .option[data-value="payments"]`
	typeaheadNote = deployModal + ` .typeahead-note`
)

// TestBrowserModal: the Deploy… shortcut opens the app's modal over the
// channel; its app field asks the app as the person types; Slack's own
// required-field error and the app's error show under the version; a good
// submission closes the modal and the app sees what was entered.
func TestBrowserModal(t *testing.T) {
	_, app, b := consoleWithApp(t, "alice")
	if err := chromedp.Do(b,
		chromedp.Click(chromedp.CSS("#shortcut-button")),
		chromedp.Click(chromedp.CSS(`#shortcut-menu [data-callback-id="deploy"]`)),
		chromedp.WaitVisible(chromedp.CSS(deployModal)),
	); err != nil {
		t.Fatal(err)
	}
	modal := pageText(b, t, deployModal)
	for _, want := range []string{"Deploy", "🚀 Deploy an app to an environment of #deploys", "App", "Version", "An image tag in ECR", "Approver", "(optional)", "More options…"} {
		if !strings.Contains(modal, want) {
			t.Errorf("the modal lacks %q:\n%s", want, modal)
		}
	}
	if m := rawSlackCode.FindString(modal); m != "" {
		t.Errorf("the modal shows %q raw", m)
	}

	// One character is too few for this field (min_query_length 2).
	if err := chromedp.Do(b, chromedp.SendKeys(chromedp.CSS(appTypeahead), "p")); err != nil {
		t.Fatal(err)
	}
	waitPage(b, t, "the typeahead's note", `document.querySelector('`+typeaheadNote+`').textContent.includes('at least 2')`)
	if err := chromedp.Do(b, chromedp.SendKeys(chromedp.CSS(appTypeahead), "a"), chromedp.WaitVisible(chromedp.CSS(paymentsOpt))); err != nil {
		t.Fatal(err)
	}
	if opts := pageText(b, t, deployModal+" .typeahead-options"); strings.Contains(opts, "myapp") {
		t.Errorf("typing 'pa' offers %q: the app's suggestions were not used", opts)
	}
	screenshot(t, b, "modal-1-typeahead")
	if err := chromedp.Do(b, chromedp.Click(chromedp.CSS(paymentsOpt)), chromedp.WaitNotVisible(chromedp.CSS(paymentsOpt))); err != nil {
		t.Fatal(err)
	}

	// No version: Slack refuses before the app hears of it.
	if err := chromedp.Do(b, chromedp.Click(chromedp.CSS(modalSubmit))); err != nil {
		t.Fatal(err)
	}
	waitPage(b, t, "Slack's required-field error", `document.querySelector('`+versionError+`').textContent === 'Please complete this required field.'`)
	// A version the app refuses.
	if err := chromedp.Do(b, chromedp.SendKeys(chromedp.CSS(versionInput), "latest"), chromedp.Click(chromedp.CSS(modalSubmit))); err != nil {
		t.Fatal(err)
	}
	waitPage(b, t, "the app's error", `document.querySelector('`+versionError+`').textContent === 'Versions look like v1.4'`)
	var kept struct{ App, Version string }
	pageJSON(b, t, `JSON.stringify({app: document.querySelector('`+appTypeahead+`').value, version: document.querySelector('`+versionInput+`').value})`, &kept)
	if kept.App != "payments" || kept.Version != "latest" {
		t.Fatalf("after a refused submission the modal holds %+v, want what alice entered", kept)
	}
	screenshot(t, b, "modal-2-error")
	if len(app.submissions()) != 0 {
		t.Fatalf("the app accepted %v", app.submissions())
	}

	// A good one closes the modal.
	if err := chromedp.Do(b,
		evalJS(`(() => { const i = document.querySelector('`+versionInput+`'); i.value = ''; return true; })()`),
		chromedp.SendKeys(chromedp.CSS(versionInput), "v1.4"),
		chromedp.Click(chromedp.CSS(modalSubmit)),
		chromedp.WaitNotPresent(chromedp.CSS(deployModal)),
	); err != nil {
		t.Fatal(err)
	}
	waitText(b, t, "asked to deploy payments v1.4 to production", 20*time.Second)
	got := app.submissions()
	if len(got) != 1 || got[0]["app"] != "payments" || got[0]["version"] != "v1.4" || got[0]["env"] != "production" || got[0]["approver"] != "" {
		t.Fatalf("the app received %v", got)
	}
	if hidden, _ := chromedp.Run(b, chromedp.Evaluate[bool](`document.querySelector('#view-layer').hidden`)); !hidden {
		t.Fatal("the modal layer is still shown")
	}
	screenshot(t, b, "modal-3-submitted")
}

// TestBrowserHome: the Home tab shows what the app publishes for the
// person, its buttons reach the app, and modals stack over it.
func TestBrowserHome(t *testing.T) {
	sb, _, b := consoleWithApp(t, "bob")
	// The header tells the simulated time, in bob's time zone.
	sb.AWS.Advance(5 * time.Hour)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	want := sb.AWS.Clock().Now().In(ny).Format("Jan 2, 2006 3:04:05 PM")
	waitPage(b, t, "the header's clock at "+want, `document.querySelector('#clock').textContent.startsWith('`+want+`')`)
	if err := chromedp.Do(b, chromedp.Click(chromedp.CSS("#home-tab"))); err != nil {
		t.Fatal(err)
	}
	waitPage(b, t, "bob's Home tab", `document.querySelector('#home-body').textContent.includes('refreshed 0 times')`)
	home := pageText(b, t, "#home-body")
	for _, want := range []string{"Switchyard 🛤️", "Hello @bob 👋", "#deploys", "@here", "(just now)", "Deploy…", "Refresh"} {
		if !strings.Contains(home, want) {
			t.Errorf("the Home tab lacks %q:\n%s", want, home)
		}
	}
	if m := rawSlackCode.FindString(home); m != "" {
		t.Errorf("the Home tab shows %q raw:\n%s", m, home)
	}
	if !regexp.MustCompile(`Published \w+day, \w+ \d{1,2}(st|nd|rd|th), \d{4} at \d{1,2}:\d{2} [AP]M`).MatchString(home) {
		t.Errorf("the Home tab's date is not drawn with {date_long} at {time}:\n%s", home)
	}
	screenshot(t, b, "home-1")

	// Refresh: the app publishes again; the blocks that did not change stay.
	if err := chromedp.Do(b,
		evalJS(`(() => { window.header = document.querySelector('#home-body .block-header'); return true; })()`),
		chromedp.Click(chromedp.CSS(`#home-body button[data-action-id="refresh"]`))); err != nil {
		t.Fatal(err)
	}
	waitPage(b, t, "the refreshed Home tab", `document.querySelector('#home-body').textContent.includes('refreshed 1 times')`)
	if kept, _ := chromedp.Run(b, chromedp.Evaluate[bool](`window.header.isConnected`)); !kept {
		t.Error("publishing the Home tab again redrew blocks that did not change")
	}

	// Deploy… opens the modal over the Home tab; More options… pushes one
	// above it; Back returns; ✕ closes the stack.
	if err := chromedp.Do(b,
		chromedp.Click(chromedp.CSS(`#home-body button[data-action-id="open_deploy"]`)),
		chromedp.WaitVisible(chromedp.CSS(deployModal)),
		chromedp.Click(chromedp.CSS(deployModal+` button[data-action-id="more_options"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.modal[data-callback-id="options"]`)),
	); err != nil {
		t.Fatal(err)
	}
	var stack struct {
		N        int
		TopUnder bool
		Under    bool
		Top      string
	}
	pageJSON(b, t, `(() => { const m = [...document.querySelectorAll('#view-layer .modal')];
		return JSON.stringify({n: m.length, under: m[0].classList.contains('under'), topUnder: m[m.length-1].classList.contains('under'), top: m[m.length-1].dataset.callbackId}); })()`, &stack)
	if stack.N != 2 || !stack.Under || stack.TopUnder || stack.Top != "options" {
		t.Fatalf("the pushed modal is not stacked on top: %+v", stack)
	}
	screenshot(t, b, "home-2-stacked")
	if err := chromedp.Do(b,
		chromedp.Click(chromedp.CSS(`.modal[data-callback-id="options"] .modal-close`)),
		chromedp.WaitNotPresent(chromedp.CSS(`.modal[data-callback-id="options"]`)),
	); err != nil {
		t.Fatal(err)
	}
	waitPage(b, t, "the deploy modal on top again", `!document.querySelector('`+deployModal+`').classList.contains('under')`)
	if err := chromedp.Do(b,
		chromedp.Click(chromedp.CSS(deployModal+` .modal-x`)),
		chromedp.WaitNotPresent(chromedp.CSS(deployModal)),
	); err != nil {
		t.Fatal(err)
	}
}
