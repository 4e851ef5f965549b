package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// ServiceView is an ECS service and its latest service deployments as the
// sandbox's own AWS console shows them: GET /_sim/aws/services/{cluster}/{service}.
// The cards of deployments ECS runs itself link the service's deployments
// in the ECS console; in the sandbox those links lead here. It is read from
// the AWS simulator through the real SDK client, as the console reads AWS.
type ServiceView struct {
	Cluster string `json:"cluster"`
	Service string `json:"service"`
	Status  string `json:"status"`
	// Strategy is the service's deployment strategy (BLUE_GREEN, LINEAR,
	// CANARY, ROLLING).
	Strategy       string              `json:"strategy,omitempty"`
	TaskDefinition *TaskDefinitionView `json:"task_definition,omitempty"`
	// Deployments are the service's latest, newest first.
	Deployments []ServiceDeploymentView `json:"deployments"`
	Now         time.Time               `json:"now"`
}

// ServiceDeploymentView is one service deployment.
type ServiceDeploymentView struct {
	ID           string     `json:"id"` // the ARN's last segment, as the cards show it
	ARN          string     `json:"arn"`
	Status       string     `json:"status"`
	StatusReason string     `json:"status_reason,omitempty"`
	Stage        string     `json:"stage,omitempty"`
	Created      *time.Time `json:"created,omitempty"`
	Started      *time.Time `json:"started,omitempty"`
	Finished     *time.Time `json:"finished,omitempty"`
	// Rollback is why ECS or a person rolled it back, if either did.
	Rollback string `json:"rollback,omitempty"`
	// TaskDefinition is what it deploys: its target revision's.
	TaskDefinition *TaskDefinitionView `json:"task_definition,omitempty"`
}

// serviceViewMax is how many of a service's deployments the view shows.
const serviceViewMax = 10

// ecsName is the shape of a cluster or service name.
var ecsName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

func (v *deploymentViewer) serveServiceJSON(w http.ResponseWriter, r *http.Request) {
	cluster, service := r.PathValue("cluster"), r.PathValue("service")
	if !ecsName.MatchString(cluster) || !ecsName.MatchString(service) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "a cluster or service name is letters, digits, - and _"})
		return
	}
	view, err := v.service(r.Context(), cluster, service)
	var apiErr smithy.APIError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, view)
	case errors.Is(err, errNoService) || errors.As(err, &apiErr) && (apiErr.ErrorCode() == "ClusterNotFoundException" || apiErr.ErrorCode() == "ServiceNotFoundException"):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no service %s in cluster %s", service, cluster)})
	default:
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
	}
}

var errNoService = errors.New("no such service")

// service reads the service, its latest deployments, their stages and the
// task definitions they deploy.
func (v *deploymentViewer) service(ctx context.Context, cluster, service string) (*ServiceView, error) {
	desc, err := v.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil {
		return nil, err
	}
	if len(desc.Services) == 0 || aws.ToString(desc.Services[0].Status) == "INACTIVE" {
		return nil, errNoService
	}
	s := desc.Services[0]
	tds := map[string]*TaskDefinitionView{}
	view := &ServiceView{Cluster: cluster, Service: service, Status: aws.ToString(s.Status),
		Deployments: []ServiceDeploymentView{}, Now: v.now().UTC()}
	if c := s.DeploymentConfiguration; c != nil {
		view.Strategy = string(c.Strategy)
	}
	if td := aws.ToString(s.TaskDefinition); td != "" {
		view.TaskDefinition = v.taskDef(ctx, tds, td)
	}
	var briefs []ecstypes.ServiceDeploymentBrief
	in := &ecs.ListServiceDeploymentsInput{Cluster: aws.String(cluster), Service: aws.String(service)}
	for {
		page, err := v.ecs.ListServiceDeployments(ctx, in)
		if err != nil {
			return nil, err
		}
		briefs = append(briefs, page.ServiceDeployments...)
		if aws.ToString(page.NextToken) == "" {
			break
		}
		in.NextToken = page.NextToken
	}
	sort.SliceStable(briefs, func(i, j int) bool { return aws.ToTime(briefs[i].CreatedAt).After(aws.ToTime(briefs[j].CreatedAt)) })
	if len(briefs) > serviceViewMax {
		briefs = briefs[:serviceViewMax]
	}
	var arns, revisions []string
	target := map[string]int{} // revision ARN → index in view.Deployments
	for i, b := range briefs {
		arn := aws.ToString(b.ServiceDeploymentArn)
		arns = append(arns, arn)
		if rev := aws.ToString(b.TargetServiceRevisionArn); rev != "" {
			revisions = append(revisions, rev)
			target[rev] = i
		}
		view.Deployments = append(view.Deployments, ServiceDeploymentView{
			ID: arn[strings.LastIndex(arn, "/")+1:], ARN: arn, Status: string(b.Status), StatusReason: aws.ToString(b.StatusReason),
			Created: b.CreatedAt, Started: b.StartedAt, Finished: b.FinishedAt,
		})
	}
	if len(arns) == 0 {
		return view, nil
	}
	details, err := v.ecs.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: arns})
	if err != nil {
		return nil, err
	}
	for _, d := range details.ServiceDeployments {
		for i := range view.Deployments {
			if view.Deployments[i].ARN != aws.ToString(d.ServiceDeploymentArn) {
				continue
			}
			view.Deployments[i].Stage = string(d.LifecycleStage)
			if d.Rollback != nil {
				view.Deployments[i].Rollback = aws.ToString(d.Rollback.Reason)
			}
		}
	}
	if len(revisions) == 0 {
		return view, nil
	}
	// The images are a detail: a revision that cannot be read leaves them
	// out rather than the whole view.
	revs, err := v.ecs.DescribeServiceRevisions(ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: revisions})
	if err != nil {
		return view, nil
	}
	for _, r := range revs.ServiceRevisions {
		if i, ok := target[aws.ToString(r.ServiceRevisionArn)]; ok && aws.ToString(r.TaskDefinition) != "" {
			view.Deployments[i].TaskDefinition = v.taskDef(ctx, tds, aws.ToString(r.TaskDefinition))
		}
	}
	return view, nil
}
