package simtest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/slacksim"
)

// Thread is the replies under the message ts, oldest first.
func Thread(ms []slacksim.Message, ts string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range ms {
		if m.ThreadTS == ts && m.TS != ts {
			out = append(out, m)
		}
	}
	return out
}

// Texts joins the texts of ms, one per line.
func Texts(ms []slacksim.Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.Text + "\n")
	}
	return b.String()
}

// Buttons lists the action ids of a message's buttons, in order.
func Buttons(m slacksim.Message) []string {
	var blocks []struct {
		Elements []struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
		} `json:"elements"`
	}
	_ = json.Unmarshal(m.Blocks, &blocks)
	var out []string
	for _, b := range blocks {
		for _, el := range b.Elements {
			if el.Type == "button" {
				out = append(out, el.ActionID)
			}
		}
	}
	return out
}

// Shown is a message's blocks as JSON with the <, > and & that Go's
// encoder escapes put back, so that tests read what Slack shows.
func Shown(m slacksim.Message) string {
	return Unescape(string(m.Blocks))
}

// Unescape puts back the <, > and & that Go's JSON encoder escapes.
func Unescape(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
}

// InOrder fails unless each of want appears in s after the previous one.
func InOrder(t testing.TB, s string, want ...string) {
	t.Helper()
	at := 0
	for _, w := range want {
		i := strings.Index(s[at:], w)
		if i < 0 {
			t.Errorf("%q missing or out of order in\n%s", w, s)
			return
		}
		at += i + len(w)
	}
}

// NoDuplicates fails if two of ms say the same thing.
func NoDuplicates(t testing.TB, ms []slacksim.Message) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range ms {
		if seen[m.Text] {
			t.Errorf("duplicate reply %q in\n%s", m.Text, Texts(ms))
		}
		seen[m.Text] = true
	}
}

// WantIn fails unless every want is in s.
func WantIn(t testing.TB, what, s string, want ...string) {
	t.Helper()
	for _, x := range want {
		if !strings.Contains(s, x) {
			t.Errorf("%s lacks %q:\n%s", what, x, s)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Golden compares v, as indented JSON with <, > and & kept readable, with
// testdata/name.golden.json in the test's package; with -update it
// rewrites the file instead (review the diff).
func Golden(t testing.TB, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from %s; if the change is intended, rerun with -update and review the diff.\ngot:\n%s", name, path, buf.Bytes())
	}
}

// GoldenText compares text with testdata/name.golden.txt in the test's
// package; with -update it rewrites the file instead (review the diff).
func GoldenText(t testing.TB, name, text string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if text != string(want) {
		t.Errorf("%s differs from %s; if the change is intended, rerun with -update and review the diff.\ngot:\n%s", name, path, text)
	}
}
