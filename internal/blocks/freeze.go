package blocks

import (
	"fmt"
	"time"
)

// FreezeInfo is a freeze as messages show it.
type FreezeInfo struct {
	App    string // "" for every app
	Window string // the config window's name, "" for one a person made
	Reason string
	By     string
	End    time.Time
}

func (f FreezeInfo) scope() string {
	if f.App == "" {
		return "Every app"
	}
	return Escape(f.App)
}

func (f FreezeInfo) line() string {
	who := "by " + Mention(f.By)
	if f.Window != "" {
		who = "by the config's freeze `" + Escape(f.Window) + "`"
	}
	return fmt.Sprintf(":snowflake: *%s* is frozen %s until %s: %s", f.scope(), who, Date(f.End), Escape(f.Reason))
}

// FrozenRefusal tells the person who asked to deploy that a freeze stops
// it until its end, and how to go ahead anyway.
func FrozenRefusal(f FreezeInfo) Message {
	return Notice(f.line() + "\nNothing was deployed. To deploy during the freeze, add `--override <reason>`: someone on the approve list must approve it. Rollbacks are never frozen.")
}

// FreezeTaken announces a freeze in the channel.
func FreezeTaken(f FreezeInfo) Message {
	return Notice(f.line() + "\nDeploys are refused until then (rollbacks still work). `--override <reason>` asks someone on the approve list.")
}

// FreezeLifted announces that by lifted a freeze.
func FreezeLifted(f FreezeInfo, by string) Message {
	return Notice(fmt.Sprintf(":sunny: *%s* is no longer frozen: lifted by %s (it was frozen by %s: %s).",
		f.scope(), Mention(by), Mention(f.By), Escape(f.Reason)))
}

// FreezeOverrideNote is what a card of a deploy during a freeze says.
func FreezeOverrideNote(override string) string {
	return ":snowflake: *Deploy during a freeze.* Override: " + Escape(override)
}

// OverrideNeedsReason answers --override without a reason.
func OverrideNeedsReason() string {
	return "Say why it cannot wait: `--override \"hotfix for checkout\"`. Someone on the approve list must approve it."
}

// OverrideWithoutFreeze refuses --override when nothing is frozen.
func OverrideWithoutFreeze(app string) string {
	return fmt.Sprintf("%s is not frozen; deploy without `--override`.", Escape(app))
}

// FreezeUsage answers a /deploy freeze that cannot be read.
func FreezeUsage() string {
	return "Freeze like this: `/deploy freeze web 30m release week` or `/deploy freeze all 2h incident`. The duration is like 45m, 2h or 1h30m, at most a week."
}

// FreezeDuration refuses a duration that is not one or out of bounds.
func FreezeDuration(input string) string {
	return fmt.Sprintf("%s is not a duration from 1m to 7d, such as 45m, 2h, 1h30m or 2d.", quoteInput(input))
}

// UnfreezeUsage answers a /deploy unfreeze without its app.
func UnfreezeUsage() string {
	return "Say what to unfreeze: `/deploy unfreeze web` or `/deploy unfreeze all`."
}

// FreezeConfigWindow refuses to lift a config window: only the config can.
func FreezeConfigWindow(f FreezeInfo) string {
	return fmt.Sprintf("%s is frozen by the config's freeze `%s`, which only a change of the config lifts; `--override <reason>` deploys during it.",
		f.scope(), Escape(f.Window))
}
