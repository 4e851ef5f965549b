package awssim

import (
	"fmt"
	"slices"
)

// The service deployment engine's faults, for the sandbox's control surface
// and the tests.

// serviceFaultStages are where FailNextServiceDeployment can strike: the
// hook stages and SCALE_UP.
var serviceFaultStages = []string{stReconcile, stPreScale, stScaleUp, stPostScale, stTestShift, stPostTest, stPreProd, stProdShift, stPostProd}

// ServiceDeploymentFaultStages lists the stages FailNextServiceDeployment
// accepts, in lifecycle order.
func ServiceDeploymentFaultStages() []string { return slices.Clone(serviceFaultStages) }

// FailNextServiceDeployment makes the next service deployment of a service
// (ECS controller, BLUE_GREEN, LINEAR or CANARY) fail at stage, with message
// in its statusReason and rollback.reason, and roll back. At a hook stage
// the first Lambda hook there reports FAILED five simulated seconds after
// the stage starts (the stage fails by itself when it has no Lambda hook);
// PRE_PRODUCTION_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT fail at the
// first production step, SCALE_UP when the new tasks would be healthy. A
// stage the deployment does not play (RECONCILE_SERVICE with one revision
// running) never fails. The fault waits for the next UpdateService that
// starts a deployment; arming another replaces it.
func (s *Sim) FailNextServiceDeployment(cluster, service, stage, message string) error {
	if !slices.Contains(serviceFaultStages, stage) {
		return fmt.Errorf("fail next service deployment: %q is not a lifecycle stage that can fail (one of %v)", stage, serviceFaultStages)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.ecs.service(cluster, service)
	if svc == nil || !svc.isNative() {
		return fmt.Errorf("fail next service deployment: %s/%s is not a service with ECS blue/green, linear or canary deployments", cluster, service)
	}
	if message == "" {
		message = "Validation failed in " + stage + "."
	}
	svc.native.fault = &svcFault{stage: stage, message: message}
	return nil
}
