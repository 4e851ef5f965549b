package commands

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// The helpers of the tests of modals and the Home tab: a person's views as
// the Slack simulator shows them, and their acts in them.

// modal is the modal on top of user's stack; the test fails without one.
func (w *world) modal(user string) slacksim.View {
	w.t.Helper()
	var top *slacksim.View
	for _, v := range w.slack.UserViews(user) {
		if v.Type == "modal" {
			top = &v
		}
	}
	if top == nil {
		w.t.Fatalf("%s has no modal open", user)
	}
	return *top
}

// noModal fails if user has a modal open.
func (w *world) noModal(user string) {
	w.t.Helper()
	for _, v := range w.slack.UserViews(user) {
		if v.Type == "modal" {
			w.t.Fatalf("%s still has modal %s open: %s", user, v.CallbackID, v.Blocks)
		}
	}
}

// home is user's Home tab, once published.
func (w *world) home(user string) (slacksim.View, bool) {
	for _, v := range w.slack.UserViews(user) {
		if v.Type == "home" {
			return v, true
		}
	}
	return slacksim.View{}, false
}

// choose picks value in a menu of the view and waits for the bot to
// answer, when the menu dispatches.
func (w *world) choose(user, viewID, action, value string) slacksim.ViewResult {
	w.t.Helper()
	w.expect(1)
	res, err := w.slack.ViewAction(ctx10(w.t), slacksim.ViewActionRequest{UserID: user, ViewID: viewID, ActionID: action, Value: value})
	if err != nil {
		w.t.Fatalf("%s chooses %s in %s: %v", user, value, action, err)
	}
	if res.EnvelopeID == "" {
		w.expect(-1) // nothing was sent to the bot
	}
	w.settle()
	return res
}

// suggest types in an external select and returns the options offered,
// as "value|text|description" lines.
func (w *world) suggest(user, viewID, action, typed string) []string {
	w.t.Helper()
	res, err := w.slack.Suggest(ctx10(w.t), slacksim.SuggestRequest{UserID: user, ViewID: viewID, ActionID: action, Value: typed})
	if err != nil {
		w.t.Fatalf("%s types %q in %s: %v", user, typed, action, err)
	}
	var opts []struct {
		Value       string
		Text        struct{ Text string }
		Description *struct{ Text string }
	}
	if err := json.Unmarshal(res.Options, &opts); err != nil {
		w.t.Fatalf("options %s: %v", res.Options, err)
	}
	var out []string
	for _, o := range opts {
		line := o.Value + "|" + o.Text.Text
		if o.Description != nil {
			line += "|" + o.Description.Text
		}
		out = append(out, line)
	}
	return out
}

// submit submits the modal on top with values (block → action → value
// object) and, when it closed, waits for the bot's follow-up.
func (w *world) submit(user, viewID string, values map[string]map[string]map[string]any) slacksim.ViewResult {
	w.t.Helper()
	res, err := w.slack.SubmitView(ctx10(w.t), slacksim.SubmitRequest{UserID: user, ViewID: viewID, Values: values})
	if err != nil {
		w.t.Fatalf("%s submits %s: %v", user, viewID, err)
	}
	if len(res.Errors) == 0 {
		w.expect(1)
		w.settle()
	}
	return res
}

// entry is one input's value as SubmitRequest takes it: the bot's inputs
// share their block and action IDs.
type entry map[string]map[string]map[string]any

// picked is a menu choice.
func picked(id, value string) entry {
	return entry{id: {id: {"selected_option": map[string]any{"value": value}}}}
}

// typed is text typed in an input.
func typed(id, value string) entry {
	return entry{id: {id: {"value": value}}}
}

// values joins entries into one SubmitRequest's values.
func values(es ...entry) map[string]map[string]map[string]any {
	out := map[string]map[string]map[string]any{}
	for _, e := range es {
		for block, actions := range e {
			out[block] = actions
		}
	}
	return out
}

// viewText is what a view's blocks say, unescaped.
func viewText(v slacksim.View) string { return simtest.Unescape(string(v.Blocks)) }

// hasInput reports whether a view has an input block with that block_id.
func hasInput(v slacksim.View, id string) bool {
	return strings.Contains(string(v.Blocks), `"block_id":"`+id+`"`) && strings.Contains(string(v.Blocks), `"type":"input"`)
}

func wantNotIn(t *testing.T, what, s string, not ...string) {
	t.Helper()
	for _, n := range not {
		if strings.Contains(s, n) {
			t.Errorf("%s shows %q:\n%s", what, n, s)
		}
	}
}
