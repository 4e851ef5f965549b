package blocks

import (
	"fmt"
	"strings"
	"time"

	sy "github.com/switchyard/switchyard"
)

// StageReply is the thread reply for a lifecycle stage reaching a state.
func StageReply(s sy.Stage, now time.Time) string {
	s = safeStage(s)
	name := stageTitle(s)
	took, timed := stageDuration(s, now)
	switch {
	case s.Status == sy.StageInProgress:
		return fmt.Sprintf(":arrows_counterclockwise: *%s* started", name)
	case s.Status == sy.StageSucceeded && !timed:
		return fmt.Sprintf(":white_check_mark: *%s* done", name)
	case s.Status == sy.StageSucceeded:
		return fmt.Sprintf(":white_check_mark: *%s* succeeded in %s", name, took)
	case s.Status == sy.StageFailed:
		msg := fmt.Sprintf(":x: *%s* failed", name)
		if timed {
			msg += " after " + took
		}
		if s.Diagnostic != "" {
			msg += ": " + Escape(truncate(s.Diagnostic, 500))
		}
		return msg
	case s.Status == sy.StageSkipped:
		return fmt.Sprintf(":fast_forward: *%s* skipped", name)
	default:
		return fmt.Sprintf("*%s* is %s", name, s.Status)
	}
}

// TrafficReply is the thread reply for a traffic step.
func TrafficReply(t sy.Traffic) string {
	return fmt.Sprintf("%s %s%% of traffic on green", TrafficBar(t.Green), sy.Percent(t.Green))
}

// WaitReply is the thread reply when a deployment starts waiting.
func WaitReply(w sy.Wait) string {
	switch w {
	case sy.WaitReady:
		return ":double_vertical_bar: Green is ready. Traffic waits for the go-ahead: press *Shift traffic now* on the card."
	case sy.WaitTermination:
		return ":hourglass: All traffic is on green. Blue is kept for the termination wait; *Rollback* still sends traffic back, *Finish now* ends the wait."
	}
	return ""
}

// FinalReply is the result broadcast to the channel when a deployment ends:
// success with its duration, or failure with the reason, and a mention of
// the requester.
func FinalReply(d sy.Deployment) string {
	d = safe(d)
	who := ""
	if d.RequestedBy != "" {
		who = " " + Mention(d.RequestedBy)
	}
	if approved(d) {
		who += ", approved by " + Mention(d.ConfirmedBy)
	}
	if d.Reason != "" {
		who += " · _" + Escape(truncate(d.Reason, 200)) + "_"
	}
	took := ""
	if !d.Completed.IsZero() && !d.Created.IsZero() {
		took = " in " + Duration(d.Completed.Sub(d.Created))
	}
	what := strings.TrimSpace(d.App + " " + d.Version) // a version AWS did not tell is left out
	if d.RollbackOf != "" && d.Status.Done() && d.Status != sy.StatusSucceeded {
		// A rollback that did not finish is news of its own: what it
		// rolled back from still serves.
		what = "The rollback of " + d.App
		if d.Version != "" {
			what += " to " + d.Version
		}
	}
	if d.Backend == sy.BackendECS {
		if msg := ecsFinalReply(d, who); msg != "" {
			return msg
		}
	}
	switch d.Status {
	case sy.StatusSucceeded:
		if d.RollbackOf != "" {
			return fmt.Sprintf(":rewind: Rollback of %s in %s finished%s: the previous version serves all traffic.%s", d.App, d.Env, took, who)
		}
		return fmt.Sprintf(":white_check_mark: %s is live in %s%s.%s", what, d.Env, took, who)
	case sy.StatusStopped:
		msg := fmt.Sprintf(":octagonal_sign: %s in %s was stopped", what, d.Env)
		switch reason := failureReason(d); {
		case d.ErrorCode == "MANUAL_STOP" && d.RolledBackBy != "":
			// "was stopped: stopped by @bob." would say it twice.
			msg += " by " + Mention(d.RolledBackBy) + "."
		case reason != "":
			msg += ": " + fullStop(reason)
		default:
			msg += "."
		}
		if d.RollbackID != "" {
			msg += " Traffic is back on blue."
		}
		return msg + who
	default:
		msg := fmt.Sprintf(":x: %s failed in %s", what, d.Env)
		if reason := failureReason(d); reason != "" {
			msg += ": " + fullStop(reason)
		} else {
			msg += "."
		}
		if d.RollbackID != "" {
			msg += " CodeDeploy is rolling back to blue."
		}
		return msg + who
	}
}

// RollbackReply is the thread reply when someone rolls back from Slack.
func RollbackReply(who string, redeploy string) string {
	if redeploy != "" {
		return fmt.Sprintf(":rewind: %s rolled back: redeploying the previous version as %s.", Mention(who), redeploy)
	}
	return fmt.Sprintf(":rewind: %s rolled back: traffic is going back to blue.", Mention(who))
}

// fullStop ends a sentence that a reason (an alarm list, a hook's
// diagnostic, AWS's text) may have left open, so that the next one does
// not run into it.
func fullStop(s string) string {
	s = strings.TrimRight(s, " \n")
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?") {
		return s
	}
	return s + "."
}
