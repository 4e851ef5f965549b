package awssim

import "time"

// The deployment engine plays each deployment on the simulated clock. Every
// deployment in s.codedeploy.active has a due time; stepping it applies the
// next transition with that exact time as its timestamp. What each
// lifecycle event does is its stage's (engine_stages.go); what the
// blue/green waits do is theirs (engine_waits.go); this file only moves
// deployments from one to the next. ECS service deployments
// (ecsdeploy*.go) are played by the same loop, in one time order with
// CodeDeploy's.
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

// startEngine plays deployments in real time when the clock runs (speed >
// 0): a ticker steps every due transition until Close. At speed 0 only
// Advance moves deployments.
func (s *Sim) startEngine() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(25 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				if s.clock.Speed() <= 0 {
					continue
				}
				s.mu.Lock()
				s.runDueLocked(s.clock.Now(), false)
				s.mu.Unlock()
			}
		}
	}()
}

// runDueLocked steps every active deployment due at or before until, the
// earliest first (creation order breaks ties; CodeDeploy's go before ECS
// service deployments due at the same time). With setClock the clock
// follows each step.
func (s *Sim) runDueLocked(until time.Time, setClock bool) {
	for {
		at, step, ok := s.nextStepLocked(until)
		if !ok {
			break
		}
		if setClock {
			s.clock.set(at)
		}
		s.watchAlarmsLocked(at)
		step(at) // a no-op when an alarm has already moved it
	}
	s.watchAlarmsLocked(until)
}

// nextStepLocked finds the earliest transition due at or before until and
// returns its time and how to play it.
func (s *Sim) nextStepLocked(until time.Time) (time.Time, func(time.Time), bool) {
	cd, cdOK := earliestDue(s.codedeploy.active, until)
	sd, sdOK := earliestDue(s.ecs.native.active, until)
	switch {
	case cdOK && (!sdOK || !sd.due.Before(cd.due)):
		return cd.due, func(at time.Time) {
			if cd.phase != phaseDone && cd.due.Equal(at) {
				s.stepLocked(cd, at)
			}
		}, true
	case sdOK:
		return sd.due, func(at time.Time) { s.sdStepIfDueLocked(sd, at) }, true
	}
	return time.Time{}, nil, false
}

// scheduled is what the engine plays: something with a due time and a
// creation order.
type scheduled interface {
	dueTime() time.Time
	order() int64
}

func (d *cdDeployment) dueTime() time.Time  { return d.due }
func (d *cdDeployment) order() int64        { return d.seq }
func (d *svcDeployment) dueTime() time.Time { return d.due }
func (d *svcDeployment) order() int64       { return d.seq }

// earliestDue is the item due earliest at or before until (creation order
// breaks ties); ok is false when none is due.
func earliestDue[T scheduled](items []T, until time.Time) (next T, ok bool) {
	for _, d := range items {
		if d.dueTime().After(until) {
			continue
		}
		if !ok || d.dueTime().Before(next.dueTime()) || (d.dueTime().Equal(next.dueTime()) && d.order() < next.order()) {
			next, ok = d, true
		}
	}
	return next, ok
}

// watchAlarmsLocked stops or rolls back what watches an alarm now in ALARM.
func (s *Sim) watchAlarmsLocked(at time.Time) {
	s.checkAlarmsLocked(at)
	s.sdCheckAlarmsLocked(at)
}

// catchUpLocked plays what is due by now when the clock runs by itself, so
// that an API call sees and acts on a current world.
func (s *Sim) catchUpLocked() {
	if s.clock.Speed() > 0 {
		s.runDueLocked(s.clock.Now(), false)
	}
}

// stepLocked plays the moment d is due: its start, the due time of its
// current lifecycle event, or the end of the wait it is in.
func (s *Sim) stepLocked(d *cdDeployment, at time.Time) {
	switch d.phase {
	case phaseCreated:
		d.status, d.startTime, d.targetStatus, d.updated = "InProgress", at, "InProgress", at
		s.emitDeploymentEvent(d, "START")
		s.startEventLocked(d, 0, at)
	case phaseEvent:
		ev := d.events[d.cur]
		if d.faultAt(ev.name) {
			ev.stage.fail(s, d, ev, at, d.fault.message)
			return
		}
		ev.stage.due(s, d, ev, at)
	default:
		if w, ok := waits[d.phase]; ok {
			w.due(s, d, at)
		}
	}
}

// startEventLocked begins lifecycle event i at time at, or finishes the
// target when no event is left. The ready wait, where the group has one,
// comes first.
func (s *Sim) startEventLocked(d *cdDeployment, i int, at time.Time) {
	if i == len(d.events) {
		s.targetDoneLocked(d, at)
		return
	}
	ev := d.events[i]
	d.cur, d.phase, d.updated = i, phaseEvent, at
	if ev.afterReadyWait && (readyWait{}).begin(s, d, at) {
		return
	}
	ev.status, ev.start = "InProgress", at
	ev.stage.start(s, d, ev, at)
}

// completeEventLocked marks the current event Succeeded and starts the next.
func (s *Sim) completeEventLocked(d *cdDeployment, at time.Time) {
	ev := d.events[d.cur]
	ev.status, ev.end = "Succeeded", at
	s.startEventLocked(d, d.cur+1, at)
}

// targetDoneLocked follows the last lifecycle event: the target has
// Succeeded, and the deployment too unless blue waits out the termination
// wait.
func (s *Sim) targetDoneLocked(d *cdDeployment, at time.Time) {
	d.targetStatus, d.updated = "Succeeded", at
	if !(terminationWait{}).begin(d, at) {
		s.succeedLocked(d, at)
	}
}

func (d *cdDeployment) faultAt(stage string) bool {
	return d.fault != nil && d.fault.stage == stage
}
