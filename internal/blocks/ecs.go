package blocks

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	sy "github.com/switchyard/switchyard"
)

// The words of ECS-native deployments: ECS's stages named for people, its
// strategies, the pause hooks that wait for a click, and how such a
// deployment ends. The card and the replies call in here when a
// deployment's Backend is ECS.

// Action IDs of a pause hook's buttons. The button's value is the hook's
// id, so that a click answers the pause it was shown for and no later one.
const (
	ActionContinueHook = "hook_continue"
	ActionRollbackHook = "hook_rollback"
)

// ecsStageNames are ECS's lifecycle stages as people read them.
var ecsStageNames = map[string]string{
	sy.ECSReconcileService:           "Reconcile service",
	sy.ECSPreScaleUp:                 "Before scale-up hooks",
	sy.ECSScaleUp:                    "Scale up",
	sy.ECSPostScaleUp:                "After scale-up hooks",
	sy.ECSTestTrafficShift:           "Test traffic",
	sy.ECSPostTestTrafficShift:       "After test traffic hooks",
	sy.ECSPreProductionTrafficShift:  "Before production traffic hooks",
	sy.ECSProductionTrafficShift:     "Production traffic",
	sy.ECSPostProductionTrafficShift: "After production traffic hooks",
	sy.ECSBakeTime:                   "Bake",
	sy.ECSCleanUp:                    "Clean up",
}

// stageTitle names a stage for people: a CodeDeploy lifecycle event as
// CodeDeploy names it; an ECS stage in words, with the share of a
// production step ("Production traffic 25%"), the length of a bake ("Bake
// 15 min") and what the way back does. s is already safe (safeStage).
func stageTitle(s sy.Stage) string {
	name, ok := ecsStageNames[s.Name]
	switch {
	case !ok:
		return s.Name
	case s.Back && s.Name == sy.ECSProductionTrafficShift:
		return "Production traffic back to the previous version"
	case s.Back && s.Name == sy.ECSTestTrafficShift:
		return "Test traffic back to the previous version"
	case s.Back && s.Name == sy.ECSCleanUp:
		return "Clean up the new version"
	case s.Back:
		return name + " (on the way back)"
	case s.Name == sy.ECSProductionTrafficShift && s.Percent > 0:
		return fmt.Sprintf("%s %s%%", name, sy.Percent(s.Percent))
	case s.Name == sy.ECSBakeTime:
		return fmt.Sprintf("%s %d min", name, s.BakeMinutes)
	}
	return name
}

// hookStageWords says where a hook stage is, for sentences: "after test
// traffic".
func hookStageWords(stage string) string {
	switch stage {
	case sy.ECSReconcileService:
		return "while reconciling the service"
	case sy.ECSPreScaleUp:
		return "before scale-up"
	case sy.ECSPostScaleUp:
		return "after scale-up"
	case sy.ECSTestTrafficShift:
		return "during the test traffic shift"
	case sy.ECSPostTestTrafficShift:
		return "after test traffic"
	case sy.ECSPreProductionTrafficShift:
		return "before each production step"
	case sy.ECSProductionTrafficShift:
		return "during each production step"
	case sy.ECSPostProductionTrafficShift:
		return "after production traffic"
	}
	return "at " + Escape(stage)
}

// StrategyWords says in words how ECS moves production traffic and how
// long both versions run before the old one goes.
func StrategyWords(s sy.Strategy) string {
	var shift string
	switch s.Type {
	case sy.StrategyLinear:
		steps := s.Steps()
		shift = fmt.Sprintf("%s%% more every %s, all traffic after %s", sy.Percent(s.StepPercent), minutes(s.StepBakeMinutes),
			minutes((len(steps)-1)*s.StepBakeMinutes))
	case sy.StrategyCanary:
		shift = fmt.Sprintf("%s%% first, all traffic after %s", sy.Percent(s.CanaryPercent), minutes(s.CanaryBakeMinutes))
	default:
		shift = "all traffic at once"
	}
	return fmt.Sprintf("%s; both versions run %s more (bake) before the old one is removed", shift, minutes(s.BakeMinutes))
}

// hookWords describes one lifecycle hook: where it runs, what, and what
// happens when it does not answer.
func hookWords(h sy.LifecycleHook) string {
	var where []string
	for _, st := range h.Stages {
		where = append(where, hookStageWords(st))
	}
	what := "Lambda " + Escape(functionName(h.Function))
	if h.Pause {
		what = "a pause for Continue or Roll back on the card"
	}
	then := "rolls back"
	if h.TimeoutAction == sy.HookContinue {
		then = "goes on"
	}
	return fmt.Sprintf("%s %s (%s after %s without an answer)", what, strings.Join(where, " and "), then, minutes(h.TimeoutMinutes))
}

// ecsConfirmation fills in what the confirmation card says of a plan ECS
// will carry out itself.
func ecsConfirmation(c *Confirmation, plan *sy.Plan) {
	c.ReadyWait, c.Termination = "", ""
	if plan.Strategy == nil {
		return
	}
	s := *plan.Strategy
	c.ConfigSummary = StrategyWords(s)
	c.Termination = fmt.Sprintf("ECS runs this deployment itself; Rollback sends traffic back to the previous version until the bake ends (%s after the last step)",
		minutes(s.BakeMinutes))
	c.AutoRollback = "ECS rolls back by itself when a hook fails"
	switch {
	case len(plan.Alarms) > 0 && s.AlarmRollback:
		c.AutoRollback += " or a watched alarm fires"
	case len(plan.Alarms) > 0:
		c.AutoRollback += "; a watched alarm stops it"
	}
	c.Hooks = nil
	for _, h := range s.Hooks {
		c.Hooks = append(c.Hooks, hookWords(h))
	}
}

// pauseLine says what a deployment waiting at a pause hook waits for, until
// when, and what happens then.
func pauseLine(d sy.Deployment) string {
	if d.Waiting != sy.WaitPause || d.Status.Done() {
		return ""
	}
	p := d.Pause
	where := "at a pause hook"
	if p.Stage != "" {
		where = "at the pause " + hookStageWords(p.Stage)
	}
	then := "ECS rolls it back by itself"
	if p.TimeoutAction == sy.HookContinue {
		then = "ECS lets it go on by itself"
	}
	line := fmt.Sprintf(":double_vertical_bar: *Waiting %s:* press *Continue* to go on or *Roll back* to send traffic back to the previous version.", where)
	if !p.Expires.IsZero() {
		line += fmt.Sprintf(" If nobody answers by %s, %s.", Clock(p.Expires), then)
	}
	return line
}

// PauseReply is the thread reply when an ECS deployment starts waiting at
// a pause hook.
func PauseReply(d sy.Deployment) string {
	return pauseLine(safe(d))
}

// pauseButtons are Continue and Roll back for the pause hook d waits at.
func pauseButtons(d sy.Deployment) []slack.BlockElement {
	hook := d.Pause.ID
	cont := button(ActionContinueHook, hook, "Continue", slack.StylePrimary)
	rb := button(ActionRollbackHook, hook, "Roll back", slack.StyleDanger)
	rb = rb.WithConfirm(slack.NewConfirmationBlockObject(
		plain("Roll back "+truncate(d.App, 60)+"?"),
		plain(truncate(fmt.Sprintf("Traffic goes back to the previous version and %s stops. Everyone in the channel will see that you did it.", sy.ShortID(d.ID)), 300)),
		plain("Roll back"), plain("Keep waiting")).WithStyle(slack.StyleDanger))
	return []slack.BlockElement{cont, rb}
}

// ecsStatusWord says in a few words where an ECS deployment stands, when
// that differs from a CodeDeploy one.
func ecsStatusWord(d sy.Deployment) (string, bool) {
	switch {
	case d.Status == sy.StatusRolledBack:
		return "rolled back", true
	case d.Status == sy.StatusRollbackFailed:
		return "failed, and its rollback failed too", true
	case d.Status == sy.StatusRollingBack:
		return "rolling back to the previous version", true
	case d.Status == sy.StatusStopping:
		return "stopping", true
	case d.Status.Done():
		return "", false
	case d.Waiting == sy.WaitPause:
		return "waiting for Continue or Roll back", true
	case d.Status == sy.StatusCreated:
		return "starting", true
	}
	return "", false
}

// ecsStatusIcon is the icon of an ECS-only status or wait, or "".
func ecsStatusIcon(d sy.Deployment) string {
	switch {
	case d.Status == sy.StatusRolledBack || d.Status == sy.StatusRollingBack:
		return ":rewind:"
	case d.Status == sy.StatusRollbackFailed:
		return ":x:"
	case d.Status == sy.StatusStopping:
		return ":octagonal_sign:"
	case !d.Status.Done() && d.Waiting == sy.WaitPause:
		return ":double_vertical_bar:"
	}
	return ""
}

// ecsConsoleURL links a service deployment in the ECS console. ECS
// documents no address for one deployment's page, so the link opens the
// service's Deployments tab, where the console lists it by its id (the
// link's text).
func ecsConsoleURL(ref sy.ServiceDeploymentRef) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/ecs/v2/clusters/%s/services/%s/deployments?region=%s",
		ref.Region, ref.Cluster, ref.Service, ref.Region)
}

// ecsFinalReply is the broadcast result of an ECS deployment that did not
// succeed: how it ended, why, and who asked.
func ecsFinalReply(d sy.Deployment, who string) string {
	why := "."
	if reason := failureReason(d); reason != "" {
		why = ": " + fullStop(reason)
	}
	switch {
	case d.Status == sy.StatusRolledBack && d.RolledBackBy != "":
		return fmt.Sprintf(":rewind: %s %s in %s was rolled back by %s. The previous version serves all traffic.%s",
			d.App, d.Version, d.Env, Mention(d.RolledBackBy), who)
	case d.Status == sy.StatusRolledBack:
		return fmt.Sprintf(":rewind: %s %s in %s was rolled back%s The previous version serves all traffic.%s", d.App, d.Version, d.Env, why, who)
	case d.Status == sy.StatusRollbackFailed:
		return fmt.Sprintf(":x: %s %s failed in %s and ECS could not roll it back%s Look at the service now.%s", d.App, d.Version, d.Env, why, who)
	}
	return ""
}

// stageDuration is how long a stage ran, as far as the bot saw: ECS
// reports no stage's start or end, so a stage first seen finished has no
// duration, nor one whose end nobody saw.
func stageDuration(s sy.Stage, now time.Time) (string, bool) {
	if s.Start.IsZero() || (s.Status != sy.StageInProgress && s.Status != sy.StagePending && s.End.IsZero()) {
		return "", false
	}
	return Duration(s.Duration(now)), true
}

// HookContinued tells the person who pressed Continue at a pause hook that
// ECS took it.
func HookContinued(id string) Message {
	return Notice(fmt.Sprintf(":arrow_forward: Continuing %s: the pause is answered and the deployment goes on.", safeID(sy.ShortID(id))))
}
