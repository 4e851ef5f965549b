package blocks

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestUsageGolden pins every reply to /deploy text that could not be read.
func TestUsageGolden(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	got := []string{
		CommandTooLong(4001, 4000),
		ReasonTooLong(1200, 1000),
		OptionFirst(),
		WithHelp(NameOddChar(FieldApp, "wеb", 'е')),
		WhichVersion("web"),
		WhichApp("history"),
		WhichApp("rollback"),
		EnvAfterTo("web v1.4"),
		EnvAfterTo("unlock web"),
		TwoEnvironments("staging", "production"),
		LockNeedsReason("web"),
		NotANumber("ten", "web"),
		HistoryRange("51", 50),
		WhichApp("audit"),
		AuditCount("ten", "web", 50),
		ExtraWords("extra words", "status web"),
		NoOptions("status", "--all"),
		UnknownOption("--force"),
		ConfigTwice(),
		ConfigNeedsValue(),
		ConfigOddChar("ｃａｎａｒｙ", 'ｃ'),
		ConfigUnreadable("bad/name"),
		ConfigTypo("canery", "canary"),
		NameEmpty(FieldApp),
		NameOddChar(FieldEnv, "pro_d", '_'),
		NameUnreadable(FieldApp, "-web"),
		VersionOddChar("v1.4\u202e", '\u202e'),
		VersionOddChar("v1\ufffd", utf8.RuneError),
		VersionOddChar("\u212a8s", '\u212a'),
		VersionOddChar("café", 'é'),
		DigestLength("sha256:abc", 3),
		BadVersion("sha256:"+strings.Repeat("g", 64), DigestNotHex),
		BadVersion(".v1", TagUnreadable),
		BadVersion("r.io/web@sha256:12", DigestAfterAt),
		BadVersion("r.io/web:", TagAfterColon),
		BadVersion("registry.example.com/web", NoTagOrDigest),
		BadVersion(":v1", RepositoryLength),
		BadVersion("registry.io/Web:v1", RepositoryName),
		NotAHost("reg_istry.com/web:v1", "reg_istry.com"),
		NotAHost("-bad.io/web@"+digest, "-bad.io"),
	}
	golden(t, "usage", got)
}

// Every version problem has its words.
func TestEveryVersionProblemIsSaid(t *testing.T) {
	for p := DigestNotHex; p <= RepositoryName; p++ {
		if s := BadVersion("v", p); strings.HasSuffix(s, ": ") {
			t.Errorf("problem %d has no words: %q", p, s)
		}
	}
}

// TestUsageShowsInputAsText feeds the replies what a person might type to
// ping a channel, slip in a link or turn the reply around: it must show as
// text, shortened, with invisible characters made visible. Names the parser
// has checked (an app, a subcommand) cannot hold invisible characters, but
// markup in them is escaped all the same.
func TestUsageShowsInputAsText(t *testing.T) {
	hostile := []string{"<!here>", "<@U0EVIL>", "<https://evil.example.com|docs>", "a&b", "v1\u202eevil", "x\x07y",
		"<!channel>" + strings.Repeat("x", 100)}
	for _, in := range hostile {
		typed := map[string]string{
			"not a number":   NotANumber(in, "web"),
			"history range":  HistoryRange(in, 50),
			"audit count":    AuditCount(in, "web", 50),
			"extra words":    ExtraWords(in, "status web"),
			"no options":     NoOptions("status", in),
			"unknown option": UnknownOption(in),
			"config char":    ConfigOddChar(in, '<'),
			"config":         ConfigUnreadable(in),
			"config typo":    ConfigTypo(in, "canary"),
			"name char":      NameOddChar(FieldApp, in, '<'),
			"name":           NameUnreadable(FieldEnv, in),
			"version char":   VersionOddChar(in, '\u202e'),
			"version":        BadVersion(in, NoTagOrDigest),
			"digest":         DigestLength(in, 3),
			"host":           NotAHost(in, in),
		}
		for name, got := range typed {
			if strings.ContainsAny(got, "<>") {
				t.Errorf("%s of %q has live markup: %q", name, in, got)
			}
			if !utf8.ValidString(got) || utf8.RuneCountInString(got) > 400 {
				t.Errorf("%s of %q is not short, valid text: %q", name, in, got)
			}
			for _, r := range got {
				if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
					t.Errorf("%s of %q carries U+%04X: %q", name, in, r, got)
				}
			}
		}
		for name, got := range map[string]string{
			"not a number app": NotANumber("x", in),
			"audit count app":  AuditCount("x", in, 50),
			"mistyped sub":     MistypedSubcommand(in, "history"),
			"extra words cmd":  ExtraWords("x", in),
			"no options cmd":   NoOptions(in, "--x"),
			"config typo":      ConfigTypo("x", in),
			"which version":    WhichVersion(in),
			"which app":        WhichApp(in),
			"env after to":     EnvAfterTo(in),
			"two environments": TwoEnvironments(in, in),
			"lock reason":      LockNeedsReason(in),
		} {
			if strings.ContainsAny(got, "<>") {
				t.Errorf("%s of %q has live markup: %q", name, in, got)
			}
		}
	}
	if got := quoteInput(strings.Repeat("é", 50)); got != "“"+strings.Repeat("é", 39)+"…”" {
		t.Errorf("long input is shown as %q", got)
	}
	if got := quoteInput("v1\u202eevil"); got != "“v1\ufffdevil”" {
		t.Errorf("an override is shown as %q", got)
	}
}

// TestDescribeNamesTheCharacter: a look-alike names the letter it imitates,
// and a character of Slack's markup is escaped.
func TestDescribeNamesTheCharacter(t *testing.T) {
	for r, want := range map[rune]string{
		'е':            "“е” (U+0435), a Cyrillic letter that looks like the Latin “e”; type it in plain ASCII",
		'α':            "“α” (U+03B1), a Greek letter that looks like the Latin “a”; type it in plain ASCII",
		'ｗ':            "“ｗ” (U+FF57), a full-width character that looks like “w”; switch to half-width input",
		'＜':            "“＜” (U+FF1C), a full-width character that looks like “&lt;”; switch to half-width input",
		'<':            "“&lt;”, which is not allowed there",
		'\u200b':       "an invisible character (U+200B); retype it",
		utf8.RuneError: "a character that is not valid text",
		'é':            "“é” (U+00E9), a non-ASCII character; only plain ASCII letters and digits work",
		'\u0131':       "“ı” (U+0131), a non-ASCII letter that looks like the Latin “i”; type it in plain ASCII",
	} {
		if got := describe(r); got != want {
			t.Errorf("describe(%U) = %q\nwant %q", r, got, want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 4001: "4,001", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
