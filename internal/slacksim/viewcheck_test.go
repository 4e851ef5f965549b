package slacksim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestViewValidation holds the view limits of Slack's Block Kit
// documentation: title, submit and close plain_text of at most 24
// characters; submit required with an input block; at most 100 blocks;
// private_metadata ≤3000, callback_id and external_id ≤255; options ≤100
// (or option groups ≤100), option text ≤75, value ≤150, description ≤75;
// placeholder ≤150; a Home tab (type home) with blocks and no title.
func TestViewValidation(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	text := func(s string) string { return fmt.Sprintf(`{"type":"plain_text","text":%q}`, s) }
	opt := func(txt, val string) string { return fmt.Sprintf(`{"text":%s,"value":%q}`, text(txt), val) }
	opts := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = opt(fmt.Sprintf("o%d", i), fmt.Sprintf("v%d", i))
		}
		return strings.Join(parts, ",")
	}
	sel := func(body string) string {
		return `[{"type":"section","block_id":"s","text":{"type":"mrkdwn","text":"pick"},"accessory":{"type":"static_select","action_id":"pick",` + body + `}}]`
	}
	input := func(el string) string {
		return `[{"type":"input","block_id":"i","label":` + text("Version") + `,"element":` + el + `}]`
	}
	dividers := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`{"type":"divider","block_id":"d%d"}`, i)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	view := func(extra, blocks string) string {
		return `{"type":"modal","title":` + text("Deploy") + `,"submit":` + text("Go") + extra + `,"blocks":` + blocks + `}`
	}
	textInput := `{"type":"plain_text_input","action_id":"v"}`
	cases := []struct {
		name, view, want string // want: a json-pointer in the error, or "" for none
	}{
		{"the deploy form", view("", deployForm), ""},
		{"title 24", `{"type":"modal","title":` + text(long(24)) + `,"blocks":[]}`, ""},
		{"title 25", `{"type":"modal","title":` + text(long(25)) + `,"blocks":[]}`, "/view/title/text"},
		{"title mrkdwn", `{"type":"modal","title":{"type":"mrkdwn","text":"*x*"},"blocks":[]}`, "/view/title/type"},
		{"no title", `{"type":"modal","blocks":[]}`, "/view/title"},
		{"submit 25", `{"type":"modal","title":` + text("x") + `,"submit":` + text(long(25)) + `,"blocks":[]}`, "/view/submit/text"},
		{"close 25", view(`,"close":`+text(long(25)), `[]`), "/view/close/text"},
		{"input without submit", `{"type":"modal","title":` + text("x") + `,"blocks":` + input(textInput) + `}`, "/view/submit"},
		{"100 blocks", view("", dividers(100)), ""},
		{"101 blocks", view("", dividers(101)), "/view/blocks"},
		{"private_metadata 3000", view(`,"private_metadata":"`+long(3000)+`"`, `[]`), ""},
		{"private_metadata 3001", view(`,"private_metadata":"`+long(3001)+`"`, `[]`), "/view/private_metadata"},
		{"callback_id 255", view(`,"callback_id":"`+long(255)+`"`, `[]`), ""},
		{"callback_id 256", view(`,"callback_id":"`+long(256)+`"`, `[]`), "/view/callback_id"},
		{"external_id 256", view(`,"external_id":"`+long(256)+`"`, `[]`), "/view/external_id"},
		{"notify_on_close not a boolean", view(`,"notify_on_close":"yes"`, `[]`), "/view/notify_on_close"},
		{"100 options", view("", sel(`"options":[`+opts(100)+`]`)), ""},
		{"101 options", view("", sel(`"options":[`+opts(101)+`]`)), "/view/blocks/0/accessory/options"},
		{"no options", view("", sel(`"options":[]`)), "/view/blocks/0/accessory/options"},
		{"neither options nor groups", view("", sel(`"placeholder":`+text("p"))), "/view/blocks/0/accessory"},
		{"option text 75", view("", sel(`"options":[`+opt(long(75), "v")+`]`)), ""},
		{"option text 76", view("", sel(`"options":[`+opt(long(76), "v")+`]`)), "/view/blocks/0/accessory/options/0/text/text"},
		{"option value 150", view("", sel(`"options":[`+opt("o", long(150))+`]`)), ""},
		{"option value 151", view("", sel(`"options":[`+opt("o", long(151))+`]`)), "/view/blocks/0/accessory/options/0/value"},
		{"option description 76", view("", sel(`"options":[{"text":`+text("o")+`,"value":"v","description":`+text(long(76))+`}]`)), "/view/blocks/0/accessory/options/0/description/text"},
		{"option text mrkdwn in a select", view("", sel(`"options":[{"text":{"type":"mrkdwn","text":"*o*"},"value":"v"}]`)), "/view/blocks/0/accessory/options/0/text/type"},
		{"option groups", view("", sel(`"option_groups":[{"label":`+text("g")+`,"options":[`+opts(3)+`]}]`)), ""},
		{"group label 76", view("", sel(`"option_groups":[{"label":`+text(long(76))+`,"options":[`+opts(1)+`]}]`)), "/view/blocks/0/accessory/option_groups/0/label/text"},
		{"options and groups", view("", sel(`"options":[`+opts(1)+`],"option_groups":[{"label":`+text("g")+`,"options":[`+opts(1)+`]}]`)), "/view/blocks/0/accessory"},
		{"placeholder 151", view("", sel(`"options":[`+opts(1)+`],"placeholder":`+text(long(151)))), "/view/blocks/0/accessory/placeholder/text"},
		{"overflow 6", view("", `[{"type":"actions","elements":[{"type":"overflow","action_id":"o","options":[`+opts(6)+`]}]}]`), "/view/blocks/0/elements/0/options"},
		{"radio 11", view("", input(`{"type":"radio_buttons","action_id":"r","options":[`+opts(11)+`]}`)), "/view/blocks/0/element/options"},
		{"checkboxes mrkdwn", view("", input(`{"type":"checkboxes","action_id":"c","options":[{"text":{"type":"mrkdwn","text":"*a*"},"value":"a"}]}`)), ""},
		{"input without label", view("", `[{"type":"input","element":`+textInput+`}]`), "/view/blocks/0/label"},
		{"input label 2001", view("", `[{"type":"input","label":`+text(long(2001))+`,"element":`+textInput+`}]`), "/view/blocks/0/label/text"},
		{"input holding a button", view("", input(`{"type":"button","action_id":"b","text":`+text("b")+`}`)), "/view/blocks/0/element/type"},
		{"input without element", view("", `[{"type":"input","label":`+text("x")+`}]`), "/view/blocks/0/element"},
		{"max_length 3001", view("", input(`{"type":"plain_text_input","action_id":"v","max_length":3001}`)), "/view/blocks/0/element/max_length"},
		{"min_length over max_length", view("", input(`{"type":"plain_text_input","action_id":"v","min_length":10,"max_length":5}`)), "/view/blocks/0/element/min_length"},
		{"min_query_length -1", view("", input(`{"type":"external_select","action_id":"e","min_query_length":-1}`)), "/view/blocks/0/element/min_query_length"},
		{"number_input without is_decimal_allowed", view("", input(`{"type":"number_input","action_id":"n"}`)), "/view/blocks/0/element/is_decimal_allowed"},
		{"duplicate action_id", view("", `[`+strings.Repeat(`{"type":"actions","elements":[{"type":"button","action_id":"same","text":`+text("b")+`}]},`, 2)+`{"type":"divider"}]`), "/view/blocks/1/elements/0/action_id"},
		{"home as modal", `{"type":"home","blocks":[]}`, "/view/type"},
	}
	for _, c := range cases {
		check(t, c.name, c.view, "modal", c.want)
	}
	homes := []struct{ name, view, want string }{
		{"home", `{"type":"home","blocks":` + deployForm + `}`, ""},
		{"home with a title", `{"type":"home","title":` + text("x") + `,"blocks":[]}`, "/view/title"},
		{"home without blocks", `{"type":"home","blocks":null}`, "/view/blocks"},
		{"home 101 blocks", `{"type":"home","blocks":` + dividers(101) + `}`, "/view/blocks"},
	}
	for _, c := range homes {
		check(t, c.name, c.view, "home", c.want)
	}
	// Menus in messages meet the same option limits.
	if err := validateBlocks([]byte(sel(`"options":[` + opts(101) + `]`))); err == nil || err.(*apiError).code != "invalid_blocks" {
		t.Fatalf("101 options in a message: %v", err)
	}
}

func check(t *testing.T, name, raw, want, pointer string) {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal([]byte(raw), &body); err != nil {
		t.Fatalf("%s: bad test JSON: %v", name, err)
	}
	err := validateView(body, want)
	switch {
	case pointer == "" && err != nil:
		t.Errorf("%s: refused: %v", name, describe(err))
	case pointer != "" && err == nil:
		t.Errorf("%s: accepted, want an error at %s", name, pointer)
	case pointer != "":
		e := err.(*apiError)
		if e.code != "invalid_arguments" || !strings.Contains(strings.Join(e.detail, "\n"), "[json-pointer:"+pointer+"]") {
			t.Errorf("%s: got %s, want invalid_arguments at %s", name, describe(err), pointer)
		}
	}
}
