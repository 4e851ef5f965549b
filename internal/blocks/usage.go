package blocks

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The replies to /deploy text that could not be read. The parser decides
// what is wrong and calls these for the words; each returns one short
// sentence of mrkdwn. What the person typed (input) is shown quoted,
// shortened and escaped, with invisible characters made visible, so that it
// can neither ping, link nor reorder the rest of the reply. Names and
// versions the parser has already checked go in escaped like any text.

// Field is a word of a command that names something, as replies call it.
type Field string

// The named words of a command.
const (
	FieldApp Field = "app name"
	FieldEnv Field = "environment"
)

// CommandTooLong answers a command of n characters when at most limit are
// read.
func CommandTooLong(n, limit int) string {
	return fmt.Sprintf("That command is %s characters long; I read at most %s. Put long notes in the deployment's thread.",
		thousands(n), thousands(limit))
}

// ReasonTooLong answers a reason of n characters when at most limit are
// taken.
func ReasonTooLong(n, limit int) string {
	return fmt.Sprintf("That reason is %s characters long; keep it under %s and put the details in the thread.", thousands(n), thousands(limit))
}

// OptionFirst answers a command that starts with an option.
func OptionFirst() string {
	return "Start with the app name, then the version: `/deploy web v1.4.2 --config canary`. See `/deploy help`."
}

// WithHelp points the reply why at /deploy help, for a first word so
// wrong that the person may not know the commands.
func WithHelp(why string) string {
	return why + " See `/deploy help`."
}

// WhichVersion asks for the version of a deploy of app.
func WhichVersion(app string) string {
	app = Escape(app)
	return fmt.Sprintf("Which version of %s should I deploy? For example: `/deploy %s v1.4.2`.", app, app)
}

// WhichApp asks for the app that subcommand (history, rollback, lock,
// unlock) is about.
func WhichApp(subcommand string) string {
	example := Escape(subcommand) + " web"
	if subcommand == "history" {
		example += " 20"
	}
	return fmt.Sprintf("Which app? For example: `/deploy %s`.", example)
}

// EnvAfterTo asks for the environment missing after "to"; command is
// what came before it ("web v1.4", "rollback web").
func EnvAfterTo(command string) string {
	return fmt.Sprintf("Say which environment after “to”, for example: `/deploy %s to production`.", Escape(command))
}

// TwoEnvironments refuses a deploy that names two environments.
func TwoEnvironments(first, second string) string {
	return fmt.Sprintf("Name one environment: this names %s and %s. Deploy to each in turn.", quoteInput(first), quoteInput(second))
}

// LockNeedsReason asks why app is being locked.
func LockNeedsReason(app string) string {
	app = Escape(app)
	return fmt.Sprintf("Say why you are locking %s, so that people know: `/deploy lock %s database migration until 15:00`.", app, app)
}

// NotANumber answers a count of history of app that is no number.
func NotANumber(input, app string) string {
	return fmt.Sprintf("I couldn't read %s as a number of deployments; try `/deploy history %s 20`.", quoteInput(input), Escape(app))
}

// AuditCount answers a count of audit entries of app (input) that is no
// number from 1 to limit.
func AuditCount(input, app string, limit int) string {
	return fmt.Sprintf("The audit trail shows 1 to %d entries, not %s: try `/deploy audit %s 20`.", limit, quoteInput(input), Escape(app))
}

// HistoryRange answers a count of history outside 1 to limit.
func HistoryRange(input string, limit int) string {
	return fmt.Sprintf("History shows 1 to %d deployments, not %s.", limit, quoteInput(input))
}

// ExtraWords answers words (input) after a complete command.
func ExtraWords(input, command string) string {
	return fmt.Sprintf("I don't know what to do with %s after `/deploy %s`. See `/deploy help`.", quoteInput(input), Escape(command))
}

// NoOptions answers an option (input) given to a subcommand that takes
// none.
func NoOptions(subcommand, input string) string {
	return fmt.Sprintf("`/deploy %s` takes no options such as %s.", Escape(subcommand), quoteInput(input))
}

// UnknownOption answers an option other than --config.
func UnknownOption(input string) string {
	return fmt.Sprintf("I don't know the option %s. The options are `--config canary|linear|all-at-once|&lt;config name&gt;` and `--override &lt;why&gt;` (during a freeze); quote a reason that has dashes in it.", quoteInput(input))
}

// ConfigTwice answers --config given more than once.
func ConfigTwice() string { return "Give `--config` once." }

// ConfigNeedsValue answers --config without a value.
func ConfigNeedsValue() string {
	return "`--config` needs a value: canary, linear, all-at-once or a CodeDeploy config name."
}

// ConfigOddChar answers a deployment config (input) that contains r.
func ConfigOddChar(input string, r rune) string {
	return fmt.Sprintf("I couldn't read the deployment config %s: it contains %s.", quoteInput(input), describe(r))
}

// ConfigUnreadable answers a deployment config (input) that is no
// config name.
func ConfigUnreadable(input string) string {
	return fmt.Sprintf("I couldn't read the deployment config %s: use canary, linear, all-at-once or a CodeDeploy config name of at most 100 letters, digits, “.”, “_” and “-”.", quoteInput(input))
}

// ConfigTypo answers a deployment config (input) close to the shorthand
// suggestion.
func ConfigTypo(input, suggestion string) string {
	return fmt.Sprintf("I don't know the deployment config %s. Did you mean `--config %s`?", quoteInput(input), Escape(suggestion))
}

// NameEmpty answers an empty name.
func NameEmpty(what Field) string {
	return fmt.Sprintf("The %s is empty.", what)
}

// NameOddChar answers a name (input) that contains r.
func NameOddChar(what Field, input string, r rune) string {
	return fmt.Sprintf("I couldn't read the %s %s: it contains %s.", what, quoteInput(input), describe(r))
}

// NameUnreadable answers a name (input) of the right characters in the
// wrong shape.
func NameUnreadable(what Field, input string) string {
	return fmt.Sprintf("I couldn't read the %s %s: names are letters, digits and “-”, start with a letter or digit, and have at most 63 characters.", what, quoteInput(input))
}

// VersionProblem is what is wrong with a version as typed, where the
// reply needs nothing more than the version to say it.
type VersionProblem int

// The version problems.
const (
	DigestNotHex     VersionProblem = iota + 1 // sha256: and 64 characters, not all hex
	TagUnreadable                              // a tag of characters a tag can't have
	DigestAfterAt                              // an image reference with a bad digest after "@"
	TagAfterColon                              // an image reference with a bad tag after ":"
	NoTagOrDigest                              // an image reference without either
	RepositoryLength                           // an image reference whose repository is empty or too long
	RepositoryName                             // an image reference whose repository path is ill-formed
)

var versionWhy = map[VersionProblem]string{
	DigestNotHex:     "a digest is “sha256:” and 64 hex digits, 0–9 and a–f.",
	TagUnreadable:    "a tag is at most 128 letters, digits, “_”, “.” and “-”, and can't start with “.” or “-”.",
	DigestAfterAt:    "after “@” comes “sha256:” and 64 lower-case hex digits.",
	TagAfterColon:    "the tag after the last “:” is at most 128 letters, digits, “_”, “.” and “-”.",
	NoTagOrDigest:    "an image reference needs a “:tag” or an “@sha256:” digest.",
	RepositoryLength: "the repository name must have 1 to 255 characters.",
	RepositoryName:   "repository names are lower-case letters and digits separated by “/”, “.”, “_” or “-”.",
}

// BadVersion answers a version (input) with problem p.
func BadVersion(input string, p VersionProblem) string {
	return badVersion(input, versionWhy[p])
}

// VersionOddChar answers a version (input) that contains r.
func VersionOddChar(input string, r rune) string {
	return badVersion(input, "it contains "+describe(r)+".")
}

// DigestLength answers a digest of n characters after "sha256:".
func DigestLength(input string, n int) string {
	return badVersion(input, fmt.Sprintf("a digest is “sha256:” and 64 hex digits (I got %d characters).", n))
}

// NotAHost answers an image reference whose registry is no host name.
func NotAHost(input, registry string) string {
	return badVersion(input, "the registry "+quoteInput(registry)+" is not a host name.")
}

func badVersion(input, why string) string {
	return "I couldn't read that version " + quoteInput(input) + ": " + why
}

// describe names a character that cannot be in a name, by its code point
// when it is not plain ASCII, and says which letter it imitates.
func describe(r rune) string {
	switch {
	case r == utf8.RuneError:
		return "a character that is not valid text"
	case r < utf8.RuneSelf && unicode.IsPrint(r):
		return "“" + Escape(string(r)) + "”, which is not allowed there"
	case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || !unicode.IsPrint(r):
		return fmt.Sprintf("an invisible character (U+%04X); retype it", r)
	case r >= 0xFF01 && r <= 0xFF5E:
		return fmt.Sprintf("“%c” (U+%04X), a full-width character that looks like “%s”; switch to half-width input", r, r, Escape(string(r-0xFEE0)))
	}
	script := "non-ASCII"
	for _, s := range []struct {
		name  string
		table *unicode.RangeTable
	}{{"Cyrillic", unicode.Cyrillic}, {"Greek", unicode.Greek}, {"Armenian", unicode.Armenian}} {
		if unicode.Is(s.table, r) {
			script = s.name
		}
	}
	if l := lookalike(r); l != 0 {
		return fmt.Sprintf("“%c” (U+%04X), a %s letter that looks like the Latin “%c”; type it in plain ASCII", r, r, script, l)
	}
	return fmt.Sprintf("“%c” (U+%04X), a %s character; only plain ASCII letters and digits work", r, r, script)
}

// lookalike returns the ASCII letter that r is commonly mistaken for, or 0.
func lookalike(r rune) rune {
	const pairs = "аaеeоoрpсcхxуyіiјjѕsԁdһhԛqԝwАAВBЕEКKМMНHОOРPСCТTХXЅSІIЈJ" +
		"οoαaνvιiκkρpτtυuΑAΒBΕEΖZΗHΙIΚKΜMΝNΟOΡPΤTΥYΧXօoսuցg"
	rs := []rune(pairs)
	for i := 0; i+1 < len(rs); i += 2 {
		if rs[i] == r {
			return rs[i+1]
		}
	}
	switch r {
	case '\u0131': // dotless i
		return 'i'
	case '\u212A': // Kelvin sign
		return 'K'
	}
	return 0
}

// quoteInput shows what the person typed inside a reply: shortened, in
// quotes, with Slack's control characters escaped so it cannot mention or
// link. Invisible characters show as "�" so that, for example, a
// right-to-left override cannot reorder the rest of the reply.
func quoteInput(s string) string {
	if rs := []rune(s); len(rs) > 40 {
		s = string(rs[:39]) + "…"
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return utf8.RuneError
		}
		return r
	}, s)
	return "“" + Escape(s) + "”"
}

// thousands formats n with comma separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
