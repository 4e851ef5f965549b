package deployer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// Start carries out a plan. For the ECS backend see startNative. For
// CodeDeploy it re-reads the service and the deployment group, clones the current task definition with only the planned
// container's image changed, registers the clone and creates the CodeDeploy
// deployment. The description names the actor's user, channel and request,
// for people reading the console and for the bot to find the request again
// (a hint it verifies; nothing else reads it). It returns the deployment id.
//
// Errors are *switchyard.Error: ECONFLICT when a deployment is already
// running ("a deployment is already running: d-…") or the service changed
// since the plan; the codes of fail otherwise. A plan is started in at most
// five AWS calls.
func (d *Deployer) Start(ctx context.Context, plan *switchyard.Plan, by switchyard.Actor) (string, error) {
	if plan == nil {
		return "", switchyard.Errorf(switchyard.EINVALID, "There is no plan to start.")
	}
	if plan.Backend == switchyard.BackendECS {
		return d.startNative(ctx, plan, by)
	}
	desc := describeStart(by, plan)
	return d.start(ctx, plan, desc, by)
}

// start is Start with the description already written.
func (d *Deployer) start(ctx context.Context, plan *switchyard.Plan, desc description, by switchyard.Actor) (string, error) {
	env := plan.Env
	if err := checkEnv(env); err != nil {
		return "", err
	}
	c, err := d.writes(ctx, env, by)
	if err != nil {
		return "", err
	}
	svc, g, err := d.readServiceAndGroup(ctx, c, env)
	if err != nil {
		return "", err
	}
	if g == nil {
		return "", switchyard.Errorf(switchyard.ECONFLICT,
			"Service %s is now deployed by ECS itself, not by CodeDeploy; plan the deployment again.", env.Service)
	}
	if now := aws.ToString(svc.TaskDefinition); now != plan.TaskDefinition {
		return "", switchyard.Errorf(switchyard.ECONFLICT,
			"%s changed since this was planned: its service now runs task definition revision %s, not %s. Plan the deployment again.",
			plan.App, lastSegment(now), lastSegment(plan.TaskDefinition))
	}
	if g.active != "" {
		return "", alreadyRunning(g.active, nil)
	}
	return d.startWith(ctx, c, plan, desc, svc)
}

// startWith registers the clone (unless the plan deploys a task definition
// as it is) and creates the deployment, with svc freshly read.
func (d *Deployer) startWith(ctx context.Context, c Clients, plan *switchyard.Plan, desc description, svc *ecstypes.Service) (string, error) {
	env := plan.Env
	log := d.log.With(zap.String("app", plan.App), zap.String("service", env.Service))
	taskDef := plan.Deploy
	var err error
	if taskDef == "" {
		taskDef, err = d.registerClone(ctx, c, plan)
		if err != nil {
			return "", err
		}
	}
	desc.TaskDef, desc.Previous = lastSegment(taskDef), lastSegment(plan.TaskDefinition)

	content, err := appSpec(taskDef, plan, svc)
	if err != nil {
		return "", switchyard.Wrap(switchyard.EINTERNAL, "Could not write the AppSpec.", fmt.Errorf("appspec: %w", err))
	}
	sum := sha256.Sum256([]byte(content))
	out, err := c.Deployments.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{
		ApplicationName:      aws.String(env.Application),
		DeploymentGroupName:  aws.String(env.DeploymentGroup),
		DeploymentConfigName: aws.String(plan.Config),
		Description:          aws.String(desc.String()),
		Revision: &cdtypes.RevisionLocation{
			RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{
				Content: aws.String(content),
				Sha256:  aws.String(hex.EncodeToString(sum[:])),
			},
		},
	}, codedeployWrite)
	if err != nil {
		if apiCode(err) == "DeploymentLimitExceededException" {
			id := deploymentIDIn(err)
			if id == "" {
				id = d.activeDeployment(ctx, c, env)
			}
			return "", alreadyRunning(id, err)
		}
		log.Warn("create deployment failed; the registered task definition stays unused",
			zap.String("task_definition", taskDef), zap.Error(err))
		return "", fail(err, "create deployment", "start the CodeDeploy deployment of "+plan.App)
	}
	id := aws.ToString(out.DeploymentId)
	d.memo.putTaskSets(id, plan.TaskDefinition, taskDef)
	log.Info("deployment started", zap.String("deployment_id", id), zap.String("task_definition", taskDef),
		zap.String("image", plan.ImageNext), zap.String("config", plan.Config))
	return id, nil
}

// alreadyRunning is the refusal of a start while the group runs deployment
// id; the cause carries a *switchyard.BusyError naming it.
func alreadyRunning(id string, cause error) error {
	msg := "A deployment is already running"
	if id != "" {
		msg = "A deployment is already running: " + id
	}
	var err error = &switchyard.BusyError{Active: id}
	if cause != nil {
		err = fmt.Errorf("create deployment: %w: %w", err, cause)
	}
	return switchyard.Wrap(switchyard.ECONFLICT, msg, err)
}

// activeStatuses are the statuses of a deployment that holds the group.
var activeStatuses = []cdtypes.DeploymentStatus{
	cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued, cdtypes.DeploymentStatusInProgress,
	cdtypes.DeploymentStatusReady, cdtypes.DeploymentStatusBaking,
}

// activeDeployment looks up the deployment that holds the group, or "".
func (d *Deployer) activeDeployment(ctx context.Context, c Clients, env switchyard.Environment) string {
	out, err := c.History.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{
		ApplicationName:     aws.String(env.Application),
		DeploymentGroupName: aws.String(env.DeploymentGroup),
		IncludeOnlyStatuses: activeStatuses,
	})
	if err != nil || len(out.Deployments) == 0 {
		return ""
	}
	return out.Deployments[0]
}

// registerClone registers a copy of the plan's task definition with the
// one container's image changed, and returns the new revision's ARN.
func (d *Deployer) registerClone(ctx context.Context, c Clients, plan *switchyard.Plan) (string, error) {
	cur, err := d.readTaskDefinition(ctx, c, plan.TaskDefinition, true)
	if err != nil {
		return "", err
	}
	in, dropped, err := cloneTaskDefinition(cur.TaskDefinition, cur.Tags, plan.Container, plan.ImageNext)
	if err != nil {
		return "", err
	}
	if len(dropped) > 0 {
		d.log.Info("tags reserved by AWS are not copied", zap.Strings("tags", dropped))
	}
	out, err := c.ECS.RegisterTaskDefinition(ctx, in, ecsWrite)
	if err != nil {
		return "", fail(err, "register task definition "+aws.ToString(in.Family),
			"register the new task definition of "+plan.App)
	}
	if out.TaskDefinition == nil {
		return "", switchyard.Errorf(switchyard.EINTERNAL, "ECS returned no registered task definition.")
	}
	arn := aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	d.memo.putImages(arn, imagesOf(out.TaskDefinition.ContainerDefinitions))
	return arn, nil
}

// cloneTaskDefinition builds the registration of a copy of td where only
// container's image is image. Every field RegisterTaskDefinition accepts is
// kept; the read-only ones (ARN, revision, status, requiresAttributes,
// compatibilities, registration and deregistration stamps) are left out, as
// are tags with the reserved "aws:" prefix, which ECS refuses to take.
func cloneTaskDefinition(td *ecstypes.TaskDefinition, tags []ecstypes.Tag, container, image string) (*ecs.RegisterTaskDefinitionInput, []string, error) {
	defs := make([]ecstypes.ContainerDefinition, len(td.ContainerDefinitions))
	copy(defs, td.ContainerDefinitions)
	found := false
	for i := range defs {
		if aws.ToString(defs[i].Name) == container {
			defs[i].Image = aws.String(image)
			found = true
		}
	}
	if !found {
		return nil, nil, switchyard.Errorf(switchyard.EINVALID, "Task definition %s has no container named %s.",
			lastSegment(aws.ToString(td.TaskDefinitionArn)), container)
	}
	var keep []ecstypes.Tag
	var dropped []string
	for _, t := range tags {
		if strings.HasPrefix(strings.ToLower(aws.ToString(t.Key)), "aws:") {
			dropped = append(dropped, aws.ToString(t.Key))
			continue
		}
		keep = append(keep, t)
	}
	return &ecs.RegisterTaskDefinitionInput{
		Family:                        td.Family,
		ContainerDefinitions:          defs,
		Cpu:                           td.Cpu,
		Memory:                        td.Memory,
		TaskRoleArn:                   td.TaskRoleArn,
		ExecutionRoleArn:              td.ExecutionRoleArn,
		NetworkMode:                   td.NetworkMode,
		Volumes:                       td.Volumes,
		PlacementConstraints:          td.PlacementConstraints,
		RequiresCompatibilities:       td.RequiresCompatibilities,
		PidMode:                       td.PidMode,
		IpcMode:                       td.IpcMode,
		ProxyConfiguration:            td.ProxyConfiguration,
		InferenceAccelerators:         td.InferenceAccelerators,
		EphemeralStorage:              td.EphemeralStorage,
		RuntimePlatform:               td.RuntimePlatform,
		EnableFaultInjection:          td.EnableFaultInjection,
		TrustedExecutionConfiguration: td.TrustedExecutionConfiguration,
		Tags:                          keep,
	}, dropped, nil
}
