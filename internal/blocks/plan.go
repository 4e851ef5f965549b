package blocks

import (
	"fmt"
	"strings"

	sy "github.com/switchyard/switchyard"
)

// ConfirmationOf is what the confirmation card shows of request p and its
// plan, pending: every word about the plan is written here.
func ConfirmationOf(p sy.Pending, plan *sy.Plan) Confirmation {
	c := Confirmation{
		ID: p.ID, App: p.App, Env: p.Env, Version: plan.Version,
		ImageBefore: plan.ImageNow, ImageAfter: plan.ImageNext,
		Config: plan.Config, ConfigSummary: TrafficWords(plan.Traffic),
		ReadyWait:      sentence(readyWaitWords(plan.ReadyWait)),
		Termination:    sentence(terminationWords(plan.Termination)),
		AutoRollback:   autoRollbackWords(plan.AutoRollback),
		AlreadyRunning: plan.AlreadyRunning,
		RequestedBy:    p.RequestedBy, Reason: p.Reason,
		Override:      p.Override,
		NeedsApproval: (plan.Env.RequireApproval || p.Override != "") && p.Kind != sy.KindRollback,
		Created:       p.Created, Expires: p.Expires,
		State: ConfirmPending,
	}
	// What AWS would refuse comes first, then what makes the deploy risky:
	// both lead the card, above the facts.
	if plan.ActiveDeployment != "" {
		c.Blocked = append(c.Blocked, GroupBusy(plan.ActiveDeployment))
	}
	// An image from another repository must not pass for a new version of
	// the running one: the header names the whole reference and a warning
	// says what changes.
	if from, to, changed := plan.RepositoryChange(); changed {
		c.Version = plan.ImageNext
		if p.Kind != sy.KindRollback {
			c.Warnings = append(c.Warnings, fmt.Sprintf("*This changes the image repository:* `%s` → `%s`", Escape(from), Escape(to)))
		}
	}
	if firing := plan.Firing(); len(firing) > 0 {
		c.Warnings = append(c.Warnings, firingWarning(firing))
	}
	if p.Kind == sy.KindRollback {
		c.RollbackOf = p.RollbackOf
		if from, to, changed := plan.FamilyChange(); changed {
			c.Warnings = append(c.Warnings, fmt.Sprintf("*This deploys another task definition family:* `%s` (the service runs `%s`).",
				Escape(to), Escape(from)))
		}
		if from, to, changed := plan.RepositoryChange(); changed {
			c.Warnings = append(c.Warnings, fmt.Sprintf("*This deploys from another image repository:* `%s` (the service runs `%s`).",
				Escape(to), Escape(from)))
		}
	}
	c.Notes = append(c.Notes, planNotes(plan)...)
	for _, stage := range sy.HookStages() {
		if fn := plan.Hooks[stage]; fn != "" {
			c.Hooks = append(c.Hooks, stage+": "+functionName(fn))
		}
	}
	c.Alarms = plan.Alarms
	if plan.Backend == sy.BackendECS {
		ecsConfirmation(&c, plan)
	}
	return c
}

// GroupBusy says that deployment active still runs in the same place (a
// CodeDeploy deployment group, or an ECS service), so a second one cannot
// start (CodeDeploy refuses it with DeploymentLimitExceededException; for
// ECS the deployer refuses it rather than let ECS supersede the first): on
// a card that therefore has no Confirm, and on one whose start was refused
// for that reason.
func GroupBusy(active string) string {
	what := "Another deployment"
	if active != "" {
		what = "Deployment " + safeID(sy.ShortID(active))
	}
	return what + " is still running here, and a second one cannot start until it ends; run `/deploy` again once it has."
}

// firingWarning names the alarms that fire now: CodeDeploy would stop the
// deployment as soon as it watches them.
func firingWarning(names []string) string {
	if len(names) == 1 {
		return fmt.Sprintf("*Alarm %s is firing:* CodeDeploy would stop this deployment as soon as it starts; wait until it is back to OK.", codeList(names))
	}
	return fmt.Sprintf("*Alarms %s are firing:* CodeDeploy would stop this deployment as soon as it starts; wait until they are back to OK.", codeList(names))
}

// planNotes says what the plan's fields imply that a person should know:
// what the image check found, a load balancer that differs from the
// configuration, a hook that will not run, alarms that could not be read.
// Alarms that fire are a warning, not a note (ConfirmationOf).
func planNotes(plan *sy.Plan) []string {
	var notes []string
	switch {
	case !plan.Image.ECR:
		notes = append(notes, "Not an ECR image, so its existence was not checked.")
	case plan.Image.Checked:
		notes = append(notes, fmt.Sprintf("Found in ECR repository %s.", Escape(plan.Image.Repository)))
	}
	if plan.ConfiguredLB != "" {
		notes = append(notes, fmt.Sprintf("The service's load balancer sends traffic to %s:%d, not to the configured %s; the AppSpec follows the service.",
			Escape(plan.LBContainer), plan.LBPort, Escape(plan.ConfiguredLB)))
	}
	if plan.HookWithoutTestTraffic() {
		notes = append(notes, "The group has no test listener, so the AfterAllowTestTraffic hook will not run.")
	}
	if plan.Image.TagUnchecked != "" {
		notes = append(notes, fmt.Sprintf("The tag %s could not be checked against the digest, so this is named by its digest: the digest is what will run.",
			Escape(plan.Image.TagUnchecked)))
	}
	if plan.AlarmsUnread {
		notes = append(notes, "Could not read the alarm states from CloudWatch.")
	}
	return notes
}

// TrafficWords says in words what a deployment config does to production
// traffic, for example "10% every 1 minute, all traffic after 9 minutes".
func TrafficWords(t sy.TrafficShape) string {
	switch t.Type {
	case sy.RoutingLinear:
		if t.Percent <= 0 {
			return "linear traffic shift"
		}
		steps := (100 + t.Percent - 1) / t.Percent
		return fmt.Sprintf("%d%% every %s, all traffic after %s", t.Percent, minutes(t.IntervalMinutes), minutes((steps-1)*t.IntervalMinutes))
	case sy.RoutingCanary:
		if t.Percent <= 0 {
			return "canary traffic shift"
		}
		return fmt.Sprintf("%d%% first, all traffic after %s", t.Percent, minutes(t.IntervalMinutes))
	default:
		return "all traffic at once"
	}
}

func readyWaitWords(w sy.ReadyWait) string {
	if !w.Manual {
		return "traffic moves as soon as green is ready"
	}
	return fmt.Sprintf("waits up to %s for someone to shift traffic, then stops", minutes(w.Minutes))
}

func terminationWords(t sy.Termination) string {
	switch {
	case !t.Terminate:
		return "blue is kept running after success"
	case t.WaitMinutes == 0:
		return "blue is deleted right after success"
	default:
		return fmt.Sprintf("blue is kept %s after success for a quick rollback, then deleted", minutes(t.WaitMinutes))
	}
}

func autoRollbackWords(a sy.AutoRollback) string {
	if !a.Enabled {
		return "CodeDeploy does not roll back by itself; Rollback on the card does"
	}
	var on []string
	for _, e := range a.Events {
		switch e {
		case "DEPLOYMENT_FAILURE":
			on = append(on, "failure")
		case "DEPLOYMENT_STOP_ON_ALARM":
			on = append(on, "alarm")
		case "DEPLOYMENT_STOP_ON_REQUEST":
			on = append(on, "a stop")
		}
	}
	if len(on) == 0 {
		return "CodeDeploy rolls back by itself"
	}
	return "CodeDeploy rolls back by itself on " + strings.Join(on, " or ")
}

func minutes(n int) string {
	if n == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", n)
}

func sentence(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// functionName shortens a Lambda ARN to the function's name.
func functionName(fn string) string {
	if _, after, ok := strings.Cut(fn, ":function:"); ok {
		name, _, _ := strings.Cut(after, ":")
		return name
	}
	return fn
}
