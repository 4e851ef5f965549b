package blocks

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	sy "github.com/switchyard/switchyard"
)

// The answers to /deploy commands. They are shown to one person
// (chat.postEphemeral), so they are short and say what to do next.

// Notice is a one-sentence answer: a refusal, a bad input, a failure. text
// is written by the bot and may carry mrkdwn; outside text in it must
// already be escaped.
func Notice(text string) Message {
	return Message{Text: text, Blocks: []slack.Block{section(text)}}
}

// Refusal says why the bot will not do what was asked; nothing changed.
func Refusal(why string) Message {
	return Notice(":no_entry: " + why)
}

// Problem says that something the bot tried failed; why is safe for users
// (switchyard.ErrorMessage).
func Problem(why string) Message {
	return Notice(":warning: " + why)
}

// Help lists the commands. apps are the configured app names, shown so
// that people know what they can name.
func Help(apps []string) Message {
	lines := []string{
		"`/deploy` alone (or the *Deploy…* shortcut, or `/deploy <app>`) opens a form: app, environment, a version picked from ECR, config and reason.",
		"`/deploy <app> <version> [to <env>] [--config canary|linear|all-at-once|<name>] [--override <why>] [reason…]` asks to deploy; a card in the channel shows what will change and waits for Confirm.",
		"`/deploy status [app]` shows what is running, locked, frozen and queued.",
		"`/deploy history <app> [n]` lists the last n deployments (10 by default).",
		"`/deploy rollback <app> [to <env>]` rolls back the latest deployment.",
		"`/deploy lock <app> <reason>` stops deploys of an app; `/deploy unlock <app>` lets them go again.",
		"`/deploy freeze <app|all> <duration> <reason>` refuses deploys (never rollbacks) for a while; `/deploy unfreeze <app|all>` ends it. `--override <why>` deploys during a freeze once someone on the approve list approves.",
		"When an app is locked, frozen or deploying, the refusal offers *Queue me*: your card comes, with a mention, when it is free.",
		"`/deploy audit <app> [n]` shows who did what to an app lately: the last n entries of its audit trail (20 by default), for those on its lock list.",
		"`/deploy list` lists the apps, their environments and channels.",
		"`/deploy help` shows this; the app's Home tab shows it all at a glance.",
	}
	bl := []slack.Block{
		header("Switchyard: blue/green deploys from Slack"),
		section(strings.Join(lines, "\n")),
	}
	if len(apps) > 0 {
		bl = append(bl, context("Apps: "+codeList(apps)))
	}
	return Message{Text: "How to use /deploy", Blocks: bl}
}

// LockInfo is a lock as the answers show it.
type LockInfo struct {
	App    string
	Env    string // "" for the whole app
	Reason string
	By     string
	Since  time.Time
}

func (l LockInfo) scope() string {
	if l.Env == "" {
		return l.App
	}
	return l.App + " in " + l.Env
}

func (l LockInfo) line() string {
	return fmt.Sprintf(":lock: *%s* is locked by %s since %s: %s", l.scope(), Mention(l.By), Date(l.Since), Escape(l.Reason))
}

// unlockCommand is the command that lifts l.
func (l LockInfo) unlockCommand() string {
	if l.Env == "" {
		return "`/deploy unlock " + Escape(l.App) + "`"
	}
	return "`/deploy unlock " + Escape(l.App) + " to " + Escape(l.Env) + "`"
}

// LockedRefusal tells asker (a user ID), who asked to deploy, that lock l
// stops it, and what they can do about it: lift their own lock, lift
// someone else's when mayUnlock (they are on the app's lock list), or ask
// whoever holds it.
func LockedRefusal(l LockInfo, asker string, mayUnlock bool) Message {
	next := "Nothing was deployed. "
	switch {
	case l.By != "" && l.By == asker:
		next += "You locked it; run " + l.unlockCommand() + " when it may go, then deploy again."
	case mayUnlock:
		next += "Ask " + Mention(l.By) + ", or run " + l.unlockCommand() + " if it should go."
	default:
		next += "Ask " + Mention(l.By) + " to unlock it when it may go."
	}
	return Notice(l.line() + "\n" + next)
}

// AlreadyLocked tells who asked for a lock that one is already held, by
// whom and why; the reason is escaped like every lock reason.
func AlreadyLocked(l LockInfo, asker string) Message {
	next := "Nothing changed; the lock stays as it is."
	if l.By != asker {
		next += " Ask " + Mention(l.By) + " if it should go."
	}
	return Notice(l.line() + "\n" + next)
}

// UnderWay is a deploy a new lock does not stop: confirmed before the lock
// and starting, or already running.
type UnderWay struct {
	Env          string
	Version      string
	By           string // who asked for it
	DeploymentID string // "" while it is starting
}

// LockTaken confirms a lock, and names what the lock came too late to stop.
func LockTaken(l LockInfo, underway ...UnderWay) Message {
	text := l.line() + "\nDeploys of " + l.scope() + " are refused until `/deploy unlock " + l.App + "`."
	for _, u := range underway {
		what := fmt.Sprintf("%s %s to %s, asked by %s,", Escape(l.App), Escape(u.Version), Escape(u.Env), Mention(u.By))
		if u.DeploymentID == "" {
			text += fmt.Sprintf("\n:warning: %s was confirmed before the lock and is starting: the lock does not stop it. Roll it back if it must not ship.", what)
		} else {
			text += fmt.Sprintf("\n:warning: %s is already running as %s: the lock does not stop it. Roll it back if it must not ship.", what, u.DeploymentID)
		}
	}
	return Notice(text)
}

// LockReleased confirms an unlock.
func LockReleased(l LockInfo, by string) Message {
	return Notice(fmt.Sprintf(":unlock: *%s* is unlocked by %s (it was locked by %s: %s).",
		l.scope(), Mention(by), Mention(l.By), Escape(l.Reason)))
}

// EnvInfo is one environment of an app in /deploy list.
type EnvInfo struct {
	Name            string
	Default         bool
	Channels        []string // channel IDs
	RequireApproval bool
}

// AppInfo is one app in /deploy list.
type AppInfo struct {
	Name    string
	Aliases []string
	Envs    []EnvInfo
	Locks   []LockInfo
}

// AppList answers /deploy list.
func AppList(apps []AppInfo) Message {
	if len(apps) == 0 {
		return Notice("No apps are configured.")
	}
	bl := []slack.Block{header("Apps")}
	for i, a := range apps {
		if i == 20 { // Slack allows 50 blocks; keep the answer readable
			bl = append(bl, context(fmt.Sprintf("…and %d more.", len(apps)-i)))
			break
		}
		title := "*" + a.Name + "*"
		if len(a.Aliases) > 0 {
			title += " (also " + codeList(a.Aliases) + ")"
		}
		lines := []string{title}
		for _, e := range a.Envs {
			l := "• `" + e.Name + "`"
			if e.Default {
				l += " (default)"
			}
			l += " from " + channels(e.Channels)
			if e.RequireApproval {
				l += ", needs a second person's approval"
			}
			lines = append(lines, l)
		}
		for _, lk := range a.Locks {
			lines = append(lines, lk.line())
		}
		bl = append(bl, section(strings.Join(lines, "\n")))
	}
	return Message{Text: fmt.Sprintf("%d apps", len(apps)), Blocks: bl}
}

// EnvStatus is what /deploy status shows of one app in one environment:
// the latest deployment the bot knows, if any, and the lock, if any.
type EnvStatus struct {
	App    string
	Env    string
	Last   *sy.Deployment
	Lock   *LockInfo
	Freeze *FreezeInfo
	Queue  []QueueInfo
}

// Status answers /deploy status: one line per app and environment. app
// names the app asked about, or is empty for the overview of every app.
func Status(app string, rows []EnvStatus, now time.Time) Message {
	title := "Status"
	if app != "" {
		title = "Status of " + app
	}
	bl := []slack.Block{header(title)}
	var lines []string
	for _, r := range rows {
		l := fmt.Sprintf("*%s* `%s`: ", r.App, r.Env)
		if r.Last == nil {
			l += "no deployment yet that I know of"
		} else {
			l += deploymentLine(safe(*r.Last), now, true)
		}
		lines = append(lines, l)
		if r.Lock != nil {
			lines = append(lines, "    "+r.Lock.line())
		}
		lines = append(lines, waitLines(r.Freeze, r.Queue)...)
	}
	if len(lines) == 0 {
		lines = append(lines, "Nothing to show.")
	}
	bl = append(bl, section(strings.Join(lines, "\n")))
	return Message{Text: title, Blocks: bl}
}

// History answers /deploy history: who, when, version, result, duration,
// newest first.
func History(app string, ds []sy.Deployment, now time.Time) Message {
	title := "Deployments of " + app
	if len(ds) == 0 {
		return Notice("I know of no deployment of " + app + " yet.")
	}
	var lines []string
	for _, d := range ds {
		d = safe(d)
		lines = append(lines, fmt.Sprintf("• %s %s to `%s`: %s", Date(d.Created), versionWords(d), d.Env, deploymentLine(d, now, false)))
	}
	return Message{Text: title, Blocks: []slack.Block{
		header(title),
		section(strings.Join(lines, "\n")),
		context(fmt.Sprintf("The last %d, newest first.", len(ds))),
	}}
}

// RollbackStarted tells the person who asked for a rollback what happened.
// newID is the deployment that carries it, when known.
func RollbackStarted(app, env, id, newID string, redeploy bool) Message {
	var text string
	id, newID = sy.ShortID(id), sy.ShortID(newID)
	switch {
	case redeploy && newID != "":
		text = fmt.Sprintf(":rewind: Rolling back %s in %s: %s redeploys the previous version (undoing %s). Its card follows in the channel.", app, env, newID, id)
	case newID != "":
		text = fmt.Sprintf(":rewind: Rolling back %s in %s: %s was stopped and traffic goes back to the previous version (%s).", app, env, id, newID)
	default:
		text = fmt.Sprintf(":rewind: Rolling back %s in %s: %s was stopped and traffic goes back to the previous version.", app, env, id)
	}
	return Notice(text)
}

// RolledBackPastLock tells the channel, under the card of deployment id,
// that by (a user ID) rolled it back while lock l held its app: rollbacks
// are never held by a lock, and /deploy rollback asks nobody first, so the
// card's thread says it for everyone.
func RolledBackPastLock(by, id string, l LockInfo) Message {
	return Notice(fmt.Sprintf(":unlock: %s rolled back %s past the lock: *%s* is locked by %s since %s (%s). Rollbacks are never held by a lock; the lock stays.",
		Mention(by), safeID(id), Escape(l.scope()), Mention(l.By), Date(l.Since), Escape(l.Reason)))
}

// Continued tells the person who pressed Shift traffic now or Finish now
// that CodeDeploy took it.
func Continued(id string, finish bool) Message {
	if finish {
		return Notice(fmt.Sprintf(":checkered_flag: Finishing %s now: the old version is being removed.", id))
	}
	return Notice(fmt.Sprintf(":arrow_forward: Shifting traffic of %s to the new version now.", id))
}

// deploymentLine says who deployed what and how it went.
func deploymentLine(d sy.Deployment, now time.Time, version bool) string {
	var b strings.Builder
	icon, word := resultWords(d.Status)
	fmt.Fprintf(&b, "%s %s", icon, word)
	if version && (d.Version != "" || d.IsRollback()) {
		b.WriteString(" " + versionWords(d))
	}
	switch {
	case !d.Completed.IsZero() && !d.Created.IsZero():
		fmt.Fprintf(&b, " in %s", Duration(d.Completed.Sub(d.Created)))
	case !d.Created.IsZero() && !d.Status.Done():
		fmt.Fprintf(&b, " for %s", Duration(now.Sub(d.Created)))
	}
	switch {
	case d.Creator == sy.CreatorRollback && d.RequestedBy != "":
		// versionWords, beside it, says whose rollback it is.
	case d.RequestedBy != "":
		fmt.Fprintf(&b, ", asked by %s", Mention(d.RequestedBy))
	case d.Creator == sy.CreatorRollback:
		b.WriteString(", started by CodeDeploy")
	default:
		b.WriteString(", started outside Slack")
	}
	if approved(d) {
		fmt.Fprintf(&b, ", approved by %s", Mention(d.ConfirmedBy))
	}
	if d.RolledBackBy != "" {
		fmt.Fprintf(&b, ", rolled back by %s", Mention(d.RolledBackBy))
	}
	if d.Reason != "" {
		fmt.Fprintf(&b, ", _%s_", Escape(truncate(d.Reason, 200)))
	}
	if d.FreezeOverride != "" {
		b.WriteString(", during a freeze")
	}
	fmt.Fprintf(&b, " (%s)", sy.ShortID(d.ID))
	return b.String()
}

// versionWords names what a deployment deployed: its version, or for a
// rollback what it went back to and why ("rollback to v1.3 (automatic,
// after d-… failed)"). A rollback CodeDeploy created because a person
// pressed Rollback (a stop with rollback) carries that person as its
// requester and is theirs: "rollback to v1.3 by @bob, of d-…". d is
// already safe.
func versionWords(d sy.Deployment) string {
	v := rollbackTarget(d)
	switch {
	case d.Creator == sy.CreatorRollback && d.RequestedBy != "" && d.RollbackOf != "":
		return fmt.Sprintf("rollback to %s by %s, of %s", v, Mention(d.RequestedBy), d.RollbackOf)
	case d.Creator == sy.CreatorRollback && d.RequestedBy != "":
		return fmt.Sprintf("rollback to %s by %s", v, Mention(d.RequestedBy))
	case d.Creator == sy.CreatorRollback && d.RollbackOf != "":
		return fmt.Sprintf("rollback to %s (automatic, after %s failed)", v, d.RollbackOf)
	case d.Creator == sy.CreatorRollback:
		return fmt.Sprintf("rollback to %s (automatic)", v)
	case d.RollbackOf != "":
		return fmt.Sprintf("rollback to %s (undoing %s)", v, d.RollbackOf)
	case d.Version == "":
		return "an unknown version"
	}
	return v
}

// rollbackTarget names what a rollback went back to: its version, else
// the task definition it deploys (family:revision), else "the previous
// version". It is never an empty code span. d is already safe.
func rollbackTarget(d sy.Deployment) string {
	switch {
	case d.Version != "":
		return "`" + d.Version + "`"
	case d.TaskDefinition != "":
		td := d.TaskDefinition
		if i := strings.LastIndex(td, "task-definition/"); i >= 0 {
			td = td[i+len("task-definition/"):]
		}
		return "`" + Escape(td) + "`"
	}
	return "the previous version"
}

func resultWords(s sy.Status) (icon, word string) {
	switch s {
	case sy.StatusSucceeded:
		return ":white_check_mark:", "succeeded"
	case sy.StatusFailed:
		return ":x:", "failed"
	case sy.StatusStopped:
		return ":octagonal_sign:", "stopped"
	case sy.StatusRolledBack:
		return ":rewind:", "rolled back"
	case sy.StatusRollbackFailed:
		return ":x:", "failed, rollback failed"
	case sy.StatusRollingBack:
		return ":rewind:", "rolling back"
	case sy.StatusReady:
		return ":double_vertical_bar:", "waiting for traffic"
	case "":
		return ":grey_question:", "unknown"
	default:
		return ":arrows_counterclockwise:", "in progress"
	}
}

func codeList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + Escape(n) + "`"
	}
	return strings.Join(q, ", ")
}

func channels(ids []string) string {
	if len(ids) == 0 {
		return "no channel"
	}
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = "<#" + id + ">"
	}
	return strings.Join(q, ", ")
}

// Channels renders channel IDs as Slack channel links.
func Channels(ids []string) string { return channels(ids) }
