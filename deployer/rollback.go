package deployer

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// Rollback undoes deployment target of env, as the bot knows it (its
// record: whether it is itself a rollback, and the task definition that ran
// before it); an ECS service deployment is rollbackNative's. While blue still exists (in progress, ready wait, termination
// wait) it stops the deployment with automatic rollback; after success it
// deploys the previous task definition revision again, through the same
// path as Start, unless that revision is of another family or image
// repository (NeedsConfirmation). It never undoes a rollback: that would
// bring back the version being withdrawn. It refuses with ECONFLICT when
// there is nothing to roll back, and names the reason; a deployment group
// busy with another deployment gives ECONFLICT with a *switchyard.BusyError.
func (d *Deployer) Rollback(ctx context.Context, env switchyard.Environment, target switchyard.Deployment, by switchyard.Actor) (*switchyard.RollbackResult, error) {
	if isNativeID(target.ID) {
		return d.rollbackNative(ctx, env, target, by)
	}
	id := target.ID
	if !validDeploymentID(id) {
		return nil, switchyard.Errorf(switchyard.EINVALID, "%q is not a CodeDeploy deployment id (d-XXXXXXXXX).", id)
	}
	c, err := d.writes(ctx, env, by)
	if err != nil {
		return nil, err
	}
	log := d.log.With(zap.String("deployment_id", id), zap.String("who", by.User))
	// Two rounds: a deployment may finish between reading and stopping it.
	for range 2 {
		info, err := d.getDeployment(ctx, c, id)
		if err != nil {
			return nil, err
		}
		if aws.ToString(info.ApplicationName) != env.Application || aws.ToString(info.DeploymentGroupName) != env.DeploymentGroup {
			return nil, switchyard.Errorf(switchyard.EINVALID, "Deployment %s belongs to %s/%s, not to this app.",
				id, aws.ToString(info.ApplicationName), aws.ToString(info.DeploymentGroupName))
		}
		st := statusOf(info)
		if err := refuseRollbackOfRollback(target, st); err != nil {
			return nil, err
		}
		switch {
		case !st.Status.Done():
			res, err := d.stopWithRollback(ctx, c, id)
			if apiCode(err) == "DeploymentAlreadyCompletedException" {
				continue
			}
			if err == nil {
				log.Info("stopped with rollback", zap.String("rollback_id", res.NewDeploymentID))
			}
			return res, err
		case st.Status == switchyard.StatusSucceeded:
			res, err := d.redeployPrevious(ctx, c, env, target, info, by)
			if err == nil && res.Kind == switchyard.Redeployed {
				log.Info("redeployed the previous revision", zap.String("rollback_id", res.NewDeploymentID),
					zap.String("task_definition", res.Plan.Deploy))
			}
			return res, err
		case st.RollbackID != "":
			return nil, switchyard.Errorf(switchyard.ECONFLICT,
				"CodeDeploy already put the previous version back: %s rolled back %s when it %s. Nothing to do.",
				st.RollbackID, id, strings.ToLower(string(st.Status)))
		default:
			return nil, switchyard.Errorf(switchyard.ECONFLICT,
				"Deployment %s already ended (%s) and its new version never took over, so there is nothing to roll back; deploy the version you want instead.",
				id, st.Status)
		}
	}
	return nil, switchyard.Errorf(switchyard.ECONFLICT, "Deployment %s changed while rolling it back; look at it again and retry.", id)
}

// refuseRollbackOfRollback refuses to undo a deployment that is itself a
// rollback, by the bot's record or by what CodeDeploy says of it: stopping
// or redeploying over it would bring back the version it withdraws.
func refuseRollbackOfRollback(target switchyard.Deployment, st *switchyard.Observation) error {
	of := target.RollbackOf
	if of == "" {
		of = st.RollbackOf
	}
	codeDeploy := st.Creator == switchyard.CreatorRollback
	if of == "" && !codeDeploy {
		return nil
	}
	if of == "" {
		of = "a failed deployment"
	}
	switch {
	case !st.Status.Done():
		return switchyard.Errorf(switchyard.ECONFLICT, "%s is already rolling back %s; let it finish.", st.ID, of)
	case codeDeploy:
		return switchyard.Errorf(switchyard.ECONFLICT,
			"CodeDeploy already put the previous version back: %s rolled back %s. Nothing to do.", st.ID, of)
	case st.Status == switchyard.StatusSucceeded:
		return switchyard.Errorf(switchyard.ECONFLICT,
			"%s already rolled back %s. Nothing to do; to ship that version again, deploy it with /deploy.", st.ID, of)
	default:
		return switchyard.Errorf(switchyard.ECONFLICT,
			"%s, the rollback of %s, %s; roll back %s again, or deploy the version you want.", st.ID, of, strings.ToLower(string(st.Status)), of)
	}
}

// stopWithRollback stops a running deployment and asks CodeDeploy to roll
// it back. The error keeps DeploymentAlreadyCompletedException's code for
// the caller to look again.
func (d *Deployer) stopWithRollback(ctx context.Context, c Clients, id string) (*switchyard.RollbackResult, error) {
	_, err := c.Control.StopDeployment(ctx, &codedeploy.StopDeploymentInput{
		DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true),
	}, codedeployWrite)
	if err != nil {
		switch apiCode(err) {
		case "DeploymentAlreadyCompletedException":
			return nil, err
		case "UnsupportedActionForDeploymentTypeException":
			return nil, switchyard.Wrap(switchyard.EUNIMPLEMENTED, "CodeDeploy cannot stop deployment "+id+".",
				fmt.Errorf("stop deployment %s: %w", id, err))
		}
		return nil, fail(err, "stop deployment "+id, "stop deployment "+id)
	}
	res := &switchyard.RollbackResult{Kind: switchyard.StoppedWithRollback}
	// The rollback deployment usually exists right away; if not, Describe
	// shows it later.
	if info, err := d.getDeployment(ctx, c, id); err == nil && info.RollbackInfo != nil {
		res.NewDeploymentID = aws.ToString(info.RollbackInfo.RollbackDeploymentId)
	}
	return res, nil
}

// redeployPrevious deploys again the task definition that ran before a
// successful deployment. What it deploys comes from the bot's record or from
// AWS (the previous successful deployment's revision), never from a
// description.
func (d *Deployer) redeployPrevious(ctx context.Context, c Clients, env switchyard.Environment, target switchyard.Deployment, info *cdtypes.DeploymentInfo, by switchyard.Actor) (*switchyard.RollbackResult, error) {
	st := statusOf(info)
	svc, g, err := d.readServiceAndGroup(ctx, c, env)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, switchyard.Errorf(switchyard.ECONFLICT,
			"Service %s is now deployed by ECS itself, so CodeDeploy cannot redeploy what ran before %s; deploy the version you want instead.", env.Service, st.ID)
	}
	running := lastSegment(aws.ToString(svc.TaskDefinition))
	switch {
	case g.active != "":
		return nil, alreadyRunning(g.active, nil)
	case g.lastSuccessful != "" && g.lastSuccessful != st.ID:
		return nil, switchyard.Errorf(switchyard.ECONFLICT,
			"Deployment %s is not the latest one of this service (%s came after); roll that one back instead.", st.ID, g.lastSuccessful)
	}
	// What the deployment deployed, as CodeDeploy ran it: its own AppSpec.
	deployed := d.revisionTaskDefinition(ctx, c, *info)
	if deployed == "" {
		deployed = target.TaskDefinition
	}
	if deployed != "" && lastSegment(deployed) != running {
		return nil, switchyard.Errorf(switchyard.ECONFLICT,
			"The service no longer runs what %s deployed (it runs task definition revision %s); roll back the change that came after instead.", st.ID, running)
	}
	prev := target.PreviousTaskDefinition
	if prev == "" {
		prev = d.previousFromHistory(ctx, c, env, st)
	}
	if prev == "" {
		return nil, switchyard.Errorf(switchyard.ECONFLICT,
			"Cannot tell which task definition ran before %s; deploy the version you want instead.", st.ID)
	}
	plan, err := d.planRollback(ctx, c, env, svc, g, prev, st.ID)
	if err != nil {
		return nil, err
	}
	_, _, family := plan.FamilyChange()
	_, _, repo := plan.RepositoryChange()
	if family || repo {
		return &switchyard.RollbackResult{Kind: switchyard.NeedsConfirmation, Plan: plan}, nil
	}
	desc := describeStart(by, plan)
	id, err := d.startWith(ctx, c, plan, desc, svc)
	if err != nil {
		return nil, err
	}
	return &switchyard.RollbackResult{Kind: switchyard.Redeployed, NewDeploymentID: id, Plan: plan}, nil
}

// planRollback plans deploying prev as it is, with the rollback config.
func (d *Deployer) planRollback(ctx context.Context, c Clients, env switchyard.Environment, svc *ecstypes.Service, g *group, prev, undoes string) (*switchyard.Plan, error) {
	p, err := d.planRedeploy(ctx, c, env, svc, prev, undoes)
	if err != nil {
		return nil, err
	}
	applyGroup(p, env, g, d.opts.RollbackConfig)
	shape, ok := predefinedShapes[p.Config]
	if !ok {
		if shape, err = d.describeConfig(ctx, c, p.Config); err != nil {
			return nil, err
		}
	}
	p.Traffic = shape
	return p, nil
}

// planRedeploy plans deploying prev, a task definition that ran before,
// as it is, in place of what svc runs: the part of a rollback's plan both
// backends share.
func (d *Deployer) planRedeploy(ctx context.Context, c Clients, env switchyard.Environment, svc *ecstypes.Service, prev, undoes string) (*switchyard.Plan, error) {
	p := &switchyard.Plan{App: env.Service, Env: env, ServiceARN: aws.ToString(svc.ServiceArn),
		TaskDefinition: aws.ToString(svc.TaskDefinition), RollbackOf: undoes, PlannedAt: d.opts.Now().UTC()}
	cur, err := d.readTaskDefinition(ctx, c, p.TaskDefinition, false)
	if err != nil {
		return nil, err
	}
	if err := pickContainers(p, env, svc, cur.TaskDefinition); err != nil {
		return nil, err
	}
	old, err := d.readTaskDefinition(ctx, c, prev, false)
	if err != nil {
		return nil, err
	}
	if old.TaskDefinition.Status == ecstypes.TaskDefinitionStatusInactive {
		return nil, switchyard.Errorf(switchyard.ECONFLICT,
			"The previous task definition revision %s was deregistered; deploy the version you want instead.", lastSegment(prev))
	}
	p.Deploy = aws.ToString(old.TaskDefinition.TaskDefinitionArn)
	for _, cd := range old.TaskDefinition.ContainerDefinitions {
		if aws.ToString(cd.Name) == p.Container {
			p.ImageNext = aws.ToString(cd.Image)
		}
	}
	p.Version = switchyard.VersionOf(p.ImageNext)
	return p, nil
}

// predefinedShapes are the traffic shapes of CodeDeploy's predefined ECS
// configs, which never change: reading them costs no call.
var predefinedShapes = map[string]switchyard.TrafficShape{
	"CodeDeployDefault.ECSAllAtOnce":                    {Type: switchyard.RoutingAllAtOnce},
	"CodeDeployDefault.ECSLinear10PercentEvery1Minutes": {Type: switchyard.RoutingLinear, Percent: 10, IntervalMinutes: 1},
	"CodeDeployDefault.ECSLinear10PercentEvery3Minutes": {Type: switchyard.RoutingLinear, Percent: 10, IntervalMinutes: 3},
	"CodeDeployDefault.ECSCanary10Percent5Minutes":      {Type: switchyard.RoutingCanary, Percent: 10, IntervalMinutes: 5},
	"CodeDeployDefault.ECSCanary10Percent15Minutes":     {Type: switchyard.RoutingCanary, Percent: 10, IntervalMinutes: 15},
}

// previousFromHistory finds the task definition of the group's last
// successful deployment before st, for deployments started outside the
// bot; "" when it cannot tell.
func (d *Deployer) previousFromHistory(ctx context.Context, c Clients, env switchyard.Environment, st *switchyard.Observation) string {
	list, err := c.History.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{
		ApplicationName:     aws.String(env.Application),
		DeploymentGroupName: aws.String(env.DeploymentGroup),
		IncludeOnlyStatuses: []cdtypes.DeploymentStatus{cdtypes.DeploymentStatusSucceeded},
		CreateTimeRange:     &cdtypes.TimeRange{End: aws.Time(st.Created)},
	})
	if err != nil {
		d.log.Debug("list deployments", zap.Error(err))
		return ""
	}
	infos, err := d.batchGet(ctx, c, without(list.Deployments, st.ID))
	if err != nil {
		d.log.Debug("batch get deployments", zap.Error(err))
		return ""
	}
	sort.Slice(infos, func(i, j int) bool { return aws.ToTime(infos[i].CreateTime).After(aws.ToTime(infos[j].CreateTime)) })
	for _, info := range infos {
		if !aws.ToTime(info.CreateTime).Before(st.Created) {
			continue
		}
		// The revision is what CodeDeploy deployed; the description is
		// only what someone wrote about it.
		return d.revisionTaskDefinition(ctx, c, info)
	}
	return ""
}

// revisionTaskDefinition reads the task definition from a deployment's
// AppSpec, which GetDeployment does not return but GetApplicationRevision
// does.
func (d *Deployer) revisionTaskDefinition(ctx context.Context, c Clients, info cdtypes.DeploymentInfo) string {
	if info.Revision == nil {
		return ""
	}
	out, err := c.Groups.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{
		ApplicationName: info.ApplicationName, Revision: info.Revision,
	})
	if err != nil {
		d.log.Debug("get application revision", zap.String("deployment_id", aws.ToString(info.DeploymentId)), zap.Error(err))
		return ""
	}
	if out.Revision == nil || out.Revision.AppSpecContent == nil {
		return ""
	}
	return appSpecTaskDefinition(aws.ToString(out.Revision.AppSpecContent.Content))
}

func without(ids []string, id string) []string {
	out := make([]string, 0, len(ids))
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

// Continue ends a wait of deployment id: WaitReady moves traffic to green
// now, WaitTermination finishes the deployment now. ECONFLICT when the
// deployment is not in that wait.
func (d *Deployer) Continue(ctx context.Context, env switchyard.Environment, id string, wait switchyard.Wait, by switchyard.Actor) error {
	if isNativeID(id) {
		return switchyard.Errorf(switchyard.EINVALID,
			"An ECS deployment waits only at its pause hooks, and each is answered by its own id (Continue on the card).")
	}
	if !validDeploymentID(id) {
		return switchyard.Errorf(switchyard.EINVALID, "%q is not a CodeDeploy deployment id (d-XXXXXXXXX).", id)
	}
	waitType, ok := waitTypes[wait]
	if !ok {
		return switchyard.Errorf(switchyard.EINVALID, "%q is not a wait a deployment can be continued from.", wait)
	}
	c, err := d.writes(ctx, env, by)
	if err != nil {
		return err
	}
	_, err = c.Control.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{
		DeploymentId: aws.String(id), DeploymentWaitType: waitType,
	}, codedeployWrite)
	if err == nil {
		d.log.Info("continued", zap.String("deployment_id", id), zap.String("wait", string(wait)), zap.String("who", by.User))
		return nil
	}
	cause := fmt.Errorf("continue deployment %s: %w", id, err)
	switch apiCode(err) {
	case "DeploymentIsNotInReadyStateException":
		what := "for traffic to be shifted"
		if wait == switchyard.WaitTermination {
			what = "to delete the old version"
		}
		return switchyard.Wrap(switchyard.ECONFLICT, "Deployment "+id+" is not waiting "+what+".", cause)
	case "DeploymentAlreadyCompletedException":
		return switchyard.Wrap(switchyard.ECONFLICT, "Deployment "+id+" has already finished.", cause)
	case "DeploymentDoesNotExistException":
		return switchyard.Wrap(switchyard.ENOTFOUND, "There is no deployment "+id+".", cause)
	case "UnsupportedActionForDeploymentTypeException":
		return switchyard.Wrap(switchyard.EUNIMPLEMENTED, "CodeDeploy cannot continue deployment "+id+" that way.", cause)
	}
	return fail(err, "continue deployment "+id, "continue deployment "+id)
}

// waitTypes are CodeDeploy's names of the waits a person can end.
var waitTypes = map[switchyard.Wait]cdtypes.DeploymentWaitType{
	switchyard.WaitReady:       cdtypes.DeploymentWaitTypeReadyWait,
	switchyard.WaitTermination: cdtypes.DeploymentWaitTypeTerminationWait,
}
