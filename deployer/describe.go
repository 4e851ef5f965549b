package deployer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// Describe reads deployment id of env (an ECS service deployment ARN:
// describeNative): its status, lifecycle events,
// traffic split and task counts, error, rollback links, and the task
// definitions and images involved. It takes two AWS calls, plus one while
// the deployment runs for a deployment started outside the bot and one per
// task definition never seen before. Errors are *switchyard.Error, ENOTFOUND
// for an unknown id.
func (d *Deployer) Describe(ctx context.Context, env switchyard.Environment, id string) (*switchyard.Observation, error) {
	if isNativeID(id) {
		return d.describeNative(ctx, env, id)
	}
	if !validDeploymentID(id) {
		return nil, switchyard.Errorf(switchyard.EINVALID, "%q is not a CodeDeploy deployment id (d-XXXXXXXXX).", id)
	}
	c, err := d.reads(ctx, env, "")
	if err != nil {
		return nil, err
	}
	info, err := d.getDeployment(ctx, c, id)
	if err != nil {
		return nil, err
	}
	st := statusOf(info)
	st.Region = env.Region
	if err := d.readTarget(ctx, c, env, st); err != nil {
		return nil, err
	}
	d.fillTaskDefinitions(ctx, c, env, st)
	st.Next = d.nextOf(ctx, c, info, st)
	return st, nil
}

func (d *Deployer) getDeployment(ctx context.Context, c Clients, id string) (*cdtypes.DeploymentInfo, error) {
	out, err := c.Deployments.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		if apiCode(err) == "DeploymentDoesNotExistException" {
			return nil, switchyard.Wrap(switchyard.ENOTFOUND, "There is no deployment "+id+".",
				fmt.Errorf("get deployment %s: %w", id, err))
		}
		return nil, fail(err, "get deployment "+id, "read deployment "+id)
	}
	if out.DeploymentInfo == nil {
		return nil, switchyard.Errorf(switchyard.EINTERNAL, "CodeDeploy returned no deployment %s.", id)
	}
	return out.DeploymentInfo, nil
}

// statusOf reads what GetDeployment and BatchGetDeployments tell.
func statusOf(info *cdtypes.DeploymentInfo) *switchyard.Observation {
	st := &switchyard.Observation{
		ID:              aws.ToString(info.DeploymentId),
		Application:     aws.ToString(info.ApplicationName),
		DeploymentGroup: aws.ToString(info.DeploymentGroupName),
		Status:          switchyard.Status(info.Status),
		Creator:         string(info.Creator),
		Description:     aws.ToString(info.Description),
		Config:          aws.ToString(info.DeploymentConfigName),
		Created:         timeOf(info.CreateTime),
		Started:         timeOf(info.StartTime),
		Completed:       timeOf(info.CompleteTime),
	}
	st.BlueAlive = !st.Status.Done()
	switch {
	case st.Status.Done():
	case info.InstanceTerminationWaitTimeStarted:
		st.Waiting = switchyard.WaitTermination
	case st.Status == switchyard.StatusReady:
		st.Waiting = switchyard.WaitReady
	}
	if e := info.ErrorInformation; e != nil {
		st.ErrorCode, st.ErrorText = string(e.Code), aws.ToString(e.Message)
	}
	if r := info.RollbackInfo; r != nil {
		st.RollbackID = aws.ToString(r.RollbackDeploymentId)
		st.RollbackOf = aws.ToString(r.RollbackTriggeringDeploymentId)
		st.RollbackMessage = aws.ToString(r.RollbackMessage)
	}
	// The AppSpec names the task definition deployed: all that is left of
	// it once the task sets are gone, for a deployment first seen after it
	// ended. Only a well-formed family:revision is taken.
	if r := info.Revision; r != nil && r.AppSpecContent != nil {
		if td := lastSegment(appSpecTaskDefinition(aws.ToString(r.AppSpecContent.Content))); taskDefPattern.MatchString(td) {
			st.TaskDefinition = td
		}
	}
	// The description is text anyone who may create deployments writes:
	// who asked, the version and what a rollback deploys are never taken
	// from it (the bot keeps its own in the store); the request it names is
	// only a hint for the store to verify.
	if desc, ok := parseDescription(st.Description); ok {
		st.RequestID = desc.Request
	}
	return st
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// readTarget adds the ECS target's lifecycle events and task sets. A
// deployment whose target does not exist yet has no stages; that is not an
// error.
func (d *Deployer) readTarget(ctx context.Context, c Clients, env switchyard.Environment, st *switchyard.Observation) error {
	targetID := lastSegment(env.Cluster) + ":" + lastSegment(env.Service)
	out, err := c.Targets.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{
		DeploymentId: aws.String(st.ID), TargetId: aws.String(targetID),
	})
	if apiCode(err) == "DeploymentTargetDoesNotExistException" {
		// The group may name the service differently (an ARN); ask.
		list, lerr := c.Targets.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(st.ID)})
		switch {
		case apiCode(lerr) == "DeploymentNotStartedException":
			return nil
		case lerr != nil:
			return fail(lerr, "list deployment targets "+st.ID, "read the target of deployment "+st.ID)
		case len(list.TargetIds) == 0 || list.TargetIds[0] == targetID:
			return nil
		}
		out, err = c.Targets.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{
			DeploymentId: aws.String(st.ID), TargetId: aws.String(list.TargetIds[0]),
		})
	}
	if err != nil {
		switch apiCode(err) {
		case "DeploymentNotStartedException", "DeploymentTargetDoesNotExistException":
			return nil
		}
		return fail(err, "get deployment target "+st.ID, "read the target of deployment "+st.ID)
	}
	if out.DeploymentTarget == nil || out.DeploymentTarget.EcsTarget == nil {
		return nil
	}
	t := out.DeploymentTarget.EcsTarget
	st.TargetStatus = string(t.Status)
	for _, ev := range t.LifecycleEvents {
		st.Stages = append(st.Stages, switchyard.Stage{
			Name:       aws.ToString(ev.LifecycleEventName),
			Status:     switchyard.StageStatus(ev.Status),
			Start:      timeOf(ev.StartTime),
			End:        timeOf(ev.EndTime),
			Diagnostic: diagnostic(ev.Diagnostics),
		})
	}
	for _, ts := range t.TaskSetsInfo {
		set := &switchyard.TaskSet{
			ID: aws.ToString(ts.Identifer), Status: aws.ToString(ts.Status), Weight: ts.TrafficWeight,
			Desired: ts.DesiredCount, Pending: ts.PendingCount, Running: ts.RunningCount,
		}
		if ts.TargetGroup != nil {
			set.TargetGroup = aws.ToString(ts.TargetGroup.Name)
		}
		switch ts.TaskSetLabel {
		case cdtypes.TargetLabelBlue:
			st.Blue, st.Traffic.Blue = set, ts.TrafficWeight
		case cdtypes.TargetLabelGreen:
			st.Green, st.Traffic.Green = set, ts.TrafficWeight
		}
	}
	return nil
}

// diagnostic is a lifecycle event's explanation of a failure.
func diagnostic(dg *cdtypes.Diagnostics) string {
	if dg == nil {
		return ""
	}
	var parts []string
	if m := strings.TrimSpace(aws.ToString(dg.Message)); m != "" {
		parts = append(parts, m)
	} else if dg.ErrorCode != "" {
		parts = append(parts, string(dg.ErrorCode))
	}
	if s := aws.ToString(dg.ScriptName); s != "" {
		parts = append(parts, "(hook "+s+")")
	}
	return strings.Join(parts, " ")
}

// fillTaskDefinitions finds the blue and green task definitions and the
// images of the app's container in them. It is best effort: what cannot be
// read stays empty and is logged.
func (d *Deployer) fillTaskDefinitions(ctx context.Context, c Clients, env switchyard.Environment, st *switchyard.Observation) {
	known := d.memo.taskSets(st.ID)
	if st.Previous == "" {
		st.Previous = known[0]
	}
	if st.TaskDefinition == "" {
		st.TaskDefinition = known[1]
	}
	if (st.Previous == "" || st.TaskDefinition == "") && !st.Status.Done() && (st.Blue != nil || st.Green != nil) {
		if svc, err := d.readService(ctx, c, env); err == nil {
			for _, ts := range svc.TaskSets {
				id, td := aws.ToString(ts.Id), aws.ToString(ts.TaskDefinition)
				if st.Blue != nil && id == st.Blue.ID && st.Previous == "" {
					st.Previous = td
				}
				if st.Green != nil && id == st.Green.ID && st.TaskDefinition == "" {
					st.TaskDefinition = td
				}
			}
			d.memo.putTaskSets(st.ID, st.Previous, st.TaskDefinition)
		} else {
			d.log.Debug("read task sets", zap.String("deployment_id", st.ID), zap.Error(err))
		}
	}
	st.ImageBefore = d.imageOf(ctx, c, env, st.Previous)
	st.ImageAfter = d.imageOf(ctx, c, env, st.TaskDefinition)
	st.Previous, st.TaskDefinition = lastSegment(st.Previous), lastSegment(st.TaskDefinition)
}

// imageOf is the image of the app's container in a task definition, from
// memory or one DescribeTaskDefinition.
func (d *Deployer) imageOf(ctx context.Context, c Clients, env switchyard.Environment, taskDef string) string {
	if taskDef == "" {
		return ""
	}
	if img, ok := d.memo.image(taskDef, env.Container); ok {
		return img
	}
	out, err := d.readTaskDefinition(ctx, c, taskDef, false)
	if err != nil {
		d.log.Debug("read task definition", zap.String("task_definition", taskDef), zap.Error(err))
		return ""
	}
	img, _ := d.memo.image(aws.ToString(out.TaskDefinition.TaskDefinitionArn), env.Container)
	return img
}
