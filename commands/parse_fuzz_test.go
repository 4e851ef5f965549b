package commands

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzParse checks what must hold for any text at all: Parse returns, every
// command is well formed, and a deploy always names a valid app and version.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.text)
	}
	for _, tc := range replyCases {
		f.Add(tc.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c := Parse(text)
		switch c.Kind {
		case KindReply:
			checkReply(t, c.Reply)
			if c != (Command{Kind: KindReply, Reply: c.Reply, App: c.App}) {
				t.Errorf("a reply carries other fields: %+v", c)
			}
			if c.App != "" && (!appRE.MatchString(c.App) || !strings.HasPrefix(c.Reply, "Which version of "+c.App+" ")) {
				t.Errorf("a reply names app %q: %+v", c.App, c)
			}
			return
		case KindDeploy:
			if v, kind, bad := checkVersion(c.Version); bad != "" || v != c.Version || kind != c.VersionKind {
				t.Errorf("deploy of an invalid version %q (%s): %s", c.Version, c.VersionKind, bad)
			}
			if c.Config != "" && !configRE.MatchString(c.Config) {
				t.Errorf("deploy with an invalid config %q", c.Config)
			}
		case KindHistory:
			if c.N < 1 || c.N > MaxHistory {
				t.Errorf("history of %d", c.N)
			}
		case KindAudit:
			if c.N < 1 || c.N > MaxAudit {
				t.Errorf("audit of %d entries", c.N)
			}
		case KindFreeze:
			if c.For < time.Minute || c.For > MaxFreeze || c.Reason == "" {
				t.Errorf("freeze for %s because %q", c.For, c.Reason)
			}
		case KindStatus, KindRollback, KindLock, KindUnlock, KindList, KindHelp, KindModal, KindUnfreeze:
		default:
			t.Fatalf("unknown kind %q", c.Kind)
		}
		if c.Reply != "" {
			t.Errorf("%s command carries a reply: %+v", c.Kind, c)
		}
		needsApp := c.Kind != KindStatus && c.Kind != KindList && c.Kind != KindHelp && c.Kind != KindModal && !c.All
		if c.All && c.App != "" || c.All && c.Kind != KindFreeze && c.Kind != KindUnfreeze {
			t.Errorf("%s of all apps and of %q", c.Kind, c.App)
		}
		if (needsApp || c.App != "") && !appRE.MatchString(c.App) {
			t.Errorf("%s of an invalid app %q", c.Kind, c.App)
		}
		if c.Env != "" && !appRE.MatchString(c.Env) {
			t.Errorf("%s to an invalid environment %q", c.Kind, c.Env)
		}
		if c.Kind == KindLock && c.Reason == "" {
			t.Errorf("lock without a reason")
		}
		if n := utf8.RuneCountInString(c.Reason); n > MaxReason || !utf8.ValidString(c.Reason) {
			t.Errorf("reason of %d characters: %q", n, c.Reason)
		}
		if c.Reason != strings.TrimSpace(c.Reason) || strings.Contains(c.Reason, "  ") {
			t.Errorf("reason not trimmed: %q", c.Reason)
		}
		if n := utf8.RuneCountInString(c.Override); n > MaxReason || c.Override != strings.TrimSpace(c.Override) || c.Override != "" && c.Kind != KindDeploy {
			t.Errorf("%s with override %q", c.Kind, c.Override)
		}
		for _, r := range c.Reason + c.Override {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Errorf("reason keeps U+%04X: %q", r, c.Reason)
			}
		}
	})
}
