package awssim

import (
	"slices"
	"strings"
	"time"
)

// The deployment engine plays each deployment on the simulated clock. Every
// deployment in s.codedeploy.active has a due time; stepping it applies the
// next transition with that exact time as its timestamp.
//
// Simulated durations (CodeDeploy gives no exact figures; these keep tests
// short and are the simulator's own choice):
const (
	startDelay   = 1 * time.Second  // Created → InProgress
	quickStage   = 1 * time.Second  // a hook stage with no hook, AllowTestTraffic, rollback stages
	hookDelay    = 5 * time.Second  // a named hook "runs" this long, then succeeds (or fails on a fault)
	hookTimeout  = 60 * time.Minute // with manual hooks, CodeDeploy's one hour for PutLifecycleEventHookExecutionStatus
	greenSteady  = 30 * time.Second // the green task set reaches STEADY_STATE
	installLimit = 5 * time.Minute  // green never steady: Install fails with ECS_UPDATE_ERROR
)

// trafficStep is the green weight from offset after AllowTraffic starts.
type trafficStep struct {
	offset time.Duration
	weight float64
}

// trafficSteps is the shift schedule of a deployment config: linear adds
// its percentage every interval (the first step at once), canary moves its
// percentage at once and the rest after the interval.
func trafficSteps(r trafficRoutingConfig) []trafficStep {
	switch r.Type {
	case "TimeBasedLinear":
		p, iv := r.TimeBasedLinear.LinearPercentage, time.Duration(r.TimeBasedLinear.LinearInterval)*time.Minute
		var steps []trafficStep
		var off time.Duration
		for w := p; w < 100; w += p {
			steps = append(steps, trafficStep{off, float64(w)})
			off += iv
		}
		return append(steps, trafficStep{off, 100})
	case "TimeBasedCanary":
		return []trafficStep{{0, float64(r.TimeBasedCanary.CanaryPercentage)},
			{time.Duration(r.TimeBasedCanary.CanaryInterval) * time.Minute, 100}}
	}
	return []trafficStep{{0, 100}}
}

// runDueLocked steps every active deployment due at or before until, the
// earliest first (creation order breaks ties). With setClock the clock
// follows each step.
func (s *Sim) runDueLocked(until time.Time, setClock bool) {
	for {
		var next *cdDeployment
		for _, d := range s.codedeploy.active {
			if d.due.After(until) {
				continue
			}
			if next == nil || d.due.Before(next.due) || (d.due.Equal(next.due) && d.seq < next.seq) {
				next = d
			}
		}
		if next == nil {
			break
		}
		at := next.due
		if setClock {
			s.clock.set(at)
		}
		s.checkAlarmsLocked(at)
		if next.phase == phaseDone || !next.due.Equal(at) {
			continue // an alarm stopped it
		}
		s.stepLocked(next, at)
	}
	s.checkAlarmsLocked(until)
}

// catchUpLocked plays what is due by now when the clock runs by itself, so
// that an API call sees and acts on a current world.
func (s *Sim) catchUpLocked() {
	if s.clock.Speed() > 0 {
		s.runDueLocked(s.clock.Now(), false)
	}
}

func (s *Sim) stepLocked(d *cdDeployment, at time.Time) {
	switch d.phase {
	case phaseCreated:
		d.status, d.startTime, d.targetStatus, d.updated = "InProgress", at, "InProgress", at
		s.emitDeploymentEvent(d, "START")
		s.startEventLocked(d, 0, at)
	case phaseEvent:
		s.eventDueLocked(d, at)
	case phaseReady:
		mins := d.group.blueGreen.DeploymentReadyOption.WaitTimeInMinutes
		s.stopLocked(d, at, "TIMEOUT", formatReadyTimeout(mins), false)
	case phaseTermWait:
		s.terminateBlueLocked(d, at)
	}
}

// startEventLocked begins lifecycle event i at time at, or finishes the
// target when no event is left.
func (s *Sim) startEventLocked(d *cdDeployment, i int, at time.Time) {
	if i == len(d.events) {
		s.targetDoneLocked(d, at)
		return
	}
	ev := d.events[i]
	d.cur, d.phase, d.updated = i, phaseEvent, at
	if ev.name == "BeforeAllowTraffic" && !d.isRollback && !d.readyContinued {
		if ro := d.group.blueGreen.DeploymentReadyOption; ro != nil && ro.ActionOnTimeout == "STOP_DEPLOYMENT" {
			d.phase, d.status, d.targetStatus = phaseReady, "Ready", "Ready"
			d.due = at.Add(time.Duration(ro.WaitTimeInMinutes) * time.Minute)
			s.emitDeploymentEvent(d, "READY")
			return
		}
	}
	ev.status, ev.start = "InProgress", at
	switch {
	case d.isRollback:
		d.due = at.Add(quickStage)
	case ev.name == "Install":
		s.createGreenLocked(d, at)
		d.due = at.Add(greenSteady)
		if d.svc.greenUnhealthy {
			d.due = at.Add(installLimit)
		}
	case ev.name == "AllowTestTraffic":
		d.due = at.Add(quickStage)
	case ev.name == "AllowTraffic":
		if d.faultAt(ev.name) {
			d.due = at.Add(quickStage)
			return
		}
		d.steps, d.step = trafficSteps(d.config.routing), 0
		s.applyWeightLocked(d, d.steps[0].weight, at)
		if len(d.steps) == 1 {
			s.completeEventLocked(d, at)
			return
		}
		d.due = at.Add(d.steps[1].offset)
	case ev.hookFn != "":
		ev.hookExecID = newUUID()
		d.due = at.Add(hookDelay)
		if s.codedeploy.manualHooks && !d.faultAt(ev.name) {
			d.due = at.Add(hookTimeout)
		}
	default:
		d.due = at.Add(quickStage)
		if d.faultAt(ev.name) {
			d.due = at.Add(hookDelay)
		}
	}
}

// eventDueLocked handles the due time of the current lifecycle event.
func (s *Sim) eventDueLocked(d *cdDeployment, at time.Time) {
	ev := d.events[d.cur]
	if d.faultAt(ev.name) {
		if slices.Contains(hookStages, ev.name) {
			s.failHookLocked(d, at, d.fault.message)
		} else {
			s.failLocked(d, at, "ECS_UPDATE_ERROR", d.fault.message, &diagnostics{ErrorCode: "UnknownError", ScriptName: ev.name, Message: d.fault.message, LogTail: d.fault.message})
		}
		return
	}
	switch {
	case d.isRollback:
	case ev.name == "Install":
		if d.svc.greenUnhealthy {
			if at.Before(ev.start.Add(installLimit)) {
				d.due = ev.start.Add(installLimit)
				return
			}
			msg := "The ECS service cannot reach a steady state: the tasks of the replacement task set " + d.green.id + " did not become healthy within " + installLimit.String() + "."
			s.failLocked(d, at, "ECS_UPDATE_ERROR", msg, &diagnostics{ErrorCode: "UnknownError", ScriptName: "Install", Message: msg, LogTail: ""})
			return
		}
		g := d.green
		g.stabilityStatus, g.running, g.pending, g.updatedAt = "STEADY_STATE", g.desired, 0, at
	case ev.name == "AllowTraffic":
		d.step++
		s.applyWeightLocked(d, d.steps[d.step].weight, at)
		if d.step < len(d.steps)-1 {
			d.due = ev.start.Add(d.steps[d.step+1].offset)
			return
		}
	case ev.hookFn != "" && s.codedeploy.manualHooks:
		s.failHookLocked(d, at, "The hook function "+ev.hookFn+" did not report a status within one hour.")
		return
	}
	s.completeEventLocked(d, at)
}

// completeEventLocked marks the current event Succeeded and starts the next.
func (s *Sim) completeEventLocked(d *cdDeployment, at time.Time) {
	ev := d.events[d.cur]
	ev.status, ev.end = "Succeeded", at
	s.startEventLocked(d, d.cur+1, at)
}

func (d *cdDeployment) faultAt(stage string) bool {
	return d.fault != nil && d.fault.stage == stage
}

// createGreenLocked starts the replacement task set beside the original.
func (s *Sim) createGreenLocked(d *cdDeployment, at time.Time) {
	svc := d.svc
	for _, ts := range svc.taskSets {
		if ts.status == "PRIMARY" {
			d.blue = ts
			break
		}
	}
	if d.blue == nil { // a service seeded without task sets: give it its original set
		b := s.newTaskSet(svc, svc.taskDef, "", at)
		b.status, b.stabilityStatus, b.trafficWeight, b.running, b.pending = "PRIMARY", "STEADY_STATE", 100, b.desired, 0
		d.blue = b
	}
	pair := d.group.lb.TargetGroupPairInfoList[0].TargetGroups
	d.blueTG, d.greenTG = pair[0].Name, pair[1].Name
	if targetGroupName(d.blue.targetGroupArn) == pair[1].Name {
		d.blueTG, d.greenTG = pair[1].Name, pair[0].Name
	}
	d.green = s.newTaskSet(svc, d.spec.taskDefinition, d.id, at)
	d.green.targetGroupArn = s.targetGroupArn(d.greenTG)
	d.green.trafficWeight, d.green.label = 0, "Green"
	if svc.greenUnhealthy {
		d.green.stabilityStatus = "STABILIZING"
	}
}

// applyWeightLocked routes weight percent of production traffic to green.
// At 100 green becomes PRIMARY and the service runs its task definition.
func (s *Sim) applyWeightLocked(d *cdDeployment, weight float64, at time.Time) {
	d.green.trafficWeight, d.blue.trafficWeight = weight, 100-weight
	d.green.updatedAt, d.blue.updatedAt, d.updated = at, at, at
	if weight >= 100 {
		d.green.status, d.blue.status = "PRIMARY", "ACTIVE"
		d.svc.taskDef = d.green.taskDef
	}
}

// targetDoneLocked follows the last lifecycle event: the target has
// Succeeded; blue waits out the termination wait unless it is kept alive.
func (s *Sim) targetDoneLocked(d *cdDeployment, at time.Time) {
	d.targetStatus, d.updated = "Succeeded", at
	if d.isRollback {
		s.succeedLocked(d, at)
		return
	}
	t := d.group.blueGreen.TerminateBlueInstancesOnDeploymentSuccess
	if t != nil && t.Action == "KEEP_ALIVE" {
		s.succeedLocked(d, at) // blue stays, ACTIVE at weight 0
		return
	}
	wait := 0
	if t != nil {
		wait = t.TerminationWaitTimeInMinutes
	}
	d.phase, d.termWait = phaseTermWait, true
	d.due = at.Add(time.Duration(wait) * time.Minute)
}

// terminateBlueLocked deletes the original task set and ends the deployment.
func (s *Sim) terminateBlueLocked(d *cdDeployment, at time.Time) {
	removeTaskSet(d.svc, d.blue)
	s.succeedLocked(d, at)
}

func (s *Sim) targetGroupArn(name string) string {
	return "arn:aws:elasticloadbalancing:" + s.region + ":" + s.account + ":targetgroup/" + name + "/0123456789abcdef"
}

// targetGroupName reads NAME from arn:...:targetgroup/NAME/ID.
func targetGroupName(arn string) string {
	const marker = ":targetgroup/"
	i := strings.Index(arn, marker)
	if i < 0 {
		return ""
	}
	rest := arn[i+len(marker):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		return rest[:j]
	}
	return rest
}

func removeTaskSet(svc *ecsService, ts *ecsTaskSet) {
	if ts == nil {
		return
	}
	svc.taskSets = slices.DeleteFunc(svc.taskSets, func(x *ecsTaskSet) bool { return x == ts })
}
