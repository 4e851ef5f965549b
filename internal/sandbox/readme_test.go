package sandbox

// TestReadmeWhatToTry follows README.md's "What to try in the sandbox" word
// for word against a sandbox (the simulators, the bot, Slack's real rate
// limits), with the real AWS CLI and jq, and fails when a step stops
// working. The README is written for people; these are the words in it
// that the test acts on, so a step reads well and runs as written:
//
//   - A step is a numbered item of the section ("1. ", "10. "), up to the
//     next item or the first line after the list that is not indented.
//     Its text is read with line breaks and indentation as single spaces.
//   - "As **name**" (or "as **name**") makes name the person who acts next:
//     alice, bob, carol or dave, the sandbox's users.
//   - Inline code that starts with /deploy ("`/deploy myapp v1.4`") is
//     typed in #deploys by that person.
//   - "press **Label**" presses the button with that label on the newest
//     message the person sees (the channel, and what was shown to them
//     alone) that came after the last command anyone typed; it waits for
//     that message to appear.
//   - "says" followed, within the same clause, by inline code ("the thread
//     says `myapp v1.4 is live in production`", "it says, to you alone,
//     `…`") waits until a message the person sees, new or changed since
//     the last command, press or block (or since the step began, before
//     any), or a modal open for them, shows that text. Text is
//     compared as Slack shows it: without * and ` and _, with mentions as
//     @name and dates as their fallback text. While it waits, the
//     simulated clock moves on, five seconds at a time, whenever the
//     channel has been quiet for a moment, so deployments advance at about
//     the pace the bot follows them.
//   - A fenced block marked sh runs in bash (-euo pipefail) in a temporary
//     directory where docs/ is the repository's, with 127.0.0.1:8080 and
//     127.0.0.1:4566 replaced by the sandbox's console and AWS addresses;
//     the blocks run one after another as in one terminal (what one
//     exports, the next has), and the clock moves on while one runs.
//     "prints" or "printing" followed by inline code is text the last
//     block's output must contain.
//   - "Pick **Label**" chooses the option labelled Label in a menu of the
//     modal open for the person; "type `text` in its name field" types
//     text in the modal's typeahead whose action ID is name, and
//     "offered" (or "offers") followed by inline code is an option it
//     must offer, as labelled. "Close the modal" closes it.
//   - "open *switchyard · Home*" opens the person's Home tab; what "says"
//     looks for in the rest of that step may then be on it.
//   - Everything else is for people only.
//
// To add a step (the checkout app's, say): write it for people with these
// words, then run this test; to check the words it found, run it with -v,
// which logs each step's actions.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/simtest"
)

func TestReadmeWhatToTry(t *testing.T) {
	for _, tool := range []string{"aws", "jq", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not on PATH: the README's steps use it (.ci/run installs jq and Chromium; the AWS CLI v1 comes with the machine image)", tool)
		}
	}
	readme, err := os.ReadFile(filepath.Join(simtest.Root(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	steps, err := whatToTry(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) < 10 {
		t.Fatalf("found %d steps in README.md's What to try, want at least 10", len(steps))
	}
	r := newReadmeRun(t)
	for _, s := range steps {
		t.Logf("step %d: %s", s.n, s.actions)
		r.step(s)
	}
}

// readmeStep is one numbered item of What to try and what the test does
// for it, in the order the text says.
type readmeStep struct {
	n       int
	actions []readmeAction
}

type readmeAction struct {
	kind string // "as", "type", "press", "says", "sh", "prints", "pick", "field", "offers", "close", "home"
	arg  string
	// text is what is typed in a field.
	text string
}

func (a readmeAction) String() string { return a.kind + " " + fmt.Sprintf("%q", a.arg) }

// The words of the convention (see the top of this file).
var readmeWords = regexp.MustCompile("" +
	`(?:^|\W)[Aa]s \*\*(\w+)\*\*` + // 1: a person
	"|`(/deploy(?: [^`]*)?)`" + // 2: a command
	`|\b[Pp]ress(?:es)? \*\*([^*]+)\*\*` + // 3: a button
	"|\\bsays[^`.;]{0,40}?`([^`]+)`" + // 4: what appears
	"|\\bprint(?:s|ing)[^`.;:]{0,20}?`([^`]+)`" + // 5: what a block printed
	`|\x00(\d+)\x00` + // 6: the sh block of that index
	`|\b[Pp]ick \*\*([^*]+)\*\*` + // 7: a menu's option
	"|\\btype `([^`/][^`]*)` in (?:its|the) (\\w+) field" + // 8, 9: typed in a field
	"|\\boffer(?:s|ed)[^`.;]{0,60}?`([^`]+)`" + // 10: what the field offers
	`|\b([Cc]lose the modal)\b` + // 11
	`|\b([Oo]pen \*switchyard · Home\*)`) // 12: the Home tab

var (
	readmeItem  = regexp.MustCompile(`^(\d+)\. `)
	readmeFence = regexp.MustCompile("^\\s*```(\\w*)\\s*$")
)

// whatToTry parses the section into steps.
func whatToTry(readme string) ([]readmeStep, error) {
	const title = "### What to try in the sandbox"
	start := strings.Index(readme, title)
	if start < 0 {
		return nil, fmt.Errorf("README.md has no %q", title)
	}
	lines := strings.Split(readme[start+len(title):], "\n")

	var steps []readmeStep
	var text []string   // the current item's text, fences replaced by \x00i\x00
	var blocks []string // sh blocks of the current item
	var fence []string  // lines of the open fence, nil when none
	var fenceLang, indent string
	flush := func() {
		if len(steps) == 0 {
			return
		}
		joined := strings.Join(strings.Fields(strings.Join(text, " ")), " ")
		for _, m := range readmeWords.FindAllStringSubmatch(joined, -1) {
			s := &steps[len(steps)-1]
			switch {
			case m[1] != "":
				s.actions = append(s.actions, readmeAction{kind: "as", arg: m[1]})
			case m[2] != "":
				s.actions = append(s.actions, readmeAction{kind: "type", arg: m[2]})
			case m[3] != "":
				s.actions = append(s.actions, readmeAction{kind: "press", arg: m[3]})
			case m[4] != "":
				s.actions = append(s.actions, readmeAction{kind: "says", arg: m[4]})
			case m[5] != "":
				s.actions = append(s.actions, readmeAction{kind: "prints", arg: m[5]})
			case m[6] != "":
				var i int
				fmt.Sscan(m[6], &i)
				s.actions = append(s.actions, readmeAction{kind: "sh", arg: blocks[i]})
			case m[7] != "":
				s.actions = append(s.actions, readmeAction{kind: "pick", arg: m[7]})
			case m[8] != "":
				s.actions = append(s.actions, readmeAction{kind: "field", arg: m[9], text: m[8]})
			case m[10] != "":
				s.actions = append(s.actions, readmeAction{kind: "offers", arg: m[10]})
			case m[11] != "":
				s.actions = append(s.actions, readmeAction{kind: "close"})
			case m[12] != "":
				s.actions = append(s.actions, readmeAction{kind: "home"})
			}
		}
		text, blocks = nil, nil
	}
	for _, line := range lines {
		if fence != nil {
			if readmeFence.MatchString(line) {
				if fenceLang == "sh" {
					text = append(text, fmt.Sprintf("\x00%d\x00", len(blocks)))
					blocks = append(blocks, strings.Join(fence, "\n"))
				}
				fence = nil
				continue
			}
			fence = append(fence, strings.TrimPrefix(line, indent))
			continue
		}
		item := readmeItem.FindStringSubmatch(line)
		if len(steps) > 0 && item == nil && line != "" && !strings.HasPrefix(line, " ") {
			break // the first paragraph after the list
		}
		if strings.HasPrefix(line, "#") {
			break // the next section
		}
		if m := readmeFence.FindStringSubmatch(line); m != nil {
			fence, fenceLang = []string{}, m[1]
			indent = line[:len(line)-len(strings.TrimLeft(line, " "))]
			continue
		}
		if item != nil {
			flush()
			var n int
			fmt.Sscan(item[1], &n)
			steps = append(steps, readmeStep{n: n})
			text = append(text, line[len(item[0]):])
			continue
		}
		if len(steps) > 0 {
			text = append(text, line)
		}
	}
	flush()
	return steps, nil
}
