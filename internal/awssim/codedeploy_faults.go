package awssim

// The CodeDeploy engine's faults: what the sandbox's control surface and
// the tests use to make deployments misbehave.

// hookFault makes a hook report Failed at stage.
type hookFault struct {
	stage   string
	message string
}

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
