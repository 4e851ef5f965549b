// Package blocks renders everything Switchyard shows in Slack as Block Kit:
// the confirmation card, the live deployment card, thread replies and
// command answers. Every function is pure: the same state gives the same
// blocks, so a card can be re-rendered at any time (after a restart, after a
// rate limit) without drift, and golden files pin the output.
package blocks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	sy "github.com/switchyard/switchyard"
)

// Action IDs of the buttons the bot renders. The commands package routes
// clicks on them; block IDs carry the subject (a confirmation or deployment).
const (
	ActionConfirm  = "confirm"
	ActionCancel   = "cancel"
	ActionApprove  = "approve"
	ActionRollback = "rollback"
	ActionShiftNow = "shift_now"
	ActionFinish   = "finish_now"
)

// Slack's limits for the parts the renderers fill with outside text.
const (
	maxSectionText = 3000
	maxFieldText   = 2000
	maxHeaderText  = 150
	maxContextText = 2000
)

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(truncate(text, maxSectionText)), nil, nil)
}

func fields(pairs ...string) *slack.SectionBlock {
	var fs []*slack.TextBlockObject
	for i := 0; i+1 < len(pairs) && len(fs) < 10; i += 2 {
		if pairs[i+1] == "" {
			continue
		}
		fs = append(fs, mrkdwn(truncate("*"+pairs[i]+"*\n"+pairs[i+1], maxFieldText)))
	}
	return slack.NewSectionBlock(nil, fs, nil)
}

func context(text string) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwn(truncate(text, maxContextText)))
}

func header(text string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(plain(truncate(text, maxHeaderText)))
}

func button(actionID, value, text string, style slack.Style) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, value, plain(text))
	if style != "" {
		b = b.WithStyle(style)
	}
	return b
}

// truncate cuts s to at most n characters, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Escape makes outside text safe inside mrkdwn: Slack reads <, > and & as
// markup (mentions, links), so a reason typed by a person must not carry them.
func Escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Mention renders a Slack user ID as a mention, or "someone" when unknown.
func Mention(userID string) string {
	if userID == "" {
		return "someone"
	}
	return "<@" + userID + ">"
}

// Date renders t so that each reader sees it in their own time zone, with a
// UTC fallback for clients that can't.
func Date(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// Ago renders t as Slack's relative time ("3 minutes ago"), which each
// reader's client keeps up to date, so a card never reads a stale "35s so
// far"; the fallback is the UTC clock time.
func Ago(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{ago}|%s>", t.Unix(), t.UTC().Format("15:04 UTC"))
}

// Clock renders t as a clock time in each reader's time zone: when
// something comes next.
func Clock(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{time}|%s>", t.Unix(), t.UTC().Format("15:04 UTC"))
}

// Duration renders d the way a person says it: 45s, 3m 05s, 1h 02m.
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// TrafficBar draws the green share as ten segments: ▰▰▰▱▱▱▱▱▱▱ 30% green.
func TrafficBar(green float64) string {
	green = max(0, min(100, green))
	n := int(green/10 + 0.5)
	return strings.Repeat("▰", n) + strings.Repeat("▱", 10-n)
}

// ConsoleURL links a deployment in the AWS console: a CodeDeploy
// deployment's page, or an ECS service deployment's in the ECS console.
func ConsoleURL(region, id string) string {
	if ref, ok := sy.ParseServiceDeploymentARN(id); ok {
		return ecsConsoleURL(ref)
	}
	return fmt.Sprintf("https://%s.console.aws.amazon.com/codesuite/codedeploy/deployments/%s?region=%s", region, id, region)
}

// Message is a rendered message: blocks plus the text Slack shows in
// notifications and to clients without Block Kit.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// deploymentIDPattern is the shape of a CodeDeploy deployment id.
var deploymentIDPattern = regexp.MustCompile(`^d-[A-Z0-9]{9}$`)

// safeID is a deployment id fit for a link or mrkdwn: a well-formed id as
// it is, anything else escaped and stripped of the link separator.
func safeID(id string) string {
	if id == "" || deploymentIDPattern.MatchString(id) {
		return id
	}
	return strings.ReplaceAll(Escape(id), "|", "¦")
}

// safe returns d with every piece of text that AWS (or whoever could write
// to it: a task definition, an alarm, a deployment config) supplied made
// safe for mrkdwn, so that a version or an alarm named <!here> shows as
// text and pings nobody. The error text, diagnostics and alarm names are
// escaped where they are shown.
func safe(d sy.Deployment) sy.Deployment {
	d.Version, d.Config = Escape(d.Version), Escape(d.Config)
	d.ImageBefore, d.ImageAfter = Escape(d.ImageBefore), Escape(d.ImageAfter)
	d.App, d.Env = Escape(d.App), Escape(d.Env)
	d.ID, d.RollbackID, d.RollbackOf = safeID(d.ID), safeID(d.RollbackID), safeID(d.RollbackOf)
	d.Stages = slices.Clone(d.Stages)
	for i := range d.Stages {
		d.Stages[i] = safeStage(d.Stages[i])
	}
	return d
}

// safeStage is a stage with its name safe for mrkdwn; its diagnostic is
// escaped where it is shown.
func safeStage(s sy.Stage) sy.Stage {
	s.Name = Escape(s.Name)
	return s
}
