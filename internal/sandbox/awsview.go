package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"
)

// DeploymentView is one CodeDeploy deployment as the sandbox's own AWS
// console shows it: GET /_sim/aws/deployments/{id}. It is read from the
// AWS simulator through the real SDK clients, as the AWS console reads AWS.
type DeploymentView struct {
	ID              string     `json:"id"`
	Application     string     `json:"application"`
	DeploymentGroup string     `json:"deployment_group"`
	Status          string     `json:"status"`
	Config          string     `json:"config"`
	Creator         string     `json:"creator"`
	Description     string     `json:"description"`
	Created         *time.Time `json:"created,omitempty"`
	Started         *time.Time `json:"started,omitempty"`
	Completed       *time.Time `json:"completed,omitempty"`
	// Error is why the deployment failed or stopped.
	Error    *DeploymentError `json:"error,omitempty"`
	Rollback *RollbackView    `json:"rollback,omitempty"`
	// TaskDefinition is the one the AppSpec deploys, with its containers.
	TaskDefinition *TaskDefinitionView `json:"task_definition,omitempty"`
	// Target is the ECS service deployed to; nil until the deployment starts.
	Target *TargetView `json:"target,omitempty"`
	// Now is the simulated time the view was read at.
	Now time.Time `json:"now"`
}

// DeploymentError is why a deployment failed or stopped.
type DeploymentError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// RollbackView links a deployment and its rollback.
type RollbackView struct {
	RollbackDeploymentID string `json:"rollback_deployment_id,omitempty"`
	TriggeringID         string `json:"rollback_triggering_deployment_id,omitempty"`
	Message              string `json:"message,omitempty"`
}

// TargetView is the deployment's ECS service: its lifecycle events and the
// task sets that carry traffic.
type TargetView struct {
	Cluster   string          `json:"cluster"`
	Service   string          `json:"service"`
	Status    string          `json:"status"`
	Lifecycle []LifecycleView `json:"lifecycle"`
	TaskSets  []TaskSetView   `json:"task_sets"`
	Updated   *time.Time      `json:"updated,omitempty"`
}

// LifecycleView is one lifecycle event.
type LifecycleView struct {
	Name      string     `json:"name"`
	Status    string     `json:"status"`
	Started   *time.Time `json:"started,omitempty"`
	Ended     *time.Time `json:"ended,omitempty"`
	ErrorCode string     `json:"error_code,omitempty"`
	Message   string     `json:"message,omitempty"`
}

// TaskSetView is one task set: blue or green, its share of traffic and the
// task definition it runs.
type TaskSetView struct {
	Label          string              `json:"label"`
	ID             string              `json:"id"`
	Status         string              `json:"status"`
	TrafficWeight  float64             `json:"traffic_weight"`
	Desired        int64               `json:"desired"`
	Running        int64               `json:"running"`
	Pending        int64               `json:"pending"`
	TargetGroup    string              `json:"target_group,omitempty"`
	TaskDefinition *TaskDefinitionView `json:"task_definition,omitempty"`
}

// TaskDefinitionView is a task definition and the images of its containers.
type TaskDefinitionView struct {
	ARN        string          `json:"arn"`
	Containers []ContainerView `json:"containers"`
}

// ContainerView is one container of a task definition.
type ContainerView struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}

// deploymentViewer reads deployments for the console.
type deploymentViewer struct {
	cd  *codedeploy.Client
	ecs *ecs.Client
	now func() time.Time
}

var (
	deploymentIDRe = regexp.MustCompile(`^d-[A-Z0-9]{9}$`)
	// appSpecTaskDef finds the task definition in a JSON or YAML AppSpec.
	appSpecTaskDef = regexp.MustCompile(`"?TaskDefinition"?\s*:\s*"?([^"\s,}]+)`)
)

func (v *deploymentViewer) serveJSON(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !deploymentIDRe.MatchString(id) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "a deployment id looks like d-ABCDEFGHI"})
		return
	}
	view, err := v.view(r.Context(), id)
	var apiErr smithy.APIError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, view)
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "DeploymentDoesNotExistException":
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no deployment %s", id)})
	default:
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
	}
}

// view reads the deployment, its target, the service's task sets and their
// task definitions.
func (v *deploymentViewer) view(ctx context.Context, id string) (*DeploymentView, error) {
	out, err := v.cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		return nil, err
	}
	d := out.DeploymentInfo
	view := &DeploymentView{
		ID: id, Application: aws.ToString(d.ApplicationName), DeploymentGroup: aws.ToString(d.DeploymentGroupName),
		Status: string(d.Status), Config: aws.ToString(d.DeploymentConfigName), Creator: string(d.Creator),
		Description: aws.ToString(d.Description), Created: d.CreateTime, Started: d.StartTime, Completed: d.CompleteTime,
		Now: v.now().UTC(),
	}
	if e := d.ErrorInformation; e != nil {
		view.Error = &DeploymentError{Code: string(e.Code), Message: aws.ToString(e.Message)}
	}
	if rb := d.RollbackInfo; rb != nil {
		view.Rollback = &RollbackView{RollbackDeploymentID: aws.ToString(rb.RollbackDeploymentId),
			TriggeringID: aws.ToString(rb.RollbackTriggeringDeploymentId), Message: aws.ToString(rb.RollbackMessage)}
	}
	tds := map[string]*TaskDefinitionView{}
	if arn := v.appSpecTaskDef(ctx, d); arn != "" {
		view.TaskDefinition = v.taskDef(ctx, tds, arn)
	}
	view.Target, err = v.target(ctx, d, tds)
	return view, err
}

// appSpecTaskDef is the task definition the deployment's AppSpec names:
// GetDeployment leaves the AppSpec out, GetApplicationRevision has it.
func (v *deploymentViewer) appSpecTaskDef(ctx context.Context, d *cdtypes.DeploymentInfo) string {
	if d.Revision == nil {
		return ""
	}
	out, err := v.cd.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{ApplicationName: d.ApplicationName, Revision: d.Revision})
	if err != nil || out.Revision == nil || out.Revision.AppSpecContent == nil {
		return ""
	}
	if m := appSpecTaskDef.FindStringSubmatch(aws.ToString(out.Revision.AppSpecContent.Content)); m != nil {
		return m[1]
	}
	return ""
}

// target reads the ECS target of a started deployment; nil before it starts.
func (v *deploymentViewer) target(ctx context.Context, d *cdtypes.DeploymentInfo, tds map[string]*TaskDefinitionView) (*TargetView, error) {
	id := d.DeploymentId
	list, err := v.cd.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: id})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "DeploymentNotStartedException" {
		return nil, nil
	}
	if err != nil || len(list.TargetIds) == 0 {
		return nil, err
	}
	got, err := v.cd.BatchGetDeploymentTargets(ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: id, TargetIds: list.TargetIds[:1]})
	if err != nil || len(got.DeploymentTargets) == 0 || got.DeploymentTargets[0].EcsTarget == nil {
		return nil, err
	}
	t := got.DeploymentTargets[0].EcsTarget
	view := &TargetView{Status: string(t.Status), Updated: t.LastUpdatedAt, Lifecycle: []LifecycleView{}, TaskSets: []TaskSetView{}}
	for _, e := range t.LifecycleEvents {
		lv := LifecycleView{Name: aws.ToString(e.LifecycleEventName), Status: string(e.Status), Started: e.StartTime, Ended: e.EndTime}
		if e.Diagnostics != nil {
			lv.ErrorCode, lv.Message = string(e.Diagnostics.ErrorCode), aws.ToString(e.Diagnostics.Message)
		}
		view.Lifecycle = append(view.Lifecycle, lv)
	}
	taskDefs, err := v.serviceTaskSets(ctx, d, view)
	if err != nil {
		return nil, err
	}
	for _, ts := range t.TaskSetsInfo {
		tv := TaskSetView{
			Label: string(ts.TaskSetLabel), ID: aws.ToString(ts.Identifer), Status: aws.ToString(ts.Status),
			TrafficWeight: ts.TrafficWeight, Desired: ts.DesiredCount, Running: ts.RunningCount, Pending: ts.PendingCount,
		}
		if ts.TargetGroup != nil {
			tv.TargetGroup = aws.ToString(ts.TargetGroup.Name)
		}
		if arn, ok := taskDefs[tv.ID]; ok {
			tv.TaskDefinition = v.taskDef(ctx, tds, arn)
		}
		view.TaskSets = append(view.TaskSets, tv)
	}
	return view, nil
}

// serviceTaskSets names the deployment group's ECS service in view and
// maps its task sets to their task definitions.
func (v *deploymentViewer) serviceTaskSets(ctx context.Context, d *cdtypes.DeploymentInfo, view *TargetView) (map[string]string, error) {
	g, err := v.cd.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{
		ApplicationName: d.ApplicationName, DeploymentGroupName: d.DeploymentGroupName,
	})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if len(g.DeploymentGroupInfo.EcsServices) == 0 {
		return out, nil
	}
	svc := g.DeploymentGroupInfo.EcsServices[0]
	view.Cluster, view.Service = aws.ToString(svc.ClusterName), aws.ToString(svc.ServiceName)
	desc, err := v.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: svc.ClusterName, Services: []string{view.Service}})
	if err != nil {
		return nil, err
	}
	for _, s := range desc.Services {
		for _, ts := range s.TaskSets {
			out[aws.ToString(ts.Id)] = aws.ToString(ts.TaskDefinition)
		}
	}
	return out, nil
}

// taskDef describes a task definition once per view; one that cannot be
// read is shown by its ARN alone.
func (v *deploymentViewer) taskDef(ctx context.Context, seen map[string]*TaskDefinitionView, arn string) *TaskDefinitionView {
	if td, ok := seen[arn]; ok {
		return td
	}
	td := &TaskDefinitionView{ARN: arn, Containers: []ContainerView{}}
	seen[arn] = td
	out, err := v.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil || out.TaskDefinition == nil {
		return td
	}
	for _, c := range out.TaskDefinition.ContainerDefinitions {
		td.Containers = append(td.Containers, ContainerView{Name: aws.ToString(c.Name), Image: aws.ToString(c.Image)})
	}
	return td
}
