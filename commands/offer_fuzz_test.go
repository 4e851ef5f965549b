package commands

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadOffer: a Queue me button's value comes back from Slack; whatever
// it holds, readOffer returns, and a deploy it accepts is as well formed as
// one the parser accepts. What offerOf writes reads back the same.
func FuzzReadOffer(f *testing.F) {
	for _, c := range []Command{
		{Kind: KindDeploy, App: "web", Env: "staging", Version: "v1.5", VersionKind: VersionTag, Reason: "fix login"},
		{Kind: KindDeploy, App: "web", Env: "production", Version: "sha256:" + strings.Repeat("ab", 32), VersionKind: VersionDigest, Config: ConfigCanary},
		{Kind: KindDeploy, App: "web", Env: "staging", Version: "v1", VersionKind: VersionTag, Reason: strings.Repeat("é<>&\"", 100)},
	} {
		v := offerOf(c, c.Env)
		got, ok := readOffer(v)
		if !ok || got != c {
			f.Fatalf("offerOf(%+v) = %s reads back %+v, %v", c, v, got, ok)
		}
		f.Add(v)
	}
	f.Add(`{"a":"<!here>","e":"prod","v":"v1"}`)
	f.Add(`{"a":"web","e":"prod","v":"v1;rm -rf"}`)
	f.Add(`{"a":"web","e":"prod","v":"v1","c":"Fast.Config","r":"\u202e\u0007"}`)
	f.Add(`[1,2,3]`)
	f.Fuzz(func(t *testing.T, value string) {
		c, ok := readOffer(value)
		if !ok {
			return
		}
		if !appRE.MatchString(c.App) || !appRE.MatchString(c.Env) {
			t.Errorf("an offer of app %q env %q", c.App, c.Env)
		}
		if v, kind, bad := checkVersion(c.Version); bad != "" || v != c.Version || kind != c.VersionKind {
			t.Errorf("an offer of version %q: %s", c.Version, bad)
		}
		if c.Config != "" && !configRE.MatchString(c.Config) {
			t.Errorf("an offer of config %q", c.Config)
		}
		if n := utf8.RuneCountInString(c.Reason); n > MaxReason || c.Reason != strings.TrimSpace(c.Reason) {
			t.Errorf("an offer's reason %q", c.Reason)
		}
	})
}

// FuzzReadMeta: a modal's private_metadata comes back from Slack; whatever
// it holds, readMeta returns a channel ID or nothing, an app name or nothing.
func FuzzReadMeta(f *testing.F) {
	f.Add(modalMeta{Channel: "C0DEPLOYS", App: "web"}.String())
	f.Add(`{"channel":"<#C0DEPLOYS>","app":"../etc"}`)
	f.Add(`{"channel":"D0ALICE"}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, s string) {
		m := readMeta(s)
		if m.Channel != "" && !channelIDRE.MatchString(m.Channel) {
			t.Errorf("channel %q", m.Channel)
		}
		if m.App != "" && !appRE.MatchString(m.App) {
			t.Errorf("app %q", m.App)
		}
	})
}
