package switchyard

import (
	"fmt"
	"strings"
)

// ReplyKind says what a thread reply tells.
type ReplyKind string

// Reply kinds.
const (
	ReplyStage      ReplyKind = "stage"       // a lifecycle stage started, succeeded or failed
	ReplyTraffic    ReplyKind = "traffic"     // production traffic reached a step
	ReplyWait       ReplyKind = "wait"        // the deployment waits for a person (or a timer)
	ReplyRolledBack ReplyKind = "rolled-back" // someone rolled it back from Slack
	ReplyBackOnBlue ReplyKind = "back-on-blue"
	ReplyFinal      ReplyKind = "final" // how it ended, broadcast to the channel
)

// Reply keys recorded in the store, so that each reply is posted once
// (across restarts and processes). Stage keys are "stage:<stage ID>:<status>",
// traffic keys "traffic:<green percent>", wait keys "wait:<wait>" (and
// "wait:pause:<hook id>" for each pause hook).
const (
	KeyCard       = "card"
	KeyFinal      = "final"
	KeyRolledBack = "rolledback"
	KeyBackOnBlue = "traffic:0"
	// KeyQuiet marks a deployment recorded without a card or a thread: it
	// ended before the bot first saw it, and nobody asked for it in Slack.
	KeyQuiet = "quiet"
)

// Reply is one thread reply a deployment's state calls for: what it tells,
// as data (internal/blocks words it), and the key it is recorded under.
type Reply struct {
	Key       string
	Kind      ReplyKind
	Stage     Stage   // ReplyStage
	Traffic   Traffic // ReplyTraffic
	Wait      Wait    // ReplyWait
	Broadcast bool
}

// ReplyOptions shape the replies of one deployment.
type ReplyOptions struct {
	// Child marks a rollback deployment CodeDeploy started, told in the
	// thread of the deployment it rolls back: no traffic steps, no
	// "rolled back", and its final result is not broadcast.
	Child bool
	// Hold keeps back what follows the end (traffic back on blue, the
	// final result) while something the final reply depends on is not
	// known yet: a rollback request waiting for AWS's answer.
	Hold bool
}

// ThreadReplies lists, in thread order, the replies that deployment d's
// state calls for and that posted does not hold yet, and adds their keys to
// posted. posted is the thread's memory: the keys already recorded. Only
// what is observed now is replied: a stage first seen once it had finished
// gets its result, not a late "started". It is a pure function: the same
// state and memory give the same replies.
func ThreadReplies(d Deployment, posted map[string]bool, o ReplyOptions) []Reply {
	var out []Reply
	add := func(r Reply) {
		if posted[r.Key] {
			return
		}
		posted[r.Key] = true
		out = append(out, r)
	}
	if d.RolledBackBy != "" && !o.Child && d.Status != StatusSucceeded {
		add(Reply{Key: KeyRolledBack, Kind: ReplyRolledBack})
	}
	traffic := func() {
		if o.Child || d.Traffic.Green <= 0 {
			return
		}
		add(Reply{Key: "traffic:" + Percent(d.Traffic.Green), Kind: ReplyTraffic, Traffic: d.Traffic})
	}
	for _, s := range d.Stages {
		stage := Reply{Key: "stage:" + s.ID() + ":" + string(s.Status), Kind: ReplyStage, Stage: s}
		if d.Backend == BackendECS {
			// ECS reports no stage's start, only the stage it is in: each
			// stage is told once, when it ends, and each production step
			// as the traffic it moved.
			switch {
			case s.ProductionStep() && !o.Child && (s.Status == StageInProgress || s.Status == StageSucceeded):
				add(Reply{Key: "traffic:" + Percent(s.Percent), Kind: ReplyTraffic, Traffic: Traffic{Green: s.Percent, Blue: 100 - s.Percent}})
			case s.ProductionStep():
			case s.Status == StageSucceeded || s.Status == StageFailed:
				add(stage)
			}
			continue
		}
		switch s.Status {
		case StageInProgress:
			add(stage)
			if s.Name == AllowTraffic {
				traffic()
			}
		case StageSucceeded, StageFailed:
			if s.Name == AllowTraffic && s.Status == StageSucceeded {
				traffic()
			}
			add(stage)
		}
	}
	if !o.Child && !o.Hold && d.Status.Done() && d.Status != StatusSucceeded && d.Traffic.Green == 0 && shifted(posted) {
		add(Reply{Key: KeyBackOnBlue, Kind: ReplyBackOnBlue})
	}
	if !d.Status.Done() && d.Waiting != WaitNone {
		key := "wait:" + string(d.Waiting)
		if d.Waiting == WaitPause {
			key += ":" + d.Pause.ID // each pause asks anew
		}
		add(Reply{Key: key, Kind: ReplyWait, Wait: d.Waiting})
	}
	if d.Status.Done() && !o.Hold {
		add(Reply{Key: KeyFinal, Kind: ReplyFinal, Broadcast: !o.Child})
	}
	return out
}

// shifted reports whether a traffic step to green was told in the thread.
func shifted(posted map[string]bool) bool {
	for k := range posted {
		if strings.HasPrefix(k, "traffic:") && k != KeyBackOnBlue {
			return true
		}
	}
	return false
}

// Percent writes a traffic share the way keys and replies show it: whole
// numbers without decimals, others with one.
func Percent(f float64) string {
	if f == float64(int(f)) {
		return fmt.Sprintf("%d", int(f))
	}
	return fmt.Sprintf("%.1f", f)
}
