package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

// bot audit reads the trail the bot wrote, filtered by app and time, as a
// table or as JSON lines; what people typed cannot steer the terminal.
func TestAudit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchyard.db")
	now := time.Now().UTC()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []switchyard.AuditEntry{
		{At: now.Add(-72 * time.Hour), User: "U0ALICE", Action: "deploy", App: "myapp", Env: "production", Result: switchyard.ResultOK, Detail: "v1.2"},
		{At: now.Add(-2 * time.Hour), User: "U0CAROL", Action: "deploy", App: "myapp", Env: "production", Result: switchyard.ResultRefused, Detail: "not allowed \x1b[2Jcleared"},
		{At: now.Add(-time.Hour), User: "U0BOB", Action: "lock", App: "payments", Result: switchyard.ResultOK, Detail: "incident"},
	} {
		if _, err := st.Audit(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SWITCHYARD_STORE": path}
	cfg := "../../switchyard.example.yaml"

	code, out, errOut := invoke(t, env, "audit", "-config", cfg)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 4 || !strings.HasPrefix(lines[0], "TIME (UTC)") ||
		!strings.Contains(lines[1], "U0BOB") || !strings.Contains(lines[3], "v1.2") {
		t.Fatalf("bot audit: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `not allowed \x1b[2Jcleared`) {
		t.Errorf("a control character reached the terminal, or the detail is gone:\n%q", out)
	}

	code, out, _ = invoke(t, env, "audit", "-config", cfg, "-app", "myapp", "-since", "1d", "-json")
	var got []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		got = append(got, m)
	}
	if code != exitOK || len(got) != 1 || got[0]["user"] != "U0CAROL" || got[0]["result"] != "refused" {
		t.Errorf("-app myapp -since 1d -json: exit %d, %v", code, got)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-app", "nosuch"}, exitUsage, `no app "nosuch"`},
		{[]string{"-since", "yesterday"}, exitUsage, "a date such as 2026-12-01"},
		{[]string{"-limit", "0"}, exitUsage, "-limit must be above 0"},
	} {
		code, _, errOut := invoke(t, env, append([]string{"audit", "-config", cfg}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("audit %v: exit %d, want %d and %q:\n%s", tc.args, code, tc.code, tc.want, errOut)
		}
	}
	missing := filepath.Join(t.TempDir(), "none.db")
	code, _, errOut = invoke(t, map[string]string{"SWITCHYARD_STORE": missing}, "audit", "-config", cfg)
	if code != exitFailure || !strings.Contains(errOut, "there is no store at "+missing) {
		t.Errorf("a missing store: exit %d\n%s", code, errOut)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"90m":                  now.Add(-90 * time.Minute),
		"7d":                   now.AddDate(0, 0, -7),
		"2026-12-01":           time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		"2026-12-01T08:00:00Z": time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
	} {
		if got, err := parseSince(in, now); err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"-5m", "0d", "soon", "12/01/2026"} {
		if _, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q) accepted", bad)
		}
	}
}
