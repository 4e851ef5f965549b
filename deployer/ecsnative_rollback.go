package deployer

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// rollbackNative is Rollback of an ECS service deployment, for by. While
// the previous version still runs (going forward, before CLEAN_UP) ECS
// turns the deployment back: a pause hook awaiting action is answered
// ROLLBACK, otherwise the deployment is stopped with ROLLBACK. After
// success it deploys the previous task definition again, through the same
// path as Start. What it redeploys is never read from text anyone may
// write: it is the bot's record of what ran before, or the deployment's
// source revision as ECS reports it, checked to be this service's.
func (d *Deployer) rollbackNative(ctx context.Context, env switchyard.Environment, target switchyard.Deployment, by switchyard.Actor) (*switchyard.RollbackResult, error) {
	id := target.ID
	if err := nativeID(env, id); err != nil {
		return nil, err
	}
	c, err := d.writes(ctx, env, by)
	if err != nil {
		return nil, err
	}
	short := switchyard.ShortID(id)
	log := d.log.With(zap.String("deployment_id", id), zap.String("who", by.User))
	// Two rounds: a deployment may move on between reading and stopping it.
	for range 2 {
		sd, err := d.readServiceDeployment(ctx, c, id)
		if err != nil {
			return nil, err
		}
		if target.RollbackOf != "" {
			t := target
			t.RollbackOf = switchyard.ShortID(t.RollbackOf)
			return nil, refuseRollbackOfRollback(t, statusOnly(sd))
		}
		switch sd.Status {
		case ecstypes.ServiceDeploymentStatusPending, ecstypes.ServiceDeploymentStatusInProgress:
			if string(sd.LifecycleStage) == switchyard.ECSCleanUp {
				return nil, switchyard.Errorf(switchyard.ECONFLICT,
					"Deployment %s is removing the previous version (CLEAN_UP), so traffic can no longer go back to it; once it has finished, roll back again to deploy the previous version anew.", short)
			}
			err := d.turnBack(ctx, c, sd)
			if apiCode(err) == "ConflictException" || apiCode(err) == "InvalidParameterException" {
				continue // it moved on (finished, reached CLEAN_UP, the pause ended): look again
			}
			if err != nil {
				return nil, err
			}
			log.Info("ECS deployment turned back")
			return &switchyard.RollbackResult{Kind: switchyard.StoppedWithRollback}, nil
		case ecstypes.ServiceDeploymentStatusSuccessful:
			res, err := d.redeployPreviousNative(ctx, c, env, target, sd, by)
			if err == nil && res.Kind == switchyard.Redeployed {
				log.Info("redeployed the previous revision", zap.String("rollback_id", res.NewDeploymentID),
					zap.String("task_definition", res.Plan.Deploy))
			}
			return res, err
		case ecstypes.ServiceDeploymentStatusRollbackRequested, ecstypes.ServiceDeploymentStatusRollbackInProgress:
			return nil, switchyard.Errorf(switchyard.ECONFLICT, "ECS is already rolling %s back; let it finish.", short)
		case ecstypes.ServiceDeploymentStatusStopRequested:
			return nil, switchyard.Errorf(switchyard.ECONFLICT, "ECS is already stopping %s and sending traffic back; let it finish.", short)
		case ecstypes.ServiceDeploymentStatusRollbackSuccessful:
			return nil, switchyard.Errorf(switchyard.ECONFLICT, "ECS already put the previous version back: %s was rolled back. Nothing to do.", short)
		default:
			return nil, switchyard.Errorf(switchyard.ECONFLICT,
				"Deployment %s already ended (%s) without its new version taking over, so there is nothing to roll back; deploy the version you want instead.",
				short, sd.Status)
		}
	}
	return nil, switchyard.Errorf(switchyard.ECONFLICT, "Deployment %s changed while rolling it back; look at it again and retry.", short)
}

// statusOnly is as much of an observation as refuseRollbackOfRollback
// reads.
func statusOnly(sd *ecstypes.ServiceDeployment) *switchyard.Observation {
	return &switchyard.Observation{ID: switchyard.ShortID(aws.ToString(sd.ServiceDeploymentArn)), Status: statusOfNative(sd.Status)}
}

// turnBack sends a running deployment back to the previous version: the
// answer ROLLBACK to the pause hook awaiting action, or a stop with
// ROLLBACK. ConflictException and InvalidParameterException keep their
// codes for the caller to look again.
func (d *Deployer) turnBack(ctx context.Context, c Clients, sd *ecstypes.ServiceDeployment) error {
	id := aws.ToString(sd.ServiceDeploymentArn)
	short := switchyard.ShortID(id)
	if p, ok := pendingPause(sd, strategyOf(sd.DeploymentConfiguration)); ok {
		_, err := c.ServiceControl.ContinueServiceDeployment(ctx, &ecs.ContinueServiceDeploymentInput{
			ServiceDeploymentArn: aws.String(id), HookId: aws.String(p.ID), Action: ecstypes.DeploymentLifecycleHookActionRollback,
		}, ecsWrite)
		if err == nil || apiCode(err) == "InvalidParameterException" {
			return err
		}
		return fail(err, "continue service deployment "+id+" with ROLLBACK", "roll back deployment "+short)
	}
	_, err := c.ServiceControl.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{
		ServiceDeploymentArn: aws.String(id), StopType: ecstypes.StopServiceDeploymentStopTypeRollback,
	}, ecsWrite)
	if err == nil || apiCode(err) == "ConflictException" {
		return err
	}
	return fail(err, "stop service deployment "+id, "roll back deployment "+short)
}

// redeployPreviousNative deploys again the task definition that ran before
// a successful ECS deployment: it must be the service's latest successful
// one, the service must still run what it deployed, and nothing may be
// under way. What ran before is the bot's record, else the deployment's
// only source revision, whose service must be this one.
func (d *Deployer) redeployPreviousNative(ctx context.Context, c Clients, env switchyard.Environment, target switchyard.Deployment, sd *ecstypes.ServiceDeployment, by switchyard.Actor) (*switchyard.RollbackResult, error) {
	id, short := aws.ToString(sd.ServiceDeploymentArn), switchyard.ShortID(aws.ToString(sd.ServiceDeploymentArn))
	svc, err := d.describeService(ctx, c, env)
	if err != nil {
		return nil, err
	}
	if b, err := backendOf(env, svc); err != nil || b != switchyard.BackendECS {
		return nil, switchyard.Errorf(switchyard.ECONFLICT, "Service %s is no longer deployed by ECS itself; deploy the version you want instead.", env.Service)
	}
	if err := d.latestSuccessful(ctx, c, env, id); err != nil {
		return nil, err
	}
	var arns []string
	if sd.TargetServiceRevision != nil {
		arns = append(arns, aws.ToString(sd.TargetServiceRevision.Arn))
	}
	if len(sd.SourceServiceRevisions) == 1 {
		arns = append(arns, aws.ToString(sd.SourceServiceRevisions[0].Arn))
	}
	defs := d.revisionTaskDefinitions(ctx, c, arns)
	deployed := target.TaskDefinition
	if sd.TargetServiceRevision != nil && defs[aws.ToString(sd.TargetServiceRevision.Arn)] != "" {
		deployed = defs[aws.ToString(sd.TargetServiceRevision.Arn)]
	}
	running := aws.ToString(svc.TaskDefinition)
	if deployed != "" && lastSegment(deployed) != lastSegment(running) {
		return nil, switchyard.Errorf(switchyard.ECONFLICT,
			"The service no longer runs what %s deployed (it runs %s); roll back the change that came after instead.", short, lastSegment(running))
	}
	prev := target.PreviousTaskDefinition
	if prev == "" && len(sd.SourceServiceRevisions) == 1 {
		src := aws.ToString(sd.SourceServiceRevisions[0].Arn)
		if ref, ok := parseRevisionARN(src); ok && ref == lastSegment(env.Cluster)+"/"+lastSegment(env.Service) {
			prev = defs[src]
		}
	}
	if prev == "" {
		return nil, switchyard.Errorf(switchyard.ECONFLICT,
			"Cannot tell which task definition ran before %s; deploy the version you want instead.", short)
	}
	p, err := d.planRedeploy(ctx, c, env, svc, prev, id)
	if err != nil {
		return nil, err
	}
	strategy := strategyOf(svc.DeploymentConfiguration)
	p.Backend, p.Strategy, p.Config, p.Traffic = switchyard.BackendECS, &strategy, strategy.Type, switchyard.TrafficShape{}
	_, _, family := p.FamilyChange()
	_, _, repo := p.RepositoryChange()
	if family || repo {
		return &switchyard.RollbackResult{Kind: switchyard.NeedsConfirmation, Plan: p}, nil
	}
	newID, err := d.startNativeWith(ctx, c, p)
	if err != nil {
		return nil, err
	}
	return &switchyard.RollbackResult{Kind: switchyard.Redeployed, NewDeploymentID: newID, Plan: p}, nil
}

// latestSuccessful refuses unless deployment id is the newest successful
// deployment of env's service and none is under way.
func (d *Deployer) latestSuccessful(ctx context.Context, c Clients, env switchyard.Environment, id string) error {
	out, err := c.ServiceDeployments.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{
		Cluster: aws.String(env.Cluster), Service: aws.String(env.Service), MaxResults: aws.Int32(100),
	})
	if err != nil {
		return fail(err, "list service deployments of "+env.Service, "list the deployments of service "+env.Service)
	}
	list := out.ServiceDeployments
	sort.SliceStable(list, func(i, j int) bool { return aws.ToTime(list[i].CreatedAt).After(aws.ToTime(list[j].CreatedAt)) })
	for _, b := range list {
		arn := aws.ToString(b.ServiceDeploymentArn)
		switch {
		case isInFlight(b.Status):
			return alreadyRunning(arn, nil)
		case b.Status != ecstypes.ServiceDeploymentStatusSuccessful:
		case arn == id:
			return nil
		default:
			return switchyard.Errorf(switchyard.ECONFLICT,
				"Deployment %s is not the latest one of this service (%s came after); roll that one back instead.",
				switchyard.ShortID(id), switchyard.ShortID(arn))
		}
	}
	return switchyard.Errorf(switchyard.ECONFLICT, "Deployment %s is not among the service's recent deployments; deploy the version you want instead.", switchyard.ShortID(id))
}

func isInFlight(s ecstypes.ServiceDeploymentStatus) bool {
	for _, x := range inFlight {
		if s == x {
			return true
		}
	}
	return false
}

// parseRevisionARN reads CLUSTER/SERVICE from a service revision ARN
// (arn:…:service-revision/CLUSTER/SERVICE/ID).
func parseRevisionARN(arn string) (string, bool) {
	_, rest, ok := strings.Cut(arn, ":service-revision/")
	if !ok {
		return "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return "", false
	}
	return parts[0] + "/" + parts[1], true
}

// ContinueHook answers the pause hook hookID of ECS deployment id with
// CONTINUE, for by: the deployment goes on to its next stage. Only that
// hook is answered, so a click on one pause never lets a later one pass.
// Errors are *switchyard.Error: ECONFLICT when the hook is no longer
// awaiting action (continued, rolled back or timed out), ENOTFOUND for an
// unknown deployment.
func (d *Deployer) ContinueHook(ctx context.Context, env switchyard.Environment, id, hookID string, by switchyard.Actor) error {
	if err := nativeID(env, id); err != nil {
		return err
	}
	if !hookIDPattern.MatchString(hookID) {
		return switchyard.Errorf(switchyard.EINVALID, "%q is not a lifecycle hook id.", hookID)
	}
	c, err := d.writes(ctx, env, by)
	if err != nil {
		return err
	}
	short := switchyard.ShortID(id)
	_, err = c.ServiceControl.ContinueServiceDeployment(ctx, &ecs.ContinueServiceDeploymentInput{
		ServiceDeploymentArn: aws.String(id), HookId: aws.String(hookID), Action: ecstypes.DeploymentLifecycleHookActionContinue,
	}, ecsWrite)
	if err == nil {
		d.log.Info("continued a pause hook", zap.String("deployment_id", id), zap.String("hook_id", hookID), zap.String("who", by.User))
		return nil
	}
	cause := fmt.Errorf("continue service deployment %s hook %s: %w", id, hookID, err)
	switch apiCode(err) {
	case "InvalidParameterException":
		return switchyard.Wrap(switchyard.ECONFLICT, "Deployment "+short+" is no longer waiting at that pause: it was continued, rolled back or timed out.", cause)
	case "ServiceDeploymentNotFoundException":
		return switchyard.Wrap(switchyard.ENOTFOUND, "There is no deployment "+short+".", cause)
	}
	return fail(err, "continue service deployment "+id, "continue deployment "+short)
}
