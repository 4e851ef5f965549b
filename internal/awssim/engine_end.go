package awssim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// How deployments end: success, failure, stop, and the rollback deployment.
//
// Choices where AWS's behaviour is unconfirmed (see reference section 3):
//   - after a failure the failed event is Failed and the events not yet run
//     are Skipped; after a stop the running and pending events are Skipped;
//   - a failure or stop before green exists (Created, BeforeInstall) cannot
//     roll back: there is nothing to roll back;
//   - without rollback, a failure or stop still routes traffic back to blue
//     and removes green, except in the termination wait, where green keeps
//     the traffic and blue is removed (the new version stays live);
//   - a rollback deployment plays BeforeAllowTraffic, AllowTraffic and
//     AfterAllowTraffic (one second each, no hooks) to Succeeded; traffic is
//     already back on blue when it is created.

func (d *cdDeployment) rollsBackOn(event string) bool {
	return !d.isRollback && d.autoRollback.Enabled && slices.Contains(d.autoRollback.Events, event)
}

// failHookLocked fails the current hook stage as if its Lambda reported
// Failed, with the diagnostics CodeDeploy shows.
func (s *Sim) failHookLocked(d *cdDeployment, at time.Time, message string) {
	ev := d.events[d.cur]
	script := ev.hookFn
	if script == "" {
		script = ev.name
	}
	diag := &diagnostics{ErrorCode: "ScriptFailed", ScriptName: script, Message: message,
		LogTail: fmt.Sprintf("[%s] %s %s: %s", at.UTC().Format(time.RFC3339), ev.name, script, message)}
	msg := fmt.Sprintf("The deployment failed because the %s lifecycle event hook %s reported a failure: %s", ev.name, script, message)
	s.failLocked(d, at, "HOOK_EXECUTION_FAILURE", msg, diag)
}

// failLocked fails the current lifecycle event and the deployment, rolling
// back when the deployment rolls back on DEPLOYMENT_FAILURE.
func (s *Sim) failLocked(d *cdDeployment, at time.Time, code, message string, diag *diagnostics) {
	ev := d.events[d.cur]
	ev.status, ev.end, ev.diag = "Failed", at, diag
	for _, e := range d.events[d.cur+1:] {
		e.status = "Skipped"
	}
	s.endLocked(d, at, "Failed", &errorInformation{Code: code, Message: message}, d.rollsBackOn("DEPLOYMENT_FAILURE"))
}

// stopLocked stops a deployment (StopDeployment, an alarm, the Ready wait's
// timeout) and reports whether a rollback deployment was started.
func (s *Sim) stopLocked(d *cdDeployment, at time.Time, code, message string, rollback bool) bool {
	for _, e := range d.events {
		switch e.status {
		case "InProgress":
			e.status, e.end = "Skipped", at
		case "Pending":
			e.status = "Skipped"
		}
	}
	return s.endLocked(d, at, "Stopped", &errorInformation{Code: code, Message: message}, rollback)
}

// endLocked puts the world right after a failure or stop, records the final
// status, emits the event and, if asked and possible, starts the rollback.
func (s *Sim) endLocked(d *cdDeployment, at time.Time, status string, ei *errorInformation, rollback bool) bool {
	canRollback := rollback && d.green != nil && !d.isRollback
	keepGreen := d.phase == phaseTermWait && !canRollback
	switch {
	case d.green == nil || d.isRollback:
	case keepGreen:
		removeTaskSet(d.svc, d.blue)
	default:
		s.restoreBlueLocked(d, at)
	}
	switch {
	case keepGreen:
	case d.startTime.IsZero():
		d.targetStatus = "Skipped"
	default:
		d.targetStatus = "Failed"
	}
	d.status, d.completeTime, d.errInfo, d.phase, d.updated = status, at, ei, phaseDone, at
	s.deactivateLocked(d)
	state := "STOP"
	if status == "Failed" {
		state = "FAILURE"
	}
	s.emitDeploymentEvent(d, state)
	if canRollback {
		s.startRollbackLocked(d, at)
	}
	return canRollback
}

// restoreBlueLocked routes all traffic back to the original task set and
// removes the replacement.
func (s *Sim) restoreBlueLocked(d *cdDeployment, at time.Time) {
	if d.blue != nil {
		d.blue.status, d.blue.trafficWeight, d.blue.updatedAt = "PRIMARY", 100, at
		d.svc.taskDef = d.blue.taskDef
	}
	removeTaskSet(d.svc, d.green)
}

func (s *Sim) succeedLocked(d *cdDeployment, at time.Time) {
	d.status, d.completeTime, d.phase, d.updated = "Succeeded", at, phaseDone, at
	d.group.lastSuccess = d
	s.deactivateLocked(d)
	s.emitDeploymentEvent(d, "SUCCESS")
}

func (s *Sim) deactivateLocked(d *cdDeployment) {
	s.codedeploy.active = slices.DeleteFunc(s.codedeploy.active, func(x *cdDeployment) bool { return x == d })
	if d.group.current == d {
		d.group.current = nil
	}
}

// startRollbackLocked creates the rollback deployment of orig (creator
// codeDeployRollback) redeploying the blue task definition, and links the
// two through rollbackInfo.
func (s *Sim) startRollbackLocked(orig *cdDeployment, at time.Time) {
	content := rollbackAppSpec(orig.blue.taskDef, orig.spec)
	loc := revisionLocation{RevisionType: "AppSpecContent", AppSpecContent: &appSpecContent{Content: &content, Sha256: sha256Hex(content)}}
	rev := orig.app.revisions[revisionKey(&loc)]
	if rev == nil {
		spec, err := parseAppSpec(content)
		if err != nil { // cannot happen: rollbackAppSpec writes a valid file
			s.log.Error("rollback appspec does not parse")
			return
		}
		spec.taskDefinition = orig.blue.taskDef
		rev = &cdRevision{location: loc, content: content, spec: spec, registered: at}
		orig.app.revisions[revisionKey(&loc)] = rev
	}
	r := s.newDeploymentLocked(orig.group, orig.config, rev, orig.svc, at)
	r.creator, r.isRollback, r.autoRollback = "codeDeployRollback", true, orig.autoRollback
	r.prevRevision = orig.revision
	r.events = s.plannedEvents(r)
	r.blue, r.blueTG = orig.blue, orig.blueTG
	r.rollback = rollbackInfo{RollbackTriggeringDeploymentID: orig.id,
		RollbackMessage: fmt.Sprintf("Rollback deployment for deployment %s.", orig.id)}
	orig.rollback = rollbackInfo{RollbackDeploymentID: r.id,
		RollbackMessage: fmt.Sprintf("Deployment %s was rolled back by deployment %s.", orig.id, r.id)}
}

// checkAlarmsLocked stops every running deployment (not rollbacks) that
// watches an alarm now in ALARM.
func (s *Sim) checkAlarmsLocked(at time.Time) {
	for _, d := range slices.Clone(s.codedeploy.active) {
		if d.isRollback || (d.status != "InProgress" && d.status != "Ready") {
			continue
		}
		ac := d.group.alarms
		if d.overrideAlarms != nil {
			ac = *d.overrideAlarms
		}
		if !ac.Enabled {
			continue
		}
		var firing []string
		for _, a := range ac.Alarms {
			if s.alarmStateLocked(a.Name) == "ALARM" {
				firing = append(firing, a.Name)
			}
		}
		if len(firing) > 0 {
			msg := "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: " + strings.Join(firing, ", ")
			s.stopLocked(d, at, "ALARM_ACTIVE", msg, d.rollsBackOn("DEPLOYMENT_STOP_ON_ALARM"))
		}
	}
}

// cdEventDetail is the detail of a CodeDeploy Deployment State-change
// Notification, the complete set of fields AWS sends.
type cdEventDetail struct {
	Application     string `json:"application"`
	DeploymentGroup string `json:"deploymentGroup"`
	DeploymentID    string `json:"deploymentId"`
	InstanceGroupID string `json:"instanceGroupId"`
	Region          string `json:"region"`
	State           string `json:"state"`
}

func (s *Sim) emitDeploymentEvent(d *cdDeployment, state string) {
	s.emitEvent("aws.codedeploy", "CodeDeploy Deployment State-change Notification",
		[]string{s.appArn(d.app.name), s.groupArn(d.app.name, d.group.name)},
		cdEventDetail{Application: d.app.name, DeploymentGroup: d.group.name, DeploymentID: d.id,
			InstanceGroupID: d.group.instanceGroupID, Region: s.region, State: state})
}
