package awssim

import "slices"

// CodeDeploy lifecycle event hooks: how a hook stage learns its outcome.

// SetManualHooks chooses how stages with an AppSpec hook end. Off (the
// default), no Lambda runs here, so a hook succeeds by itself five simulated
// seconds after its stage starts. On, the stage waits for
// PutLifecycleEventHookExecutionStatus and fails after one simulated hour
// without it, as CodeDeploy does. Stages without a hook always succeed after
// one second.
func (s *Sim) SetManualHooks(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codedeploy.manualHooks = on
}

// PendingHookExecution returns the stage and lifecycleEventHookExecutionId
// of the hook a deployment is running now, the values a hook Lambda would
// receive, so that a test can answer PutLifecycleEventHookExecutionStatus.
func (s *Sim) PendingHookExecution(deploymentID string) (stage, executionID string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.codedeploy.deployments[deploymentID]
	if d == nil || d.phase != phaseEvent {
		return "", "", false
	}
	ev := d.events[d.cur]
	if ev.status != "InProgress" || ev.hookExecID == "" {
		return "", "", false
	}
	return ev.name, ev.hookExecID, true
}

func (s *Sim) cdPutLifecycleEventHookExecutionStatus(req *request) (any, error) {
	var in struct {
		DeploymentID                  string `json:"deploymentId"`
		LifecycleEventHookExecutionID string `json:"lifecycleEventHookExecutionId"`
		Status                        string `json:"status"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	d, err := s.deploymentLocked(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if in.Status != "Succeeded" && in.Status != "Failed" {
		return nil, errf("InvalidLifecycleEventHookExecutionStatusException", "The status %q is not valid: use Succeeded or Failed.", in.Status)
	}
	idx := slices.IndexFunc(d.events, func(e *lifecycleEvent) bool {
		return e.hookExecID != "" && e.hookExecID == in.LifecycleEventHookExecutionID
	})
	if idx < 0 {
		return nil, errf("InvalidLifecycleEventHookExecutionIdException", "The lifecycle event hook execution id %s is not valid for deployment %s.", in.LifecycleEventHookExecutionID, d.id)
	}
	ev := d.events[idx]
	if ev.status != "InProgress" || d.phase != phaseEvent || d.cur != idx {
		return nil, errf("LifecycleEventAlreadyCompletedException", "The lifecycle event %s has already completed.", ev.name)
	}
	now := s.clock.Now()
	if in.Status == "Failed" {
		s.failHookLocked(d, now, "The hook function "+ev.hookFn+" reported Failed.")
	} else {
		s.completeEventLocked(d, now)
	}
	return map[string]string{"lifecycleEventHookExecutionId": in.LifecycleEventHookExecutionID}, nil
}
