package deployer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/switchyard/switchyard"
)

// planNative is Plan for a service ECS deploys itself: the same preflight
// (image now → next, the tag in ECR, the alarms) with the service's
// strategy, bake times and lifecycle hooks instead of a CodeDeploy group.
// svc was just read. Five calls: DescribeServices (made by Plan),
// DescribeTaskDefinition, then DescribeImages ∥ DescribeAlarms ∥
// ListServiceDeployments.
func (d *Deployer) planNative(ctx context.Context, c Clients, env switchyard.Environment, svc *ecstypes.Service, version string, opts switchyard.PlanOptions) (*switchyard.Plan, error) {
	if opts.Config != "" {
		return nil, switchyard.Errorf(switchyard.EINVALID,
			"%s names a CodeDeploy deployment config, but ECS deploys service %s itself with the strategy in its deployment configuration; deploy without --config.",
			opts.Config, env.Service)
	}
	p, next, err := d.newPlan(ctx, c, env, svc, version, opts)
	if err != nil {
		return nil, err
	}
	p.Backend = switchyard.BackendECS
	strategy := strategyOf(svc.DeploymentConfiguration)
	p.Strategy, p.Config, p.TestTraffic = &strategy, strategy.Type, testListener(svc)
	var alarms []string
	if f, ok := d.services.get(env); ok {
		alarms = f.alarms
	}

	eg, ectx := errgroup.WithContext(ctx)
	eg.Go(func() error { return d.checkImage(ectx, next, p) })
	eg.Go(func() error {
		p.Alarms, p.AlarmsUnread = d.alarmStates(ectx, c, alarms)
		return nil
	})
	eg.Go(func() error {
		active, err := d.activeServiceDeployment(ectx, c, env)
		p.ActiveDeployment = active
		return err
	})
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	p.AlreadyRunning = p.ImageNow == p.ImageNext ||
		(p.Image.Digest != "" && switchyard.ParseImage(p.ImageNow).Digest == p.Image.Digest)
	d.log.Debug("planned", zap.String("app", p.App), zap.String("backend", "ecs"), zap.String("image_now", p.ImageNow),
		zap.String("image_next", p.ImageNext), zap.String("strategy", p.Config))
	return p, nil
}

// strategyOf reads how ECS deploys a service, with ECS's documented
// defaults for what the configuration leaves out.
func strategyOf(c *ecstypes.DeploymentConfiguration) switchyard.Strategy {
	var s switchyard.Strategy
	if c == nil {
		return s
	}
	s.Type = string(c.Strategy)
	s.BakeMinutes = int(aws.ToInt32(c.BakeTimeInMinutes))
	switch c.Strategy {
	case ecstypes.DeploymentStrategyLinear:
		s.StepPercent, s.StepBakeMinutes = 10, 6
		if l := c.LinearConfiguration; l != nil {
			s.StepPercent = orFloat(l.StepPercent, 10)
			s.StepBakeMinutes = int(orInt(l.StepBakeTimeInMinutes, 6))
		}
	case ecstypes.DeploymentStrategyCanary:
		s.CanaryPercent, s.CanaryBakeMinutes = 5, 10
		if k := c.CanaryConfiguration; k != nil {
			s.CanaryPercent = orFloat(k.CanaryPercent, 5)
			s.CanaryBakeMinutes = int(orInt(k.CanaryBakeTimeInMinutes, 10))
		}
	}
	for _, h := range c.LifecycleHooks {
		lh := switchyard.LifecycleHook{Pause: h.TargetType == ecstypes.DeploymentLifecycleHookTargetTypePause,
			TimeoutMinutes: 1440, TimeoutAction: switchyard.HookRollback}
		if !lh.Pause {
			lh.Function = aws.ToString(h.HookTargetArn)
		}
		for _, st := range h.LifecycleStages {
			lh.Stages = append(lh.Stages, string(st))
		}
		if t := h.TimeoutConfiguration; t != nil {
			lh.TimeoutMinutes = int(orInt(t.TimeoutInMinutes, 1440))
			if t.Action != "" {
				lh.TimeoutAction = string(t.Action)
			}
		}
		s.Hooks = append(s.Hooks, lh)
	}
	if a := c.Alarms; a != nil && a.Enable {
		s.AlarmRollback = a.Rollback
	}
	return s
}

func orFloat(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}

func orInt(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// testListener reports whether the service has a test listener rule, so
// that test traffic reaches the new version before production does.
func testListener(svc *ecstypes.Service) bool {
	return slices.ContainsFunc(svc.LoadBalancers, func(lb ecstypes.LoadBalancer) bool {
		return lb.AdvancedConfiguration != nil && aws.ToString(lb.AdvancedConfiguration.TestListenerRule) != ""
	})
}

// inFlight are the statuses of a service deployment still under way.
var inFlight = []ecstypes.ServiceDeploymentStatus{
	ecstypes.ServiceDeploymentStatusPending, ecstypes.ServiceDeploymentStatusInProgress,
	ecstypes.ServiceDeploymentStatusStopRequested, ecstypes.ServiceDeploymentStatusRollbackRequested,
	ecstypes.ServiceDeploymentStatusRollbackInProgress,
}

// activeServiceDeployment is the ARN of env's service deployment under
// way, or "". ECS does not refuse a second deployment (it supersedes the
// first), so this check is the only one-at-a-time rule there is.
func (d *Deployer) activeServiceDeployment(ctx context.Context, c Clients, env switchyard.Environment) (string, error) {
	out, err := c.ServiceDeployments.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{
		Cluster: aws.String(env.Cluster), Service: aws.String(env.Service), Status: inFlight,
	})
	if err != nil {
		return "", fail(err, "list service deployments of "+env.Service, "list the deployments of service "+env.Service)
	}
	newest, at := "", time.Time{}
	for _, b := range out.ServiceDeployments {
		if t := aws.ToTime(b.CreatedAt); newest == "" || t.After(at) {
			newest, at = aws.ToString(b.ServiceDeploymentArn), t
		}
	}
	return newest, nil
}

// startNative carries out a plan for a service ECS deploys itself, for by:
// it re-reads the service, refuses when it moved on or a deployment is
// under way, registers the clone (unless the plan deploys a task
// definition as it is) and updates the service with it, which starts the
// service deployment whose ARN it returns. Five calls: DescribeServices,
// ListServiceDeployments, DescribeTaskDefinition, RegisterTaskDefinition,
// UpdateService.
func (d *Deployer) startNative(ctx context.Context, plan *switchyard.Plan, by switchyard.Actor) (string, error) {
	env := plan.Env
	if err := checkService(env); err != nil {
		return "", err
	}
	c, err := d.writes(ctx, env, by)
	if err != nil {
		return "", err
	}
	svc, err := d.describeService(ctx, c, env)
	if err != nil {
		return "", err
	}
	if b, err := backendOf(env, svc); err != nil || b != switchyard.BackendECS {
		return "", switchyard.Errorf(switchyard.ECONFLICT,
			"Service %s is no longer deployed by ECS itself (its deployment controller changed); plan the deployment again.", env.Service)
	}
	if now := aws.ToString(svc.TaskDefinition); now != plan.TaskDefinition {
		return "", switchyard.Errorf(switchyard.ECONFLICT,
			"%s changed since this was planned: its service now runs task definition revision %s, not %s. Plan the deployment again.",
			plan.App, lastSegment(now), lastSegment(plan.TaskDefinition))
	}
	return d.startNativeWith(ctx, c, plan)
}

// answerLost reports whether err leaves open whether AWS acted: no answer
// came (the connection failed, the call timed out), as opposed to an
// answer that refused.
func answerLost(err error) bool {
	var apiErr smithy.APIError
	return !errors.As(err, &apiErr)
}

// tookUpdate reports whether the service now runs taskDef: an update whose
// answer was lost happened after all. It asks even when ctx has ended.
func (d *Deployer) tookUpdate(ctx context.Context, c Clients, env switchyard.Environment, taskDef string) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	svc, err := d.describeService(ctx, c, env)
	return err == nil && aws.ToString(svc.TaskDefinition) == taskDef
}

// startNativeWith is startNative once the service was checked.
func (d *Deployer) startNativeWith(ctx context.Context, c Clients, plan *switchyard.Plan) (string, error) {
	env := plan.Env
	log := d.log.With(zap.String("app", plan.App), zap.String("service", env.Service))
	active, err := d.activeServiceDeployment(ctx, c, env)
	if err != nil {
		return "", err
	}
	if active != "" {
		return "", alreadyRunning(active, nil)
	}
	taskDef := plan.Deploy
	if taskDef == "" {
		if taskDef, err = d.registerClone(ctx, c, plan); err != nil {
			return "", err
		}
	}
	out, err := c.Services.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(env.Cluster), Service: aws.String(env.Service), TaskDefinition: aws.String(taskDef),
	}, ecsWrite)
	id := ""
	switch {
	case err != nil && answerLost(err) && d.tookUpdate(ctx, c, env, taskDef):
		// AWS acted but its answer was lost: the deployment is under way,
		// and is this request's (found below).
		log.Warn("the answer to update service was lost, but the service took the new task definition",
			zap.String("task_definition", taskDef), zap.Error(err))
	case err != nil:
		log.Warn("update service failed; the registered task definition stays unused",
			zap.String("task_definition", taskDef), zap.Error(err))
		return "", fail(err, "update service "+env.Service, "start the ECS deployment of "+plan.App)
	case out.Service != nil:
		id = aws.ToString(out.Service.CurrentServiceDeployment)
	}
	if !isNativeID(id) {
		// The answer did not name it: the newest deployment under way is
		// the one this call started.
		if id, err = d.activeServiceDeployment(ctx, c, env); err != nil || id == "" {
			return "", switchyard.Wrap(switchyard.EINTERNAL, "ECS started the deployment of "+plan.App+" but did not say which it is; look at the service's deployments.",
				fmt.Errorf("no service deployment after updating %s: %w", env.Service, err))
		}
	}
	d.memo.putTaskSets(id, plan.TaskDefinition, taskDef)
	log.Info("deployment started", zap.String("deployment_id", id), zap.String("task_definition", taskDef),
		zap.String("image", plan.ImageNext), zap.String("strategy", plan.Config))
	return id, nil
}
