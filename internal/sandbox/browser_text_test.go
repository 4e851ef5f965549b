package sandbox

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserText: a message's text is drawn as Slack draws it, and no text
// becomes markup: mentions, channels, <!here>, dates in the reader's own time
// zone, Slack's escapes shown as characters; tags, scripts and javascript:
// links shown as the text they are.
func TestBrowserText(t *testing.T) {
	sb := startConsoleSandbox(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Unix()
	text := fmt.Sprintf("*Heads up* <!here>: <@U0BOB> ships to <#C0DEPLOYS> at <!date^%d^{date_num} {time}|noon UTC> _today_ ~maybe~ :tada:\n"+
		"fix &lt;login&gt; &amp; checkout <img src=x onerror=\"document.body.dataset.owned=1\"> <script>document.body.dataset.owned=1</script> "+
		"<javascript:document.body.dataset.owned=1|click me> `<b>code</b>` <https://example.com/a?b=1&amp;c=2|a link>", at)
	if _, err := sb.Slack.Say("C0DEPLOYS", "U0ALICE", text, ""); err != nil {
		t.Fatal(err)
	}
	b := browser(t, 1280, 720)
	if err := chromedp.Do(b, chromedp.Navigate(sb.URL()), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)), pickUser("alice")); err != nil {
		t.Fatal(err)
	}
	waitText(b, t, "Heads up", 20*time.Second)
	var got struct {
		Text, Owned                 string
		Bold, Italic, Strike, Links int
		Tags, Href                  string
	}
	read := func() {
		pageJSON(b, t, `(() => { const m = document.querySelector('#messages .msg .blocks');
			return JSON.stringify({text: m.innerText, owned: document.body.dataset.owned || '',
				bold: m.querySelectorAll('b').length, italic: m.querySelectorAll('i').length, strike: m.querySelectorAll('s').length,
				links: m.querySelectorAll('a').length, href: [...m.querySelectorAll('a')].map(a => a.getAttribute('href')).join(' '),
				tags: [...m.querySelectorAll('*')].map(e => e.tagName.toLowerCase()).filter(n => !['div','span','b','i','s','a','code'].includes(n)).join(' ')}); })()`, &got)
	}
	read()
	for _, want := range []string{
		"Heads up @here: @bob ships to #deploys at 2026-03-01 12:00 PM today maybe 🎉",
		"fix <login> & checkout <img src=x onerror=\"document.body.dataset.owned=1\"> <script>document.body.dataset.owned=1</script>",
		"<javascript:document.body.dataset.owned=1|click me> <b>code</b> a link",
	} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("the message lacks %q; it shows:\n%s", want, got.Text)
		}
	}
	if got.Owned != "" || got.Tags != "" || got.Links != 1 || got.Href != "https://example.com/a?b=1&c=2" {
		t.Errorf("text became markup: tags %q, links %d (%s), owned %q", got.Tags, got.Links, got.Href, got.Owned)
	}
	if got.Bold != 1 || got.Italic != 1 || got.Strike != 1 {
		t.Errorf("bold %d, italic %d, strike %d: want one of each", got.Bold, got.Italic, got.Strike)
	}

	// dave reads the same date in Tokyo.
	if err := chromedp.Do(b, pickUser("dave")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#messages').innerText.includes('2026-03-01 9:00 PM')`)); err != nil {
		read()
		t.Fatalf("dave (Asia/Tokyo) does not see the date in his time zone: %v\n%s", err, got.Text)
	}
}
