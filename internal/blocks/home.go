package blocks

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	sy "github.com/switchyard/switchyard"
)

// Action IDs of the Home tab's buttons. Slack wants every action_id of a
// view to be unique, so each carries its subject after a dot; HomeAction
// reads it back.
const (
	HomeDeploy   = "home.deploy"   // .<app>
	HomeRollback = "home.rollback" // .<app>.<env>
	HomeLock     = "home.lock"     // .<app>
	HomeUnlock   = "home.unlock"   // .<app>
	HomeLeave    = "home.leave"    // .<queued id>
)

// HomeAction splits a Home tab action_id into its kind (one of the Home…
// constants) and its subject.
func HomeAction(actionID string) (kind string, subject []string) {
	parts := strings.Split(actionID, ".")
	if len(parts) < 3 || parts[0] != "home" {
		return "", nil
	}
	return parts[0] + "." + parts[1], parts[2:]
}

// Home is what the Home tab shows one person: every app they may see, with
// what runs, what is in flight, locks, freezes, queues and the last
// deployments, and the buttons they may press.
type Home struct {
	User string
	Now  time.Time
	Apps []HomeApp
}

// HomeApp is one app on the Home tab.
type HomeApp struct {
	Name string
	Envs []HomeEnv
	// Recent are its latest deployments, newest first.
	Recent []HomeDeployment
	// Lock is a lock on the app or one of its environments, if any
	// (Unlock lifts it).
	Lock      *LockInfo
	CanDeploy bool
	CanLock   bool
}

// HomeEnv is one environment of an app on the Home tab.
type HomeEnv struct {
	Name string
	// Running is the version it runs, "" when not known.
	Running  string
	InFlight *HomeDeployment
	Freeze   *FreezeInfo
	Queue    []QueueInfo
	// CanRollback: there is a deployment to roll back and the person may.
	CanRollback bool
}

// HomeDeployment is a deployment with a link to its card.
type HomeDeployment struct {
	sy.Deployment
	Link string
}

// maxHomeApps keeps the tab under Slack's hundred blocks.
const maxHomeApps = 15

// HomeView renders the Home tab.
func HomeView(h Home) slack.HomeTabViewRequest {
	bl := []slack.Block{
		header("Switchyard: deploys"),
		context(fmt.Sprintf("What %s may see and do, as of %s. Buttons act exactly as the commands in the app's channel.", Mention(h.User), Date(h.Now))),
	}
	if len(h.Apps) == 0 {
		bl = append(bl, section("No apps are configured."))
	}
	for i, a := range h.Apps {
		if i == maxHomeApps {
			bl = append(bl, context(fmt.Sprintf("…and %d more apps: `/deploy status` lists them all.", len(h.Apps)-i)))
			break
		}
		bl = append(bl, homeApp(h, a)...)
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: bl}}
}

func homeApp(h Home, a HomeApp) []slack.Block {
	bl := []slack.Block{slack.NewDividerBlock()}
	lines := []string{"*" + Escape(a.Name) + "*"}
	if a.Lock != nil {
		lines = append(lines, a.Lock.line())
	}
	for _, e := range a.Envs {
		lines = append(lines, homeEnvLines(h, e)...)
	}
	bl = append(bl, section(strings.Join(lines, "\n")))
	if len(a.Recent) > 0 {
		var rs []string
		for _, d := range a.Recent {
			rs = append(rs, recentLine(d, h.Now))
		}
		bl = append(bl, context("Last deployments:\n"+strings.Join(rs, "\n")))
	}
	if act := homeButtons(h, a); act != nil {
		bl = append(bl, act)
	}
	return bl
}

func homeEnvLines(h Home, e HomeEnv) []string {
	running := "runs a version I don't know yet"
	if e.Running != "" {
		running = "runs `" + Escape(e.Running) + "`"
	}
	lines := []string{fmt.Sprintf("• `%s` %s", Escape(e.Name), running)}
	if f := e.InFlight; f != nil {
		d := safe(f.Deployment)
		what := fmt.Sprintf("    :arrows_counterclockwise: Deploying `%s` for %s, asked by %s", d.Version, Duration(h.Now.Sub(d.Created)), Mention(d.RequestedBy))
		if d.RequestedBy == "" {
			what = fmt.Sprintf("    :arrows_counterclockwise: Deploying `%s` (started outside Slack)", d.Version)
		}
		if s := currentStage(d); s != "" {
			what += ": " + s
		}
		if d.Traffic.Green > 0 {
			what += fmt.Sprintf(", %s %s%% green", TrafficBar(d.Traffic.Green), sy.Percent(d.Traffic.Green))
		}
		if f.Link != "" {
			what += fmt.Sprintf(" (<%s|card>)", f.Link)
		}
		lines = append(lines, what)
	}
	return append(lines, waitLines(e.Freeze, e.Queue)...)
}

// currentStage names the lifecycle event in progress, or the last one
// done.
func currentStage(d sy.Deployment) string {
	last := ""
	for _, s := range d.Stages {
		switch s.Status {
		case sy.StageInProgress:
			return s.Name
		case sy.StageSucceeded, sy.StageFailed:
			last = s.Name + " done"
		}
	}
	if d.Waiting != sy.WaitNone {
		return statusWord(d)
	}
	return last
}

// recentLine is one of the last deployments: what went where, how it
// ended and by whom or what (the person who rolled it back or stopped it,
// the alarm that stopped it), and who asked when that was someone else.
func recentLine(d HomeDeployment, now time.Time) string {
	s := safe(d.Deployment)
	icon, word := resultWords(s.Status)
	what := fmt.Sprintf("`%s` to `%s`", s.Version, s.Env)
	switch {
	case s.IsRollback():
		what = fmt.Sprintf("rollback to %s in `%s`", rollbackTarget(s), s.Env)
	case s.Version == "":
		what = fmt.Sprintf("an unknown version to `%s`", s.Env)
	}
	line := fmt.Sprintf("%s %s %s %s", icon, Date(s.Created), what, word)
	ender, alarms := "", ""
	if names := alarmNames(s); len(names) == 1 {
		alarms = "alarm " + codeList(names)
	} else if len(names) > 1 {
		alarms = "alarms " + codeList(names)
	}
	turnedBack := s.Status == sy.StatusStopped || s.Status == sy.StatusRolledBack || s.Status == sy.StatusRollingBack
	switch {
	case s.RolledBackBy != "" && turnedBack:
		line += " by " + Mention(s.RolledBackBy)
		ender = s.RolledBackBy
	case s.RolledBackBy != "":
		line += ", rolled back by " + Mention(s.RolledBackBy)
		ender = s.RolledBackBy
	case s.ErrorCode == "ALARM_ACTIVE" && turnedBack && alarms != "":
		line += " by " + alarms
	case s.ErrorCode == "ALARM_ACTIVE" && alarms != "":
		line += ": " + alarms + " fired"
	}
	switch {
	case s.RequestedBy != "" && s.RequestedBy != ender:
		line += ", asked by " + Mention(s.RequestedBy)
	case s.RequestedBy == "" && s.Creator == sy.CreatorRollback:
		line += ", started by CodeDeploy"
	}
	if s.FreezeOverride != "" {
		line += ", during a freeze"
	}
	if d.Link != "" {
		line += fmt.Sprintf(" · <%s|card>", d.Link)
	}
	return line
}

func homeButtons(h Home, a HomeApp) *slack.ActionBlock {
	var els []slack.BlockElement
	if a.CanDeploy {
		els = append(els, button(HomeDeploy+"."+a.Name, a.Name, "Deploy…", slack.StylePrimary))
	}
	for _, e := range a.Envs {
		if !e.CanRollback {
			continue
		}
		rb := button(HomeRollback+"."+a.Name+"."+e.Name, a.Name, "Roll back "+e.Name, slack.StyleDanger)
		rb = rb.WithConfirm(slack.NewConfirmationBlockObject(plain(truncate("Roll back "+a.Name+"?", 100)),
			plain(truncate(fmt.Sprintf("The latest deployment of %s in %s is undone. Everyone in its channel will see that you did it.", a.Name, e.Name), 300)),
			plain("Roll back"), plain("Cancel")).WithStyle(slack.StyleDanger))
		els = append(els, rb)
	}
	if a.CanLock {
		if a.Lock != nil {
			els = append(els, button(HomeUnlock+"."+a.Name, a.Name, "Unlock", ""))
		} else {
			els = append(els, button(HomeLock+"."+a.Name, a.Name, "Lock…", ""))
		}
	}
	for _, e := range a.Envs {
		for _, q := range e.Queue {
			if q.By == h.User && !q.Handed {
				els = append(els, button(HomeLeave+"."+q.ID, q.ID, "Leave the queue ("+e.Name+")", ""))
			}
		}
	}
	if len(els) == 0 {
		return nil
	}
	return slack.NewActionBlock("home:"+a.Name, els...)
}

// CardLink is the link to a message: Slack's archive link, which opens the
// message in the workspace for anyone who may see the channel
// (chat.getPermalink would add the workspace's own host; the bot does not
// call it, so a link costs no API call).
func CardLink(channel, ts string) string {
	if channel == "" || ts == "" {
		return ""
	}
	return "https://slack.com/archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", "")
}
