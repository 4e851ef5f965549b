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

// RollbackKind says how a rollback was done.
type RollbackKind string

// Rollback kinds.
const (
	// StoppedWithRollback: the deployment was still running (blue alive),
	// so it was stopped and CodeDeploy moved traffic back to blue in a
	// rollback deployment of its own.
	StoppedWithRollback RollbackKind = "stopped-with-rollback"
	// Redeployed: the deployment had succeeded and blue was gone, so the
	// previous task definition revision was deployed anew.
	Redeployed RollbackKind = "redeployed"
	// NeedsConfirmation: the previous revision belongs to another task
	// definition family or image repository than what runs now, so
	// nothing was started; Plan is what would be deployed, for a person
	// to confirm (Start it then).
	NeedsConfirmation RollbackKind = "needs-confirmation"
)

// Result is the outcome of a rollback.
type Result struct {
	Kind RollbackKind `json:"kind"`
	// NewDeploymentID is the deployment that carries the rollback. After a
	// stop CodeDeploy creates it shortly after; it may be empty then, and
	// Describe of the stopped deployment shows it as RollbackID later.
	NewDeploymentID string `json:"new_deployment_id,omitempty"`
	// Plan is the redeployment's plan (Redeployed, NeedsConfirmation).
	Plan *Plan `json:"plan,omitempty"`
}

// Rollback undoes deployment target of env, as the bot knows it (its
// record: whether it is itself a rollback, and the task definition that ran
// before it). While blue still exists (in progress, ready wait, termination
// wait) it stops the deployment with automatic rollback; after success it
// deploys the previous task definition revision again, through the same
// path as Start, unless that revision is of another family or image
// repository (NeedsConfirmation). It never undoes a rollback: that would
// bring back the version being withdrawn. It refuses with ECONFLICT when
// there is nothing to roll back, and names the reason; a deployment group
// busy with another deployment gives ECONFLICT with a *switchyard.BusyError.
func (d *Deployer) Rollback(ctx context.Context, env switchyard.Environment, target switchyard.Deployment, who string) (*Result, error) {
	id := target.ID
	if !validDeploymentID(id) {
		return nil, switchyard.Errorf(switchyard.EINVALID, "%q is not a CodeDeploy deployment id (d-XXXXXXXXX).", id)
	}
	c := d.clients(env.Region)
	log := d.log.With(zap.String("deployment_id", id), zap.String("who", who))
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
			res, err := d.redeployPrevious(ctx, c, env, target, info, who)
			if err == nil && res.Kind == Redeployed {
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
func refuseRollbackOfRollback(target switchyard.Deployment, st *Status) error {
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
func (d *Deployer) stopWithRollback(ctx context.Context, c Clients, id string) (*Result, error) {
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
	res := &Result{Kind: StoppedWithRollback}
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
func (d *Deployer) redeployPrevious(ctx context.Context, c Clients, env switchyard.Environment, target switchyard.Deployment, info *cdtypes.DeploymentInfo, who string) (*Result, error) {
	st := statusOf(info)
	svc, g, err := d.readServiceAndGroup(ctx, c, env)
	if err != nil {
		return nil, err
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
			"The service no longer runs what %s deployed (it runs %s); roll back the change that came after instead.", st.ID, running)
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
		return &Result{Kind: NeedsConfirmation, Plan: plan}, nil
	}
	desc := description{Rollback: true, Who: who, App: plan.App, Version: plan.Version, Undoes: st.ID}
	id, err := d.startWith(ctx, c, plan, desc, svc)
	if err != nil {
		return nil, err
	}
	return &Result{Kind: Redeployed, NewDeploymentID: id, Plan: plan}, nil
}

// planRollback plans deploying prev as it is, with the rollback config.
func (d *Deployer) planRollback(ctx context.Context, c Clients, env switchyard.Environment, svc *ecstypes.Service, g *group, prev, undoes string) (*Plan, error) {
	p := &Plan{App: env.Service, Env: env, ServiceARN: aws.ToString(svc.ServiceArn),
		TaskDefinition: aws.ToString(svc.TaskDefinition), RollbackOf: undoes, PlannedAt: d.opts.Now().UTC()}
	cur, err := d.readTaskDefinition(ctx, c, p.TaskDefinition, false)
	if err != nil {
		return nil, err
	}
	if err := p.pickContainers(env, svc, cur.TaskDefinition); err != nil {
		return nil, err
	}
	old, err := d.readTaskDefinition(ctx, c, prev, false)
	if err != nil {
		return nil, err
	}
	if old.TaskDefinition.Status == ecstypes.TaskDefinitionStatusInactive {
		return nil, switchyard.Errorf(switchyard.ECONFLICT,
			"The previous task definition %s was deregistered; deploy the version you want instead.", lastSegment(prev))
	}
	p.Deploy = aws.ToString(old.TaskDefinition.TaskDefinitionArn)
	for _, cd := range old.TaskDefinition.ContainerDefinitions {
		if aws.ToString(cd.Name) == p.Container {
			p.ImageNext = aws.ToString(cd.Image)
		}
	}
	p.Version = parseImage(p.ImageNext).Label()
	if err := p.applyGroup(env, g, d.opts.RollbackConfig); err != nil {
		return nil, err
	}
	p.ConfigWords = "as the rollback config " + p.Config + " says"
	if p.Config == "CodeDeployDefault.ECSAllAtOnce" {
		p.ConfigWords = "all traffic at once"
	}
	return p, nil
}

// previousFromHistory finds the task definition of the group's last
// successful deployment before st, for deployments started outside the
// bot; "" when it cannot tell.
func (d *Deployer) previousFromHistory(ctx context.Context, c Clients, env switchyard.Environment, st *Status) string {
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

// Wait is a wait a deployment can be told to end.
type Wait string

// Waits of ContinueDeployment.
const (
	// WaitReady shifts traffic now to a deployment waiting in Ready.
	WaitReady Wait = "READY_WAIT"
	// WaitTermination deletes blue now instead of at the end of the
	// termination wait.
	WaitTermination Wait = "TERMINATION_WAIT"
)

// Continue ends a wait of deployment id: WaitReady moves traffic to green
// now, WaitTermination finishes the deployment now. ECONFLICT when the
// deployment is not in that wait.
func (d *Deployer) Continue(ctx context.Context, env switchyard.Environment, id string, wait Wait) error {
	if !validDeploymentID(id) {
		return switchyard.Errorf(switchyard.EINVALID, "%q is not a CodeDeploy deployment id (d-XXXXXXXXX).", id)
	}
	if wait != WaitReady && wait != WaitTermination {
		return switchyard.Errorf(switchyard.EINVALID, "%q is not a wait a deployment can be continued from.", wait)
	}
	_, err := d.clients(env.Region).Control.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{
		DeploymentId: aws.String(id), DeploymentWaitType: cdtypes.DeploymentWaitType(wait),
	}, codedeployWrite)
	if err == nil {
		d.log.Info("continued", zap.String("deployment_id", id), zap.String("wait", string(wait)))
		return nil
	}
	cause := fmt.Errorf("continue deployment %s: %w", id, err)
	switch apiCode(err) {
	case "DeploymentIsNotInReadyStateException":
		what := "for traffic to be shifted"
		if wait == WaitTermination {
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
