package sandbox

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// What the README's steps do in a modal and on the Home tab; see
// readme_test.go for the words.

// topModal is the modal on top of the person's stack, if any.
func (r *readmeRun) topModal() (slacksim.View, bool) {
	var top slacksim.View
	for _, v := range r.sb.Slack.UserViews(r.users[r.user]) {
		if v.Type == "modal" && v.Open {
			top = v
		}
	}
	return top, top.ID != ""
}

// pick chooses the option labelled label in a menu of the open modal.
func (r *readmeRun) pick(s readmeStep, label string) {
	r.t.Helper()
	var view, action, value string
	simtest.WaitWithin(r.t, readmeRealMax, "a modal offering "+label+" to "+r.user+" (step "+strconv.Itoa(s.n)+")", func() bool {
		m, ok := r.topModal()
		if !ok {
			return false
		}
		view = m.ID
		action, value = optionLabelled(m.Blocks, label)
		return action != ""
	}, r.dump)
	if _, err := r.sb.Slack.ViewAction(context.Background(), slacksim.ViewActionRequest{UserID: r.users[r.user], ViewID: view, ActionID: action, Value: value}); err != nil {
		r.t.Fatalf("step %d: %s picks %s: %v", s.n, r.user, label, err)
	}
}

// typeIn types text in the modal's field (a typeahead, by its action ID)
// and keeps what it offers.
func (r *readmeRun) typeIn(s readmeStep, field, text string) {
	r.t.Helper()
	var view string
	simtest.WaitWithin(r.t, readmeRealMax, "a modal with a "+field+" field for "+r.user+" (step "+strconv.Itoa(s.n)+")", func() bool {
		m, ok := r.topModal()
		view = m.ID
		return ok && strings.Contains(string(m.Blocks), `"action_id":"`+field+`"`)
	}, r.dump)
	res, err := r.sb.Slack.Suggest(context.Background(), slacksim.SuggestRequest{UserID: r.users[r.user], ViewID: view, ActionID: field, Value: text})
	if err != nil {
		r.t.Fatalf("step %d: %s types %q in the %s field: %v", s.n, r.user, text, field, err)
	}
	var opts []struct{ Text struct{ Text string } }
	if err := json.Unmarshal(res.Options, &opts); err != nil {
		r.t.Fatalf("step %d: the %s field offered no options: %v", s.n, field, err)
	}
	r.offered = nil
	for _, o := range opts {
		r.offered = append(r.offered, o.Text.Text)
	}
}

// offers checks that the last typing offered an option reading text.
func (r *readmeRun) offers(s readmeStep, text string) {
	r.t.Helper()
	for _, o := range r.offered {
		if o == text {
			return
		}
	}
	r.t.Fatalf("step %d: %s was offered %q, not %q", s.n, r.user, r.offered, text)
}

// closeModal closes the modal on top, as its Cancel button does.
func (r *readmeRun) closeModal(s readmeStep) {
	r.t.Helper()
	m, ok := r.topModal()
	if !ok {
		r.t.Fatalf("step %d: %s has no modal open to close", s.n, r.user)
	}
	if _, err := r.sb.Slack.CloseView(context.Background(), slacksim.CloseRequest{UserID: r.users[r.user], ViewID: m.ID}); err != nil {
		r.t.Fatalf("step %d: %s closes the modal: %v", s.n, r.user, err)
	}
}

// openHome opens the person's Home tab.
func (r *readmeRun) openHome(s readmeStep) {
	r.t.Helper()
	if _, err := r.sb.Slack.OpenHome(context.Background(), slacksim.HomeRequest{UserID: r.users[r.user]}); err != nil {
		r.t.Fatalf("step %d: %s opens Home: %v", s.n, r.user, err)
	}
	r.home = true
}

// optionLabelled finds, in a view's blocks, the menu with an option
// labelled label: its action ID and the option's value.
func optionLabelled(blocks json.RawMessage, label string) (action, value string) {
	var v any
	_ = json.Unmarshal(blocks, &v)
	walk(v, func(x map[string]any) {
		opts, _ := x["options"].([]any)
		for _, o := range opts {
			om, _ := o.(map[string]any)
			t, _ := om["text"].(map[string]any)
			if t["text"] == label {
				action, _ = x["action_id"].(string)
				value, _ = om["value"].(string)
			}
		}
	})
	return action, value
}
