package awssim

import (
	"slices"
	"time"
)

// A service deployment plays a plan: a list of moves made when it starts
// (forwardPlan) and replaced when it turns back (undoPlan). A move is one
// row; its kind says how it plays, all of it in one type: start begins it
// at `at` and sets d.due or moves on at once, due plays d.due.
//
// Simulated durations beyond CodeDeploy's (engine.go), the simulator's own
// choice: a hook stage with no hook, a traffic shift with no Lambda hook and
// each turn back take quickStage; PRE_PRODUCTION_TRAFFIC_SHIFT with no hook
// takes no time (it is never reported); SCALE_UP takes greenSteady; CLEAN_UP
// drains the old tasks in cleanUpTime. Linear and canary step bake times
// count from the moment the step's traffic moved.
const cleanUpTime = 30 * time.Second

type moveKind int

const (
	mvBegin   moveKind = iota // the status changes a second later (PENDING → IN_PROGRESS, ROLLBACK_REQUESTED → ROLLBACK_IN_PROGRESS)
	mvHooks                   // traffic moves (if it does), then the stage's hooks run
	mvScaleUp                 // the target's tasks start and become healthy
	mvWait                    // a bake time
	mvCleanUp                 // the tasks of the revisions left behind stop
)

type shiftKind int

const (
	shiftNone     shiftKind = iota
	shiftTest               // test traffic to the target
	shiftProd               // production traffic to the target, up to weight
	shiftTestBack           // test traffic back to the rollback revision
	shiftProdBack           // production traffic back to the rollback revision
)

type move struct {
	kind  moveKind
	stage string // the lifecycleStage reported from its start ("" keeps the last)
	// hookStage is the stage whose hooks run (mvHooks) and where a fault
	// armed with FailNextServiceDeployment strikes (mvHooks, mvScaleUp).
	hookStage string
	shift     shiftKind
	weight    float64       // shiftProd: the target's weight afterwards
	status    string        // mvBegin: the status it moves to
	wait      time.Duration // mvWait
	fromShift bool          // mvWait: counted from the last production shift
	// quick moves take quickStage when no hook runs; others take no time.
	quick bool
	// hooks limits which hooks run: all, Lambda only (turning back, where
	// ECS re-invokes them) or none (a stop).
	hooks hookFilter
}

type hookFilter int

const (
	hooksAll hookFilter = iota
	hooksLambdaOnly
	hooksNone
)

type mover interface {
	start(s *Sim, d *svcDeployment, mv *move, at time.Time)
	due(s *Sim, d *svcDeployment, mv *move, at time.Time)
}

// movers plays each kind of move. Types, not function values, for the same
// reason as CodeDeploy's stages: they call back into the engine.
var movers = map[moveKind]mover{
	mvBegin:   beginMove{},
	mvHooks:   hooksMove{},
	mvScaleUp: scaleUpMove{},
	mvWait:    waitMove{},
	mvCleanUp: cleanUpMove{},
}

// forwardPlan is a deployment's way to SUCCESSFUL, one row a stage, with a
// PRE_PRODUCTION_TRAFFIC_SHIFT and a PRODUCTION_TRAFFIC_SHIFT row per
// production step.
func forwardPlan(d *svcDeployment) []move {
	hooks := func(stage string) move { return move{kind: mvHooks, stage: stage, hookStage: stage, quick: true} }
	plan := []move{{kind: mvBegin, status: "IN_PROGRESS"}}
	if len(d.sources) > 1 {
		plan = append(plan, hooks(stReconcile))
	}
	plan = append(plan,
		hooks(stPreScale),
		move{kind: mvScaleUp, stage: stScaleUp, hookStage: stScaleUp},
		hooks(stPostScale),
		move{kind: mvHooks, stage: stTestShift, hookStage: stTestShift, shift: shiftTest, quick: true},
		hooks(stPostTest))
	steps := productionSteps(d.config)
	bake := time.Duration(stepBake(d.config)) * time.Minute
	for i, w := range steps {
		plan = append(plan,
			move{kind: mvHooks, stage: stProdShift, hookStage: stPreProd},
			move{kind: mvHooks, stage: stProdShift, hookStage: stProdShift, shift: shiftProd, weight: w, quick: true})
		if i < len(steps)-1 {
			plan = append(plan, move{kind: mvWait, stage: stProdShift, wait: bake, fromShift: true})
		}
	}
	return append(plan, hooks(stPostProd),
		move{kind: mvWait, stage: stBakeTime, wait: time.Duration(*d.config.BakeTimeInMinutes) * time.Minute},
		move{kind: mvCleanUp, stage: stCleanUp})
}

// undoPlan takes a deployment back to its rollback revision from wherever
// it is: production traffic back, then test traffic, then the other
// revisions' tasks stopped. Only what moved is moved back.
func undoPlan(d *svcDeployment, status string, hooks hookFilter) []move {
	plan := []move{{kind: mvBegin, status: status}}
	if d.trafficAway(func(st *revState) *float64 { return st.prod }) {
		plan = append(plan, move{kind: mvHooks, stage: stProdShift, hookStage: stProdShift, shift: shiftProdBack, quick: true, hooks: hooks})
	}
	if d.trafficAway(func(st *revState) *float64 { return st.test }) {
		plan = append(plan, move{kind: mvHooks, stage: stTestShift, hookStage: stTestShift, shift: shiftTestBack, quick: true, hooks: hooks})
	}
	return append(plan, move{kind: mvCleanUp, stage: stCleanUp})
}

// trafficAway reports whether a revision other than the rollback revision
// has some of the traffic that weight reads.
func (d *svcDeployment) trafficAway(weight func(*revState) *float64) bool {
	for _, st := range append(slices.Clone(d.sources), d.target) {
		if w := weight(st); st.rev != d.rollbackTo && w != nil && *w > 0 {
			return true
		}
	}
	return false
}

// sdStartMoveLocked begins move i of d's plan at `at`, or ends the
// deployment when the plan is done.
func (s *Sim) sdStartMoveLocked(d *svcDeployment, i int, at time.Time) {
	if i >= len(d.plan) {
		s.sdFinishLocked(d, at)
		return
	}
	mv := &d.plan[i]
	d.cur, d.moveAt, d.updatedAt, d.moveRuns = i, at, at, nil
	if mv.stage != "" {
		d.stage = mv.stage
	}
	movers[mv.kind].start(s, d, mv, at)
}

func (s *Sim) sdNextLocked(d *svcDeployment, at time.Time) { s.sdStartMoveLocked(d, d.cur+1, at) }

// sdStepIfDueLocked plays d's due time at, unless something (an alarm, an
// API call) has moved it meanwhile.
func (s *Sim) sdStepIfDueLocked(d *svcDeployment, at time.Time) {
	if d.terminal() || !d.due.Equal(at) || !slices.Contains(s.ecs.native.active, d) {
		return
	}
	mv := &d.plan[d.cur]
	movers[mv.kind].due(s, d, mv, at)
}

// faultHere reports whether the armed fault strikes in this move.
func (d *svcDeployment) faultHere(mv *move) bool {
	return d.mode == modeForward && d.fault != nil && mv.hookStage != "" && d.fault.stage == mv.hookStage
}

// beginMove changes the status a second after the deployment was created
// or turned back, and says so on the event bus.
type beginMove struct{}

func (beginMove) start(_ *Sim, d *svcDeployment, _ *move, at time.Time) {
	d.due = at.Add(startDelay)
}

func (beginMove) due(s *Sim, d *svcDeployment, mv *move, at time.Time) {
	d.status, d.updatedAt = mv.status, at
	if d.startedAt.IsZero() {
		d.startedAt = at
	}
	switch d.mode {
	case modeForward:
		s.emitServiceDeploymentEvent(d, "SERVICE_DEPLOYMENT_IN_PROGRESS", d.target.rev,
			"ECS deployment ecs-svc/"+d.target.rev.id+" in progress.")
	case modeRollback:
		s.emitServiceDeploymentEvent(d, "SERVICE_DEPLOYMENT_IN_PROGRESS", d.rollbackTo,
			"ECS deployment rollback: rolling back to deploymentId ecs-svc/"+d.rollbackTo.id+". "+d.reason)
	}
	s.sdNextLocked(d, at)
}

// hooksMove moves traffic if the row says so, then runs the hooks of its
// stage in parallel; it ends when every one has succeeded or been
// continued, and turns the deployment back when one fails.
type hooksMove struct{}

func (hooksMove) start(s *Sim, d *svcDeployment, mv *move, at time.Time) {
	s.sdShiftLocked(d, mv, at)
	d.moveRuns = s.sdStartHooksLocked(d, mv, at)
	if len(d.moveRuns) > 0 {
		d.hooks = d.moveRuns
	}
	if len(d.moveRuns) == 0 && !d.faultHere(mv) {
		if mv.quick {
			d.due = at.Add(quickStage)
			return
		}
		s.sdNextLocked(d, at)
		return
	}
	s.sdSettleHooksLocked(d, mv, at)
}

func (hooksMove) due(s *Sim, d *svcDeployment, mv *move, at time.Time) {
	if d.faultHere(mv) && !at.Before(d.moveAt.Add(hookDelay)) {
		s.sdHookFaultLocked(d, mv, at)
		return
	}
	if s.sdHooksDueLocked(d, at) {
		return // a pause hook timed out into a rollback
	}
	s.sdSettleHooksLocked(d, mv, at)
}

// scaleUpMove starts the target's tasks; they are healthy after
// greenSteady, or never (SetGreenUnhealthy), which fails the stage after
// installLimit and rolls back.
type scaleUpMove struct{}

func (scaleUpMove) start(_ *Sim, d *svcDeployment, _ *move, at time.Time) {
	t := d.target
	t.requested = d.svc.desiredCount
	t.pending = max(t.requested-t.running, 0)
	d.due = at.Add(greenSteady)
	if d.svc.greenUnhealthy {
		d.due = at.Add(installLimit)
	}
}

func (scaleUpMove) due(s *Sim, d *svcDeployment, mv *move, at time.Time) {
	if d.faultHere(mv) {
		s.sdRollbackLocked(d, at, "The SCALE_UP lifecycle stage failed: "+d.fault.message, true)
		return
	}
	if d.svc.greenUnhealthy {
		if limit := d.moveAt.Add(installLimit); at.Before(limit) { // it became unhealthy after SCALE_UP started
			d.due = limit
			return
		}
		s.sdRollbackLocked(d, at, "The tasks of service revision "+d.target.rev.arn+" did not become healthy within "+installLimit.String()+".", true)
		return
	}
	t := d.target
	t.running, t.pending = t.requested, 0
	s.sdNextLocked(d, at)
}

// waitMove is a bake time.
type waitMove struct{}

func (waitMove) start(s *Sim, d *svcDeployment, mv *move, at time.Time) {
	from := at
	if mv.fromShift {
		from = d.shiftAt
	}
	if due := from.Add(mv.wait); due.After(at) {
		d.due = due
		return
	}
	s.sdNextLocked(d, at)
}

func (waitMove) due(s *Sim, d *svcDeployment, _ *move, at time.Time) { s.sdNextLocked(d, at) }

// cleanUpMove stops the tasks of every revision but the one the
// deployment leaves running: the target going forward, the rollback
// revision going back.
type cleanUpMove struct{}

func (cleanUpMove) start(_ *Sim, d *svcDeployment, _ *move, at time.Time) {
	for _, st := range d.leftBehind() {
		st.requested = 0
	}
	d.due = at.Add(cleanUpTime)
}

func (cleanUpMove) due(s *Sim, d *svcDeployment, _ *move, at time.Time) {
	for _, st := range d.leftBehind() {
		st.requested, st.running, st.pending = 0, 0, 0
	}
	s.sdNextLocked(d, at)
}

// leftBehind are the deployment's revisions that CLEAN_UP stops.
func (d *svcDeployment) leftBehind() []*revState {
	keep := d.target.rev
	if d.mode != modeForward {
		keep = d.rollbackTo
	}
	var out []*revState
	for _, st := range append(slices.Clone(d.sources), d.target) {
		if st.rev != keep {
			out = append(out, st)
		}
	}
	return out
}

// sdShiftLocked moves the traffic a row asks for. Going forward the
// sources give up production traffic in proportion to what they had;
// going back the rollback revision takes it all.
func (s *Sim) sdShiftLocked(d *svcDeployment, mv *move, at time.Time) {
	all := append(slices.Clone(d.sources), d.target)
	switch mv.shift {
	case shiftTest:
		if d.target.test != nil {
			for _, st := range all {
				st.test = ptrTo(weightFor(st == d.target))
			}
		}
	case shiftProd:
		var total float64
		for _, w := range d.baseProd {
			total += w
		}
		for i, st := range d.sources {
			st.prod = ptrTo((100 - mv.weight) * d.baseProd[i] / total)
		}
		d.target.prod, d.shiftAt = ptrTo(mv.weight), at
	case shiftProdBack:
		for _, st := range all {
			st.prod = ptrTo(weightFor(st.rev == d.rollbackTo))
		}
	case shiftTestBack:
		for _, st := range all {
			st.test = ptrTo(weightFor(st.rev == d.rollbackTo))
		}
	}
}

func weightFor(all bool) float64 {
	if all {
		return 100
	}
	return 0
}

func ptrTo[T any](v T) *T { return &v }
