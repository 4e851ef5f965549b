package awssim

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Starting service deployments: UpdateService on a service of the ECS
// controller with a BLUE_GREEN, LINEAR or CANARY strategy, and the seed of
// such a service.

// nativeUpdateLocked answers UpdateService for a service of the ECS
// controller that plays service deployments or is made to by this call
// (its deploymentConfiguration names such a strategy). ok is false for any
// other service, which UpdateService then treats as before.
//
// A new taskDefinition or forceNewDeployment starts a service deployment;
// a deploymentConfiguration replaces the service's whole configuration
// (the next deployment uses it; one under way keeps its own); loadBalancers
// replace the service's.
func (s *Sim) nativeUpdateLocked(svc *ecsService, req *request, at time.Time) (out any, ok bool, err error) {
	if svc.controller != "ECS" {
		return nil, false, nil
	}
	var in struct {
		DesiredCount            *int                     `json:"desiredCount"`
		TaskDefinition          *string                  `json:"taskDefinition"`
		ForceNewDeployment      bool                     `json:"forceNewDeployment"`
		DeploymentConfiguration *DeploymentConfiguration `json:"deploymentConfiguration"`
		LoadBalancers           *[]ecsLoadBalancer       `json:"loadBalancers"`
	}
	if err := decode(req, &in); err != nil {
		return nil, true, err
	}
	var cfg DeploymentConfiguration
	if svc.native != nil {
		cfg = svc.native.config
	}
	if in.DeploymentConfiguration != nil {
		cfg = *in.DeploymentConfiguration
	}
	switch {
	case !svc.isNative() && !nativeStrategy(cfg.Strategy):
		return nil, false, nil
	case svc.isNative() && !nativeStrategy(cfg.Strategy) && cfg.Strategy != "":
		return nil, true, errECSParam("The simulator does not turn a %s service back to the %s strategy.", svc.native.config.Strategy, cfg.Strategy)
	case svc.isNative() && cfg.Strategy == "":
		cfg.Strategy = svc.native.config.Strategy
	}
	lbs := svc.loadBalancers
	if in.LoadBalancers != nil {
		lbs = *in.LoadBalancers
	}
	norm, aerr := normalizeDeploymentConfig(cfg, lbs)
	if aerr != nil {
		return nil, true, aerr
	}
	taskDef := svc.taskDef
	if in.TaskDefinition != nil {
		td := s.ecs.taskDefByRef(*in.TaskDefinition)
		if td == nil || td.status != "ACTIVE" {
			return nil, true, errf("ClientException", "TaskDefinition not found.")
		}
		taskDef = td.arn
	}
	svc.loadBalancers = lbs
	if svc.native == nil {
		s.initNativeLocked(svc, norm, svc.createdAt)
	}
	svc.native.config = norm
	if in.DesiredCount != nil {
		svc.native.scale(svc, *in.DesiredCount)
	}
	if taskDef != svc.taskDef || in.ForceNewDeployment {
		s.startServiceDeploymentLocked(svc, taskDef, at)
	}
	return map[string]any{"service": s.renderService(svc, false)}, true, nil
}

// scale sets the desired count: the revisions that have tasks follow it.
func (n *nativeService) scale(svc *ecsService, desired int) {
	svc.desiredCount = desired
	for _, st := range n.live {
		if st.requested == 0 {
			continue
		}
		st.requested = desired
		if st.pending == 0 {
			st.running = desired
		} else {
			st.pending = max(desired-st.running, 0)
		}
	}
}

// startServiceDeploymentLocked starts a deployment of svc to taskDef: a new
// revision as its target, the revisions that have tasks now as its sources,
// PENDING until the engine begins it a second later. A deployment still
// under way is superseded first.
func (s *Sim) startServiceDeploymentLocked(svc *ecsService, taskDef string, at time.Time) *svcDeployment {
	n := svc.native
	arn := s.newDeploymentArn(svc)
	if old := n.latest(); old != nil && !old.terminal() {
		s.sdSupersedeLocked(old, at, arn)
	}
	rev := s.newRevisionLocked(svc, taskDef, at)
	s.ecs.native.seq++
	d := &svcDeployment{
		seq: s.ecs.native.seq, arn: arn, svc: svc, config: n.config, status: "PENDING",
		createdAt: at, updatedAt: at, rollbackTo: n.stable, allHooks: map[string]*hookRun{},
		fault: n.fault,
	}
	n.fault = nil
	for _, st := range n.live {
		if st.hasTasks() {
			d.sources = append(d.sources, st)
		}
	}
	testListener := slices.ContainsFunc(svc.loadBalancers, func(lb ecsLoadBalancer) bool {
		return lb.AdvancedConfiguration != nil && lb.AdvancedConfiguration.TestListenerRule != ""
	})
	d.baseProd = startWeights(d.sources, n.liveState(n.stable), func(st *revState) **float64 { return &st.prod })
	if testListener {
		startWeights(d.sources, n.liveState(n.stable), func(st *revState) **float64 { return &st.test })
	}
	d.target = n.liveState(rev)
	d.target.prod = ptrTo(0.0)
	if testListener {
		d.target.test = ptrTo(0.0)
	}
	if a := d.config.Alarms; a != nil {
		d.alarmStatus = "DISABLED"
		if a.Enable {
			d.alarmStatus = "MONITORING"
		}
	}
	n.primary, svc.taskDef = rev, taskDef
	n.live = slices.DeleteFunc(n.live, func(st *revState) bool { return !st.hasTasks() && st.rev != rev })
	n.deployments = append(n.deployments, d)
	s.ecs.native.byArn[d.arn] = d
	s.ecs.native.active = append(s.ecs.native.active, d)
	d.plan = forwardPlan(d)
	s.sdStartMoveLocked(d, 0, at)
	return d
}

// startWeights gives every source a weight (what it had, 0 if none) and,
// when none has any, all of it to the stable revision; it returns the
// weights in source order.
func startWeights(sources []*revState, stable *revState, field func(*revState) **float64) []float64 {
	var total float64
	for _, st := range sources {
		if w := *field(st); w != nil {
			total += *w
		}
	}
	out := make([]float64, len(sources))
	for i, st := range sources {
		w := 0.0
		if p := *field(st); p != nil && total > 0 {
			w = *p
		}
		if total == 0 && st == stable {
			w = 100
		}
		*field(st), out[i] = ptrTo(w), w
	}
	return out
}

// seedController reads the API's deploymentController into Controller.
func seedController(in *ServiceSeed) error {
	if in.DeploymentController == nil {
		return nil
	}
	if in.Controller != "" && in.Controller != in.DeploymentController.Type {
		return fmt.Errorf("controller %s and deploymentController.type %s disagree", in.Controller, in.DeploymentController.Type)
	}
	in.Controller = in.DeploymentController.Type
	return nil
}

// seedDeploymentConfig validates a seed's deploymentConfiguration. It
// returns nil for a service that does not play service deployments.
func seedDeploymentConfig(in ServiceSeed, lbs []ecsLoadBalancer) (*DeploymentConfiguration, error) {
	if in.DeploymentConfiguration == nil {
		return nil, nil
	}
	if in.Controller != "ECS" {
		return nil, errors.New("deploymentConfiguration is for services of the ECS deployment controller")
	}
	cfg, aerr := normalizeDeploymentConfig(*in.DeploymentConfiguration, lbs)
	if aerr != nil {
		return nil, errors.New(aerr.Message)
	}
	if !nativeStrategy(cfg.Strategy) {
		return nil, nil
	}
	return &cfg, nil
}
