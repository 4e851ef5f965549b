package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// readmeRun is a sandbox that follows the README's steps; see
// readme_test.go for the words it acts on.
type readmeRun struct {
	*e2e
	users map[string]string // name → ID
	user  string            // the name of who acts
	// since is where the messages after the last command typed begin.
	since int
	// before is what each message showed before the last action (a
	// command, a press, a block) or, before any, when the step began.
	before  map[string]string
	output  string   // of the last sh block
	dir     string   // where sh blocks run
	offered []string // what the last field typed in offered
	// home is set by a step that opens the Home tab: what that step says
	// may be there. The tab stays open and follows every change after,
	// so a later step's words must appear where the step says.
	home bool
}

// How the clock moves while the test waits for what a step says: by
// readmeTick whenever nothing changed in the channel for readmePoll.
const (
	readmeTick    = 5 * time.Second
	readmePoll    = 150 * time.Millisecond
	readmeSimMax  = 45 * time.Minute // simulated, for one expectation
	readmeRealMax = 3 * time.Minute  // real, for one expectation or block
)

func newReadmeRun(t *testing.T) *readmeRun {
	r := &readmeRun{e2e: newE2E(t, Options{}), users: map[string]string{}, dir: t.TempDir()}
	for _, u := range r.sb.Slack.Users() {
		r.users[u.Name] = u.ID
	}
	if err := os.Symlink(filepath.Join(simtest.Root(t), "docs"), filepath.Join(r.dir, "docs")); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *readmeRun) step(s readmeStep) {
	r.t.Helper()
	r.mark()
	r.home = false
	for _, a := range s.actions {
		if a.kind == "type" || a.kind == "press" || a.kind == "sh" {
			r.mark()
		}
		switch a.kind {
		case "as":
			if r.users[a.arg] == "" {
				r.t.Fatalf("step %d: As **%s**: the sandbox has no such person", s.n, a.arg)
			}
			r.user = a.arg
		case "type":
			r.need(s, a)
			r.since = len(r.messages())
			r.slash(r.users[r.user], a.arg)
		case "press":
			r.need(s, a)
			r.press(s, a.arg)
		case "says":
			r.need(s, a)
			r.says(s, a.arg)
		case "sh":
			r.sh(s, a.arg)
		case "prints":
			if !strings.Contains(r.output, a.arg) {
				r.t.Fatalf("step %d: the block did not print %q:\n%s", s.n, a.arg, r.output)
			}
		case "pick":
			r.need(s, a)
			r.pick(s, a.arg)
		case "field":
			r.need(s, a)
			r.typeIn(s, a.arg, a.text)
		case "offers":
			r.offers(s, a.arg)
		case "close":
			r.need(s, a)
			r.closeModal(s)
		case "home":
			r.need(s, a)
			r.openHome(s)
		}
	}
}

// mark notes what each message shows now: what says looks for must be
// new or changed after it.
func (r *readmeRun) mark() {
	r.before = map[string]string{}
	for _, m := range r.messages() {
		r.before[m.TS] = shown(m, r.users)
	}
}

func (r *readmeRun) need(s readmeStep, a readmeAction) {
	r.t.Helper()
	if r.user == "" {
		r.t.Fatalf("step %d: %s before any As **name**", s.n, a)
	}
}

// sees reports whether the person sees m: the channel's messages, and
// those shown to them alone.
func (r *readmeRun) sees(m slacksim.Message) bool {
	return m.EphemeralTo == "" || m.EphemeralTo == r.users[r.user]
}

// press clicks the button labelled label on the newest message the person
// sees since the last command typed.
func (r *readmeRun) press(s readmeStep, label string) {
	r.t.Helper()
	var ts, action string
	simtest.WaitWithin(r.t, readmeRealMax, "a message with a "+label+" button for "+r.user+" (step "+strconv.Itoa(s.n)+")", func() bool {
		ms := r.messages()
		for i := len(ms) - 1; i >= min(r.since, len(ms)); i-- {
			if !r.sees(ms[i]) {
				continue
			}
			if id, ok := buttonLabelled(ms[i].Blocks, label); ok {
				ts, action = ms[i].TS, id
				return true
			}
		}
		return false
	}, r.dump)
	if _, err := r.click(r.users[r.user], ts, action); err != nil {
		r.t.Fatalf("step %d: %s presses %s: %v", s.n, r.user, label, err)
	}
}

// says waits, moving the clock when the channel is quiet, for text in a
// message the person sees, new or changed since the last action, or in a
// modal open for them, or on their Home tab in the step that opened it.
func (r *readmeRun) says(s readmeStep, text string) {
	r.t.Helper()
	began := time.Now()
	deadline := began.Add(readmeRealMax)
	last, moved := "", time.Duration(0)
	for {
		now, found := r.look(text)
		if found {
			return
		}
		if time.Now().After(deadline) || moved > readmeSimMax {
			r.t.Fatalf("step %d: %s never saw %q (waited %s simulated, %s real)\n%s", s.n, r.user, text, moved,
				time.Since(began).Round(time.Second), r.dump())
		}
		if now == last {
			r.sb.AWS.Advance(readmeTick)
			moved += readmeTick
		}
		last = now
		time.Sleep(readmePoll)
	}
}

// look returns everything the person sees now, and whether text is in
// what is new or changed since the last action, in an open modal, or on
// the Home tab.
func (r *readmeRun) look(text string) (string, bool) {
	var all strings.Builder
	found := false
	for _, m := range r.messages() {
		if !r.sees(m) {
			continue
		}
		got := shown(m, r.users)
		all.WriteString(got)
		if before, ok := r.before[m.TS]; (!ok || before != got) && strings.Contains(got, text) {
			found = true
		}
	}
	for _, v := range r.sb.Slack.UserViews(r.users[r.user]) {
		if (r.home && v.Type == "home" || v.Open && v.Type == "modal") && strings.Contains(plain(v.Title+" "+v.Submit+" "+strings.Join(texts(v.Blocks), " "), r.users), text) {
			found = true
		}
	}
	return all.String(), found
}

// sh runs a block as the README shows it, on this sandbox's addresses,
// moving the clock while it runs (aws ecs deploy waits for the deployment
// to end).
func (r *readmeRun) sh(s readmeStep, script string) {
	r.t.Helper()
	script = strings.NewReplacer(
		"127.0.0.1:8080", strings.TrimPrefix(r.sb.URL(), "http://"),
		"127.0.0.1:4566", strings.TrimPrefix(r.sb.AWS.URL(), "http://"),
	).Replace(script)
	// One terminal: what a block exports, the next has.
	state := filepath.Join(r.dir, ".exports")
	script = "if [ -f " + state + " ]; then . " + state + "; fi\ntrap 'export -p > " + state + "' EXIT\n" + script
	ctx, cancel := context.WithTimeout(context.Background(), readmeRealMax)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = r.dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	last := ""
	for {
		select {
		case err := <-done:
			r.output = out.String()
			if err != nil {
				r.t.Fatalf("step %d: the sh block failed: %v\n%s\n--- output\n%s", s.n, err, script, r.output)
			}
			return
		case <-time.After(readmePoll):
		}
		if now, _ := r.look("\x00"); now == last {
			r.sb.AWS.Advance(readmeTick)
		} else {
			last = now
		}
	}
}

// What a person sees of a message, as plain text.

var (
	mention  = regexp.MustCompile(`<@(U\w+)>`)
	slackFmt = regexp.MustCompile(`<[!#]?[^<>|]*\|([^<>]*)>`)
)

func shown(m slacksim.Message, users map[string]string) string {
	return plain(m.Text+"\n"+strings.Join(texts(m.Blocks), "\n"), users) + "\n"
}

// plain drops mrkdwn's marks and shows mentions as @name and dates and
// links as their text.
func plain(s string, users map[string]string) string {
	s = simtest.Unescape(s)
	s = mention.ReplaceAllStringFunc(s, func(m string) string {
		id := mention.FindStringSubmatch(m)[1]
		for name, uid := range users {
			if uid == id {
				return "@" + name
			}
		}
		return m
	})
	s = slackFmt.ReplaceAllString(s, "$1")
	return strings.NewReplacer("*", "", "`", "", "_", "").Replace(s)
}

// texts collects every text of a block list.
func texts(blocks json.RawMessage) []string {
	var v any
	_ = json.Unmarshal(blocks, &v)
	var out []string
	walk(v, func(x map[string]any) {
		if s, ok := x["text"].(string); ok {
			out = append(out, s)
		}
	})
	return out
}

// buttonLabelled finds a button by its label in a block list.
func buttonLabelled(blocks json.RawMessage, label string) (string, bool) {
	var v any
	_ = json.Unmarshal(blocks, &v)
	var found string
	walk(v, func(x map[string]any) {
		if t, ok := x["text"].(map[string]any); ok && x["type"] == "button" && t["text"] == label {
			found, _ = x["action_id"].(string)
		}
	})
	return found, found != ""
}

// walk calls fn on every object of a JSON value, keys in order, so that
// what is read of a message is the same each time.
func walk(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(x)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walk(x[k], fn)
		}
	case []any:
		for _, c := range x {
			walk(c, fn)
		}
	}
}
