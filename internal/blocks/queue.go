package blocks

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Action IDs of the queue's buttons. Queue me carries the deploy as the
// commands package encodes it; Leave the queue carries the place's ID.
const (
	ActionQueueMe    = "queue_me"
	ActionQueueLeave = "queue_leave"
)

// QueueInfo is a place in a deploy queue as messages show it.
type QueueInfo struct {
	ID       string
	App      string
	Env      string
	Version  string
	By       string
	Position int // 1 for the first in line
	Expires  time.Time
	// Handed means its turn came: its card is in the channel.
	Handed bool
}

func (q QueueInfo) line() string {
	if q.Handed {
		return fmt.Sprintf("%d. %s `%s`: its turn came, the card is in the channel", q.Position, Mention(q.By), Escape(q.Version))
	}
	return fmt.Sprintf("%d. %s `%s`, until %s", q.Position, Mention(q.By), Escape(q.Version), Date(q.Expires))
}

// queueLines lists a line of queued deploys under a heading, or "".
func queueLines(qs []QueueInfo) string {
	if len(qs) == 0 {
		return ""
	}
	lines := []string{fmt.Sprintf(":hourglass_flowing_sand: *Queued for %s in %s:*", Escape(qs[0].App), Escape(qs[0].Env))}
	for _, q := range qs {
		lines = append(lines, q.line())
	}
	return strings.Join(lines, "\n")
}

// waitLines are the indented lines under an environment that say what
// deploys wait for: a freeze, and the queue.
func waitLines(f *FreezeInfo, queue []QueueInfo) []string {
	var lines []string
	if f != nil {
		lines = append(lines, "    "+f.line())
	}
	for i, q := range queue {
		if i == 0 {
			lines = append(lines, "    :hourglass_flowing_sand: Queued:")
		}
		lines = append(lines, "        "+q.line())
	}
	return lines
}

// WithQueueMe adds a Queue me button to a refusal: the deploy can wait for
// its turn instead. value is what the button carries back.
func WithQueueMe(m Message, value string) Message {
	m.Blocks = append(m.Blocks, slack.NewActionBlock("queue",
		button(ActionQueueMe, value, "Queue me", slack.StylePrimary)))
	m.Blocks = append(m.Blocks, context("Queue me: you get the confirmation card here, with a mention, when it is free; you still confirm."))
	return m
}

// Queued tells a person their place in line.
func Queued(q QueueInfo) Message {
	text := fmt.Sprintf(":hourglass_flowing_sand: You are number %d in line for %s in %s (`%s`). When it is free, your confirmation card appears here with a mention; you still confirm. Your place is kept until %s.",
		q.Position, Escape(q.App), Escape(q.Env), Escape(q.Version), Date(q.Expires))
	return Message{Text: text, Blocks: []slack.Block{
		section(text),
		slack.NewActionBlock("queue:"+q.ID, button(ActionQueueLeave, q.ID, "Leave the queue", "")),
	}}
}

// AlreadyInLine refuses a second place in one line.
func AlreadyInLine(q QueueInfo) Message {
	return Notice(fmt.Sprintf("You are already number %d in line for %s in %s (`%s`); nothing changed.",
		q.Position, Escape(q.App), Escape(q.Env), Escape(q.Version)))
}

// LeftQueue confirms that a person left a line.
func LeftQueue(app, env, version string) Message {
	return Notice(fmt.Sprintf(":wave: You left the queue for %s in %s (`%s`).", Escape(app), Escape(env), Escape(version)))
}

// QueueExpired tells a person their place ran out before their turn came:
// nothing was posted.
func QueueExpired(app, env, version string, at time.Time) Message {
	return Notice(fmt.Sprintf(":hourglass: Your place in the queue for %s in %s (`%s`) expired at %s before it was free: nothing was posted. Run `/deploy` again if it should still ship.",
		Escape(app), Escape(env), Escape(version), Date(at)))
}

// TurnCame leads a confirmation card posted for a queued deploy: it names
// the person, so that Slack tells them.
func TurnCame(card Message, by, app, env string) Message {
	lead := fmt.Sprintf(":bell: %s, your turn: %s in %s is free.", Mention(by), Escape(app), Escape(env))
	return Message{Text: lead + " " + card.Text, Blocks: append([]slack.Block{section(lead)}, card.Blocks...)}
}

// TurnRefused tells a person that their turn came but the deploy was
// refused (why is safe to show): their place is closed.
func TurnRefused(app, env, version, why string) Message {
	return Notice(fmt.Sprintf(":no_entry: Your turn came for %s in %s (`%s`), but: %s Your place in the queue is closed.",
		Escape(app), Escape(env), Escape(version), why))
}

// NotYourPlace refuses Leave the queue to anyone but who queued.
func NotYourPlace(by string) string {
	return fmt.Sprintf("Only %s, who queued this deploy, can take it out of the queue.", Mention(by))
}

// LockAnnouncement is the message in the channel that a lock was taken:
// the lock, what it came too late to stop, and the deploys queued behind
// it (updated as the line changes).
func LockAnnouncement(l LockInfo, underway []UnderWay, queue [][]QueueInfo) Message {
	m := LockTaken(l, underway...)
	for _, line := range queue {
		if s := queueLines(line); s != "" {
			m.Blocks = append(m.Blocks, section(s))
		}
	}
	return m
}

// AlreadyDeploying refuses a deploy of app in env while another one runs
// or is starting; id is "" while it is starting.
func AlreadyDeploying(app, env, version, by, id string) Message {
	what := fmt.Sprintf("`%s`, asked by %s", Escape(version), Mention(by))
	if by == "" {
		what = fmt.Sprintf("`%s`, started outside Slack", Escape(version))
	}
	if id != "" {
		what += " (" + safeID(id) + ")"
	}
	return Notice(fmt.Sprintf(":arrows_counterclockwise: %s in %s is already deploying %s. Nothing was deployed: wait for it to end, or queue.",
		Escape(app), Escape(env), what))
}
