package commands

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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
)

// Command is a parsed /deploy text. Only the fields of its Kind are set.
// App and Env are lower case (names match case-insensitively); an empty Env
// means the app's default environment.
type Command struct {
	Kind        Kind
	App         string      // every kind but list and help; optional for status; a reply asking for App's version
	Env         string      // deploy, rollback, lock, unlock
	Version     string      // deploy: a tag, "sha256:…" or a full image reference
	VersionKind VersionKind // deploy
	Config      string      // deploy: a CodeDeploy config name, "" for the app's default
	Reason      string      // deploy (optional), lock (required)
	N           int         // history: how many deployments, 1–MaxHistory
	Topic       string      // help: a subcommand, or "" for everything
	// Reply is a short sentence for the person, in Slack mrkdwn with what
	// they typed escaped.
	Reply string
}

// Subcommands are the words that start a command other than a deploy.
func Subcommands() []string {
	return []string{"status", "history", "rollback", "lock", "unlock", "list", "help"}
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
		return replyf("That command is %s characters long; I read at most %s. Put long notes in the deployment's thread.",
			thousands(n), thousands(MaxText))
	}
	toks := tokenize(normaliseSpace(unescapeSlack(text)))
	if len(toks) > 0 && !toks[0].quoted && strings.EqualFold(toks[0].val, "/deploy") {
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return Command{Kind: KindHelp}
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
		case "rollback":
			return parseScoped(KindRollback, args)
		case "lock":
			return parseLock(args)
		case "unlock":
			return parseScoped(KindUnlock, args)
		case "list":
			if len(args) > 0 {
				return extraWords("list", args)
			}
			return Command{Kind: KindList}
		}
		if isFlag(first) {
			return replyf("Start with the app name, then the version: `/deploy web v1.4.2 --config canary`. See `/deploy help`.")
		}
	}
	return parseDeploy(first, args)
}

func parseDeploy(first token, args []token) Command {
	c := Command{Kind: KindDeploy}
	var bad string
	if c.App, bad = checkName("app name", first.val); bad != "" {
		return replyf("%s See `/deploy help`.", bad)
	}
	rest, config, bad := takeConfig(args)
	if bad != "" {
		return replyf("%s", bad)
	}
	c.Config = config
	i := 0
	if i+1 < len(rest) && isWord(rest[i], "to") {
		c.Env, i = rest[i+1].val, i+2
	}
	if i >= len(rest) || isWord(rest[i], "to") {
		// The name may be a mistyped subcommand rather than an app: App
		// tells the handler which, since only it knows the apps.
		ask := replyf("Which version of %s should I deploy? For example: `/deploy %s v1.4.2`.", c.App, c.App)
		ask.App = c.App
		return ask
	}
	if c.Version, c.VersionKind, bad = checkVersion(rest[i].val); bad != "" {
		return replyf("%s", bad)
	}
	i++
	if c.Env == "" && i < len(rest) && isWord(rest[i], "to") {
		if i+1 >= len(rest) {
			return replyf("Say which environment after “to”, for example: `/deploy %s %s to production`.", c.App, c.Version)
		}
		c.Env, i = rest[i+1].val, i+2
	}
	if c.Env != "" {
		if c.Env, bad = checkName("environment", c.Env); bad != "" {
			return replyf("%s", bad)
		}
	}
	if c.Reason, bad = readReason(rest[i:]); bad != "" {
		return replyf("%s", bad)
	}
	return c
}

func parseHelp(args []token) Command {
	c := Command{Kind: KindHelp}
	if len(args) > 0 {
		t := strings.ToLower(args[0].val)
		for _, s := range append(Subcommands(), "deploy", "config") {
			if t == s {
				c.Topic = t
			}
		}
	}
	return c
}

func parseStatus(args []token) Command {
	if bad := noFlags("status", args); bad != "" {
		return replyf("%s", bad)
	}
	c := Command{Kind: KindStatus}
	if len(args) == 0 {
		return c
	}
	var bad string
	if c.App, bad = checkName("app name", args[0].val); bad != "" {
		return replyf("%s", bad)
	}
	if len(args) > 1 {
		return extraWords("status "+c.App, args[1:])
	}
	return c
}

func parseHistory(args []token) Command {
	if bad := noFlags("history", args); bad != "" {
		return replyf("%s", bad)
	}
	if len(args) == 0 {
		return replyf("Which app? For example: `/deploy history web 20`.")
	}
	c := Command{Kind: KindHistory, N: DefaultHistory}
	var bad string
	if c.App, bad = checkName("app name", args[0].val); bad != "" {
		return replyf("%s", bad)
	}
	if len(args) >= 2 {
		n, err := strconv.Atoi(args[1].val)
		switch {
		case err != nil && !isDigits(args[1].val):
			return replyf("I couldn't read %s as a number of deployments; try `/deploy history %s 20`.", quoteInput(args[1].val), c.App)
		case err != nil || n < 1 || n > MaxHistory:
			return replyf("History shows 1 to %d deployments, not %s.", MaxHistory, quoteInput(args[1].val))
		}
		c.N = n
	}
	if len(args) > 2 {
		return extraWords(fmt.Sprintf("history %s %d", c.App, c.N), args[2:])
	}
	return c
}

// parseScoped reads "<app> [to <env>]", the arguments of rollback and unlock.
func parseScoped(kind Kind, args []token) Command {
	c, rest, bad := appAndEnv(kind, args)
	if bad != "" {
		return replyf("%s", bad)
	}
	if len(rest) > 0 {
		return extraWords(string(kind)+" "+c.App, rest)
	}
	return c
}

func parseLock(args []token) Command {
	c, rest, bad := appAndEnv(KindLock, args)
	if bad != "" {
		return replyf("%s", bad)
	}
	if c.Reason, bad = readReason(rest); bad != "" {
		return replyf("%s", bad)
	}
	if c.Reason == "" {
		return replyf("Say why you are locking %s, so that people know: `/deploy lock %s database migration until 15:00`.", c.App, c.App)
	}
	return c
}

// appAndEnv reads "<app> [to <env>]" and returns the rest.
func appAndEnv(kind Kind, args []token) (Command, []token, string) {
	c := Command{Kind: kind}
	if bad := noFlags(string(kind), args); bad != "" {
		return c, nil, bad
	}
	if len(args) == 0 {
		return c, nil, fmt.Sprintf("Which app? For example: `/deploy %s web`.", kind)
	}
	var bad string
	if c.App, bad = checkName("app name", args[0].val); bad != "" {
		return c, nil, bad
	}
	rest := args[1:]
	if len(rest) > 0 && isWord(rest[0], "to") {
		if len(rest) == 1 {
			return c, nil, fmt.Sprintf("Say which environment after “to”, for example: `/deploy %s %s to production`.", kind, c.App)
		}
		if c.Env, bad = checkName("environment", rest[1].val); bad != "" {
			return c, nil, bad
		}
		rest = rest[2:]
	}
	return c, rest, ""
}

// takeConfig removes the --config option (anywhere after the app) from
// args. Any other option is refused: a reason that contains one must be
// quoted.
func takeConfig(args []token) (rest []token, config, bad string) {
	seen := false
	for i := 0; i < len(args); i++ {
		t := args[i]
		if !isFlag(t) {
			rest = append(rest, t)
			continue
		}
		name, value, inline := strings.Cut(strings.TrimLeft(t.val, "-—–"), "=")
		if !strings.EqualFold(name, "config") {
			return nil, "", fmt.Sprintf("I don't know the option %s. The only option is `--config canary|linear|all-at-once|&lt;config name&gt;`; quote a reason that has dashes in it.", quoteInput(t.val))
		}
		if seen {
			return nil, "", "Give `--config` once."
		}
		seen = true
		if !inline {
			if i+1 >= len(args) || isFlag(args[i+1]) {
				return nil, "", "`--config` needs a value: canary, linear, all-at-once or a CodeDeploy config name."
			}
			i++
			value = args[i].val
		}
		if config, bad = checkConfig(value); bad != "" {
			return nil, "", bad
		}
	}
	return rest, config, ""
}

func noFlags(cmd string, args []token) string {
	for _, t := range args {
		if isFlag(t) {
			return fmt.Sprintf("`/deploy %s` takes no options such as %s.", cmd, quoteInput(t.val))
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
		return "", fmt.Sprintf("I couldn't read the deployment config %s: it contains %s.", quoteInput(v), describe(r))
	}
	if !configRE.MatchString(v) {
		return "", fmt.Sprintf("I couldn't read the deployment config %s: use canary, linear, all-at-once or a CodeDeploy config name of at most 100 letters, digits, “.”, “_” and “-”.", quoteInput(v))
	}
	if !strings.Contains(v, ".") {
		for _, s := range []string{"canary", "linear", "all-at-once"} {
			if d := levenshtein(lower, s); d > 0 && d <= 2 {
				return "", fmt.Sprintf("I don't know the deployment config %s. Did you mean `--config %s`?", quoteInput(v), s)
			}
		}
	}
	return v, ""
}

// checkName checks an app or environment name and returns it in lower case.
func checkName(what, s string) (string, string) {
	if s == "" {
		return "", fmt.Sprintf("The %s is empty.", what)
	}
	if r, ok := oddRune(s, func(b byte) bool { return isAlnum(b) || b == '-' }); ok {
		return "", fmt.Sprintf("I couldn't read the %s %s: it contains %s.", what, quoteInput(s), describe(r))
	}
	lower := strings.ToLower(s) // ASCII only by now, so no look-alike can become a letter
	if !appRE.MatchString(lower) {
		return "", fmt.Sprintf("I couldn't read the %s %s: names are letters, digits and “-”, start with a letter or digit, and have at most 63 characters.", what, quoteInput(s))
	}
	return lower, ""
}

// checkVersion checks a tag, digest or full image reference.
func checkVersion(v string) (string, VersionKind, string) {
	bad := func(format string, args ...any) (string, VersionKind, string) {
		return "", "", "I couldn't read that version " + quoteInput(v) + ": " + fmt.Sprintf(format, args...)
	}
	if r, ok := oddRune(v, isRefByte); ok {
		return bad("it contains %s.", describe(r))
	}
	if d, ok := strings.CutPrefix(strings.ToLower(strings.TrimPrefix(v, "@")), "sha256:"); ok {
		switch {
		case len(d) != 64:
			return bad("a digest is “sha256:” and 64 hex digits (I got %d characters).", len(d))
		case !hex64RE.MatchString(d):
			return bad("a digest is “sha256:” and 64 hex digits, 0–9 and a–f.")
		}
		return "sha256:" + d, VersionDigest, ""
	}
	if !strings.ContainsAny(v, "/:@") {
		if !tagRE.MatchString(v) {
			return bad("a tag is at most 128 letters, digits, “_”, “.” and “-”, and can't start with “.” or “-”.")
		}
		return v, VersionTag, ""
	}
	if why := checkImageRef(v); why != "" {
		return bad("%s", why)
	}
	return v, VersionImage, ""
}

// checkImageRef checks registry/repo[:tag][@sha256:digest] as Docker and
// ECR read it, and requires a tag or a digest.
func checkImageRef(v string) string {
	name, digest, hasDigest := strings.Cut(v, "@")
	if hasDigest {
		d, ok := strings.CutPrefix(digest, "sha256:")
		if !ok || !hex64RE.MatchString(d) {
			return "after “@” comes “sha256:” and 64 lower-case hex digits."
		}
	}
	tag, hasTag := "", false
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag, hasTag = name[:i], name[i+1:], true
		if !tagRE.MatchString(tag) {
			return "the tag after the last “:” is at most 128 letters, digits, “_”, “.” and “-”."
		}
	}
	if !hasTag && !hasDigest {
		return "an image reference needs a “:tag” or an “@sha256:” digest."
	}
	if name == "" || len(name) > 255 {
		return "the repository name must have 1 to 255 characters."
	}
	parts := strings.Split(name, "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		if !domainRE.MatchString(parts[0]) {
			return "the registry " + quoteInput(parts[0]) + " is not a host name."
		}
		parts = parts[1:]
	}
	for _, p := range parts {
		if !pathCompRE.MatchString(p) {
			return "repository names are lower-case letters and digits separated by “/”, “.”, “_” or “-”."
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
		return "", fmt.Sprintf("That reason is %s characters long; keep it under %s and put the details in the thread.", thousands(n), thousands(MaxReasonInput))
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
	return replyf("I don't know what to do with %s after `/deploy %s`. See `/deploy help`.", quoteInput(strings.Join(raws, " ")), cmd)
}

func replyf(format string, args ...any) Command {
	return Command{Kind: KindReply, Reply: fmt.Sprintf(format, args...)}
}
