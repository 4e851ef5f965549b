package blocks

import (
	"fmt"

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
	return fmt.Sprintf(":rewind: _Rollback %s_ · ", id)
}
