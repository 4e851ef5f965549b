package blocks

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	sy "github.com/switchyard/switchyard"
)

// maxAuditDetail is how much of an entry's detail a line of the audit
// answer shows; the whole detail is in the store (bot audit prints it).
const maxAuditDetail = 300

// AuditTrail answers /deploy audit: the entries of app's audit trail,
// newest first, one line each: when, who, what, how it ended and the
// detail. A detail holds what people typed and what AWS said, so it is
// escaped like any outside text (user mentions excepted) and kept to one
// line. The answer is ephemeral: nobody else sees it, nobody is notified.
func AuditTrail(app string, entries []sy.AuditEntry) Message {
	title := "Audit trail of " + app
	if len(entries) == 0 {
		return Notice("Nothing in the audit trail of " + Escape(app) + " yet.")
	}
	bl := []slack.Block{header(title)}
	var chunk strings.Builder
	for _, e := range entries {
		line := auditLine(e)
		// A section holds 3000 characters: the lines go in as many as
		// they need, never cut in the middle.
		if chunk.Len() > 0 && chunk.Len()+1+len(line) > maxSectionText {
			bl = append(bl, section(chunk.String()))
			chunk.Reset()
		}
		if chunk.Len() > 0 {
			chunk.WriteByte('\n')
		}
		chunk.WriteString(line)
	}
	bl = append(bl, section(chunk.String()))
	bl = append(bl, context(fmt.Sprintf("The last %d entries, newest first. `bot audit -app %s` prints the whole trail on the bot's host.",
		len(entries), Escape(app))))
	return Message{Text: title, Blocks: bl}
}

// auditLine is one entry as a line of the audit answer.
func auditLine(e sy.AuditEntry) string {
	who := "the bot"
	if e.User != "" {
		who = Mention(e.User)
	}
	what := "`" + Escape(e.Action) + "`"
	if e.Env != "" {
		what += " in " + Escape(e.Env)
	}
	line := fmt.Sprintf("• %s %s %s: %s", Date(e.At), who, what, resultWord(e.Result))
	if d := strings.Join(strings.Fields(e.Detail), " "); d != "" {
		line += " · " + auditDetail(d)
	}
	return line
}

// escapedMention is a user mention once escaped: the details the bot
// writes name people that way ("request p-1 of <@U0ALICE>").
var escapedMention = regexp.MustCompile(`&lt;@([UW][A-Z0-9]{2,20})&gt;`)

// auditDetail is an entry's detail made safe: everything escaped, then
// plain user mentions given back, so that the trail names people as
// people. A mention in an answer only its reader sees notifies nobody;
// channel and group mentions, links and the rest stay text.
func auditDetail(d string) string {
	return escapedMention.ReplaceAllString(Escape(truncate(d, maxAuditDetail)), "<@$1>")
}

func resultWord(r sy.Result) string {
	switch r {
	case sy.ResultOK:
		return ":white_check_mark: ok"
	case sy.ResultRefused:
		return ":no_entry: refused"
	case sy.ResultFailed:
		return ":x: failed"
	}
	return Escape(string(r))
}
