package deployer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/switchyard/switchyard"
)

// Plan reads what deploying version of env would do. version is a tag
// ("v1.4"), a digest ("sha256:…") or a full image reference. It writes
// nothing. The service's deployment controller chooses the backend
// (Plan.Backend): CodeDeploy, or ECS itself (planNative). Errors are
// *switchyard.Error: EINVALID for bad input or a missing image, ENOTFOUND
// for a missing service, EUNIMPLEMENTED for a service neither deploys
// blue/green.
func (d *Deployer) Plan(ctx context.Context, env switchyard.Environment, version string, opts switchyard.PlanOptions) (*switchyard.Plan, error) {
	if err := checkService(env); err != nil {
		return nil, err
	}
	c, err := d.reads(ctx, env, "")
	if err != nil {
		return nil, err
	}
	svc, g, err := d.readServiceAndGroup(ctx, c, env)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return d.planNative(ctx, c, env, svc, version, opts)
	}
	if err := checkEnv(env); err != nil {
		return nil, err
	}
	p, next, err := d.newPlan(ctx, c, env, svc, version, opts)
	if err != nil {
		return nil, err
	}
	applyGroup(p, env, g, opts.Config)

	eg, ectx := errgroup.WithContext(ctx)
	eg.Go(func() error { return d.checkImage(ectx, next, p) })
	eg.Go(func() error {
		shape, err := d.describeConfig(ectx, c, p.Config)
		p.Traffic = shape
		return err
	})
	eg.Go(func() error {
		p.Alarms, p.AlarmsUnread = d.alarmStates(ectx, c, g.alarms)
		return nil
	})
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	p.AlreadyRunning = p.ImageNow == p.ImageNext ||
		(p.Image.Digest != "" && switchyard.ParseImage(p.ImageNow).Digest == p.Image.Digest)
	d.log.Debug("planned", zap.String("app", p.App), zap.String("image_now", p.ImageNow),
		zap.String("image_next", p.ImageNext), zap.String("config", p.Config))
	return p, nil
}

func checkEnv(env switchyard.Environment) error {
	switch {
	case env.Cluster == "" || env.Service == "":
		return switchyard.Errorf(switchyard.EINVALID, "The app's configuration names no ECS cluster and service.")
	case env.Application == "" || env.DeploymentGroup == "":
		return switchyard.Errorf(switchyard.EINVALID, "The app's configuration names no CodeDeploy application and deployment group.")
	}
	for stage := range env.Hooks {
		if !switchyard.IsHookStage(stage) {
			return switchyard.Errorf(switchyard.EINVALID, "%s is not a lifecycle event that runs a hook.", stage)
		}
	}
	return nil
}

// readServiceAndGroup reads the ECS service and the deployment group at
// once and checks that they belong together. The group is nil when ECS
// deploys the service itself: an environment without a codedeploy section
// reads the service alone.
func (d *Deployer) readServiceAndGroup(ctx context.Context, c Clients, env switchyard.Environment) (*ecstypes.Service, *group, error) {
	if env.Application == "" {
		svc, err := d.describeService(ctx, c, env)
		if err != nil {
			return nil, nil, err
		}
		if _, err := backendOf(env, svc); err != nil {
			return nil, nil, err
		}
		return svc, nil, nil
	}
	var (
		svc            *ecstypes.Service
		g              *group
		svcErr, grpErr error
		wg             sync.WaitGroup
	)
	wg.Add(2)
	go func() { defer wg.Done(); svc, svcErr = d.describeService(ctx, c, env) }()
	go func() { defer wg.Done(); g, grpErr = d.readGroup(ctx, c, env) }()
	wg.Wait()
	// The service's refusal (not blue/green, missing) explains more than
	// the group's, which is often missing for the same reason.
	if svcErr != nil {
		return nil, nil, svcErr
	}
	switch b, err := backendOf(env, svc); {
	case err != nil:
		return nil, nil, err
	case b == switchyard.BackendECS:
		return svc, nil, nil // migrated to ECS's own deployments: the group is history
	}
	if grpErr != nil {
		return nil, nil, grpErr
	}
	if !g.deploys(env) {
		deploys := "no ECS service"
		if len(g.services) > 0 {
			deploys = strings.Join(g.services, ", ")
		}
		return nil, nil, switchyard.Errorf(switchyard.EINVALID, "Deployment group %s deploys %s, not %s/%s.",
			env.DeploymentGroup, deploys, lastSegment(env.Cluster), env.Service)
	}
	return svc, g, nil
}

// readService reads env's ECS service and refuses one whose deployments
// CodeDeploy does not control: what the CodeDeploy backend reads.
func (d *Deployer) readService(ctx context.Context, c Clients, env switchyard.Environment) (*ecstypes.Service, error) {
	svc, err := d.describeService(ctx, c, env)
	if err != nil {
		return nil, err
	}
	switch b, err := backendOf(env, svc); {
	case err != nil:
		return nil, err
	case b != switchyard.BackendCodeDeploy:
		return nil, switchyard.Errorf(switchyard.ECONFLICT, "Service %s is now deployed by ECS itself, not by CodeDeploy.", env.Service)
	}
	return svc, nil
}

// readTaskDefinition reads a task definition, with its tags when asked,
// and remembers its images.
func (d *Deployer) readTaskDefinition(ctx context.Context, c Clients, arn string, tags bool) (*ecs.DescribeTaskDefinitionOutput, error) {
	in := &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)}
	if tags {
		in.Include = []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}
	}
	out, err := c.ECS.DescribeTaskDefinition(ctx, in)
	if err != nil {
		return nil, fail(err, "describe task definition "+arn, "read the task definition "+lastSegment(arn))
	}
	if out.TaskDefinition == nil {
		return nil, switchyard.Errorf(switchyard.EINTERNAL, "ECS returned no task definition %s.", lastSegment(arn))
	}
	d.memo.putImages(aws.ToString(out.TaskDefinition.TaskDefinitionArn), imagesOf(out.TaskDefinition.ContainerDefinitions))
	return out, nil
}

// pickContainers chooses the container whose image changes and the
// container and port that receive load balancer traffic.
func pickContainers(p *switchyard.Plan, env switchyard.Environment, svc *ecstypes.Service, td *ecstypes.TaskDefinition) error {
	var lb *ecstypes.LoadBalancer
	if len(svc.LoadBalancers) > 0 {
		lb = &svc.LoadBalancers[0]
	}
	p.Container = env.Container
	switch {
	case p.Container != "":
	case lb != nil && lb.ContainerName != nil:
		p.Container = aws.ToString(lb.ContainerName)
	case len(td.ContainerDefinitions) == 1:
		p.Container = aws.ToString(td.ContainerDefinitions[0].Name)
	default:
		return switchyard.Errorf(switchyard.EINVALID,
			"Task definition %s has several containers; name the one to deploy in the app's configuration.", lastSegment(p.TaskDefinition))
	}
	var def *ecstypes.ContainerDefinition
	for i := range td.ContainerDefinitions {
		if aws.ToString(td.ContainerDefinitions[i].Name) == p.Container {
			def = &td.ContainerDefinitions[i]
		}
	}
	if def == nil {
		return switchyard.Errorf(switchyard.EINVALID, "Task definition %s has no container named %s.", lastSegment(p.TaskDefinition), p.Container)
	}
	p.ImageNow = aws.ToString(def.Image)

	// The AppSpec's load balancer container must be the one the service's
	// load balancer sends traffic to; the configuration only fills in for a
	// service that does not say.
	switch {
	case lb != nil && lb.ContainerName != nil && lb.ContainerPort != nil:
		p.LBContainer, p.LBPort = aws.ToString(lb.ContainerName), int(aws.ToInt32(lb.ContainerPort))
		if env.ContainerPort > 0 && (p.LBContainer != p.Container || p.LBPort != env.ContainerPort) {
			p.ConfiguredLB = fmt.Sprintf("%s:%d", p.Container, env.ContainerPort)
		}
	case env.ContainerPort > 0:
		p.LBContainer, p.LBPort = p.Container, env.ContainerPort
	case len(def.PortMappings) > 0 && def.PortMappings[0].ContainerPort != nil:
		p.LBContainer, p.LBPort = p.Container, int(aws.ToInt32(def.PortMappings[0].ContainerPort))
	default:
		return switchyard.Errorf(switchyard.EINVALID,
			"Cannot tell which container port takes traffic: set the container port in the app's configuration.")
	}
	return nil
}

// applyGroup copies the deployment group's behaviour into the plan.
func applyGroup(p *switchyard.Plan, env switchyard.Environment, g *group, override string) {
	switch {
	case override != "":
		p.Config = override
	case env.DeploymentConfig != "":
		p.Config = env.DeploymentConfig
	case g.config != "":
		p.Config = g.config
	default:
		p.Config = "CodeDeployDefault.ECSAllAtOnce"
	}
	p.ReadyWait, p.Termination, p.AutoRollback, p.TestTraffic = g.readyWait, g.termination, g.autoRollback, g.testTraffic
	p.ActiveDeployment = g.active
	if len(env.Hooks) > 0 {
		p.Hooks = maps.Clone(env.Hooks)
	}
}

// checkImage asks ECR whether the next image exists, when it lives in ECR.
func (d *Deployer) checkImage(ctx context.Context, next switchyard.ImageRef, p *switchyard.Plan) error {
	account, region, repo, ok := ecrOf(next)
	if !ok {
		if next.Tag != "" && next.Digest != "" {
			// The tag cannot be checked against the digest, and the digest
			// is what runs: name the version by it.
			p.Version = switchyard.ShortDigest(next.Digest)
			p.Image.TagUnchecked = next.Tag
		}
		return nil
	}
	p.Image.ECR, p.Image.Repository = true, repo
	id := ecrtypes.ImageIdentifier{}
	if next.Digest != "" {
		id.ImageDigest = aws.String(next.Digest)
	} else {
		id.ImageTag = aws.String(next.Tag)
	}
	c, err := d.reads(ctx, p.Env, region)
	if err != nil {
		return err
	}
	out, err := c.ECR.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RegistryId: aws.String(account), RepositoryName: aws.String(repo), ImageIds: []ecrtypes.ImageIdentifier{id},
	})
	if err != nil {
		cause := fmt.Errorf("describe image %s: %w", next, err)
		switch apiCode(err) {
		case "ImageNotFoundException":
			return switchyard.Wrap(switchyard.EINVALID, missingImage(next, repo, d.nearestTags(ctx, c, account, repo, next.Tag)), cause)
		case "RepositoryNotFoundException":
			return switchyard.Wrap(switchyard.ENOTFOUND, "There is no ECR repository "+repo+".", cause)
		}
		return fail(err, "describe image "+next.String(), "check that "+next.Label()+" exists in ECR")
	}
	if len(out.ImageDetails) == 0 {
		return switchyard.Errorf(switchyard.EINVALID, "There is no image %s in the ECR repository %s.", next.Label(), repo)
	}
	img := out.ImageDetails[0]
	if next.Tag != "" && next.Digest != "" && !slices.Contains(img.ImageTags, next.Tag) {
		// A digest pins the image, whatever the tag says: refuse rather
		// than show one version and ship another.
		carries := "no tag"
		if len(img.ImageTags) > 0 {
			carries = "the tag " + strings.Join(img.ImageTags, ", ")
		}
		return switchyard.Errorf(switchyard.EINVALID,
			"The tag %s and the digest %s name different images: in the ECR repository %s that digest carries %s. Nothing was planned; deploy by tag or by digest alone.",
			next.Tag, switchyard.ShortDigest(next.Digest), repo, carries)
	}
	p.Image.Checked = true
	p.Image.Digest = aws.ToString(img.ImageDigest)
	if img.ImagePushedAt != nil {
		p.Image.Pushed = img.ImagePushedAt.UTC()
	}
	return nil
}

// imagesOf maps container names to images; "" maps to the first container.
func imagesOf(defs []ecstypes.ContainerDefinition) map[string]string {
	images := make(map[string]string, len(defs)+1)
	for i, cd := range defs {
		if i == 0 {
			images[""] = aws.ToString(cd.Image)
		}
		images[aws.ToString(cd.Name)] = aws.ToString(cd.Image)
	}
	return images
}

// newPlan starts the plan of deploying version to env's service svc, the
// same for either backend: the task definition the service runs, the
// images now in it and the image next (also returned, parsed). One call:
// DescribeTaskDefinition (none when remembered).
func (d *Deployer) newPlan(ctx context.Context, c Clients, env switchyard.Environment, svc *ecstypes.Service, version string, opts switchyard.PlanOptions) (*switchyard.Plan, switchyard.ImageRef, error) {
	p := &switchyard.Plan{App: opts.App, Env: env, ServiceARN: aws.ToString(svc.ServiceArn),
		TaskDefinition: aws.ToString(svc.TaskDefinition), PlannedAt: d.opts.Now().UTC()}
	if p.App == "" {
		p.App = env.Service
	}
	td, err := d.readTaskDefinition(ctx, c, p.TaskDefinition, false)
	if err != nil {
		return nil, switchyard.ImageRef{}, err
	}
	if err := pickContainers(p, env, svc, td.TaskDefinition); err != nil {
		return nil, switchyard.ImageRef{}, err
	}
	next, err := nextImage(p.ImageNow, version)
	if err != nil {
		return nil, switchyard.ImageRef{}, err
	}
	p.ImageNext, p.Version = next.String(), next.Label()
	return p, next, nil
}
