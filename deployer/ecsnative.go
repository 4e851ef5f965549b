package deployer

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/switchyard/switchyard"
)

// The ECS-native backend: a service whose deployment controller is ECS with
// the BLUE_GREEN, LINEAR or CANARY strategy deploys itself. UpdateService
// with a new task definition starts a service deployment; its ARN is the
// deployment's ID; DescribeServiceDeployments tells its status, stage,
// requested traffic weights and hooks; StopServiceDeployment and
// ContinueServiceDeployment roll it back or answer a pause hook. One file
// per concern: choosing the backend (here), planning and starting
// (ecsnative_start.go), describing (ecsnative_describe.go, its stages in
// ecsnative_stages.go), rolling back and answering hooks
// (ecsnative_rollback.go).

// Services starts an ECS-native deployment: UpdateService with a new task
// definition. Errors are SDK errors.
type Services interface {
	UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
}

// ServiceDeployments lists and reads a service's deployments and the
// revisions they move between. Describe calls answer unknown ARNs in
// failures (reason MISSING), not as errors.
type ServiceDeployments interface {
	ListServiceDeployments(ctx context.Context, in *ecs.ListServiceDeploymentsInput, optFns ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error)
	DescribeServiceDeployments(ctx context.Context, in *ecs.DescribeServiceDeploymentsInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error)
	DescribeServiceRevisions(ctx context.Context, in *ecs.DescribeServiceRevisionsInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServiceRevisionsOutput, error)
}

// ServiceControl rolls a service deployment back or answers its pause
// hook. A deployment that can no longer be stopped gives
// ConflictException; a hook that is not awaiting action,
// InvalidParameterException.
type ServiceControl interface {
	StopServiceDeployment(ctx context.Context, in *ecs.StopServiceDeploymentInput, optFns ...func(*ecs.Options)) (*ecs.StopServiceDeploymentOutput, error)
	ContinueServiceDeployment(ctx context.Context, in *ecs.ContinueServiceDeploymentInput, optFns ...func(*ecs.Options)) (*ecs.ContinueServiceDeploymentOutput, error)
}

// checkService refuses an environment that names no service.
func checkService(env switchyard.Environment) error {
	if env.Cluster == "" || env.Service == "" {
		return switchyard.Errorf(switchyard.EINVALID, "The app's configuration names no ECS cluster and service.")
	}
	return nil
}

// backendOf chooses who deploys env from its service: CodeDeploy for the
// CODE_DEPLOY controller, ECS itself for the ECS controller with a
// blue/green, linear or canary strategy. Anything else is refused in a
// sentence that says why.
func backendOf(env switchyard.Environment, svc *ecstypes.Service) (switchyard.Backend, error) {
	controller := ecstypes.DeploymentControllerTypeEcs
	if svc.DeploymentController != nil {
		controller = svc.DeploymentController.Type
	}
	switch controller {
	case ecstypes.DeploymentControllerTypeCodeDeploy:
		if env.Application == "" || env.DeploymentGroup == "" {
			return "", switchyard.Errorf(switchyard.EINVALID,
				"Service %s is deployed by CodeDeploy, so environment %s needs a codedeploy section naming its application and deployment group.",
				env.Service, env.Name)
		}
		return switchyard.BackendCodeDeploy, nil
	case ecstypes.DeploymentControllerTypeEcs:
		strategy := ecstypes.DeploymentStrategyRolling
		if c := svc.DeploymentConfiguration; c != nil && c.Strategy != "" {
			strategy = c.Strategy
		}
		switch strategy {
		case ecstypes.DeploymentStrategyBlueGreen, ecstypes.DeploymentStrategyLinear, ecstypes.DeploymentStrategyCanary:
			return switchyard.BackendECS, nil
		}
		return "", switchyard.Errorf(switchyard.EUNIMPLEMENTED,
			"Service %s uses ECS rolling updates (strategy %s), which have no blue/green: there is no second version to shift traffic to or to send it back to. Switchyard deploys services whose deployments CodeDeploy controls, or ECS with the BLUE_GREEN, LINEAR or CANARY strategy.",
			env.Service, strategy)
	}
	return "", switchyard.Errorf(switchyard.EUNIMPLEMENTED,
		"Service %s uses the %s deployment controller; Switchyard deploys services whose deployments CodeDeploy controls (CODE_DEPLOY), or ECS with the BLUE_GREEN, LINEAR or CANARY strategy.",
		env.Service, controller)
}

// describeService reads env's ECS service, whatever its controller.
func (d *Deployer) describeService(ctx context.Context, c Clients, env switchyard.Environment) (*ecstypes.Service, error) {
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster: aws.String(env.Cluster), Services: []string{env.Service},
	})
	if err != nil {
		if apiCode(err) == "ClusterNotFoundException" {
			return nil, switchyard.Wrap(switchyard.ENOTFOUND, "There is no ECS cluster "+env.Cluster+".",
				fmt.Errorf("describe service %s: %w", env.Service, err))
		}
		return nil, fail(err, "describe service "+env.Service, "read the ECS service "+env.Service)
	}
	var svc *ecstypes.Service
	for i := range out.Services {
		if s := &out.Services[i]; aws.ToString(s.ServiceName) == lastSegment(env.Service) || aws.ToString(s.ServiceArn) == env.Service {
			svc = s
		}
	}
	if svc == nil || aws.ToString(svc.Status) == "INACTIVE" {
		return nil, switchyard.Errorf(switchyard.ENOTFOUND, "There is no ECS service %s in cluster %s.", env.Service, env.Cluster)
	}
	if b, err := backendOf(env, svc); err == nil {
		d.services.put(env, b, svc)
	}
	return svc, nil
}

// serviceMemo remembers, per environment, who deploys its service and what
// the ECS-native backend needs of it between plans: when the service was
// created (its first service deployment is that, not a rollout) and the
// alarms it watches. Plan and Start read the service afresh; Recent and
// Alarms, which run every few seconds, trust the memo for serviceTTL.
type serviceMemo struct {
	mu sync.Mutex
	m  map[string]serviceFacts
	// revisions maps a service revision's ARN to its task definition:
	// a revision never changes.
	revisions map[string]string
}

// serviceTTL is how long Recent and Alarms trust what they know of a
// service: a change of its deployment controller or alarms shows within it.
const serviceTTL = 5 * time.Minute

type serviceFacts struct {
	at      time.Time
	backend switchyard.Backend
	created time.Time
	alarms  []string // enabled alarms of an ECS-native service
}

func newServiceMemo() *serviceMemo {
	return &serviceMemo{m: map[string]serviceFacts{}, revisions: map[string]string{}}
}

func (m *serviceMemo) revision(arn string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	td, ok := m.revisions[arn]
	return td, ok
}

func (m *serviceMemo) putRevision(arn, taskDef string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.revisions) >= memoLimit {
		clear(m.revisions)
	}
	m.revisions[arn] = taskDef
}

func serviceKey(env switchyard.Environment) string {
	return env.RoleARN + "|" + env.Region + "|" + env.Cluster + "|" + env.Service
}

func (m *serviceMemo) put(env switchyard.Environment, b switchyard.Backend, svc *ecstypes.Service) {
	f := serviceFacts{at: time.Now(), backend: b, created: aws.ToTime(svc.CreatedAt)}
	if c := svc.DeploymentConfiguration; c != nil && c.Alarms != nil && c.Alarms.Enable {
		f.alarms = append([]string(nil), c.Alarms.AlarmNames...)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.m) >= memoLimit {
		clear(m.m)
	}
	m.m[serviceKey(env)] = f
}

func (m *serviceMemo) get(env switchyard.Environment) (serviceFacts, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.m[serviceKey(env)]
	return f, ok && time.Since(f.at) < serviceTTL
}

// facts returns what the memo knows of env's service, reading the service
// when the memo has nothing fresh.
func (d *Deployer) facts(ctx context.Context, c Clients, env switchyard.Environment) (serviceFacts, error) {
	if f, ok := d.services.get(env); ok {
		return f, nil
	}
	svc, err := d.describeService(ctx, c, env)
	if err != nil {
		return serviceFacts{}, err
	}
	if _, err := backendOf(env, svc); err != nil {
		return serviceFacts{}, err
	}
	f, _ := d.services.get(env)
	return f, nil
}

// nativeID checks that id is a service deployment ARN of env's service.
func nativeID(env switchyard.Environment, id string) error {
	ref, ok := switchyard.ParseServiceDeploymentARN(id)
	switch {
	case !ok:
		return switchyard.Errorf(switchyard.EINVALID, "%q is not an ECS service deployment ARN.", id)
	case ref.Cluster != lastSegment(env.Cluster) || ref.Service != lastSegment(env.Service) || (env.Region != "" && ref.Region != env.Region):
		return switchyard.Errorf(switchyard.EINVALID, "Deployment %s belongs to service %s/%s in %s, not to this app's %s/%s.",
			ref.ID, ref.Cluster, ref.Service, ref.Region, lastSegment(env.Cluster), lastSegment(env.Service))
	}
	return nil
}

// isNativeID reports whether id names an ECS service deployment rather
// than a CodeDeploy deployment.
func isNativeID(id string) bool {
	_, ok := switchyard.ParseServiceDeploymentARN(id)
	return ok
}

// hookIDPattern is what the bot passes on as a hook id: ECS's own are
// ecs-pause-… and ecs-lambda-… followed by URL-safe base64.
var hookIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,256}$`)
