package awssim

import (
	"fmt"
	"time"
)

// waits are the blue/green waits a deployment can sit in outside its
// lifecycle events, by the phase it is in meanwhile. Each wait is one type:
// begin (called where the wait comes in the deployment) enters it, due
// ends it when its time comes, proceed ends it early on ContinueDeployment
// with its waitType.
var waits = map[phase]wait{
	phaseReady:    readyWait{},
	phaseTermWait: terminationWait{},
}

type wait interface {
	waitType() string // ContinueDeployment's deploymentWaitType
	due(s *Sim, d *cdDeployment, at time.Time)
	proceed(s *Sim, d *cdDeployment, at time.Time)
}

// readyWait holds a deployment in Ready before production traffic moves
// when the group's deploymentReadyOption says STOP_DEPLOYMENT: until
// ContinueDeployment, or until the wait time, which stops the deployment.
type readyWait struct{}

// begin enters the wait when the group has one that ContinueDeployment has
// not already ended, and reports whether it did.
func (readyWait) begin(s *Sim, d *cdDeployment, at time.Time) bool {
	ro := d.group.blueGreen.DeploymentReadyOption
	if d.readyContinued || ro == nil || ro.ActionOnTimeout != "STOP_DEPLOYMENT" {
		return false
	}
	d.phase, d.status, d.targetStatus = phaseReady, "Ready", "Ready"
	d.due = at.Add(time.Duration(ro.WaitTimeInMinutes) * time.Minute)
	s.emitDeploymentEvent(d, "READY")
	return true
}

func (readyWait) waitType() string { return "READY_WAIT" }

func (readyWait) due(s *Sim, d *cdDeployment, at time.Time) {
	mins := d.group.blueGreen.DeploymentReadyOption.WaitTimeInMinutes
	s.stopLocked(d, at, "TIMEOUT", formatReadyTimeout(mins), false)
}

// proceed starts the stage the wait held back: traffic starts to move.
func (readyWait) proceed(s *Sim, d *cdDeployment, at time.Time) {
	d.readyContinued = true
	d.status, d.targetStatus = "InProgress", "InProgress"
	s.emitDeploymentEvent(d, "START")
	s.startEventLocked(d, d.cur, at)
}

func formatReadyTimeout(minutes int) string {
	return fmt.Sprintf("The deployment timed out while waiting for traffic to be rerouted: the ready wait of %d minutes ended without ContinueDeployment.", minutes)
}

// terminationWait keeps the original task set for the group's termination
// wait after the target has Succeeded, then removes it and ends the
// deployment.
type terminationWait struct{}

// begin enters the wait unless there is none: a rollback deployment's blue
// was never replaced, and KEEP_ALIVE leaves blue ACTIVE at weight 0 for
// good. It reports whether it did.
func (terminationWait) begin(d *cdDeployment, at time.Time) bool {
	t := d.group.blueGreen.TerminateBlueInstancesOnDeploymentSuccess
	if d.isRollback || (t != nil && t.Action == "KEEP_ALIVE") {
		return false
	}
	wait := 0
	if t != nil {
		wait = t.TerminationWaitTimeInMinutes
	}
	d.phase, d.termWait = phaseTermWait, true
	d.due = at.Add(time.Duration(wait) * time.Minute)
	return true
}

func (terminationWait) waitType() string { return "TERMINATION_WAIT" }

func (terminationWait) due(s *Sim, d *cdDeployment, at time.Time) {
	removeTaskSet(d.svc, d.blue)
	s.succeedLocked(d, at)
}

func (w terminationWait) proceed(s *Sim, d *cdDeployment, at time.Time) {
	w.due(s, d, at)
}
