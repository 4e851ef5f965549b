package deployer

import (
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/switchyard/switchyard"
)

// The stages of an ECS-native deployment as the card shows them. ECS
// reports only the stage a deployment is in (lifecycleStage) and the
// traffic weights it requested, so the deployer lays out the way forward
// from the deployment's own configuration (hook stages only where a hook
// runs, one production step per traffic share) and places the deployment
// on it. What happened before (when a stage began, how the way forward
// ended once it turned back) the record keeps: switchyard's Apply merges.

// forwardStages lays out the stages a deployment of s with that many
// source revisions runs going forward, all pending.
func forwardStages(s switchyard.Strategy, sources int) []switchyard.Stage {
	hooked := map[string]bool{}
	for _, h := range s.Hooks {
		for _, st := range h.Stages {
			hooked[st] = true
		}
	}
	var out []switchyard.Stage
	add := func(name string, always bool) {
		if always || hooked[name] {
			out = append(out, switchyard.Stage{Name: name, Status: switchyard.StagePending})
		}
	}
	add(switchyard.ECSReconcileService, sources > 1)
	add(switchyard.ECSPreScaleUp, false)
	add(switchyard.ECSScaleUp, true)
	add(switchyard.ECSPostScaleUp, false)
	add(switchyard.ECSTestTrafficShift, true)
	add(switchyard.ECSPostTestTrafficShift, false)
	for _, w := range s.Steps() {
		out = append(out, switchyard.Stage{Name: switchyard.ECSProductionTrafficShift, Status: switchyard.StagePending, Percent: w})
	}
	add(switchyard.ECSPostProductionTrafficShift, false)
	out = append(out, switchyard.Stage{Name: switchyard.ECSBakeTime, Status: switchyard.StagePending, BakeMinutes: s.BakeMinutes})
	add(switchyard.ECSCleanUp, true)
	return out
}

// currentStep is which production step a deployment reporting
// PRODUCTION_TRAFFIC_SHIFT is at: the last step its requested weight
// reached, or, while a pause before the next step awaits (pauses cannot
// run at PRODUCTION_TRAFFIC_SHIFT itself), the next one.
func currentStep(steps []float64, weight float64, pausing bool) int {
	done := 0
	for _, w := range steps {
		if weight+1e-6 >= w {
			done++
		}
	}
	switch {
	case done == 0:
		return 0
	case pausing && done < len(steps):
		return done
	}
	return done - 1
}

// placeForward marks the stages before the current one succeeded, the
// current one in progress since start, and the rest pending. A current
// stage the layout lacks (a hook stage without hooks) is put in its place.
func placeForward(stages []switchyard.Stage, current switchyard.Stage, start time.Time) []switchyard.Stage {
	i := slices.IndexFunc(stages, func(s switchyard.Stage) bool { return s.ID() == current.ID() })
	if i < 0 {
		order := switchyard.ECSStageOrder()
		rank := slices.Index(order, current.Name)
		i = slices.IndexFunc(stages, func(s switchyard.Stage) bool { return slices.Index(order, s.Name) > rank })
		if i < 0 {
			i = len(stages)
		}
		stages = slices.Insert(stages, i, current)
	}
	for j := range stages {
		switch {
		case j < i:
			stages[j].Status = switchyard.StageSucceeded
		case j == i:
			stages[j].Status, stages[j].Start = switchyard.StageInProgress, start
		}
	}
	return stages
}

// nativeStages places deployment sd on its way: forward while it goes
// forward, the stage where it turned back while it begins to, and the way
// back after. failed is the stage of the way forward a hook failed at,
// when the deployer can tell (see failedStage).
func nativeStages(sd *ecstypes.ServiceDeployment, s switchyard.Strategy, pausing bool, failed string) []switchyard.Stage {
	stages := forwardStages(s, len(sd.SourceServiceRevisions))
	name := string(sd.LifecycleStage)
	updated := timeOf(sd.UpdatedAt)
	current := switchyard.Stage{Name: name, Status: switchyard.StageInProgress}
	if name == switchyard.ECSProductionTrafficShift {
		steps := s.Steps()
		current.Percent = steps[currentStep(steps, weightOf(sd.TargetServiceRevision, prodWeight), pausing)]
	}
	if name == switchyard.ECSBakeTime {
		current.BakeMinutes = s.BakeMinutes
	}
	upTo := func(status switchyard.StageStatus) []switchyard.Stage {
		if name == "" {
			return nil
		}
		out := placeForward(stages, current, updated)
		i := slices.IndexFunc(out, func(st switchyard.Stage) bool { return st.Status == switchyard.StageInProgress })
		out[i].Status = status
		return out[:i+1]
	}
	back := func(status switchyard.StageStatus) []switchyard.Stage {
		var out []switchyard.Stage
		if failed != "" {
			out = append(out, switchyard.Stage{Name: failed, Status: switchyard.StageFailed})
		}
		if name != "" {
			b := switchyard.Stage{Name: name, Status: status, Back: true}
			if status == switchyard.StageInProgress {
				b.Start = updated
			}
			out = append(out, b)
		}
		return out
	}
	switch sd.Status {
	case ecstypes.ServiceDeploymentStatusPending:
		return stages
	case ecstypes.ServiceDeploymentStatusInProgress:
		if name == "" {
			return stages
		}
		return placeForward(stages, current, updated)
	case ecstypes.ServiceDeploymentStatusSuccessful:
		for i := range stages {
			stages[i].Status = switchyard.StageSucceeded
		}
		return stages
	case ecstypes.ServiceDeploymentStatusStopRequested, ecstypes.ServiceDeploymentStatusRollbackRequested:
		// Still where it turned back: the record's merge ends that stage.
		return upTo(switchyard.StageInProgress)
	case ecstypes.ServiceDeploymentStatusRollbackInProgress:
		return back(switchyard.StageInProgress)
	case ecstypes.ServiceDeploymentStatusRollbackSuccessful:
		return back(switchyard.StageSucceeded)
	case ecstypes.ServiceDeploymentStatusRollbackFailed:
		return back(switchyard.StageFailed)
	case ecstypes.ServiceDeploymentStatusStopped:
		if name == switchyard.ECSCleanUp {
			return back(switchyard.StageSucceeded) // stopped, and the way back is done
		}
		return upTo(switchyard.StageSkipped) // superseded where it stood
	}
	return stages
}

// failedStage is the stage of the way forward where a hook failed, read
// from the hook executions ECS shows and the service's configuration: a
// Lambda hook that failed or timed out, or a pause that timed out, whose
// function (or pause) the configuration runs at one stage only. "" when it
// cannot tell; production steps are never named, since which step is not
// known.
func failedStage(sd *ecstypes.ServiceDeployment, s switchyard.Strategy) string {
	for _, h := range sd.LifecycleHookDetails {
		pause := h.TargetType == ecstypes.DeploymentLifecycleHookTargetTypePause
		failed := h.Status == ecstypes.DeploymentLifecycleHookStatusTimedOut ||
			(!pause && h.Status == ecstypes.DeploymentLifecycleHookStatusFailed)
		if !failed {
			continue
		}
		var at []string
		for _, c := range s.Hooks {
			if c.Pause == pause && (pause || c.Function == aws.ToString(h.TargetArn)) {
				at = append(at, c.Stages...)
			}
		}
		if len(at) == 1 && at[0] != switchyard.ECSPreProductionTrafficShift && at[0] != switchyard.ECSProductionTrafficShift {
			return at[0]
		}
	}
	return ""
}

// hookFailed reports whether a hook execution ECS shows failed or timed
// out: why a deployment turned back. A pause ending FAILED is someone's
// ROLLBACK answer (or a turn back for another reason), not a failure.
func hookFailed(sd *ecstypes.ServiceDeployment) bool {
	for _, h := range sd.LifecycleHookDetails {
		pause := h.TargetType == ecstypes.DeploymentLifecycleHookTargetTypePause
		if h.Status == ecstypes.DeploymentLifecycleHookStatusTimedOut ||
			(!pause && h.Status == ecstypes.DeploymentLifecycleHookStatusFailed) {
			return true
		}
	}
	return false
}

// pendingPause is the pause hook of sd that awaits action, if any, with
// the stage it pauses at when the configuration tells: a pause while ECS
// reports PRODUCTION_TRAFFIC_SHIFT is one before the next step.
func pendingPause(sd *ecstypes.ServiceDeployment, s switchyard.Strategy) (switchyard.PauseHook, bool) {
	for _, h := range sd.LifecycleHookDetails {
		if h.TargetType != ecstypes.DeploymentLifecycleHookTargetTypePause || h.Status != ecstypes.DeploymentLifecycleHookStatusAwaitingAction {
			continue
		}
		p := switchyard.PauseHook{ID: aws.ToString(h.HookId), Expires: timeOf(h.ExpiresAt), TimeoutAction: string(h.TimeoutAction)}
		if !hookIDPattern.MatchString(p.ID) {
			continue
		}
		stage := string(sd.LifecycleStage)
		if stage == switchyard.ECSProductionTrafficShift {
			stage = switchyard.ECSPreProductionTrafficShift
		}
		for _, c := range s.Hooks {
			if c.Pause && slices.Contains(c.Stages, stage) {
				p.Stage = stage
			}
		}
		return p, true
	}
	return switchyard.PauseHook{}, false
}

// nextNative says what comes next in an ECS deployment by itself: the
// next production step after a step's bake (unless a pause comes before
// it), or the end of the bake, after which the old version is removed.
// ECS reports no stage's start; the last update of the deployment (which
// the stage's start or its last hook bumped) stands in for it.
func nextNative(sd *ecstypes.ServiceDeployment, s switchyard.Strategy, pausing bool) switchyard.Next {
	if sd.Status != ecstypes.ServiceDeploymentStatusInProgress || pausing || sd.UpdatedAt == nil {
		return switchyard.Next{}
	}
	at := sd.UpdatedAt.UTC()
	switch string(sd.LifecycleStage) {
	case switchyard.ECSBakeTime:
		return switchyard.Next{Kind: switchyard.NextBlueRemoved, At: at.Add(time.Duration(s.BakeMinutes) * time.Minute)}
	case switchyard.ECSProductionTrafficShift:
		for _, h := range s.Hooks {
			if h.Pause && slices.Contains(h.Stages, switchyard.ECSPreProductionTrafficShift) {
				return switchyard.Next{} // the next step waits for a person
			}
		}
		steps := s.Steps()
		i := currentStep(steps, weightOf(sd.TargetServiceRevision, prodWeight), false)
		if w := weightOf(sd.TargetServiceRevision, prodWeight); i+1 < len(steps) && w+1e-6 >= steps[i] {
			return switchyard.Next{Kind: switchyard.NextTrafficStep, At: at.Add(s.StepBake()), Percent: steps[i+1]}
		}
	}
	return switchyard.Next{}
}

// prodWeight reads a revision's requested production traffic weight.
func prodWeight(r *ecstypes.ServiceRevisionSummary) *float64 {
	return r.RequestedProductionTrafficWeight
}

// weightOf is a revision's weight, 0 when ECS requested none.
func weightOf(r *ecstypes.ServiceRevisionSummary, w func(*ecstypes.ServiceRevisionSummary) *float64) float64 {
	if r == nil {
		return 0
	}
	return aws.ToFloat64(w(r))
}
