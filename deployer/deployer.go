// Package deployer is the only door from Switchyard to AWS. It turns
// "myapp v1.4" into an ECS blue/green deployment (Plan, Start), run by
// CodeDeploy or by ECS itself as the service's deployment controller says,
// tells the truth about any deployment of a group afterwards (Describe,
// Recent) and about the alarms the group watches (Alarms), and undoes or
// hurries one along (Rollback, Continue).
//
// Every AWS service is reached through a small interface declared here and
// satisfied by the real aws-sdk-go-v2 client, so tests plug in the same
// clients pointed at the project's simulator. Throttling and transient
// failures of reads are retried by the SDK's standard retryer; the two calls
// that are not idempotent (RegisterTaskDefinition and CreateDeployment) are
// retried only when AWS throttled them, which means it did not run them.
package deployer

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// ECS reads services and task definitions and registers the cloned task
// definition. Errors are SDK errors (smithy.APIError inside).
type ECS interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
}

// ECR checks that an image tag or digest exists before anything is
// registered. A missing image is ImageNotFoundException.
type ECR interface {
	DescribeImages(ctx context.Context, in *ecr.DescribeImagesInput, optFns ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
}

// Alarms reads the current state of the CloudWatch alarms a deployment
// group watches.
type Alarms interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// Groups reads how a deployment group deploys: its configuration, the
// traffic shape of a deployment config, and the AppSpec of a past revision.
type Groups interface {
	GetDeploymentGroup(ctx context.Context, in *codedeploy.GetDeploymentGroupInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error)
	GetDeploymentConfig(ctx context.Context, in *codedeploy.GetDeploymentConfigInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentConfigOutput, error)
	GetApplicationRevision(ctx context.Context, in *codedeploy.GetApplicationRevisionInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetApplicationRevisionOutput, error)
}

// Deployments creates a deployment and reads one back. CreateDeployment
// fails with DeploymentLimitExceededException while the group has an active
// deployment.
type Deployments interface {
	CreateDeployment(ctx context.Context, in *codedeploy.CreateDeploymentInput, optFns ...func(*codedeploy.Options)) (*codedeploy.CreateDeploymentOutput, error)
	GetDeployment(ctx context.Context, in *codedeploy.GetDeploymentInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
}

// History lists the deployments of a group, whoever started them.
type History interface {
	ListDeployments(ctx context.Context, in *codedeploy.ListDeploymentsInput, optFns ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error)
	BatchGetDeployments(ctx context.Context, in *codedeploy.BatchGetDeploymentsInput, optFns ...func(*codedeploy.Options)) (*codedeploy.BatchGetDeploymentsOutput, error)
}

// Targets reads the ECS target of a deployment: lifecycle events and task
// sets. Before Install starts it fails with DeploymentNotStartedException.
type Targets interface {
	GetDeploymentTarget(ctx context.Context, in *codedeploy.GetDeploymentTargetInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error)
	ListDeploymentTargets(ctx context.Context, in *codedeploy.ListDeploymentTargetsInput, optFns ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error)
}

// Control stops a deployment (optionally rolling it back) or lets a waiting
// one go on.
type Control interface {
	StopDeployment(ctx context.Context, in *codedeploy.StopDeploymentInput, optFns ...func(*codedeploy.Options)) (*codedeploy.StopDeploymentOutput, error)
	ContinueDeployment(ctx context.Context, in *codedeploy.ContinueDeploymentInput, optFns ...func(*codedeploy.Options)) (*codedeploy.ContinueDeploymentOutput, error)
}

var (
	_ ECS                = (*ecs.Client)(nil)
	_ ECR                = (*ecr.Client)(nil)
	_ Alarms             = (*cloudwatch.Client)(nil)
	_ Groups             = (*codedeploy.Client)(nil)
	_ Deployments        = (*codedeploy.Client)(nil)
	_ History            = (*codedeploy.Client)(nil)
	_ Targets            = (*codedeploy.Client)(nil)
	_ Control            = (*codedeploy.Client)(nil)
	_ Services           = (*ecs.Client)(nil)
	_ ServiceDeployments = (*ecs.Client)(nil)
	_ ServiceControl     = (*ecs.Client)(nil)
)

// Clients are the AWS clients of one region. Every field is required.
type Clients struct {
	ECS         ECS
	ECR         ECR
	Alarms      Alarms
	Groups      Groups
	Deployments Deployments
	History     History
	Targets     Targets
	Control     Control
	// The ECS-native backend's (ecsnative.go).
	Services           Services
	ServiceDeployments ServiceDeployments
	ServiceControl     ServiceControl
}

// ClientsFromConfig builds the real SDK clients from cfg (its region,
// credentials, endpoint and retryer). It opens no connection.
func ClientsFromConfig(cfg aws.Config) Clients {
	cd := codedeploy.NewFromConfig(cfg)
	e := ecs.NewFromConfig(cfg)
	return Clients{
		ECS:         e,
		ECR:         ecr.NewFromConfig(cfg),
		Alarms:      cloudwatch.NewFromConfig(cfg),
		Groups:      cd,
		Deployments: cd,
		History:     cd,
		Targets:     cd,
		Control:     cd,

		Services:           e,
		ServiceDeployments: e,
		ServiceControl:     e,
	}
}

// Options are the optional settings of a Deployer.
type Options struct {
	// RollbackConfig is the deployment config of a rollback that redeploys
	// the previous revision after a successful deployment. An incident wants
	// it fast: the default is CodeDeployDefault.ECSAllAtOnce.
	RollbackConfig string
	// RecentLimit caps how many deployments Recent returns (default 50).
	RecentLimit int
	// Now stamps plans; the default is time.Now.
	Now func() time.Time
	// Sessions assumes the roles of environments that name one
	// (NewFromConfig only); the default is NewSessions(cfg, SessionOptions{}).
	Sessions *Sessions
}

// Deployer plans, starts, describes, rolls back and continues deployments.
// It is safe for concurrent use.
type Deployer struct {
	log  *zap.Logger
	opts Options
	src  clientSource
	memo *memo
	// services remembers each environment's backend (ecsnative.go).
	services *serviceMemo
}

// New returns a Deployer that uses c for every region and environment, as
// given: it assumes no role.
func New(c Clients, log *zap.Logger, opts Options) *Deployer {
	return newDeployer(fixedClients(c), log, opts)
}

// NewFromConfig returns a Deployer that builds real SDK clients from cfg for
// each region an environment names, on first use, and for an environment
// with a role, through opts.Sessions: a session per person for what they
// do, the bot's own session for reads (see access.go). It opens no
// connection.
func NewFromConfig(cfg aws.Config, log *zap.Logger, opts Options) *Deployer {
	if opts.Sessions == nil {
		opts.Sessions = NewSessions(cfg, SessionOptions{})
	}
	return newDeployer(newConfigClients(cfg, opts.Sessions), log, opts)
}

// reads returns the clients of env's reads, in region ("" for env's own).
func (d *Deployer) reads(ctx context.Context, env switchyard.Environment, region string) (Clients, error) {
	return d.src.clients(ctx, env, region, nil)
}

// writes returns the clients of what by does in env.
func (d *Deployer) writes(ctx context.Context, env switchyard.Environment, by switchyard.Actor) (Clients, error) {
	return d.src.clients(ctx, env, env.Region, &by)
}

func newDeployer(src clientSource, log *zap.Logger, opts Options) *Deployer {
	if log == nil {
		log = zap.NewNop()
	}
	if opts.RollbackConfig == "" {
		opts.RollbackConfig = "CodeDeployDefault.ECSAllAtOnce"
	}
	if opts.RecentLimit <= 0 {
		opts.RecentLimit = 50
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Deployer{
		log:  log.Named("deployer"),
		opts: opts,
		src:  src,
		memo: newMemo(),

		services: newServiceMemo(),
	}
}

// throttleOnly narrows a client's retryer, keeping its attempts, backoff
// and quota, to errors that say AWS throttled the call. A throttled call was
// not run; after any other failure (a 500, a reset connection) it may have
// been, and running a write twice is worse than reporting the failure.
type throttleOnly struct{ aws.Retryer }

// IsErrorRetryable allows a retry only after throttling.
func (r throttleOnly) IsErrorRetryable(err error) bool {
	return throttleCodes[apiCode(err)] && r.Retryer.IsErrorRetryable(err)
}

// ecsWrite is the per-call option of a non-idempotent ECS call.
func ecsWrite(o *ecs.Options) {
	if o.Retryer != nil {
		o.Retryer = throttleOnly{o.Retryer}
	}
}

// codedeployWrite is the per-call option of a non-idempotent CodeDeploy
// call.
func codedeployWrite(o *codedeploy.Options) {
	if o.Retryer != nil {
		o.Retryer = throttleOnly{o.Retryer}
	}
}

// memo remembers what never changes once seen: the container images of a
// task definition ARN and the task definitions a deployment moved between.
// It only saves calls; everything in it can be read again from AWS. Images
// are kept by the task definition's ARN, which names its account and
// region: myapp:1 of one account is not myapp:1 of another.
type memo struct {
	mu sync.Mutex
	// images maps a task definition (its ARN, or family:revision where
	// only that is known) → container → image; the container "" stands
	// for the first one, for apps that name no container.
	images map[string]map[string]string
	sets   map[string][2]string // deployment id → {blue, green} task definition ARNs
	shapes map[string]switchyard.TrafficShape
}

const memoLimit = 512

func newMemo() *memo {
	return &memo{images: map[string]map[string]string{}, sets: map[string][2]string{}, shapes: map[string]switchyard.TrafficShape{}}
}

func (m *memo) image(taskDef, container string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.images[imageKey(taskDef)]
	if !ok {
		return "", false
	}
	return c[container], true
}

func (m *memo) putImages(taskDef string, images map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.images) >= memoLimit {
		clear(m.images)
	}
	m.images[imageKey(taskDef)] = images
}

// imageKey is a task definition's key in the images memo: its ARN when
// given one.
func imageKey(taskDef string) string {
	if strings.HasPrefix(taskDef, "arn:") {
		return taskDef
	}
	return lastSegment(taskDef)
}

func (m *memo) taskSets(id string) [2]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sets[id]
}

func (m *memo) putTaskSets(id string, blue, green string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.sets) >= memoLimit {
		clear(m.sets)
	}
	old := m.sets[id]
	if blue == "" {
		blue = old[0]
	}
	if green == "" {
		green = old[1]
	}
	m.sets[id] = [2]string{blue, green}
}

func (m *memo) shape(config string) (switchyard.TrafficShape, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.shapes[config]
	return s, ok
}

func (m *memo) putShape(config string, s switchyard.TrafficShape) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.shapes) >= memoLimit {
		clear(m.shapes)
	}
	m.shapes[config] = s
}
