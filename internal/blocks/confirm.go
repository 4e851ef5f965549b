package blocks

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchyard/switchyard"
)

// ConfirmState is where a confirmation card stands.
type ConfirmState string

// Confirmation card states.
const (
	ConfirmPending   ConfirmState = "pending"
	ConfirmStarting  ConfirmState = "starting" // clicked; the deployment is being created
	ConfirmCancelled ConfirmState = "cancelled"
	ConfirmExpired   ConfirmState = "expired"
	ConfirmFailed    ConfirmState = "failed"
)

// Confirmation is everything the confirmation card shows: what will change
// and who asked, before anything is written to AWS.
type Confirmation struct {
	ID          string // the pending confirmation's id, carried in block IDs
	App         string
	Env         string
	Version     string
	ImageBefore string
	ImageAfter  string
	Config      string // deployment config name
	// ConfigSummary says in words what the config does ("10% every minute,
	// all traffic after 9 minutes").
	ConfigSummary string
	ReadyWait     string // "traffic waits up to 30 minutes for a go-ahead", or ""
	Termination   string // "blue is kept 5 minutes after the shift"
	AutoRollback  string
	Hooks         []string // "BeforeAllowTraffic: smoke-test"
	Alarms        []switchyard.Alarm
	// AlreadyRunning means the version asked for is the one running now.
	AlreadyRunning bool
	// RollbackOf, when set, makes this the confirmation of a rollback of
	// that deployment: one that would deploy something Warnings say differs
	// from what runs.
	RollbackOf string
	// Blocked lead the card: what the start would be refused for (another
	// deployment still runs). A blocked card has no Confirm nor Approve,
	// only Cancel.
	Blocked []string
	// Warnings lead the card after Blocked: what makes this deploy risky
	// (an alarm firing, another image repository or task definition
	// family). Confirm and Approve are then danger-styled.
	Warnings    []string
	Notes       []string // e.g. that the ECR check was skipped
	RequestedBy string
	Reason      string
	// Override is why the deploy goes ahead during a freeze; it then needs
	// approval.
	Override      string
	NeedsApproval bool
	Created       time.Time
	Expires       time.Time

	State   ConfirmState
	ActedBy string    // who confirmed, approved or cancelled
	ActedAt time.Time // when
	Failure string    // why starting failed, safe for Slack
}

// ConfirmCard renders the card posted in the channel when someone asks to
// deploy. Buttons appear only while it is pending.
func ConfirmCard(c Confirmation) Message {
	title := fmt.Sprintf("Deploy %s %s to %s?", c.App, c.Version, c.Env)
	if c.RollbackOf != "" {
		title = fmt.Sprintf("Roll back %s in %s to %s?", c.App, c.Env, c.Version)
	}
	var bl []slack.Block
	bl = append(bl, header(title))
	if lead := leadLines(c); lead != "" {
		bl = append(bl, section(lead))
	}
	if c.Override != "" {
		bl = append(bl, section(FreezeOverrideNote(c.Override)))
	}
	if c.RollbackOf != "" {
		bl = append(bl, section(fmt.Sprintf("This rolls back %s by deploying the task definition that ran before it. Read the warning: it is why this rollback waits for a click.", c.RollbackOf)))
	}
	bl = append(bl, fields(
		"App", fmt.Sprintf("%s (%s)", c.App, c.Env),
		"Requested by", Mention(c.RequestedBy),
		"Image now", "`"+Escape(c.ImageBefore)+"`",
		"Image next", "`"+Escape(c.ImageAfter)+"`",
		"Deployment config", fmt.Sprintf("`%s`\n%s", Escape(c.Config), c.ConfigSummary),
		"Reason", Escape(c.Reason),
	))
	var details []string
	if c.ReadyWait != "" {
		details = append(details, "• "+c.ReadyWait)
	}
	if c.Termination != "" {
		details = append(details, "• "+c.Termination)
	}
	if c.AutoRollback != "" {
		details = append(details, "• "+c.AutoRollback)
	}
	if len(c.Hooks) > 0 {
		details = append(details, "• Hooks: "+strings.Join(c.Hooks, ", "))
	}
	details = append(details, "• "+alarmLine(c.Alarms))
	for _, n := range c.Notes {
		details = append(details, "• "+n)
	}
	bl = append(bl, section(strings.Join(details, "\n")))
	if c.AlreadyRunning {
		bl = append(bl, section(":information_source: *"+c.Version+" is already running* in "+c.Env+": deploying it again starts a new blue/green deployment of the same image."))
	}
	switch c.State {
	case ConfirmPending:
		bl = append(bl, confirmButtons(c))
		if len(c.Blocked) > 0 {
			bl = append(bl, context(fmt.Sprintf("There is nothing to confirm while the start would be refused. %s can cancel; the card expires %s.",
				Mention(c.RequestedBy), Date(c.Expires))))
		} else if c.NeedsApproval {
			who := c.Env
			if c.Override != "" {
				who = "A deploy during a freeze" // whatever the environment asks
			}
			bl = append(bl, context(fmt.Sprintf(":lock: %s needs a second person: someone allowed to approve (not %s) presses Approve. Expires %s.",
				who, Mention(c.RequestedBy), Date(c.Expires))))
		} else {
			bl = append(bl, context(fmt.Sprintf("Only %s can confirm. Expires %s.", Mention(c.RequestedBy), Date(c.Expires))))
		}
	case ConfirmStarting:
		bl = append(bl, context(fmt.Sprintf(":hourglass_flowing_sand: %s by %s at %s; starting the deployment…", actedVerb(c), Mention(c.ActedBy), Date(c.ActedAt))))
	case ConfirmCancelled:
		bl = append(bl, context(fmt.Sprintf(":no_entry_sign: Cancelled by %s at %s. Nothing was deployed.", Mention(c.ActedBy), Date(c.ActedAt))))
	case ConfirmExpired:
		bl = append(bl, context(fmt.Sprintf(":hourglass: Expired at %s without a click. Nothing was deployed; run /deploy again.", Date(c.Expires))))
	case ConfirmFailed:
		// Nothing started, so nobody confirmed a deployment: the card says
		// who pressed the button, and why nothing came of it.
		bl = append(bl, section(":x: *Nothing was deployed.* "+Escape(c.Failure)))
		bl = append(bl, context(fmt.Sprintf("%s pressed %s at %s.", Mention(c.ActedBy), pressedButton(c), Date(c.ActedAt))))
	}
	return Message{Text: title, Blocks: bl}
}

func actedVerb(c Confirmation) string {
	if c.NeedsApproval {
		return "Approved"
	}
	return "Confirmed"
}

func pressedButton(c Confirmation) string {
	if c.NeedsApproval {
		return "Approve"
	}
	return "Confirm"
}

// leadLines are the card's first words: what the start would be refused
// for, then what makes the deploy risky.
func leadLines(c Confirmation) string {
	var lines []string
	for _, b := range c.Blocked {
		lines = append(lines, ":no_entry: "+b)
	}
	for _, w := range c.Warnings {
		lines = append(lines, ":warning: "+w)
	}
	return strings.Join(lines, "\n")
}

// confirmButtons are Confirm (or Approve) and Cancel: Confirm is red when a
// warning leads the card, and left out when the start would be refused.
func confirmButtons(c Confirmation) *slack.ActionBlock {
	style := slack.StylePrimary
	if len(c.Warnings) > 0 {
		style = slack.StyleDanger
	}
	var els []slack.BlockElement
	switch {
	case len(c.Blocked) > 0:
	case c.NeedsApproval:
		els = append(els, button(ActionApprove, c.ID, "Approve", style))
	default:
		els = append(els, button(ActionConfirm, c.ID, "Confirm", style))
	}
	els = append(els, button(ActionCancel, c.ID, "Cancel", ""))
	return slack.NewActionBlock("confirm:"+c.ID, els...)
}

// alarmLine lists the alarms watched with their state.
func alarmLine(alarms []switchyard.Alarm) string {
	if len(alarms) == 0 {
		return "No CloudWatch alarms watched"
	}
	var parts []string
	for _, a := range alarms {
		// Only OK is green: an alarm we could not read, or one the group
		// names but CloudWatch lacks, watches nothing.
		icon, state := ":white_circle:", a.State
		switch a.State {
		case "OK":
			icon = ":large_green_circle:"
		case "ALARM":
			icon = ":red_circle:"
		case "missing":
			icon, state = ":warning:", "missing from CloudWatch"
		case "":
			state = "unknown"
		}
		parts = append(parts, fmt.Sprintf("%s `%s` %s", icon, Escape(a.Name), Escape(state)))
	}
	return "Alarms watched: " + strings.Join(parts, ", ")
}
