package blocks

import (
	"fmt"
	"time"

	sy "github.com/switchyard/switchyard"
)

// BackOnBlueReply is the thread reply when traffic that had moved to green
// is all back on blue after a failure, a stop or a rollback.
func BackOnBlueReply(d sy.Deployment) string {
	return fmt.Sprintf(":large_blue_circle: %s 0%% of traffic on green: all traffic is back on blue (the previous version).", TrafficBar(0))
}

// RollbackDeploymentPrefix starts each thread reply about the rollback
// deployment CodeDeploy started, told in the thread of the deployment it
// rolls back.
func RollbackDeploymentPrefix(id string) string {
	return fmt.Sprintf(":rewind: _Rollback %s_ · ", safeID(sy.ShortID(id)))
}

// ReplyText words reply r of deployment d for its thread as of now. child
// marks a rollback deployment CodeDeploy started, told in the thread of the
// deployment it rolls back: its stages and result carry a prefix naming it.
func ReplyText(r sy.Reply, d sy.Deployment, child bool, now time.Time) string {
	prefix := ""
	if child {
		prefix = RollbackDeploymentPrefix(d.ID)
	}
	switch r.Kind {
	case sy.ReplyStage:
		return prefix + StageReply(r.Stage, now)
	case sy.ReplyTraffic:
		if d.Backend == sy.BackendECS {
			return TrafficReply(r.Traffic) + " _(as ECS requested it)_"
		}
		return TrafficReply(r.Traffic)
	case sy.ReplyWait:
		if r.Wait == sy.WaitPause {
			return PauseReply(d)
		}
		return WaitReply(r.Wait)
	case sy.ReplyRolledBack:
		return RollbackReply(d.RolledBackBy, "")
	case sy.ReplyBackOnBlue:
		return BackOnBlueReply(d)
	case sy.ReplyFinal:
		return prefix + FinalReply(d)
	}
	return ""
}
