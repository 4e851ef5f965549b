package blocks

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	sy "github.com/switchyard/switchyard"
)

// DeploymentCard renders the live card of a deployment as of now: what is
// deployed, who did what, every lifecycle stage, the traffic split, and the
// buttons that fit the moment.
func DeploymentCard(raw sy.Deployment, now time.Time) Message {
	// The header is plain text, which Slack never reads as markup; every
	// other part is mrkdwn and shows d, made safe.
	d := safe(raw)
	title := strings.TrimSpace(raw.App+" "+raw.Version) + " → " + raw.Env
	text := strings.TrimSpace(d.App+" "+d.Version) + " → " + d.Env
	if d.RollbackOf != "" {
		title = fmt.Sprintf("Rollback of %s in %s", raw.App, raw.Env)
		text = fmt.Sprintf("Rollback of %s in %s", d.App, d.Env)
	}
	var bl []slack.Block
	bl = append(bl, header(title))
	bl = append(bl, section(statusLine(d, now)))
	requested := Mention(d.RequestedBy)
	if d.RequestedBy == "" {
		requested = "outside Slack (console, CLI or CI)"
		if d.Creator == sy.CreatorRollback {
			requested = "CodeDeploy (automatic rollback)"
		}
	}
	// Whoever confirmed besides the requester is the approver, and is
	// called so wherever a deployment is shown.
	confirmedLabel, confirmed := "Confirmed by", ""
	if d.ConfirmedBy != "" {
		confirmed = Mention(d.ConfirmedBy)
	}
	if approved(d) {
		confirmedLabel = "Approved by"
	}
	bl = append(bl, fields(
		"Image", imageChange(d),
		"Deployment", fmt.Sprintf("<%s|%s>", ConsoleURL(d.Region, d.ID), sy.ShortID(d.ID)),
		"Requested by", requested,
		confirmedLabel, confirmed,
		configLabel(d), "`"+d.Config+"`",
		"Started", startedAt(d),
		"Reason", Escape(truncate(raw.Reason, 500)),
	))
	if len(d.Stages) > 0 {
		bl = append(bl, section(stageLines(d, now)))
	}
	if d.Traffic.Blue+d.Traffic.Green > 0 {
		line := trafficLine(d.Traffic)
		if d.Backend == sy.BackendECS {
			line += " · _as ECS requested it_"
		}
		bl = append(bl, section(line))
	}
	bl = append(bl, context(alarmLine(d.Alarms)))
	if d.FreezeOverride != "" {
		bl = append(bl, context(":snowflake: Deployed during a freeze. Override: "+Escape(d.FreezeOverride)))
	}
	if note := outcomeNote(d); note != "" {
		bl = append(bl, section(note))
	}
	if pause := pauseLine(d); pause != "" {
		bl = append(bl, section(pause))
	}
	if act := cardButtons(d); act != nil {
		bl = append(bl, act)
	}
	return Message{Text: fmt.Sprintf("%s: %s", text, statusWord(d)), Blocks: bl}
}

// approved reports whether someone other than the requester let d go
// ahead: an approver.
func approved(d sy.Deployment) bool {
	return d.RequestedBy != "" && d.ConfirmedBy != "" && d.ConfirmedBy != d.RequestedBy
}

// configLabel names what the card's Config field shows: a CodeDeploy
// deployment config, or the strategy ECS deploys with.
func configLabel(d sy.Deployment) string {
	if d.Backend == sy.BackendECS {
		return "ECS strategy"
	}
	return "Config"
}

func imageChange(d sy.Deployment) string {
	switch {
	case d.ImageBefore != "" && d.ImageAfter != "":
		return fmt.Sprintf("`%s`\n→ `%s`", d.ImageBefore, d.ImageAfter)
	case d.ImageAfter != "":
		return "`" + d.ImageAfter + "`"
	default:
		return "unknown"
	}
}

func startedAt(d sy.Deployment) string {
	if d.Created.IsZero() {
		return ""
	}
	return Date(d.Created)
}

// statusWord is the deployment's state in a few words.
func statusWord(d sy.Deployment) string {
	if w, ok := ecsStatusWord(d); ok {
		return w
	}
	switch {
	case d.Status == sy.StatusSucceeded:
		return "succeeded"
	case d.Status == sy.StatusFailed:
		return "failed"
	case d.Status == sy.StatusStopped && d.RollbackID != "":
		return "stopped and rolled back"
	case d.Status == sy.StatusStopped:
		return "stopped"
	case d.Waiting == sy.WaitReady || d.Status == sy.StatusReady:
		return "waiting for the go-ahead to shift traffic"
	case d.Waiting == sy.WaitTermination:
		return "all traffic on green; keeping blue until the termination wait ends"
	case d.Traffic.Green > 0 && d.Traffic.Green < 100:
		return "shifting traffic"
	default:
		return "in progress"
	}
}

func statusLine(d sy.Deployment, now time.Time) string {
	icon := ":arrows_counterclockwise:"
	switch d.Status {
	case sy.StatusSucceeded:
		icon = ":white_check_mark:"
	case sy.StatusFailed:
		icon = ":x:"
	case sy.StatusStopped:
		icon = ":octagonal_sign:"
	case sy.StatusReady:
		icon = ":double_vertical_bar:"
	}
	if i := ecsStatusIcon(d); i != "" {
		icon = i
	}
	elapsed := ""
	switch {
	case !d.Completed.IsZero() && !d.Created.IsZero():
		elapsed = " after " + Duration(d.Completed.Sub(d.Created))
	case !d.Created.IsZero():
		elapsed = " · started " + Ago(d.Created)
	}
	line := fmt.Sprintf("%s *%s*%s", icon, capitalise(statusWord(d)), elapsed)
	if next := nextWords(d.Next); next != "" {
		line += "\n" + next
	}
	return line
}

// nextWords names what comes next by itself, and its clock time.
func nextWords(n sy.Next) string {
	switch n.Kind {
	case sy.NextTrafficStep:
		return fmt.Sprintf(":hourglass_flowing_sand: Next: %s%% of traffic on green at %s", sy.Percent(n.Percent), Clock(n.At))
	case sy.NextReadyTimeout:
		return fmt.Sprintf(":hourglass_flowing_sand: Stops by itself at %s unless someone shifts traffic", Clock(n.At))
	case sy.NextBlueRemoved:
		return fmt.Sprintf(":hourglass_flowing_sand: Blue is removed at %s; until then Rollback is instant", Clock(n.At))
	}
	return ""
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func stageIcon(s sy.StageStatus) string {
	switch s {
	case sy.StageSucceeded:
		return ":white_check_mark:"
	case sy.StageInProgress:
		return ":arrows_counterclockwise:"
	case sy.StageFailed:
		return ":x:"
	case sy.StageSkipped:
		return ":fast_forward:"
	default:
		return ":white_circle:"
	}
}

func stageLines(d sy.Deployment, now time.Time) string {
	var lines []string
	for _, s := range d.Stages {
		line := fmt.Sprintf("%s %s", stageIcon(s.Status), stageTitle(s))
		took, timed := stageDuration(s, now)
		switch {
		case (s.Status == sy.StageSucceeded || s.Status == sy.StageFailed) && timed:
			line += " · " + took
		case s.Status == sy.StageInProgress && timed:
			line += " · started " + Ago(s.Start)
		case interrupted(s) && timed:
			line = fmt.Sprintf(":black_square_for_stop: %s · interrupted after %s", stageTitle(s), took)
		case interrupted(s):
			line = fmt.Sprintf(":black_square_for_stop: %s · interrupted", stageTitle(s))
		case s.Status == sy.StageSkipped:
			line += " · skipped"
		}
		if s.Diagnostic != "" {
			line += "\n      _" + Escape(truncate(s.Diagnostic, 300)) + "_"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func trafficLine(t sy.Traffic) string {
	return fmt.Sprintf(":large_blue_circle: blue %s%% %s %s%% green :large_green_circle:", sy.Percent(t.Blue), TrafficBar(t.Green), sy.Percent(t.Green))
}

// interrupted reports whether a stage was cut short: it had started when
// a stop or a rollback skipped it.
func interrupted(s sy.Stage) bool {
	return s.Status == sy.StageSkipped && !s.Start.IsZero()
}

// outcomeNote explains how the deployment ended or who intervened.
func outcomeNote(d sy.Deployment) string {
	var parts []string
	if d.RolledBackBy != "" {
		parts = append(parts, fmt.Sprintf(":rewind: Rolled back by %s: traffic goes back to blue.", Mention(d.RolledBackBy)))
	}
	if d.RollbackID != "" {
		parts = append(parts, fmt.Sprintf("CodeDeploy rollback deployment: <%s|%s>", ConsoleURL(d.Region, d.RollbackID), d.RollbackID))
	}
	if d.RollbackOf != "" {
		parts = append(parts, fmt.Sprintf("Rolls back <%s|%s>.", ConsoleURL(d.Region, d.RollbackOf), sy.ShortID(d.RollbackOf)))
	}
	// Who rolled back is the why of a stop they made: say it once.
	stoppedByThem := (d.ErrorCode == "MANUAL_STOP" || d.Backend == sy.BackendECS) && d.RolledBackBy != ""
	turnedBack := d.Status == sy.StatusRolledBack || d.Status == sy.StatusRollingBack || d.Status == sy.StatusRollbackFailed || d.Status == sy.StatusStopping
	if (d.Status == sy.StatusFailed || d.Status == sy.StatusStopped || turnedBack) && !stoppedByThem {
		if reason := failureReason(d); reason != "" {
			parts = append(parts, "*Why:* "+reason)
		}
	}
	return strings.Join(parts, "\n")
}

// FailureReason says why a deployment failed or stopped: the failed stage
// and its diagnostic, the alarm, or who stopped it.
func FailureReason(d sy.Deployment) string {
	return failureReason(safe(d))
}

// failureReason is FailureReason of a deployment already made safe.
func failureReason(d sy.Deployment) string {
	var stage sy.Stage
	for _, s := range d.Stages {
		if s.Status == sy.StageFailed {
			stage = s
			break
		}
	}
	text := Escape(truncate(d.ErrorText, 500))
	switch {
	case d.ErrorCode == "MANUAL_STOP" && d.RolledBackBy != "":
		return fmt.Sprintf("stopped by %s.", Mention(d.RolledBackBy))
	case d.ErrorCode == "MANUAL_STOP":
		return "stopped by hand (console, CLI or API). " + text
	case d.Backend == sy.BackendECS && d.RolledBackBy != "":
		return fmt.Sprintf("rolled back by %s.", Mention(d.RolledBackBy))
	case d.ErrorCode == "ALARM_ACTIVE":
		return "a watched alarm fired: " + firedAlarms(d)
	case stage.Name != "" && stage.Diagnostic != "":
		return fmt.Sprintf("%s failed: %s", stageTitle(stage), Escape(truncate(stage.Diagnostic, 500)))
	case stage.Name != "":
		return fmt.Sprintf("%s failed. %s", stageTitle(stage), text)
	case text != "":
		return text
	}
	return ""
}

func cardButtons(d sy.Deployment) *slack.ActionBlock {
	var els []slack.BlockElement
	pausing := d.Waiting == sy.WaitPause && !d.Status.Done() && d.Pause.ID != ""
	if pausing {
		els = append(els, pauseButtons(d)...) // Roll back there is the pause's answer
	} else if d.CanRollback() {
		rb := button(ActionRollback, d.ID, "Rollback", slack.StyleDanger)
		rb = rb.WithConfirm(slack.NewConfirmationBlockObject(
			plain("Roll back "+truncate(d.App, 60)+"?"),
			plain(truncate(fmt.Sprintf("Traffic goes back to blue and %s stops. Everyone in the channel will see that you did it.", sy.ShortID(d.ID)), 300)),
			plain("Roll back"), plain("Keep going")).WithStyle(slack.StyleDanger))
		els = append(els, rb)
	}
	switch {
	case d.Status.Done():
	case d.Waiting == sy.WaitReady || d.Status == sy.StatusReady:
		els = append(els, button(ActionShiftNow, d.ID, "Shift traffic now", slack.StylePrimary))
	case d.Waiting == sy.WaitTermination:
		els = append(els, button(ActionFinish, d.ID, "Finish now", ""))
	}
	if len(els) == 0 {
		return nil
	}
	return slack.NewActionBlock("deploy:"+d.ID, els...)
}

// firedAlarms names the alarms that stopped a deployment: those the card
// shows in ALARM, else the names at the end of CodeDeploy's sentence,
// whose boilerplate says nothing more.
func firedAlarms(d sy.Deployment) string {
	names := alarmNames(d)
	if len(names) == 0 {
		return Escape(truncate(d.ErrorText, 500))
	}
	return codeList(names)
}

// alarmNames are the names of the alarms that stopped d, as far as the
// card or CodeDeploy's sentence tells them; none when neither does.
func alarmNames(d sy.Deployment) []string {
	var names []string
	for _, a := range d.Alarms {
		if a.State == sy.AlarmFiring {
			names = append(names, a.Name)
		}
	}
	if len(names) == 0 {
		if _, after, ok := strings.Cut(d.ErrorText, "Activated alarms:"); ok {
			for _, n := range strings.Split(after, ",") {
				if n = strings.Trim(strings.TrimSpace(n), "<>."); n != "" {
					names = append(names, n)
				}
			}
		}
	}
	return names
}
