package deployer

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// describeNative is Describe of an ECS service deployment: one
// DescribeServiceDeployments, plus one DescribeServiceRevisions the first
// time this process sees its revisions (which never change).
func (d *Deployer) describeNative(ctx context.Context, env switchyard.Environment, id string) (*switchyard.Observation, error) {
	if err := nativeID(env, id); err != nil {
		return nil, err
	}
	c, err := d.reads(ctx, env, "")
	if err != nil {
		return nil, err
	}
	sd, err := d.readServiceDeployment(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return d.observe(ctx, c, env, sd), nil
}

// readServiceDeployment reads one service deployment.
func (d *Deployer) readServiceDeployment(ctx context.Context, c Clients, id string) (*ecstypes.ServiceDeployment, error) {
	short := switchyard.ShortID(id)
	out, err := c.ServiceDeployments.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{id}})
	if err != nil {
		if apiCode(err) == "ServiceDeploymentNotFoundException" {
			return nil, switchyard.Wrap(switchyard.ENOTFOUND, "There is no deployment "+short+".", fmt.Errorf("describe service deployment %s: %w", id, err))
		}
		return nil, fail(err, "describe service deployment "+id, "read deployment "+short)
	}
	for i := range out.ServiceDeployments {
		if aws.ToString(out.ServiceDeployments[i].ServiceDeploymentArn) == id {
			return &out.ServiceDeployments[i], nil
		}
	}
	return nil, switchyard.Errorf(switchyard.ENOTFOUND, "There is no deployment %s.", short)
}

// statusOfNative maps ECS's status onto the domain's.
func statusOfNative(s ecstypes.ServiceDeploymentStatus) switchyard.Status {
	switch s {
	case ecstypes.ServiceDeploymentStatusPending:
		return switchyard.StatusCreated
	case ecstypes.ServiceDeploymentStatusSuccessful:
		return switchyard.StatusSucceeded
	case ecstypes.ServiceDeploymentStatusStopped:
		return switchyard.StatusStopped
	case ecstypes.ServiceDeploymentStatusStopRequested:
		return switchyard.StatusStopping
	case ecstypes.ServiceDeploymentStatusRollbackRequested, ecstypes.ServiceDeploymentStatusRollbackInProgress:
		return switchyard.StatusRollingBack
	case ecstypes.ServiceDeploymentStatusRollbackSuccessful:
		return switchyard.StatusRolledBack
	case ecstypes.ServiceDeploymentStatusRollbackFailed:
		return switchyard.StatusRollbackFailed
	}
	return switchyard.StatusInProgress
}

// observe turns a service deployment into an observation.
func (d *Deployer) observe(ctx context.Context, c Clients, env switchyard.Environment, sd *ecstypes.ServiceDeployment) *switchyard.Observation {
	s := strategyOf(sd.DeploymentConfiguration)
	o := &switchyard.Observation{
		ID: aws.ToString(sd.ServiceDeploymentArn), Backend: switchyard.BackendECS, Region: env.Region,
		Status: statusOfNative(sd.Status), Config: s.Type,
		Created: timeOf(sd.CreatedAt), Started: timeOf(sd.StartedAt), Completed: timeOf(sd.FinishedAt),
	}
	o.Traffic.Green = weightOf(sd.TargetServiceRevision, prodWeight)
	var previous *ecstypes.ServiceRevisionSummary
	for i := range sd.SourceServiceRevisions {
		src := &sd.SourceServiceRevisions[i]
		o.Traffic.Blue += weightOf(src, prodWeight)
		if previous == nil || weightOf(src, prodWeight) > weightOf(previous, prodWeight) {
			previous = src
		}
	}
	arns := []string{}
	if sd.TargetServiceRevision != nil {
		arns = append(arns, aws.ToString(sd.TargetServiceRevision.Arn))
	}
	if previous != nil {
		arns = append(arns, aws.ToString(previous.Arn))
	}
	defs := d.revisionTaskDefinitions(ctx, c, arns)
	if sd.TargetServiceRevision != nil {
		td := defs[aws.ToString(sd.TargetServiceRevision.Arn)]
		o.TaskDefinition, o.ImageAfter = lastSegment(td), d.imageOf(ctx, c, env, td)
	}
	if previous != nil {
		td := defs[aws.ToString(previous.Arn)]
		o.Previous, o.ImageBefore = lastSegment(td), d.imageOf(ctx, c, env, td)
	}

	ongoing := sd.Status == ecstypes.ServiceDeploymentStatusPending || sd.Status == ecstypes.ServiceDeploymentStatusInProgress
	o.BlueAlive = ongoing && string(sd.LifecycleStage) != switchyard.ECSCleanUp
	pause, pausing := pendingPause(sd, s)
	pausing = pausing && sd.Status == ecstypes.ServiceDeploymentStatusInProgress
	if pausing {
		o.Waiting, o.Pause = switchyard.WaitPause, pause
	}
	failed := ""
	if !ongoing && sd.Status != ecstypes.ServiceDeploymentStatusSuccessful {
		o.ErrorText = aws.ToString(sd.StatusReason)
		if r := sd.Rollback; r != nil && aws.ToString(r.Reason) != "" {
			o.ErrorText = aws.ToString(r.Reason)
		}
		switch {
		case sd.Alarms != nil && sd.Alarms.Status == ecstypes.ServiceDeploymentRollbackMonitorsStatusTriggered:
			o.ErrorCode = switchyard.ErrorAlarm
			o.Alarms = triggeredAlarms(sd.Alarms)
		case hookFailed(sd):
			o.ErrorCode = switchyard.ErrorHookFailed
			failed = failedStage(sd, s)
		}
	}
	o.Stages = nativeStages(sd, s, pausing, failed)
	o.Next = nextNative(sd, s, pausing)
	return o
}

// triggeredAlarms are the watched alarms, those ECS says triggered in
// ALARM: ECS's own word for why, in case CloudWatch says otherwise by the
// time the card is drawn.
func triggeredAlarms(a *ecstypes.ServiceDeploymentAlarms) []switchyard.Alarm {
	var out []switchyard.Alarm
	for _, n := range a.AlarmNames {
		st := switchyard.AlarmUnknown
		for _, t := range a.TriggeredAlarmNames {
			if t == n {
				st = switchyard.AlarmFiring
			}
		}
		out = append(out, switchyard.Alarm{Name: n, State: st})
	}
	return out
}

// revisionTaskDefinitions maps service revision ARNs to the task
// definitions they run, and remembers each revision's container images.
// Revisions never change, so each is read once per process, in one
// DescribeServiceRevisions for all new ones. Best effort: what cannot be
// read stays out and is logged.
func (d *Deployer) revisionTaskDefinitions(ctx context.Context, c Clients, arns []string) map[string]string {
	out := map[string]string{}
	var missing []string
	for _, a := range arns {
		if a == "" {
			continue
		}
		if td, ok := d.services.revision(a); ok {
			out[a] = td
		} else {
			missing = append(missing, a)
		}
	}
	if len(missing) == 0 {
		return out
	}
	got, err := c.ServiceDeployments.DescribeServiceRevisions(ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: missing[:min(len(missing), 20)]})
	if err != nil {
		d.log.Debug("describe service revisions", zap.Strings("revisions", missing), zap.Error(err))
		return out
	}
	for _, r := range got.ServiceRevisions {
		arn, td := aws.ToString(r.ServiceRevisionArn), aws.ToString(r.TaskDefinition)
		if td == "" {
			continue
		}
		out[arn] = td
		d.services.putRevision(arn, td)
		if len(r.ContainerImages) > 0 {
			images := map[string]string{}
			for i, ci := range r.ContainerImages {
				if i == 0 {
					images[""] = aws.ToString(ci.Image)
				}
				images[aws.ToString(ci.ContainerName)] = aws.ToString(ci.Image)
			}
			d.memo.putImages(td, images)
		}
	}
	return out
}

// recentNative is Recent of an environment ECS deploys itself: the
// service's deployments created since since, newest first, without the
// one that created the service (a service's first deployment is its
// creation, not a rollout anyone needs a card for).
func (d *Deployer) recentNative(ctx context.Context, c Clients, env switchyard.Environment, since, created time.Time) ([]*switchyard.Observation, error) {
	in := &ecs.ListServiceDeploymentsInput{Cluster: aws.String(env.Cluster), Service: aws.String(env.Service), MaxResults: aws.Int32(100)}
	if !since.IsZero() {
		in.CreatedAt = &ecstypes.CreatedAt{After: aws.Time(since)}
	}
	var briefs []ecstypes.ServiceDeploymentBrief
	for {
		out, err := c.ServiceDeployments.ListServiceDeployments(ctx, in)
		if err != nil {
			return nil, fail(err, "list service deployments of "+env.Service, "list the deployments of service "+env.Service)
		}
		briefs = append(briefs, out.ServiceDeployments...)
		if out.NextToken == nil || len(briefs) >= 4*d.opts.RecentLimit {
			break
		}
		in.NextToken = out.NextToken
	}
	// AWS does not document the order: sort.
	sort.SliceStable(briefs, func(i, j int) bool { return aws.ToTime(briefs[i].CreatedAt).After(aws.ToTime(briefs[j].CreatedAt)) })
	if n := len(briefs); n > 0 && !created.IsZero() && aws.ToTime(briefs[n-1].CreatedAt).Sub(created).Abs() < time.Second &&
		briefs[n-1].Status == ecstypes.ServiceDeploymentStatusSuccessful {
		briefs = briefs[:n-1] // the service's creation: the oldest, made with the service
	}
	out := make([]*switchyard.Observation, 0, min(len(briefs), d.opts.RecentLimit))
	for _, b := range briefs {
		if len(out) == d.opts.RecentLimit {
			break
		}
		o := &switchyard.Observation{ID: aws.ToString(b.ServiceDeploymentArn), Backend: switchyard.BackendECS, Region: env.Region,
			Status: statusOfNative(b.Status), Created: timeOf(b.CreatedAt), Started: timeOf(b.StartedAt), Completed: timeOf(b.FinishedAt)}
		if !isNativeID(o.ID) {
			continue
		}
		if td, ok := d.services.revision(aws.ToString(b.TargetServiceRevisionArn)); ok {
			o.TaskDefinition = lastSegment(td)
		}
		if o.Status.Done() && o.Status != switchyard.StatusSucceeded {
			o.ErrorText = strings.TrimSpace(aws.ToString(b.StatusReason))
		}
		out = append(out, o)
	}
	return out, nil
}
