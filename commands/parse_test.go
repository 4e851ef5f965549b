package commands

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	testHex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	testECR   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web"
)

func wantDeploy(app, version string, kind VersionKind) Command {
	return Command{Kind: KindDeploy, App: app, Version: version, VersionKind: kind}
}

func withField(c Command, f func(*Command)) Command { f(&c); return c }

func withEnv(c Command, e string) Command    { return withField(c, func(c *Command) { c.Env = e }) }
func withConfig(c Command, n string) Command { return withField(c, func(c *Command) { c.Config = n }) }
func withReason(c Command, r string) Command { return withField(c, func(c *Command) { c.Reason = r }) }

var testWebV14 = wantDeploy("web", "v1.4", VersionTag)

// parseCases are inputs Parse reads. Each wants an exact command.
var parseCases = []struct {
	name string
	text string
	want Command
}{
	{"tag", "web v1.4", testWebV14},
	{"leading slash command", "/deploy web v1.4", testWebV14},
	{"app is case-insensitive, tag is not", "Web V1.4", wantDeploy("web", "V1.4", VersionTag)},
	{"environment after the version", "web v1.4 to production", withEnv(testWebV14, "production")},
	{"environment before the version", "web to production v1.4", withEnv(testWebV14, "production")},
	{"environment and reason", "web v1.4 TO Production fix login", withReason(withEnv(testWebV14, "production"), "fix login")},
	{"canary", "web v1.4 --config canary", withConfig(testWebV14, ConfigCanary)},
	{"config with =", "web v1.4 --config=linear", withConfig(testWebV14, ConfigLinear)},
	{"config shorthand in capitals", "web v1.4 --config ALL-AT-ONCE", withConfig(testWebV14, ConfigAllAtOnce)},
	{"custom config", "web v1.4 --config Custom.Config_1", withConfig(testWebV14, "Custom.Config_1")},
	{"full config name", "web v1.4 --config CodeDeployDefault.ECSCanary10Percent15Minutes", withConfig(testWebV14, "CodeDeployDefault.ECSCanary10Percent15Minutes")},
	{"em dash from autocorrect", "web v1.4 —config canary", withConfig(testWebV14, ConfigCanary)},
	{"en dash from autocorrect", "web v1.4 –config canary", withConfig(testWebV14, ConfigCanary)},
	{"option after the reason", "web v1.4 fix the login bug --config canary", withReason(withConfig(testWebV14, ConfigCanary), "fix the login bug")},
	{"everything", "web v1.4 to staging --config linear ship it", withReason(withConfig(withEnv(testWebV14, "staging"), ConfigLinear), "ship it")},
	{"quoted reason", `web v1.4 "fix the login bug"`, withReason(testWebV14, "fix the login bug")},
	{"smart-quoted reason", "web v1.4 “fix the login bug”", withReason(testWebV14, "fix the login bug")},
	{"low-high quotes", "web v1.4 „fix the login bug“", withReason(testWebV14, "fix the login bug")},
	{"single smart quotes", "web v1.4 ‘fix it’", withReason(testWebV14, "fix it")},
	{"quoted reason with --", `web v1.4 "revert --config change"`, withReason(testWebV14, "revert --config change")},
	{"apostrophe in reason", "web v1.4 don't page me", withReason(testWebV14, "don't page me")},
	{"quotes inside reason kept", `web v1.4 fix "login" bug`, withReason(testWebV14, `fix "login" bug`)},
	{"unterminated quote in reason", `web v1.4 "fix login`, withReason(testWebV14, `"fix login`)},
	{"quoted version", `web "v1.4"`, testWebV14},
	{"smart-quoted version and env", "web ‘v1.4’ to “production”", withEnv(testWebV14, "production")},
	{"quoted app may be a subcommand word", `"status" v1`, wantDeploy("status", "v1", VersionTag)},
	{"date-like tag", "web 2024.03.14-1_rc", wantDeploy("web", "2024.03.14-1_rc", VersionTag)},
	{"underscore tag", "web _latest", wantDeploy("web", "_latest", VersionTag)},
	{"128-character tag", "web " + strings.Repeat("a", 128), wantDeploy("web", strings.Repeat("a", 128), VersionTag)},
	{"digest", "web sha256:" + testHex64, wantDeploy("web", "sha256:"+testHex64, VersionDigest)},
	{"@digest in capitals", "web @SHA256:" + strings.ToUpper(testHex64), wantDeploy("web", "sha256:"+testHex64, VersionDigest)},
	{"ECR image", "web " + testECR + ":v1.4", wantDeploy("web", testECR+":v1.4", VersionImage)},
	{"registry with port and digest", "web registry.example.com:5000/team/web@sha256:" + testHex64,
		wantDeploy("web", "registry.example.com:5000/team/web@sha256:"+testHex64, VersionImage)},
	{"tag and digest", "web r.io/web:v1@sha256:" + testHex64, wantDeploy("web", "r.io/web:v1@sha256:"+testHex64, VersionImage)},
	{"localhost registry", "web localhost/web:v1", wantDeploy("web", "localhost/web:v1", VersionImage)},
	{"repo:tag without registry", "web web:v1.4", wantDeploy("web", "web:v1.4", VersionImage)},
	{"tabs and newlines", "web\tv1.4\nto  production\r\n", withEnv(testWebV14, "production")},
	{"no-break space", "web\u00a0v1.4", testWebV14},
	{"ideographic space", "web\u3000v1.4", testWebV14},
	{"narrow no-break space", "web\u202fv1.4\u2003to\u2009production", withEnv(testWebV14, "production")},
	{"zero-width space inside the app", "we\u200bb v1.4", testWebV14},
	{"zero-width joiner and BOM", "\ufeffweb v1.\u200d4", testWebV14},
	{"Slack escapes", "web v1.4 fix &amp; ship &lt;now&gt;", withReason(testWebV14, "fix & ship <now>")},
	{"control characters leave the reason", "web v1.4 fix\x07 the\x1b bug\u202e", withReason(testWebV14, "fix the bug")},
	{"reason spaces collapse", `web v1.4 "  fix    the bug  "`, withReason(testWebV14, "fix the bug")},
	{"mention kept in reason", "web v1.4 asked by <@U123>", withReason(testWebV14, "asked by <@U123>")},
	{"long reason is shortened", "web v1.4 " + strings.Repeat("x", 700), withReason(testWebV14, strings.Repeat("x", 499)+"…")},
	{"63-character app", strings.Repeat("a", 63) + " v1", wantDeploy(strings.Repeat("a", 63), "v1", VersionTag)},

	{"empty opens the modal", "", Command{Kind: KindModal}},
	{"blank", " \u00a0\n\t", Command{Kind: KindModal}},
	{"only the command", "/deploy", Command{Kind: KindModal}},
	{"help", "help", Command{Kind: KindHelp}},
	{"help on a topic", "HELP lock", Command{Kind: KindHelp, Topic: "lock"}},
	{"help on config", "help config", Command{Kind: KindHelp, Topic: "config"}},
	{"help with other words", "help me please", Command{Kind: KindHelp}},
	{"question mark", "?", Command{Kind: KindHelp}},
	{"--help", "--help", Command{Kind: KindHelp}},
	{"status", "status", Command{Kind: KindStatus}},
	{"status of an app", "Status Web", Command{Kind: KindStatus, App: "web"}},
	{"history", "history web", Command{Kind: KindHistory, App: "web", N: DefaultHistory}},
	{"history of 50", "history web 50", Command{Kind: KindHistory, App: "web", N: 50}},
	{"history of 1", "history web 1", Command{Kind: KindHistory, App: "web", N: 1}},
	{"audit", "audit web", Command{Kind: KindAudit, App: "web", N: DefaultAudit}},
	{"audit of 50", "audit Web 50", Command{Kind: KindAudit, App: "web", N: 50}},
	{"rollback", "rollback web", Command{Kind: KindRollback, App: "web"}},
	{"rollback to an env", "rollback web to production", Command{Kind: KindRollback, App: "web", Env: "production"}},
	{"lock", "lock web incident 42", Command{Kind: KindLock, App: "web", Reason: "incident 42"}},
	{"lock an env", "lock web to production “incident 42”", Command{Kind: KindLock, App: "web", Env: "production", Reason: "incident 42"}},
	{"unlock", "unlock web", Command{Kind: KindUnlock, App: "web"}},
	{"unlock an env", "unlock web to staging", Command{Kind: KindUnlock, App: "web", Env: "staging"}},
	{"list", "List", Command{Kind: KindList}},
	{"freeze", "freeze web 30m release week", Command{Kind: KindFreeze, App: "web", For: 30 * time.Minute, Reason: "release week"}},
	{"freeze all", "freeze ALL 1h30m “incident 42”", Command{Kind: KindFreeze, All: true, For: 90 * time.Minute, Reason: "incident 42"}},
	{"unfreeze", "unfreeze web", Command{Kind: KindUnfreeze, App: "web"}},
	{"unfreeze all", "unfreeze all", Command{Kind: KindUnfreeze, All: true}},
	{"override", "web v1.4 fix login --override hotfix for checkout", withOverride(withReason(testWebV14, "fix login"), "hotfix for checkout")},
	{"override then config", "web v1.4 --override=hotfix now --config canary",
		Command{Kind: KindDeploy, App: "web", Version: "v1.4", VersionKind: VersionTag, Config: ConfigCanary, Override: "hotfix now"}},
	{"a quoted override, then the reason", `web v1.4 --override "hotfix for checkout" extra reason`,
		Command{Kind: KindDeploy, App: "web", Version: "v1.4", VersionKind: VersionTag, Override: "hotfix for checkout", Reason: "extra reason"}},
	{"a freeze of days", "freeze web 2d release week",
		Command{Kind: KindFreeze, App: "web", For: 48 * time.Hour, Reason: "release week"}},
	{"a freeze of a week and a half day", "freeze all 6d12h release",
		Command{Kind: KindFreeze, All: true, For: 6*24*time.Hour + 12*time.Hour, Reason: "release"}},
}

func withOverride(c Command, why string) Command {
	c.Override = why
	return c
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Parse(tc.text); got != tc.want {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tc.text, got, tc.want)
			}
		})
	}
}

// replyCases are inputs Parse refuses. Each reply must contain every
// fragment listed, so that it says what was wrong.
var replyCases = []struct {
	name string
	text string
	want []string
}{
	{"no version", "web", []string{"Which version of web", "/deploy web v1.4.2"}},
	{"env but no version", "web to production", []string{"Which version of web"}},
	{"to without env", "web v1.4 to", []string{"after “to”", "to production"}},
	{"override without a reason", "web v1.4 --override", []string{"Say why it cannot wait", "--override"}},
	{"override twice", "web v1.4 --override a --override b", []string{"Say why it cannot wait"}},
	{"freeze without a duration", "freeze web", []string{"Freeze like this"}},
	{"freeze without a reason", "freeze web 30m", []string{"Freeze like this"}},
	{"freeze for a year", "freeze web 8760h no", []string{"“8760h” is not a duration from 1m to 7d"}},
	{"freeze for two weeks", "freeze web 2w no", []string{"“2w” is not a duration from 1m to 7d"}},
	{"two environments", "web v1.4 to staging to production", []string{"Name one environment: this names “staging” and “production”"}},
	{"a mistyped option", "web v1.4 --confg linear", []string{"I don't know the option “--confg”", "`--override &lt;why&gt;`"}},
	{"freeze for nothing", "freeze web soon because", []string{"“soon” is not a duration"}},
	{"unfreeze nothing", "unfreeze", []string{"Say what to unfreeze"}},
	{"unfreeze with words", "unfreeze web now", []string{"“now”"}},
	{"Cyrillic letter in the app", "wеb v1.4", []string{"app name", "U+0435", "Cyrillic", "Latin “e”"}},
	{"Greek letter in the app", "webαpp v1.4", []string{"U+03B1", "Greek", "“a”"}},
	{"full-width app", "ｗｅｂ v1.4", []string{"app name", "U+FF57", "full-width", "“w”"}},
	{"full-width digit in the version", "web v１.4", []string{"version", "U+FF11", "full-width", "“1”"}},
	{"Cyrillic in the env", "web v1.4 to prоduction", []string{"environment", "U+043E", "Cyrillic"}},
	{"Kelvin sign", "web \u212A8s", []string{"U+212A", "“K”"}},
	{"accented letter", "café v1", []string{"U+00E9", "ASCII"}},
	{"bidi override in the version", "web v1.4\u202e", []string{"invisible character", "U+202E", "“v1.4\ufffd”"}},
	{"invalid UTF-8", "web v1\xff", []string{"not valid text"}},
	{"shell: semicolon", "web v1.4;rm -rf /", []string{"version", "“;”"}},
	{"shell: command substitution", "web $(whoami)", []string{"version", "“$”"}},
	{"shell: backtick", "web `id`", []string{"version", "“`”"}},
	{"shell: pipe", "web v1.4|sh", []string{"“|”"}},
	{"shell: redirect is escaped", "web v1>x", []string{"“&gt;”"}},
	{"tag starting with a dot", "web .v1", []string{"can't start with “.”"}},
	{"tag starting with a dash", "web -v1", []string{"can't start with"}},
	{"129-character tag", "web " + strings.Repeat("a", 129), []string{"at most 128"}},
	{"short digest", "web sha256:abc", []string{"64 hex digits", "3 characters"}},
	{"digest with bad hex", "web sha256:" + strings.Repeat("g", 64), []string{"64 hex digits, 0–9 and a–f"}},
	{"upper-case repository", "web registry.io/Web:v1", []string{"lower-case"}},
	{"image without tag", "web registry.example.com/web", []string{"needs a “:tag”"}},
	{"bad registry", "web reg_istry.com/web:v1", []string{"not a host name"}},
	{"bad digest after @", "web r.io/web@sha256:12", []string{"after “@”"}},
	{"empty tag after colon", "web r.io/web:", []string{"after the last “:”"}},
	{"--config without value", "web v1.4 --config", []string{"`--config` needs a value"}},
	{"--config followed by an option", "web v1.4 --config --force", []string{"needs a value"}},
	{"--config= empty", "web v1.4 --config=", []string{"deployment config"}},
	{"unknown option", "web v1.4 --force", []string{"don't know the option", "--force"}},
	{"unknown single-dash word is a reason, unknown -- is not", "web v1.4 -x --dry-run", []string{"--dry-run"}},
	{"--config twice", "web v1.4 --config canary --config linear", []string{"once"}},
	{"config typo", "web v1.4 --config canery", []string{"Did you mean `--config canary`"}},
	{"config with a slash", "web v1.4 --config bad/name", []string{"deployment config", "“bad/name”"}},
	{"full-width config", "web v1.4 --config ｃａｎａｒｙ", []string{"U+FF43"}},
	{"101-character config", "web v1.4 --config " + strings.Repeat("c", 101), []string{"at most 100"}},
	{"option first", "--config canary web v1", []string{"Start with the app name"}},
	{"underscore in app", "we_b v1", []string{"app name", "“_”"}},
	{"app starting with a dash", "-web v1", []string{"start with a letter or digit"}},
	{"64-character app", strings.Repeat("a", 64) + " v1", []string{"at most 63"}},
	{"unterminated quote around app", `"web v1.4`, []string{"app name", "“\"”"}},
	{"empty quoted app", `"" v1`, []string{"app name is empty"}},
	{"mention as app is escaped", "<@U123> v1", []string{"&lt;@U123&gt;"}},
	{"channel ping as app is escaped", "<!channel> v1", []string{"&lt;!channel&gt;"}},
	{"bad env characters", "web v1.4 to pro_d", []string{"environment", "“_”"}},
	{"text over 4,000 characters", "web v1.4 " + strings.Repeat("x", 3992), []string{"4,001 characters", "4,000"}},
	{"reason over 1,000 characters", "web v1.4 " + strings.Repeat("y", 1001), []string{"1,001", "1,000"}},
	{"reason over 1,000 multi-byte characters", "lock web " + strings.Repeat("é", 1200), []string{"1,200"}},
	{"status with extra words", "status web extra words", []string{"“extra words”", "/deploy status web"}},
	{"status with an option", "status --all", []string{"takes no options", "--all"}},
	{"status of a look-alike", "status wеb", []string{"U+0435"}},
	{"history without app", "history", []string{"Which app"}},
	{"history of 51", "history web 51", []string{"1 to 50", "“51”"}},
	{"history of 0", "history web 0", []string{"1 to 50"}},
	{"history of -3", "history web -3", []string{"1 to 50"}},
	{"history of a huge number", "history web 99999999999999999999", []string{"1 to 50"}},
	{"history of words", "history web ten", []string{"couldn't read “ten” as a number"}},
	{"history with extra words", "history web 5 more", []string{"“more”"}},
	{"audit without app", "audit", []string{"Which app", "/deploy audit web"}},
	{"audit of 51", "audit web 51", []string{"1 to 50 entries", "“51”"}},
	{"audit of words", "audit web ten", []string{"1 to 50 entries", "“ten”"}},
	{"audit with extra words", "audit web 5 more", []string{"“more”"}},
	{"audit with an option", "audit web --all", []string{"takes no options"}},
	{"rollback without app", "rollback", []string{"Which app", "/deploy rollback web"}},
	{"rollback with a reason", "rollback web because 500s", []string{"“because 500s”", "/deploy rollback web"}},
	{"rollback to nowhere", "rollback web to", []string{"after “to”"}},
	{"rollback with --config", "rollback web --config canary", []string{"takes no options"}},
	{"lock without reason", "lock web", []string{"Say why you are locking web"}},
	{"lock env without reason", "lock web to production", []string{"Say why"}},
	{"lock with empty quoted reason", `lock web ""`, []string{"Say why"}},
	{"unlock with extra words", "unlock web now", []string{"“now”"}},
	{"list with extra words", "list all apps", []string{"“all apps”", "/deploy list"}},
}

func TestParseReplies(t *testing.T) {
	for _, tc := range replyCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Parse(tc.text)
			if got.Kind != KindReply {
				t.Fatalf("Parse(%q) = %+v, want a reply", tc.text, got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got.Reply, w) {
					t.Errorf("Parse(%q).Reply = %q\nwant it to contain %q", tc.text, got.Reply, w)
				}
			}
			checkReply(t, got.Reply)
			if want := strings.HasPrefix(got.Reply, "Which version of"); (got.App != "") != want {
				t.Errorf("Parse(%q).App = %q; only the question of the version names the app", tc.text, got.App)
			}
		})
	}
}

// checkReply holds every reply to what Slack can show safely and briefly.
func checkReply(t *testing.T, r string) {
	t.Helper()
	if r == "" || utf8.RuneCountInString(r) > 400 {
		t.Errorf("reply has %d characters: %q", utf8.RuneCountInString(r), r)
	}
	if strings.ContainsAny(r, "<>") {
		t.Errorf("reply has unescaped < or >: %q", r)
	}
	if !utf8.ValidString(r) {
		t.Errorf("reply is not valid UTF-8: %q", r)
	}
	for _, c := range r {
		if unicode.IsControl(c) || unicode.Is(unicode.Cf, c) {
			t.Errorf("reply has the invisible character U+%04X: %q", c, r)
		}
	}
}

func TestParseCaseCount(t *testing.T) {
	if n := len(parseCases) + len(replyCases); n < 60 {
		t.Errorf("%d cases; the parser deserves at least 60", n)
	}
}

// TestParseNamesTheAppWithoutVersion: the question of the version names
// the app, so that the handler can answer a word that is no app otherwise.
func TestParseNamesTheAppWithoutVersion(t *testing.T) {
	for text, app := range map[string]string{"frobnicate": "frobnicate", "Web to production": "web", "web --config canary": "web"} {
		if c := Parse(text); c.Kind != KindReply || c.App != app {
			t.Errorf("Parse(%q) = %+v, want a reply naming %q", text, c, app)
		}
	}
	if c := Parse("web v1.4 to"); c.Kind != KindReply || c.App != "" {
		t.Errorf("a reply that is not about the version names an app: %+v", c)
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"web", "api", "payments", "payments-worker", "checkout"}
	for _, tc := range []struct{ name, want string }{
		{"web", "web"},
		{"WEB", "web"},
		{"wbe", "web"},
		{"wb", "web"},
		{"paymnts", "payments"},
		{"pay", "payments"},
		{"payments-wrker", "payments-worker"},
		{"chekout", "checkout"},
		{"checkout-v2", ""},
		{"zz", ""},
		{"x", ""},
		{"", ""},
		{"ab", ""},
		{strings.Repeat("w", 500), ""},
	} {
		if got := Suggest(tc.name, known); got != tc.want {
			t.Errorf("Suggest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := Suggest("web", nil); got != "" {
		t.Errorf("Suggest with no names = %q", got)
	}
}

func TestLevenshtein(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"wеb", "web", 1}, {"canery", "canary", 1}} {
		if got := levenshtein(tc.a, tc.b); got != tc.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
