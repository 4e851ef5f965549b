package commands

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/switchyard/switchyard/internal/blocks"
)

// Kind names what a /deploy text asks for.
type Kind string

// Command kinds. KindReply means the text could not be read: Command.Reply
// says why, for the person who typed it, and nothing else may happen. A
// reply that only lacks the version names the app in Command.App, which
// may be no app at all: Parse does not know the configured apps.
const (
	KindReply    Kind = "reply"
	KindHelp     Kind = "help"
	KindDeploy   Kind = "deploy"
	KindStatus   Kind = "status"
	KindHistory  Kind = "history"
	KindRollback Kind = "rollback"
	KindLock     Kind = "lock"
	KindUnlock   Kind = "unlock"
	KindList     Kind = "list"
	KindFreeze   Kind = "freeze"
	KindUnfreeze Kind = "unfreeze"
	// KindAudit reads the audit trail of an app.
	KindAudit Kind = "audit"
	// KindModal is /deploy alone: the deploy modal opens.
	KindModal Kind = "modal"
)

// VersionKind says what form a deploy's version was given in.
type VersionKind string

// Version forms.
const (
	VersionTag    VersionKind = "tag"    // an image tag of the app's repository: v1.4.2
	VersionDigest VersionKind = "digest" // an image digest of the app's repository: sha256:<64 hex>
	VersionImage  VersionKind = "image"  // a full image reference: registry/repo:tag or …@sha256:…
)

// CodeDeploy's predefined ECS configs that --config shorthands stand for.
const (
	ConfigCanary    = "CodeDeployDefault.ECSCanary10Percent5Minutes"
	ConfigLinear    = "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
	ConfigAllAtOnce = "CodeDeployDefault.ECSAllAtOnce"
)

// Limits on what Parse accepts.
const (
	MaxText        = 4000 // characters in the whole command
	MaxReasonInput = 1000 // characters of reason before Parse refuses it
	MaxReason      = 500  // characters of reason kept; longer ones are shortened
	DefaultHistory = 10
	MaxHistory     = 50
	DefaultAudit   = 20
	MaxAudit       = 50
)

// Command is a parsed /deploy text. Only the fields of its Kind are set.
// App and Env are lower case (names match case-insensitively); an empty Env
// means the app's default environment.
type Command struct {
	Kind        Kind
	App         string      // every kind but list, help and modal (audit included); optional for status; "" with All for freeze and unfreeze; a reply asking for App's version
	Env         string      // deploy, rollback, lock, unlock
	Version     string      // deploy: a tag, "sha256:…" or a full image reference
	VersionKind VersionKind // deploy
	Config      string      // deploy: a CodeDeploy config name, "" for the app's default
	Reason      string      // deploy (optional), lock and freeze (required)
	// Override is why a deploy goes ahead during a freeze (--override).
	Override string
	// All means every app: freeze all, unfreeze all.
	All bool
	// For is how long a freeze lasts.
	For   time.Duration
	N     int    // history: how many deployments, 1–MaxHistory; audit: how many entries, 1–MaxAudit
	Topic string // help: a subcommand, or "" for everything
	// Reply is a short sentence for the person, in Slack mrkdwn with what
	// they typed escaped: Parse decides what is wrong, blocks says it.
	Reply string
}

// Subcommands are the words that start a command other than a deploy.
func Subcommands() []string {
	return []string{"status", "history", "rollback", "lock", "unlock", "freeze", "unfreeze", "audit", "list", "help"}
}

var (
	appRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	tagRE      = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	hex64RE    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	configRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)
	domainRE   = regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?$`)
	pathCompRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
)

// Parse reads the text of a /deploy slash command (what Slack sends after
// "/deploy"; a leading "/deploy" is ignored too). It never fails: text it
// cannot read gives a KindReply command saying why.
func Parse(text string) Command {
	if n := utf8.RuneCountInString(text); n > MaxText {
		return reply(blocks.CommandTooLong(n, MaxText))
	}
	toks := tokenize(normaliseSpace(unescapeSlack(text)))
	if len(toks) > 0 && !toks[0].quoted && strings.EqualFold(toks[0].val, "/deploy") {
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return Command{Kind: KindModal}
	}
	first, args := toks[0], toks[1:]
	if !first.quoted {
		switch strings.ToLower(first.val) {
		case "help", "?", "-h", "--help":
			return parseHelp(args)
		case "status":
			return parseStatus(args)
		case "history":
			return parseHistory(args)
		case "audit":
			return parseAudit(args)
		case "rollback":
			return parseScoped(KindRollback, args)
		case "lock":
			return parseLock(args)
		case "unlock":
			return parseScoped(KindUnlock, args)
		case "freeze":
			return parseFreeze(args)
		case "unfreeze":
			return parseUnfreeze(args)
		case "list":
			if len(args) > 0 {
				return extraWords("list", args)
			}
			return Command{Kind: KindList}
		}
		if isFlag(first) {
			return reply(blocks.OptionFirst())
		}
	}
	return parseDeploy(first, args)
}

func parseDeploy(first token, args []token) Command {
	c := Command{Kind: KindDeploy}
	var bad string
	if c.App, bad = checkName(blocks.FieldApp, first.val); bad != "" {
		return reply(blocks.WithHelp(bad))
	}
	rest, opts, bad := takeOptions(args)
	if bad != "" {
		return reply(bad)
	}
	c.Config, c.Override = opts.config, opts.override
	i := 0
	if i+1 < len(rest) && isWord(rest[i], "to") {
		c.Env, i = rest[i+1].val, i+2
	}
	if i >= len(rest) || isWord(rest[i], "to") {
		// The name may be a mistyped subcommand rather than an app: App
		// tells the handler which, since only it knows the apps.
		ask := reply(blocks.WhichVersion(c.App))
		ask.App = c.App
		return ask
	}
	if c.Version, c.VersionKind, bad = checkVersion(rest[i].val); bad != "" {
		return reply(bad)
	}
	i++
	if c.Env == "" && i < len(rest) && isWord(rest[i], "to") {
		if i+1 >= len(rest) {
			return reply(blocks.EnvAfterTo(c.App + " " + c.Version))
		}
		c.Env, i = rest[i+1].val, i+2
	}
	if c.Env != "" && i+1 < len(rest) && isWord(rest[i], "to") {
		return reply(blocks.TwoEnvironments(c.Env, rest[i+1].val))
	}
	if c.Env != "" {
		if c.Env, bad = checkName(blocks.FieldEnv, c.Env); bad != "" {
			return reply(bad)
		}
	}
	if c.Reason, bad = readReason(rest[i:]); bad != "" {
		return reply(bad)
	}
	return c
}

// options are the options a deploy takes.
type options struct {
	config   string
	override string
}

// takeOptions removes the options (anywhere after the app) from args:
// --config and its value, and --override with its reason: a quoted
// string, or else the words after it up to the next option. Any other option is refused: a reason that
// contains one must be quoted.
func takeOptions(args []token) (rest []token, o options, bad string) {
	seenConfig, seenOverride := false, false
	for i := 0; i < len(args); i++ {
		t := args[i]
		if !isFlag(t) {
			rest = append(rest, t)
			continue
		}
		name, value, inline := strings.Cut(strings.TrimLeft(t.val, "-—–"), "=")
		switch {
		case strings.EqualFold(name, "override"):
			if seenOverride {
				return nil, o, blocks.OverrideNeedsReason()
			}
			seenOverride = true
			var words []token
			if inline && value != "" {
				words = append(words, token{raw: value, val: value})
			}
			if !inline && i+1 < len(args) && args[i+1].quoted {
				// A quoted why is the whole of it; what follows is
				// the deploy's reason.
				i++
				words = append(words, args[i])
			} else {
				for i+1 < len(args) && !isFlag(args[i+1]) {
					i++
					words = append(words, args[i])
				}
			}
			if o.override, bad = readReason(words); bad != "" {
				return nil, o, bad
			}
			if o.override == "" {
				return nil, o, blocks.OverrideNeedsReason()
			}
		case strings.EqualFold(name, "config"):
			if seenConfig {
				return nil, o, blocks.ConfigTwice()
			}
			seenConfig = true
			if !inline {
				if i+1 >= len(args) || isFlag(args[i+1]) {
					return nil, o, blocks.ConfigNeedsValue()
				}
				i++
				value = args[i].val
			}
			if o.config, bad = checkConfig(value); bad != "" {
				return nil, o, bad
			}
		default:
			return nil, o, blocks.UnknownOption(t.val)
		}
	}
	return rest, o, ""
}

func noFlags(cmd string, args []token) string {
	for _, t := range args {
		if isFlag(t) {
			return blocks.NoOptions(cmd, t.val)
		}
	}
	return ""
}

func checkConfig(v string) (string, string) {
	lower := strings.ToLower(v)
	switch lower {
	case "canary":
		return ConfigCanary, ""
	case "linear":
		return ConfigLinear, ""
	case "all-at-once", "allatonce", "all_at_once":
		return ConfigAllAtOnce, ""
	}
	if r, ok := oddRune(v, isConfigByte); ok {
		return "", blocks.ConfigOddChar(v, r)
	}
	if !configRE.MatchString(v) {
		return "", blocks.ConfigUnreadable(v)
	}
	if !strings.Contains(v, ".") {
		for _, s := range []string{"canary", "linear", "all-at-once"} {
			if d := levenshtein(lower, s); d > 0 && d <= 2 {
				return "", blocks.ConfigTypo(v, s)
			}
		}
	}
	return v, ""
}

// checkName checks an app or environment name and returns it in lower case.
func checkName(what blocks.Field, s string) (string, string) {
	if s == "" {
		return "", blocks.NameEmpty(what)
	}
	if r, ok := oddRune(s, func(b byte) bool { return isAlnum(b) || b == '-' }); ok {
		return "", blocks.NameOddChar(what, s, r)
	}
	lower := strings.ToLower(s) // ASCII only by now, so no look-alike can become a letter
	if !appRE.MatchString(lower) {
		return "", blocks.NameUnreadable(what, s)
	}
	return lower, ""
}

// checkVersion checks a tag, digest or full image reference.
func checkVersion(v string) (string, VersionKind, string) {
	if r, ok := oddRune(v, isRefByte); ok {
		return "", "", blocks.VersionOddChar(v, r)
	}
	if d, ok := strings.CutPrefix(strings.ToLower(strings.TrimPrefix(v, "@")), "sha256:"); ok {
		switch {
		case len(d) != 64:
			return "", "", blocks.DigestLength(v, len(d))
		case !hex64RE.MatchString(d):
			return "", "", blocks.BadVersion(v, blocks.DigestNotHex)
		}
		return "sha256:" + d, VersionDigest, ""
	}
	if !strings.ContainsAny(v, "/:@") {
		if !tagRE.MatchString(v) {
			return "", "", blocks.BadVersion(v, blocks.TagUnreadable)
		}
		return v, VersionTag, ""
	}
	if bad := checkImageRef(v); bad != "" {
		return "", "", bad
	}
	return v, VersionImage, ""
}

// checkImageRef checks registry/repo[:tag][@sha256:digest] as Docker and
// ECR read it, and requires a tag or a digest. It returns the reply, or "".
func checkImageRef(v string) string {
	name, digest, hasDigest := strings.Cut(v, "@")
	if hasDigest {
		d, ok := strings.CutPrefix(digest, "sha256:")
		if !ok || !hex64RE.MatchString(d) {
			return blocks.BadVersion(v, blocks.DigestAfterAt)
		}
	}
	tag, hasTag := "", false
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag, hasTag = name[:i], name[i+1:], true
		if !tagRE.MatchString(tag) {
			return blocks.BadVersion(v, blocks.TagAfterColon)
		}
	}
	if !hasTag && !hasDigest {
		return blocks.BadVersion(v, blocks.NoTagOrDigest)
	}
	if name == "" || len(name) > 255 {
		return blocks.BadVersion(v, blocks.RepositoryLength)
	}
	parts := strings.Split(name, "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		if !domainRE.MatchString(parts[0]) {
			return blocks.NotAHost(v, parts[0])
		}
		parts = parts[1:]
	}
	for _, p := range parts {
		if !pathCompRE.MatchString(p) {
			return blocks.BadVersion(v, blocks.RepositoryName)
		}
	}
	return ""
}

// reason joins the remaining words into a reason: a single quoted word
// loses its quotes, control and formatting characters go, and long reasons
// are shortened.
func readReason(toks []token) (string, string) {
	var s string
	if len(toks) == 1 && toks[0].quoted {
		s = toks[0].val
	} else {
		raws := make([]string, len(toks))
		for i, t := range toks {
			raws[i] = t.raw
		}
		s = strings.Join(raws, " ")
	}
	s = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)), " ")
	n := utf8.RuneCountInString(s)
	if n > MaxReasonInput {
		return "", blocks.ReasonTooLong(n, MaxReasonInput)
	}
	if n > MaxReason {
		s = string([]rune(s)[:MaxReason-1]) + "…"
	}
	return s, ""
}

func extraWords(cmd string, extra []token) Command {
	raws := make([]string, len(extra))
	for i, t := range extra {
		raws[i] = t.raw
	}
	return reply(blocks.ExtraWords(strings.Join(raws, " "), cmd))
}

// reply is the command that only answers, with why.
func reply(why string) Command {
	return Command{Kind: KindReply, Reply: why}
}
