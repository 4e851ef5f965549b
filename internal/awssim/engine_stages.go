package awssim

import (
	"slices"
	"strings"
	"time"
)

// A stage is how the engine plays one lifecycle event, all of it in one
// place. start begins the event at `at` (it is InProgress from then) and
// sets d.due, or completes the event at once; due plays d.due: it sets a
// later due, completes the event or ends the deployment. A fault on the
// event (FailNextDeployment) ends it at its first due time through fail
// instead, with the failure CodeDeploy reports for that kind of stage.
//
// Stages are types rather than function values: the stages call back into
// the engine, which reads the table below, and a package-level table of
// function values would be an initialization cycle.
type stage interface {
	start(s *Sim, d *cdDeployment, ev *lifecycleEvent, at time.Time)
	due(s *Sim, d *cdDeployment, ev *lifecycleEvent, at time.Time)
	fail(s *Sim, d *cdDeployment, ev *lifecycleEvent, at time.Time, message string)
}

// lifecycle is the ECS blue/green lifecycle in order, one row a stage.
var lifecycle = []struct {
	name  string
	stage stage
	// testTraffic rows are played only when the group has a test listener.
	testTraffic bool
	// afterReadyWait: the group's ready wait, if it has one, holds the
	// deployment before this stage starts.
	afterReadyWait bool
	// inRollback rows are played by a rollback deployment too, each as a
	// plainStage: traffic is already back on blue when it starts.
	inRollback bool
}{
	{name: "BeforeInstall", stage: hookStage{}},
	{name: "Install", stage: installStage{}},
	{name: "AfterInstall", stage: hookStage{}},
	{name: "AllowTestTraffic", stage: plainStage{}, testTraffic: true},
	{name: "AfterAllowTestTraffic", stage: hookStage{}, testTraffic: true},
	{name: "BeforeAllowTraffic", stage: hookStage{}, afterReadyWait: true, inRollback: true},
	{name: "AllowTraffic", stage: trafficStage{}, inRollback: true},
	{name: "AfterAllowTraffic", stage: hookStage{}, inRollback: true},
}

// plannedEvents lists the target's lifecycle events, all Pending. Without a
// test listener the test traffic events are absent; a rollback deployment
// plays only the rows marked inRollback.
func (s *Sim) plannedEvents(d *cdDeployment) []*lifecycleEvent {
	testListener := hasTestListener(d.group)
	var evs []*lifecycleEvent
	for _, row := range lifecycle {
		if (d.isRollback && !row.inRollback) || (!d.isRollback && row.testTraffic && !testListener) {
			continue
		}
		ev := &lifecycleEvent{name: row.name, status: "Pending", stage: plainStage{}}
		if !d.isRollback {
			ev.stage, ev.afterReadyWait, ev.hookFn = row.stage, row.afterReadyWait, d.spec.hooks[row.name]
		}
		evs = append(evs, ev)
	}
	return evs
}

// hookStage is a stage an AppSpec may hook with a Lambda. No Lambda runs
// here: a hooked stage "runs" five seconds and succeeds, or with manual
// hooks waits up to an hour for PutLifecycleEventHookExecutionStatus. A
// stage without a hook takes a second (five when a fault makes it fail).
type hookStage struct{}

func (hookStage) start(s *Sim, d *cdDeployment, ev *lifecycleEvent, at time.Time) {
	if ev.hookFn == "" {
		d.due = at.Add(quickStage)
		if d.faultAt(ev.name) {
			d.due = at.Add(hookDelay)
		}
		return
	}
	ev.hookExecID = newUUID()
	d.due = at.Add(hookDelay)
	if s.codedeploy.manualHooks && !d.faultAt(ev.name) {
		d.due = at.Add(hookTimeout)
	}
}

func (hookStage) due(s *Sim, d *cdDeployment, ev *lifecycleEvent, at time.Time) {
	if ev.hookFn != "" && s.codedeploy.manualHooks {
		s.failHookLocked(d, at, "The hook function "+ev.hookFn+" did not report a status within one hour.")
		return
	}
	s.completeEventLocked(d, at)
}

// fail: a faulted hook stage fails as its hook reporting Failed.
func (hookStage) fail(s *Sim, d *cdDeployment, _ *lifecycleEvent, at time.Time, message string) {
	s.failHookLocked(d, at, message)
}

// ecsStageFailure is how the stages that ECS plays fail on a fault:
// ECS_UPDATE_ERROR, with the stage as the script in the diagnostics.
type ecsStageFailure struct{}

func (ecsStageFailure) fail(s *Sim, d *cdDeployment, ev *lifecycleEvent, at time.Time, message string) {
	s.failLocked(d, at, "ECS_UPDATE_ERROR", message, &diagnostics{ErrorCode: "UnknownError", ScriptName: ev.name, Message: message, LogTail: message})
}

// plainStage has nothing to wait for: it takes a second and succeeds
// (AllowTestTraffic, and every stage of a rollback deployment).
type plainStage struct{ ecsStageFailure }

func (plainStage) start(_ *Sim, d *cdDeployment, _ *lifecycleEvent, at time.Time) {
	d.due = at.Add(quickStage)
}

func (plainStage) due(s *Sim, d *cdDeployment, _ *lifecycleEvent, at time.Time) {
	s.completeEventLocked(d, at)
}

// installStage starts the green task set and succeeds when it is steady;
// an unhealthy green fails it after installLimit.
type installStage struct{ ecsStageFailure }

func (installStage) start(s *Sim, d *cdDeployment, _ *lifecycleEvent, at time.Time) {
	s.createGreenLocked(d, at)
	d.due = at.Add(greenSteady)
	if d.svc.greenUnhealthy {
		d.due = at.Add(installLimit)
	}
}

func (installStage) due(s *Sim, d *cdDeployment, ev *lifecycleEvent, at time.Time) {
	if d.svc.greenUnhealthy {
		if at.Before(ev.start.Add(installLimit)) { // it became unhealthy after Install started
			d.due = ev.start.Add(installLimit)
			return
		}
		msg := "The ECS service cannot reach a steady state: the tasks of the replacement task set " + d.green.id + " did not become healthy within " + installLimit.String() + "."
		s.failLocked(d, at, "ECS_UPDATE_ERROR", msg, &diagnostics{ErrorCode: "UnknownError", ScriptName: "Install", Message: msg, LogTail: ""})
		return
	}
	g := d.green
	g.stabilityStatus, g.running, g.pending, g.updatedAt = "STEADY_STATE", g.desired, 0, at
	s.completeEventLocked(d, at)
}

// trafficStage shifts production traffic to green on the deployment
// config's schedule and succeeds when green has all of it.
type trafficStage struct{ ecsStageFailure }

func (trafficStage) start(s *Sim, d *cdDeployment, ev *lifecycleEvent, at time.Time) {
	if d.faultAt(ev.name) {
		d.due = at.Add(quickStage) // it fails before any traffic moves
		return
	}
	d.steps, d.step = trafficSteps(d.config.routing), 0
	s.applyWeightLocked(d, d.steps[0].weight, at)
	if len(d.steps) == 1 {
		s.completeEventLocked(d, at)
		return
	}
	d.due = at.Add(d.steps[1].offset)
}

func (trafficStage) due(s *Sim, d *cdDeployment, ev *lifecycleEvent, at time.Time) {
	d.step++
	s.applyWeightLocked(d, d.steps[d.step].weight, at)
	if d.step < len(d.steps)-1 {
		d.due = ev.start.Add(d.steps[d.step+1].offset)
		return
	}
	s.completeEventLocked(d, at)
}

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
