package awssim

// The CodeDeploy engine's Go API for faults and hooks: what the sandbox's
// control surface and the tests use to make deployments misbehave.

// FailNextDeployment makes the next deployment of application fail at
// stage (a lifecycle event name such as BeforeAllowTraffic): its hook
// reports Failed with message in the diagnostics, five simulated seconds
// after the stage starts. Install, AllowTestTraffic and AllowTraffic fail
// with ECS_UPDATE_ERROR, the hook stages with HOOK_EXECUTION_FAILURE. A
// stage the deployment does not play (test traffic without a test listener)
// never fails.
func (s *Sim) FailNextDeployment(application, stage, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if message == "" {
		message = "Validation failed in " + stage + "."
	}
	s.codedeploy.failNext[application] = hookFault{stage: stage, message: message}
}

// SetGreenUnhealthy makes the replacement task sets of a service never
// become steady (on) or behave again (off). A deployment whose green is
// unhealthy fails in Install after five simulated minutes with
// ECS_UPDATE_ERROR.
func (s *Sim) SetGreenUnhealthy(cluster, service string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc := s.ecs.service(cluster, service); svc != nil {
		svc.greenUnhealthy = on
	}
}

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

// PutS3Object registers the content of s3://bucket/key. The simulator has no
// S3: CreateDeployment accepts an S3 revision (bundleType YAML or JSON) only
// when its object was registered here, and refuses it with
// InvalidRevisionException otherwise.
func (s *Sim) PutS3Object(bucket, key, content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codedeploy.s3[bucket+"/"+key] = content
}
