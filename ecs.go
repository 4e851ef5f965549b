package switchyard

import (
	"regexp"
	"slices"
	"time"
)

// Backend says which AWS service runs an environment's deployments. The
// deployer chooses it from the ECS service's deployment controller, so the
// same commands, cards and buttons drive both.
type Backend string

// Backends. CodeDeploy is the zero value: every deployment recorded before
// there was a second backend is a CodeDeploy one.
const (
	// BackendCodeDeploy: the service's controller is CODE_DEPLOY; a
	// CodeDeploy deployment group shifts traffic between task sets.
	BackendCodeDeploy Backend = ""
	// BackendECS: the service's controller is ECS with a BLUE_GREEN,
	// LINEAR or CANARY strategy; ECS runs the deployment itself, as a
	// service deployment (its ARN is the deployment's ID).
	BackendECS Backend = "ecs"
)

// Lifecycle stages of an ECS-native deployment, spelled as ECS reports them
// (ServiceDeployment.lifecycleStage). PRE_PRODUCTION_TRAFFIC_SHIFT is a
// stage hooks run at, before each production step, but ECS never reports it
// as the deployment's stage.
const (
	ECSReconcileService           = "RECONCILE_SERVICE"
	ECSPreScaleUp                 = "PRE_SCALE_UP"
	ECSScaleUp                    = "SCALE_UP"
	ECSPostScaleUp                = "POST_SCALE_UP"
	ECSTestTrafficShift           = "TEST_TRAFFIC_SHIFT"
	ECSPostTestTrafficShift       = "POST_TEST_TRAFFIC_SHIFT"
	ECSPreProductionTrafficShift  = "PRE_PRODUCTION_TRAFFIC_SHIFT"
	ECSProductionTrafficShift     = "PRODUCTION_TRAFFIC_SHIFT"
	ECSPostProductionTrafficShift = "POST_PRODUCTION_TRAFFIC_SHIFT"
	ECSBakeTime                   = "BAKE_TIME"
	ECSCleanUp                    = "CLEAN_UP"
)

// ECSStageOrder lists the ECS lifecycle stages in the order a deployment
// runs them, PRE_PRODUCTION_TRAFFIC_SHIFT included. Each call returns a new
// slice.
func ECSStageOrder() []string {
	return []string{ECSReconcileService, ECSPreScaleUp, ECSScaleUp, ECSPostScaleUp, ECSTestTrafficShift,
		ECSPostTestTrafficShift, ECSPreProductionTrafficShift, ECSProductionTrafficShift,
		ECSPostProductionTrafficShift, ECSBakeTime, ECSCleanUp}
}

// ECS deployment strategies (DeploymentConfiguration.strategy) that run
// blue/green; ROLLING, ECS's default, has no second version to shift
// traffic to.
const (
	StrategyBlueGreen = "BLUE_GREEN"
	StrategyLinear    = "LINEAR"
	StrategyCanary    = "CANARY"
	StrategyRolling   = "ROLLING"
)

// Pause hook answers and timeout actions, as ECS names them.
const (
	HookContinue = "CONTINUE"
	HookRollback = "ROLLBACK"
)

// WaitPause: an ECS deployment waits at a pause hook until someone
// continues or rolls it back, or the hook times out (Deployment.Pause says
// which hook, until when, and what then).
const WaitPause Wait = "pause"

// PauseHook is a pause lifecycle hook of an ECS deployment awaiting action.
type PauseHook struct {
	// ID is ECS's hookId, which ContinueServiceDeployment takes; each
	// execution has its own, so a pause before every production step asks
	// anew each time.
	ID string `json:"id"`
	// Stage is the hook stage it pauses at, as far as the deployer can
	// tell from the service's configuration; "" when it cannot.
	Stage string `json:"stage,omitempty"`
	// Expires is when it times out, and TimeoutAction what ECS does then
	// (HookContinue or HookRollback).
	Expires       time.Time `json:"expires,omitzero"`
	TimeoutAction string    `json:"timeout_action,omitempty"`
}

// Strategy is how ECS itself deploys a service: what a plan for the ECS
// backend shows instead of a CodeDeploy config.
type Strategy struct {
	Type string `json:"type"` // StrategyBlueGreen, StrategyLinear or StrategyCanary
	// StepPercent and StepBakeMinutes: LINEAR moves that share of
	// production traffic each step and waits that long between steps.
	StepPercent     float64 `json:"step_percent,omitempty"`
	StepBakeMinutes int     `json:"step_bake_minutes,omitempty"`
	// CanaryPercent and CanaryBakeMinutes: CANARY moves that share first
	// and the rest after that long.
	CanaryPercent     float64 `json:"canary_percent,omitempty"`
	CanaryBakeMinutes int     `json:"canary_bake_minutes,omitempty"`
	// BakeMinutes is how long both versions run after all production
	// traffic moved, before the old one is removed: Rollback stays quick.
	BakeMinutes int `json:"bake_minutes"`
	// Hooks are the service's lifecycle hooks.
	Hooks []LifecycleHook `json:"hooks,omitempty"`
	// AlarmRollback is true when a watched alarm rolls the deployment back
	// (false: it stops it).
	AlarmRollback bool `json:"alarm_rollback,omitempty"`
}

// Steps lists the production traffic shares, in percent of traffic on the
// new version, that a deployment moves through: one step for BLUE_GREEN,
// the canary and 100 for CANARY, equal steps for LINEAR (the last one takes
// what is left when the step does not divide 100).
func (s Strategy) Steps() []float64 {
	switch s.Type {
	case StrategyLinear:
		step := s.StepPercent
		if step <= 0 {
			step = 10
		}
		var out []float64
		for w := step; w < 100-1e-9; w += step {
			out = append(out, float64(int(w*10+0.5))/10)
		}
		return append(out, 100)
	case StrategyCanary:
		if s.CanaryPercent > 0 && s.CanaryPercent < 100 {
			return []float64{s.CanaryPercent, 100}
		}
	}
	return []float64{100}
}

// StepBake is how long a production step waits before the next one.
func (s Strategy) StepBake() time.Duration {
	switch s.Type {
	case StrategyLinear:
		return time.Duration(s.StepBakeMinutes) * time.Minute
	case StrategyCanary:
		return time.Duration(s.CanaryBakeMinutes) * time.Minute
	}
	return 0
}

// LifecycleHook is one lifecycle hook of an ECS-native service: a Lambda
// function ECS invokes, or a pause for a person.
type LifecycleHook struct {
	Stages []string `json:"stages"`
	Pause  bool     `json:"pause,omitempty"`
	// Function is the Lambda function's ARN (not for a pause).
	Function string `json:"function,omitempty"`
	// TimeoutMinutes and TimeoutAction: what ECS does when the hook has
	// not answered in time.
	TimeoutMinutes int    `json:"timeout_minutes,omitempty"`
	TimeoutAction  string `json:"timeout_action,omitempty"`
}

// Status words of an ECS deployment turning back or ended that way; the
// others map onto CodeDeploy's (IN_PROGRESS is InProgress, SUCCESSFUL
// Succeeded, STOPPED Stopped).
const (
	StatusRollingBack    Status = "RollingBack"    // ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS
	StatusStopping       Status = "Stopping"       // STOP_REQUESTED
	StatusRolledBack     Status = "RolledBack"     // ROLLBACK_SUCCESSFUL: the previous version serves again
	StatusRollbackFailed Status = "RollbackFailed" // ROLLBACK_FAILED
)

// turnedBack reports whether an ECS deployment's status says it is going
// back, or went back, to the previous version.
func (s Status) turnedBack() bool {
	switch s {
	case StatusRollingBack, StatusStopping, StatusRolledBack, StatusRollbackFailed:
		return true
	}
	return false
}

// Error codes of ECS deployments the deployer can tell from what ECS
// reports (never from its sentences): an alarm fired, a hook failed or
// timed out. They say why a deployment turned back.
const (
	ErrorAlarm      = "ALARM_ACTIVE"
	ErrorHookFailed = "HOOK_FAILED"
)

// ID names a stage uniquely within its deployment: its Name, with the
// traffic share of an ECS production step and a mark for a stage of an ECS
// deployment turning back, whose names repeat. A CodeDeploy stage's ID is
// its name.
func (s Stage) ID() string {
	id := s.Name
	if s.Percent > 0 {
		id += "@" + Percent(s.Percent)
	}
	if s.Back {
		id += "<back"
	}
	return id
}

// ProductionStep reports whether s is a production traffic step of an ECS
// deployment going forward.
func (s Stage) ProductionStep() bool {
	return s.Name == ECSProductionTrafficShift && !s.Back
}

// ecsRank orders ECS stages: the way forward in lifecycle order (each
// production step by its share), then the way back.
func ecsRank(s Stage) float64 {
	r := float64(slices.Index(ECSStageOrder(), s.Name)) * 1000
	r += s.Percent
	if s.Back {
		r += 100000
	}
	return r
}

// mergeECSStages merges the stages ECS shows now into those the record
// kept. ECS reports only the stage a deployment is in, never when a stage
// started or how it ended, so what was seen before is kept: the earliest
// start seen, and how the way forward ended once the deployment turned
// back. A stage still running when a later one was seen finished then;
// one running when the deployment turned back was cut short, or failed
// when the failure was a hook's (errorCode).
func mergeECSStages(stored, observed []Stage, status Status, errorCode string) []Stage {
	byID := make(map[string]Stage, len(stored))
	for _, s := range stored {
		byID[s.ID()] = s
	}
	back := status.turnedBack() || slices.ContainsFunc(observed, func(s Stage) bool { return s.Back })
	merged := map[string]Stage{}
	if back {
		// The way forward is over: keep what ran of it, and the way back
		// so far.
		for _, s := range stored {
			if !s.Back && s.Status == StagePending {
				continue
			}
			merged[s.ID()] = s
		}
	}
	for _, s := range observed {
		if old, ok := byID[s.ID()]; ok {
			if !old.Start.IsZero() && (s.Start.IsZero() || old.Start.Before(s.Start)) {
				s.Start = old.Start
			}
			if s.End.IsZero() && s.Status != StageInProgress {
				s.End = old.End
			}
			if s.Diagnostic == "" {
				s.Diagnostic = old.Diagnostic
			}
			if final(old.Status) && !final(s.Status) {
				s = old // finished is final
			}
		}
		merged[s.ID()] = s
	}
	out := make([]Stage, 0, len(merged))
	for _, s := range merged {
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b Stage) int {
		switch ra, rb := ecsRank(a), ecsRank(b); {
		case ra < rb:
			return -1
		case ra > rb:
			return 1
		}
		return 0
	})
	if back {
		failed := slices.IndexFunc(out, func(s Stage) bool { return !s.Back && s.Status == StageFailed })
		for i := range out {
			s := &out[i]
			switch {
			case s.Back:
			case failed >= 0 && i > failed:
				s.Status = StagePending // seen running, but it never could have: dropped below
			case s.Status == StageInProgress && errorCode == ErrorHookFailed && failed < 0:
				s.Status, failed = StageFailed, i
			case s.Status == StageInProgress:
				s.Status = StageSkipped // cut short by the turn back
			}
		}
		out = slices.DeleteFunc(out, func(s Stage) bool { return s.Status == StagePending && !s.Back })
	}
	// A stage running while a later one had begun has finished, at the
	// latest when the next stage seen running began (a stage too short to
	// be seen running counts in the one before it).
	for i := range out {
		s := &out[i]
		later := i + 1
		for later < len(out) && out[later].Status == StagePending {
			later++
		}
		if later < len(out) && s.Status == StageInProgress {
			s.Status = StageSucceeded
		}
		if s.End.IsZero() && final(s.Status) && !s.Start.IsZero() {
			for _, next := range out[i+1:] {
				if !next.Start.IsZero() {
					s.End = next.Start
					break
				}
			}
		}
	}
	return out
}

// final reports whether a stage status is an outcome.
func final(s StageStatus) bool {
	return s == StageSucceeded || s == StageFailed || s == StageSkipped
}

// ServiceDeploymentRef is what an ECS service deployment's ARN names:
// arn:PARTITION:ecs:REGION:ACCOUNT:service-deployment/CLUSTER/SERVICE/ID.
type ServiceDeploymentRef struct {
	Region, Account, Cluster, Service, ID string
}

var (
	serviceDeploymentARN = regexp.MustCompile(`^arn:aws[a-z-]{0,20}:ecs:([a-z0-9-]{1,30}):(\d{12}):service-deployment/([A-Za-z0-9_-]{1,255})/([A-Za-z0-9_-]{1,255})/([A-Za-z0-9_-]{1,64})$`)
	serviceARN           = regexp.MustCompile(`^arn:aws[a-z-]{0,20}:ecs:([a-z0-9-]{1,30}):(\d{12}):service/([A-Za-z0-9_-]{1,255})/([A-Za-z0-9_-]{1,255})$`)
)

// ParseServiceDeploymentARN reads an ECS service deployment ARN; ok is
// false for anything else. The ARN may come from anyone who can write to
// the events queue, so only a well-formed one passes.
func ParseServiceDeploymentARN(arn string) (ref ServiceDeploymentRef, ok bool) {
	m := serviceDeploymentARN.FindStringSubmatch(arn)
	if m == nil {
		return ServiceDeploymentRef{}, false
	}
	return ServiceDeploymentRef{Region: m[1], Account: m[2], Cluster: m[3], Service: m[4], ID: m[5]}, true
}

// ServiceRef is what an ECS service's ARN (the long form) names.
type ServiceRef struct {
	Region, Account, Cluster, Service string
}

// ParseServiceARN reads an ECS service ARN of the long form
// (arn:…:service/CLUSTER/SERVICE); ok is false for anything else.
func ParseServiceARN(arn string) (ref ServiceRef, ok bool) {
	m := serviceARN.FindStringSubmatch(arn)
	if m == nil {
		return ServiceRef{}, false
	}
	return ServiceRef{Region: m[1], Account: m[2], Cluster: m[3], Service: m[4]}, true
}

// ShortID is how people read a deployment's ID: a CodeDeploy id as it is,
// the last part of an ECS service deployment's ARN.
func ShortID(id string) string {
	if ref, ok := ParseServiceDeploymentARN(id); ok {
		return ref.ID
	}
	return id
}
