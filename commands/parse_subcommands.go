package commands

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/blocks"
)

// The parsers of the subcommands: everything but a deploy.

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
		return reply(bad)
	}
	c := Command{Kind: KindStatus}
	if len(args) == 0 {
		return c
	}
	var bad string
	if c.App, bad = checkName(blocks.FieldApp, args[0].val); bad != "" {
		return reply(bad)
	}
	if len(args) > 1 {
		return extraWords("status "+c.App, args[1:])
	}
	return c
}

func parseHistory(args []token) Command {
	if bad := noFlags("history", args); bad != "" {
		return reply(bad)
	}
	if len(args) == 0 {
		return reply(blocks.WhichApp("history"))
	}
	c := Command{Kind: KindHistory, N: DefaultHistory}
	var bad string
	if c.App, bad = checkName(blocks.FieldApp, args[0].val); bad != "" {
		return reply(bad)
	}
	if len(args) >= 2 {
		n, err := strconv.Atoi(args[1].val)
		switch {
		case err != nil && !isDigits(args[1].val):
			return reply(blocks.NotANumber(args[1].val, c.App))
		case err != nil || n < 1 || n > MaxHistory:
			return reply(blocks.HistoryRange(args[1].val, MaxHistory))
		}
		c.N = n
	}
	if len(args) > 2 {
		return extraWords(fmt.Sprintf("history %s %d", c.App, c.N), args[2:])
	}
	return c
}

// parseAudit reads "<app> [n]": the last n entries of the app's audit trail.
func parseAudit(args []token) Command {
	if bad := noFlags("audit", args); bad != "" {
		return reply(bad)
	}
	if len(args) == 0 {
		return reply(blocks.WhichApp("audit"))
	}
	c := Command{Kind: KindAudit, N: DefaultAudit}
	var bad string
	if c.App, bad = checkName(blocks.FieldApp, args[0].val); bad != "" {
		return reply(bad)
	}
	if len(args) >= 2 {
		n, err := strconv.Atoi(args[1].val)
		if err != nil || n < 1 || n > MaxAudit {
			return reply(blocks.AuditCount(args[1].val, c.App, MaxAudit))
		}
		c.N = n
	}
	if len(args) > 2 {
		return extraWords(fmt.Sprintf("audit %s %d", c.App, c.N), args[2:])
	}
	return c
}

// parseScoped reads "<app> [to <env>]", the arguments of rollback and unlock.
func parseScoped(kind Kind, args []token) Command {
	c, rest, bad := appAndEnv(kind, args)
	if bad != "" {
		return reply(bad)
	}
	if len(rest) > 0 {
		return extraWords(string(kind)+" "+c.App, rest)
	}
	return c
}

func parseLock(args []token) Command {
	c, rest, bad := appAndEnv(KindLock, args)
	if bad != "" {
		return reply(bad)
	}
	if c.Reason, bad = readReason(rest); bad != "" {
		return reply(bad)
	}
	if c.Reason == "" {
		return reply(blocks.LockNeedsReason(c.App))
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
		return c, nil, blocks.WhichApp(string(kind))
	}
	var bad string
	if c.App, bad = checkName(blocks.FieldApp, args[0].val); bad != "" {
		return c, nil, bad
	}
	rest := args[1:]
	if len(rest) > 0 && isWord(rest[0], "to") {
		if len(rest) == 1 {
			return c, nil, blocks.EnvAfterTo(string(kind) + " " + c.App)
		}
		if c.Env, bad = checkName(blocks.FieldEnv, rest[1].val); bad != "" {
			return c, nil, bad
		}
		rest = rest[2:]
	}
	return c, rest, ""
}

// MaxFreeze is the longest freeze /deploy freeze makes: longer ones belong
// in the config, where everyone can read them.
const MaxFreeze = 7 * 24 * time.Hour

// parseFreeze reads "<app|all> <duration> <reason…>".
func parseFreeze(args []token) Command {
	if bad := noFlags("freeze", args); bad != "" {
		return reply(bad)
	}
	if len(args) < 2 {
		return reply(blocks.FreezeUsage())
	}
	c := Command{Kind: KindFreeze}
	if bad := appOrAll(&c, args[0]); bad != "" {
		return reply(bad)
	}
	d, err := freezeDuration(args[1].val)
	if err != nil || d < time.Minute || d > MaxFreeze {
		return reply(blocks.FreezeDuration(args[1].raw))
	}
	c.For = d
	var bad string
	if c.Reason, bad = readReason(args[2:]); bad != "" {
		return reply(bad)
	}
	if c.Reason == "" {
		return reply(blocks.FreezeUsage())
	}
	return c
}

// freezeDuration reads a Go duration (45m, 2h, 1h30m), which may start
// with whole days or weeks (2d, 1w, 1d12h).
func freezeDuration(s string) (time.Duration, error) {
	s = strings.ToLower(s)
	m := daysPrefix.FindStringSubmatch(s)
	if m == nil {
		return time.ParseDuration(s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n > 1000 {
		return 0, fmt.Errorf("too many %s", m[2])
	}
	d := time.Duration(n) * 24 * time.Hour
	if m[2] == "w" {
		d *= 7
	}
	if m[3] == "" {
		return d, nil
	}
	more, err := time.ParseDuration(m[3])
	return d + more, err
}

// daysPrefix is a count of days or weeks at the start of a duration.
var daysPrefix = regexp.MustCompile(`^(\d{1,4})([dw])(.*)$`)

// parseUnfreeze reads "<app|all>".
func parseUnfreeze(args []token) Command {
	if bad := noFlags("unfreeze", args); bad != "" {
		return reply(bad)
	}
	if len(args) == 0 {
		return reply(blocks.UnfreezeUsage())
	}
	c := Command{Kind: KindUnfreeze}
	if bad := appOrAll(&c, args[0]); bad != "" {
		return reply(bad)
	}
	if len(args) > 1 {
		return extraWords("unfreeze "+args[0].val, args[1:])
	}
	return c
}

// appOrAll reads the word naming what a freeze is about into c: "all", or
// an app. It returns the reply when it is neither.
func appOrAll(c *Command, t token) string {
	if isWord(t, "all") {
		c.All = true
		return ""
	}
	var bad string
	c.App, bad = checkName(blocks.FieldApp, t.val)
	return bad
}
