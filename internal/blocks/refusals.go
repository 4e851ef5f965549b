package blocks

import (
	"fmt"
	"strings"

	sy "github.com/switchyard/switchyard"
)

// The sentences of the refusals and failures the commands package tells
// one person. Each returns plain sentence text: the caller shows it as a
// Refusal (or wraps it in an error kind's safe message) and keeps it in the
// audit trail as the refusal's detail. Names from the config are escaped
// like any other text, which changes nothing for a valid one; ids and
// names that came from AWS or Slack are escaped because they may carry
// markup.

// Act is something a person may or may not be allowed to do, as a refusal
// names it.
type Act string

// The acts that access lists govern.
const (
	ActDeploy   Act = "deploy"
	ActApprove  Act = "approve"
	ActRollback Act = "rollback"
	ActShift    Act = "shift_now"
	ActFinish   Act = "finish_now"
	ActLock     Act = "lock"
	ActUnlock   Act = "unlock"
	// ActContinue answers an ECS deployment's pause hook with Continue.
	ActContinue Act = "continue_hook"
	// ActAudit is reading an app's audit trail, which its lock list may.
	ActAudit Act = "audit"
	// ActFreeze and ActUnfreeze make and lift a freeze, which an app's
	// lock list may: a freeze is a lock with an end.
	ActFreeze   Act = "freeze"
	ActUnfreeze Act = "unfreeze"
)

// phrase says act on app in env the way "You may not …" goes on. A lock
// concerns the app's lock list whatever the environment, so lock and
// unlock name the app alone.
func (a Act) phrase(app, env string) string {
	app, env = Escape(app), Escape(env)
	switch a {
	case ActApprove:
		return fmt.Sprintf("approve deploys of %s to %s", app, env)
	case ActRollback:
		return fmt.Sprintf("roll back %s in %s", app, env)
	case ActShift:
		return fmt.Sprintf("shift traffic of deployments of %s in %s", app, env)
	case ActFinish:
		return fmt.Sprintf("finish deployments of %s in %s", app, env)
	case ActContinue:
		return fmt.Sprintf("let deployments of %s in %s go on past a pause", app, env)
	case ActLock, ActUnlock:
		return string(a) + " " + app
	case ActAudit:
		return "read the audit trail of " + app
	case ActFreeze:
		if app == "" {
			return "freeze deploys of every app"
		}
		return "freeze deploys of " + app
	case ActUnfreeze:
		if app == "" {
			return "lift the freezes of every app"
		}
		return "lift the freeze of " + app
	default:
		return fmt.Sprintf("deploy %s to %s", app, env)
	}
}

// NotOnList refuses someone who is on none of the access list of app that
// act needs; list is that list's name in the config (deploy, approve,
// rollback, lock).
func NotOnList(act Act, app, env, list string) string {
	return fmt.Sprintf("You may not %s: you are not on the %s list of %s in the bot's config.", act.phrase(app, env), Escape(list), Escape(app))
}

// NotOnLockLists refuses a freeze or unfreeze of every app (act is
// ActFreeze or ActUnfreeze) to someone missing from the lock lists of
// apps: the command covers them all, so the refusal names each app that
// stops it.
func NotOnLockLists(act Act, apps []string) string {
	names := make([]string, len(apps))
	for i, a := range apps {
		names[i] = Escape(a)
	}
	lists := "the lock list of " + strings.Join(names, ", ")
	if len(names) > 1 {
		lists = "the lock lists of " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	return fmt.Sprintf("You may not %s: you are not on %s in the bot's config.", act.phrase("", ""), lists)
}

// GroupsUnchecked refuses act when Slack could not say whether the person
// is in the user groups of the access list: a refusal for now, not a
// verdict.
func GroupsUnchecked(act Act, app, env string) string {
	return fmt.Sprintf("You may not %s: I couldn't check your user groups with Slack just now. Try again in a minute.", act.phrase(app, env))
}

// NotHere refuses a command about app in env that came from somewhere other
// than the channels (IDs) env is handled in; direct says it came in a
// direct message. An empty env stands for every environment of the app.
func NotHere(app, env string, channels []string, direct bool) string {
	if env == "" {
		env = "any environment"
	}
	app, env, where := Escape(app), Escape(env), Channels(channels)
	if direct {
		return fmt.Sprintf("I don't take that in a direct message: %s in %s is handled in %s, where the team sees it.", app, env, where)
	}
	return fmt.Sprintf("%s in %s is handled in %s only, where the team sees it. Run the command there.", app, env, where)
}

// UnknownApp says that name is no configured app, with suggestion (the
// closest known name) when there is one, else the names known.
func UnknownApp(name, suggestion string, known []string) string {
	why := fmt.Sprintf("I don't know the app `%s`.", Escape(name))
	switch {
	case suggestion != "":
		why += fmt.Sprintf(" Did you mean `%s`?", Escape(suggestion))
	case len(known) > 0:
		why += " I know " + codeList(known) + "."
	}
	return why
}

// UnknownCommand answers a lone word that is neither a subcommand nor an
// app: most likely a mistyped one of them.
func UnknownCommand(name, suggestion string, known []string) string {
	return UnknownApp(name, suggestion, known) + " To see the commands I take, run `/deploy help`."
}

// subcommandUsage is how each subcommand goes, as /deploy help says it.
var subcommandUsage = map[string]string{
	"status":   "/deploy status [app]",
	"history":  "/deploy history <app> [n]",
	"rollback": "/deploy rollback <app> [to <env>]",
	"lock":     "/deploy lock <app> [to <env>] <reason>",
	"unlock":   "/deploy unlock <app> [to <env>]",
	"freeze":   "/deploy freeze <app|all> <duration> <reason>",
	"unfreeze": "/deploy unfreeze <app|all>",
	"audit":    "/deploy audit <app> [n]",
	"list":     "/deploy list",
	"help":     "/deploy help",
}

// MistypedSubcommand answers a first word (name) that is no app but close
// to the subcommand sub: most likely a typo of it.
func MistypedSubcommand(name, sub string) string {
	usage, ok := subcommandUsage[sub]
	if !ok {
		usage = "/deploy " + sub
	}
	return fmt.Sprintf("I don't know `%s`: it is neither an app nor a command. Did you mean `%s`? It goes `%s`.",
		Escape(name), Escape(sub), Escape(usage))
}

// UnknownEnv says that app has no environment name, with suggestion (the
// closest one) when there is one, else the environments it has.
func UnknownEnv(app, name, suggestion string, known []string) string {
	if suggestion != "" {
		return fmt.Sprintf("%s has no environment `%s`. Did you mean `%s`?", Escape(app), Escape(name), Escape(suggestion))
	}
	return fmt.Sprintf("%s has no environment `%s`: use %s.", Escape(app), Escape(name), codeList(known))
}

// UnknownConfig says that name is no deployment config the bot knows;
// known are the full names it does know besides the shorthands.
func UnknownConfig(name string, known []string) string {
	return fmt.Sprintf("I don't know the deployment config `%s`: use canary, linear, all-at-once, %s.", Escape(name), codeList(known))
}

// AppGone refuses a click on the confirmation card of an app that has
// left the config since the card was posted.
func AppGone(app string) string {
	return fmt.Sprintf("%s is no longer in the bot's config; nothing was deployed.", Escape(app))
}

// EnvGone refuses a click on the confirmation card of an environment that
// has left the config since the card was posted.
func EnvGone(app, env string) string {
	return fmt.Sprintf("%s has no environment %s any more; nothing was deployed.", Escape(app), Escape(env))
}

// EnvMoved refuses a click on the confirmation card of an environment
// whose service, CodeDeploy group or role changed in the config since the
// card was posted: what it shows was read elsewhere, or as someone else.
func EnvMoved(app, env string) string {
	return fmt.Sprintf("%s in %s now deploys to another place or through another role than when this card was made; nothing was deployed. Ask again to see what would change there.",
		Escape(app), Escape(env))
}

// OnlyRequesterCancels refuses Cancel to anyone but by (a user ID), who
// asked for the deploy, or the rollback when rollback is set.
func OnlyRequesterCancels(by string, rollback bool) string {
	return fmt.Sprintf("Only %s, who asked for this %s, can cancel it.", Mention(by), deployOrRollback(rollback))
}

// OnlyRequesterConfirms refuses Confirm to anyone but by (a user ID), who
// asked for the deploy, or the rollback when rollback is set. mayDeploy
// says whether the person refused may deploy the app: only then are they
// pointed at /deploy.
func OnlyRequesterConfirms(by string, rollback, mayDeploy bool) string {
	if rollback {
		return fmt.Sprintf("Only %s, who asked for this rollback, can confirm it.", Mention(by))
	}
	if !mayDeploy {
		return fmt.Sprintf("Only %s, who asked for this deploy, can confirm it.", Mention(by))
	}
	return fmt.Sprintf("Only %s, who asked for this deploy, can confirm it. Run `/deploy` yourself to deploy.", Mention(by))
}

func deployOrRollback(rollback bool) string {
	if rollback {
		return "rollback"
	}
	return "deploy"
}

// NeedsApprover refuses Confirm of a deploy that a second person must
// approve.
func NeedsApprover(app, env string) string {
	return fmt.Sprintf("%s in %s needs a second person: someone allowed to approve presses Approve.", Escape(app), Escape(env))
}

// OwnApproval refuses Approve to the person who asked for the deploy.
func OwnApproval(app, env string) string {
	return fmt.Sprintf("You can't approve your own deploy: %s in %s needs a second person allowed to approve.", Escape(app), Escape(env))
}

// NoApprovalNeeded refuses Approve of a deploy that by (a user ID), who
// asked for it, confirms alone.
func NoApprovalNeeded(by string) string {
	return fmt.Sprintf("This deploy needs no approval; only %s can confirm it.", Mention(by))
}

// NotConfigured refuses a click on the card of a deployment whose app the
// config does not name.
func NotConfigured(app string) string {
	return fmt.Sprintf("%s is not in the bot's config, so I can't act on its deployments.", Escape(app))
}

// NoSuchEnv refuses a click on the card of a deployment whose environment
// the config does not name.
func NoSuchEnv(app, env string) string {
	return fmt.Sprintf("%s has no environment %s in the bot's config.", Escape(app), Escape(env))
}

// AlreadyRollingBack refuses a second rollback of deployment id while
// deployment active carries the first.
func AlreadyRollingBack(active, id string) string {
	return fmt.Sprintf("%s is already rolling back %s; let it finish.", safeID(sy.ShortID(active)), safeID(sy.ShortID(id)))
}

// NothingToRollBack refuses a rollback of an environment without a
// deployment that the bot knows.
func NothingToRollBack(app, env string) string {
	return fmt.Sprintf("I know of no deployment of %s in %s to roll back.", Escape(app), Escape(env))
}

// CardNotPosted is the safe message of a confirmation card that could not
// be posted in the channel: of a deploy, or of a rollback when rollback is
// set. Nothing was started.
func CardNotPosted(rollback bool) string {
	if rollback {
		return "I couldn't post the rollback's confirmation card in this channel; nothing was rolled back."
	}
	return "I couldn't post the confirmation card in this channel; nothing was deployed. Is the bot allowed to post here?"
}

// LockElsewhere refuses an unlock that named another scope than lock l
// holds: it says where the lock is and the command that lifts it.
func LockElsewhere(l LockInfo) string {
	app := Escape(l.App)
	if l.Env == "" {
		return fmt.Sprintf("The lock is on %s (the whole app); run `/deploy unlock %s`.", app, app)
	}
	env := Escape(l.Env)
	return fmt.Sprintf("The lock is on %s in %s; run `/deploy unlock %s to %s`.", app, env, app, env)
}

// RollbackLockReason is the reason of the lock that lock_on_rollback takes
// after deployment id of app's version was rolled back. It is stored as it
// is and escaped, like every lock reason, where it is shown.
func RollbackLockReason(app, version, id string) string {
	return fmt.Sprintf("%s %s was rolled back (%s); unlock when the fix is ready", app, version, id)
}

// Why a request for a deployment closed without one, as its card shows it
// after "The deployment could not start:".
const (
	// RequestCardNotPosted: its confirmation card never reached the channel.
	RequestCardNotPosted = "the card could not be posted"
	// RequestCutShort: the bot stopped between Confirm and AWS's answer.
	RequestCutShort = "the start was cut short: the bot stopped before AWS answered"
	// RequestOnOwnCard: a rollback that must be confirmed on a card of its
	// own, which a new request stands behind.
	RequestOnOwnCard = "waits for a confirmation on its own card"
)

// TooBusy tells a person that the bot dropped what they asked because its
// queue of work is full.
func TooBusy() Message {
	return Problem("I'm too busy to take that right now; nothing was done. Try again in a minute.")
}

// Crashed tells a person that handling what they asked broke inside the
// bot and was stopped; the log has the details.
func Crashed() Message {
	return Problem("Something went wrong on our side while handling that; it was stopped. The details are in the bot's log.")
}
