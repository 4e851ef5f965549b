package awssim

import (
	"slices"
	"strings"
	"time"
)

// How service deployments end: success, a rollback, a stop, or a newer
// deployment taking over; and the alarms that cause some of them.

// sdRollbackLocked turns d back to its rollback revision: ROLLBACK_REQUESTED
// now, ROLLBACK_IN_PROGRESS a second later, then production and test
// traffic back (Lambda hooks at those stages run again) and the target's
// tasks stopped, ending ROLLBACK_SUCCESSFUL. failure marks an automatic
// rollback (a hook, an alarm, a timeout), announced with
// SERVICE_DEPLOYMENT_FAILED; a rollback someone asked for is not.
func (s *Sim) sdRollbackLocked(d *svcDeployment, at time.Time, reason string, failure bool) {
	if d.terminal() || d.mode != modeForward {
		return
	}
	s.sdTurnBackLocked(d, at, modeRollback, "ROLLBACK_REQUESTED", reason, failure)
	d.rollback = &rollbackOut{Reason: reason, StartedAt: epoch(at), ServiceRevisionArn: d.rollbackTo.arn}
	d.plan = undoPlan(d, "ROLLBACK_IN_PROGRESS", hooksLambdaOnly)
	s.sdStartMoveLocked(d, 0, at)
}

// sdStopLocked stops d without rollback (StopServiceDeployment ABORT, or a
// failure with rollback off): STOP_REQUESTED, then the same way back with no
// hooks, ending STOPPED.
func (s *Sim) sdStopLocked(d *svcDeployment, at time.Time, reason string) {
	if d.terminal() || d.mode != modeForward {
		return
	}
	s.sdTurnBackLocked(d, at, modeStop, "STOP_REQUESTED", reason, true)
	d.stoppedAt = at
	d.plan = undoPlan(d, "STOP_REQUESTED", hooksNone)
	s.sdStartMoveLocked(d, 0, at)
}

// sdTurnBackLocked is what a rollback and a stop share: pending hooks end,
// and the service's taskDefinition is the rollback revision's again.
func (s *Sim) sdTurnBackLocked(d *svcDeployment, at time.Time, mode deployMode, status, reason string, failure bool) {
	s.abandonHooksLocked(d, at)
	d.mode, d.status, d.reason, d.updatedAt = mode, status, reason, at
	n := d.svc.native
	n.primary, d.svc.taskDef = d.rollbackTo, d.rollbackTo.taskDef
	if failure {
		s.emitServiceDeploymentEvent(d, "SERVICE_DEPLOYMENT_FAILED", d.target.rev,
			"ECS deployment ecs-svc/"+d.target.rev.id+" failed: "+reason)
	}
}

// sdFinishLocked ends d when its plan is done.
func (s *Sim) sdFinishLocked(d *svcDeployment, at time.Time) {
	switch d.mode {
	case modeForward:
		d.status = "SUCCESSFUL"
		d.svc.native.stable = d.target.rev
		s.emitServiceDeploymentEvent(d, "SERVICE_DEPLOYMENT_COMPLETED", d.target.rev,
			"ECS deployment ecs-svc/"+d.target.rev.id+" completed.")
	case modeRollback:
		d.status = "ROLLBACK_SUCCESSFUL"
		s.emitServiceDeploymentEvent(d, "SERVICE_DEPLOYMENT_COMPLETED", d.rollbackTo,
			"ECS deployment ecs-svc/"+d.rollbackTo.id+" completed.")
	case modeStop:
		d.status = "STOPPED"
	}
	s.sdCloseLocked(d, at)
}

// sdSupersedeLocked ends d because a newer deployment of its service starts
// (the simulator's choice, see the package doc): in CLEAN_UP it finishes at
// once, SUCCESSFUL; otherwise it is STOPPED where it stands and the newer
// deployment reconciles the revisions it leaves running.
func (s *Sim) sdSupersedeLocked(d *svcDeployment, at time.Time, newer string) {
	if d.mode == modeForward && d.stage == stCleanUp {
		cleanUpMove{}.due(s, d, &d.plan[d.cur], at)
		return
	}
	s.abandonHooksLocked(d, at)
	d.status, d.reason, d.stoppedAt = "STOPPED", "Superseded by service deployment "+newer+".", at
	s.sdCloseLocked(d, at)
}

// sdCloseLocked records the end: the summaries stop following the live
// revisions, revisions left without tasks drop out of the service, and the
// engine lets d go.
func (s *Sim) sdCloseLocked(d *svcDeployment, at time.Time) {
	d.finishedAt, d.updatedAt = at, at
	if d.alarmStatus == "MONITORING" {
		d.alarmStatus = "MONITORING_COMPLETE"
	}
	for i, st := range d.sources {
		d.sources[i] = st.clone()
	}
	d.target = d.target.clone()
	n := d.svc.native
	n.live = slices.DeleteFunc(n.live, func(st *revState) bool { return !st.hasTasks() && st.rev != n.primary })
	s.ecs.native.active = slices.DeleteFunc(s.ecs.native.active, func(x *svcDeployment) bool { return x == d })
}

// sdCheckAlarmsLocked fails every deployment going forward whose alarms
// are enabled and one of them is in ALARM, before CLEAN_UP: it rolls back
// when alarms.rollback is on and stops otherwise.
func (s *Sim) sdCheckAlarmsLocked(at time.Time) {
	for _, d := range slices.Clone(s.ecs.native.active) {
		a := d.config.Alarms
		if d.mode != modeForward || d.status != "IN_PROGRESS" || d.stage == stCleanUp || a == nil || !a.Enable {
			continue
		}
		var firing []string
		for _, name := range a.AlarmNames {
			if s.alarmStateLocked(name) == "ALARM" {
				firing = append(firing, name)
			}
		}
		if len(firing) == 0 {
			continue
		}
		d.alarmStatus, d.triggered = "TRIGGERED", firing
		reason := "CloudWatch alarm " + strings.Join(firing, ", ") + " went into ALARM during the service deployment."
		if a.Rollback {
			s.sdRollbackLocked(d, at, reason, true)
		} else {
			s.sdStopLocked(d, at, reason)
		}
	}
}

// ecsDeploymentEventDetail is the detail of an "ECS Deployment State
// Change" event, the fields AWS documents and no more.
type ecsDeploymentEventDetail struct {
	EventType    string `json:"eventType"`
	EventName    string `json:"eventName"`
	DeploymentID string `json:"deploymentId"`
	UpdatedAt    string `json:"updatedAt"`
	Reason       string `json:"reason"`
}

// emitServiceDeploymentEvent announces a deployment's state under the
// legacy id of rev (ecs-svc/<id>), as ECS does; resources name the service.
func (s *Sim) emitServiceDeploymentEvent(d *svcDeployment, name string, rev *svcRevision, reason string) {
	typ := "INFO"
	if name == "SERVICE_DEPLOYMENT_FAILED" {
		typ = "ERROR"
	}
	s.emitEvent("aws.ecs", "ECS Deployment State Change", []string{d.svc.arn}, ecsDeploymentEventDetail{
		EventType: typ, EventName: name, DeploymentID: "ecs-svc/" + rev.id,
		UpdatedAt: eventTime(s.clock.Now()), Reason: reason,
	})
}

// ecsHookEventDetail is the detail of an "ECS Hook State Change" event.
type ecsHookEventDetail struct {
	EventType            string `json:"eventType"`
	EventName            string `json:"eventName"`
	HookID               string `json:"hookId"`
	HookType             string `json:"hookType"`
	ExpiresAt            string `json:"expiresAt"`
	LifecycleStage       string `json:"lifecycleStage"`
	ClusterArn           string `json:"clusterArn"`
	ServiceArn           string `json:"serviceArn"`
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
	UpdatedAt            string `json:"updatedAt"`
}

// emitHookEvent announces an execution's state; resources name the
// service deployment. lifecycleStage is the hook's stage, so it may be
// PRE_PRODUCTION_TRAFFIC_SHIFT.
func (s *Sim) emitHookEvent(d *svcDeployment, r *hookRun, name string) {
	typ := "INFO"
	if r.status == hookFailed || r.status == hookTimedOut {
		typ = "ERROR"
	}
	s.emitEvent("aws.ecs", "ECS Hook State Change", []string{d.arn}, ecsHookEventDetail{
		EventType: typ, EventName: name, HookID: r.id, HookType: r.hook.TargetType,
		ExpiresAt: eventTime(r.expiresAt), LifecycleStage: r.stage, ClusterArn: d.svc.clusterArn,
		ServiceArn: d.svc.arn, ServiceDeploymentArn: d.arn, UpdatedAt: eventTime(s.clock.Now()),
	})
}

// eventTime is a time as ECS events write it.
func eventTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
