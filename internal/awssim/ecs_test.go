package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

const webTD1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"

func TestECSClusters(t *testing.T) {
	_, cfg := startWorldSim(t)
	ctx := context.Background()
	c := ecs.NewFromConfig(cfg)

	list, err := c.ListClusters(ctx, &ecs.ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(list.ClusterArns, []string{"arn:aws:ecs:us-east-1:123456789012:cluster/prod"}) {
		t.Errorf("cluster ARNs = %v", list.ClusterArns)
	}

	out, err := c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"prod", "nope"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Clusters) != 1 || aws.ToString(out.Clusters[0].ClusterName) != "prod" ||
		aws.ToString(out.Clusters[0].Status) != "ACTIVE" || out.Clusters[0].ActiveServicesCount != 2 ||
		out.Clusters[0].RunningTasksCount != 5 {
		t.Errorf("clusters = %+v", out.Clusters)
	}
	if len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" ||
		aws.ToString(out.Failures[0].Arn) != "arn:aws:ecs:us-east-1:123456789012:cluster/nope" {
		t.Errorf("failures = %+v", out.Failures)
	}
}

func TestECSListServices(t *testing.T) {
	_, cfg := startWorldSim(t)
	ctx := context.Background()
	c := ecs.NewFromConfig(cfg)

	out, err := c.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"arn:aws:ecs:us-east-1:123456789012:service/prod/web",
		"arn:aws:ecs:us-east-1:123456789012:service/prod/worker",
	}
	if !slices.Equal(out.ServiceArns, want) {
		t.Errorf("service ARNs = %v", out.ServiceArns)
	}

	// Paging one at a time visits both.
	var paged []string
	p := ecs.NewListServicesPaginator(c, &ecs.ListServicesInput{Cluster: aws.String("prod"), MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page.ServiceArns...)
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged service ARNs = %v", paged)
	}

	_, err = c.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("staging")})
	var nf *ecstypes.ClusterNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("err = %v, want ClusterNotFoundException", err)
	}
}

func TestECSDescribeServicesCodeDeploy(t *testing.T) {
	s, cfg := startWorldSim(t)
	ctx := context.Background()
	c := ecs.NewFromConfig(cfg)

	out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster:  aws.String("prod"),
		Services: []string{"web", "ghost"},
		Include:  []ecstypes.ServiceField{ecstypes.ServiceFieldTags},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" ||
		aws.ToString(out.Failures[0].Arn) != "arn:aws:ecs:us-east-1:123456789012:service/prod/ghost" {
		t.Errorf("failures = %+v", out.Failures)
	}
	if len(out.Services) != 1 {
		t.Fatalf("services = %+v", out.Services)
	}
	svc := out.Services[0]
	if svc.DeploymentController == nil || svc.DeploymentController.Type != ecstypes.DeploymentControllerTypeCodeDeploy {
		t.Errorf("deployment controller = %+v", svc.DeploymentController)
	}
	if len(svc.Deployments) != 0 {
		t.Errorf("deployments = %+v, want none for CODE_DEPLOY", svc.Deployments)
	}
	if aws.ToString(svc.TaskDefinition) != webTD1 || svc.DesiredCount != 3 || svc.RunningCount != 3 ||
		svc.LaunchType != ecstypes.LaunchTypeFargate || aws.ToString(svc.PlatformVersion) != "LATEST" ||
		aws.ToString(svc.Status) != "ACTIVE" || svc.CreatedAt == nil || !svc.CreatedAt.Equal(s.Clock().Now()) {
		t.Errorf("service = %+v", svc)
	}
	if len(svc.LoadBalancers) != 1 || aws.ToString(svc.LoadBalancers[0].ContainerName) != "web" ||
		aws.ToInt32(svc.LoadBalancers[0].ContainerPort) != 8080 {
		t.Errorf("load balancers = %+v", svc.LoadBalancers)
	}
	vpc := svc.NetworkConfiguration.AwsvpcConfiguration
	if !slices.Equal(vpc.Subnets, []string{"subnet-0a1b2c3d", "subnet-4e5f6a7b"}) || vpc.AssignPublicIp != ecstypes.AssignPublicIpDisabled {
		t.Errorf("network = %+v", vpc)
	}
	if len(svc.Tags) != 1 || aws.ToString(svc.Tags[0].Key) != "team" {
		t.Errorf("tags = %+v", svc.Tags)
	}
	if len(svc.TaskSets) != 1 {
		t.Fatalf("task sets = %+v", svc.TaskSets)
	}
	ts := svc.TaskSets[0]
	if aws.ToString(ts.Status) != "PRIMARY" || aws.ToString(ts.TaskDefinition) != webTD1 ||
		ts.Scale == nil || ts.Scale.Value != 100 || ts.Scale.Unit != ecstypes.ScaleUnitPercent ||
		ts.StabilityStatus != ecstypes.StabilityStatusSteadyState || ts.ComputedDesiredCount != 3 ||
		ts.RunningCount != 3 || ts.PendingCount != 0 || len(aws.ToString(ts.Id)) != len("ecs-svc/")+19 ||
		aws.ToString(ts.TaskSetArn) == "" || len(ts.LoadBalancers) != 1 {
		t.Errorf("task set = %+v", ts)
	}

	// The service's task definition follows whichever set is PRIMARY, as
	// the CodeDeploy engine flips them.
	s.mu.Lock()
	live := s.ecs.service("prod", "web")
	green := s.newTaskSet(live, "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7", "d-ABCDEFGHI", s.clock.Now())
	live.taskSets[0].status, green.status = "ACTIVE", "PRIMARY"
	s.mu.Unlock()
	out, err = c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Services[0].TaskDefinition); got != "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7" {
		t.Errorf("service task definition = %s, want the PRIMARY set's", got)
	}
	if sets := out.Services[0].TaskSets; len(sets) != 2 || aws.ToString(sets[1].ExternalId) != "d-ABCDEFGHI" ||
		aws.ToString(sets[1].StartedBy) != "CodeDeploy" {
		t.Errorf("task sets = %+v", sets)
	}
}

func TestECSDescribeServicesErrors(t *testing.T) {
	_, cfg := startWorldSim(t)
	ctx := context.Background()
	c := ecs.NewFromConfig(cfg)

	_, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"web"}})
	var nf *ecstypes.ClusterNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Cluster not found." {
		t.Errorf("err = %v, want ClusterNotFoundException", err)
	}

	many := make([]string, 11)
	for i := range many {
		many[i] = fmt.Sprintf("svc-%d", i)
	}
	_, err = c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: many})
	var ip *ecstypes.InvalidParameterException
	if !errors.As(err, &ip) {
		t.Errorf("err = %v, want InvalidParameterException for 11 services", err)
	}

	// The ECS-controlled worker has one PRIMARY deployment and no task sets.
	out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"worker"}})
	if err != nil {
		t.Fatal(err)
	}
	w := out.Services[0]
	if w.DeploymentController.Type != ecstypes.DeploymentControllerTypeEcs || len(w.TaskSets) != 0 ||
		len(w.Deployments) != 1 || aws.ToString(w.Deployments[0].Status) != "PRIMARY" ||
		w.Deployments[0].RolloutState != ecstypes.DeploymentRolloutStateCompleted {
		t.Errorf("worker = %+v", w)
	}
}

func TestECSDescribeTaskSets(t *testing.T) {
	_, cfg := startWorldSim(t)
	ctx := context.Background()
	c := ecs.NewFromConfig(cfg)

	all, err := c.DescribeTaskSets(ctx, &ecs.DescribeTaskSetsInput{Cluster: aws.String("prod"), Service: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.TaskSets) != 1 {
		t.Fatalf("task sets = %+v", all.TaskSets)
	}
	arn := aws.ToString(all.TaskSets[0].TaskSetArn)
	one, err := c.DescribeTaskSets(ctx, &ecs.DescribeTaskSetsInput{
		Cluster: aws.String("prod"), Service: aws.String("web"), TaskSets: []string{arn, "ecs-svc/0000000000000000000"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.TaskSets) != 1 || aws.ToString(one.TaskSets[0].TaskSetArn) != arn ||
		len(one.Failures) != 1 || aws.ToString(one.Failures[0].Reason) != "MISSING" {
		t.Errorf("by ARN = %+v / %+v", one.TaskSets, one.Failures)
	}

	_, err = c.DescribeTaskSets(ctx, &ecs.DescribeTaskSetsInput{Cluster: aws.String("prod"), Service: aws.String("ghost")})
	var snf *ecstypes.ServiceNotFoundException
	if !errors.As(err, &snf) {
		t.Errorf("err = %v, want ServiceNotFoundException", err)
	}
	_, err = c.DescribeTaskSets(ctx, &ecs.DescribeTaskSetsInput{Cluster: aws.String("prod"), Service: aws.String("worker")})
	var ip *ecstypes.InvalidParameterException
	if !errors.As(err, &ip) {
		t.Errorf("err = %v, want InvalidParameterException for an ECS-controlled service", err)
	}
}

func TestECSUpdateService(t *testing.T) {
	_, cfg := startWorldSim(t)
	ctx := context.Background()
	c := ecs.NewFromConfig(cfg)

	_, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String("web:1"),
	})
	var ip *ecstypes.InvalidParameterException
	want := "Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment."
	if !errors.As(err, &ip) || ip.ErrorMessage() != want {
		t.Errorf("err = %v, want InvalidParameterException %q", err, want)
	}

	out, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(5),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Service.DesiredCount != 5 || out.Service.RunningCount != 5 || out.Service.TaskSets[0].ComputedDesiredCount != 5 {
		t.Errorf("after scaling = %+v", out.Service)
	}

	// An ECS-controlled service takes a new task definition directly.
	out, err = c.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String("prod"), Service: aws.String("worker"), TaskDefinition: aws.String("worker"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Service.TaskDefinition); got != "arn:aws:ecs:us-east-1:123456789012:task-definition/worker:1" {
		t.Errorf("worker task definition = %s", got)
	}

	_, err = c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("ghost"), DesiredCount: aws.Int32(1)})
	var snf *ecstypes.ServiceNotFoundException
	if !errors.As(err, &snf) {
		t.Errorf("err = %v, want ServiceNotFoundException", err)
	}
	_, err = c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("qa"), Service: aws.String("web"), DesiredCount: aws.Int32(1)})
	var cnf *ecstypes.ClusterNotFoundException
	if !errors.As(err, &cnf) {
		t.Errorf("err = %v, want ClusterNotFoundException", err)
	}
}

func TestECSTaskDefinitions(t *testing.T) {
	s, cfg := startWorldSim(t)
	ctx := context.Background()
	c := ecs.NewFromConfig(cfg)

	desc, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String("web"),
		Include:        []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
	})
	if err != nil {
		t.Fatal(err)
	}
	td := desc.TaskDefinition
	if aws.ToString(td.TaskDefinitionArn) != webTD1 || td.Revision != 1 || td.Status != ecstypes.TaskDefinitionStatusActive ||
		aws.ToString(td.Cpu) != "256" || aws.ToString(td.Memory) != "512" || td.NetworkMode != ecstypes.NetworkModeAwsvpc ||
		td.RuntimePlatform == nil || td.RuntimePlatform.CpuArchitecture != ecstypes.CPUArchitectureArm64 ||
		td.RegisteredAt == nil || aws.ToString(td.RegisteredBy) == "" {
		t.Errorf("task definition = %+v", td)
	}
	if !slices.Equal(td.Compatibilities, []ecstypes.Compatibility{"EC2", "FARGATE"}) {
		t.Errorf("compatibilities = %v", td.Compatibilities)
	}
	var attrs []string
	for _, a := range td.RequiresAttributes {
		attrs = append(attrs, aws.ToString(a.Name))
	}
	for _, want := range []string{"ecs.capability.task-eni", "com.amazonaws.ecs.capability.task-iam-role", "ecs.capability.execution-role-ecr-pull"} {
		if !slices.Contains(attrs, want) {
			t.Errorf("requiresAttributes %v lack %s", attrs, want)
		}
	}
	cd := td.ContainerDefinitions[0]
	if aws.ToString(cd.Image) != "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1.3" || len(cd.PortMappings) != 1 ||
		aws.ToInt32(cd.PortMappings[0].ContainerPort) != 8080 || len(cd.Environment) != 1 ||
		cd.LogConfiguration.Options["awslogs-group"] != "/ecs/web" {
		t.Errorf("container = %+v", cd)
	}
	if len(desc.Tags) != 1 || aws.ToString(desc.Tags[0].Value) != "web" {
		t.Errorf("tags = %+v", desc.Tags)
	}

	// Clone with a new image, as the deployer does: every field survives.
	cd.Image = aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1.4")
	reg, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:                  td.Family,
		ContainerDefinitions:    []ecstypes.ContainerDefinition{cd},
		Cpu:                     td.Cpu,
		Memory:                  td.Memory,
		NetworkMode:             td.NetworkMode,
		RequiresCompatibilities: td.RequiresCompatibilities,
		ExecutionRoleArn:        td.ExecutionRoleArn,
		TaskRoleArn:             td.TaskRoleArn,
		RuntimePlatform:         td.RuntimePlatform,
		EphemeralStorage:        &ecstypes.EphemeralStorage{SizeInGiB: 30},
		Volumes:                 []ecstypes.Volume{{Name: aws.String("scratch")}},
		Tags:                    desc.Tags,
	})
	if err != nil {
		t.Fatal(err)
	}
	if reg.TaskDefinition.Revision != 2 || aws.ToString(reg.TaskDefinition.TaskDefinitionArn) != "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2" ||
		reg.TaskDefinition.Status != ecstypes.TaskDefinitionStatusActive || len(reg.Tags) != 1 {
		t.Errorf("registered = %+v", reg.TaskDefinition)
	}
	again, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:2")})
	if err != nil {
		t.Fatal(err)
	}
	got := again.TaskDefinition
	if got.EphemeralStorage == nil || got.EphemeralStorage.SizeInGiB != 30 || len(got.Volumes) != 1 ||
		aws.ToString(got.ContainerDefinitions[0].Image) != "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1.4" ||
		got.ContainerDefinitions[0].LogConfiguration.Options["awslogs-stream-prefix"] != "web" || again.Tags != nil {
		t.Errorf("web:2 = %+v (tags %v without include)", got, again.Tags)
	}

	_, err = c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:9")})
	var ce *ecstypes.ClientException
	if !errors.As(err, &ce) || ce.ErrorMessage() != "Unable to describe task definition." {
		t.Errorf("err = %v, want ClientException", err)
	}

	_, err = c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("bad"),
		NetworkMode:             ecstypes.NetworkModeBridge,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("x"), Image: aws.String("x")}},
	})
	if !errors.As(err, &ce) {
		t.Errorf("err = %v, want ClientException for FARGATE with bridge networking", err)
	}

	// Deregistering web:1 leaves web:2 as the family's latest ACTIVE.
	s.clock.set(s.clock.Now().Add(time.Hour))
	dereg, err := c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(webTD1)})
	if err != nil {
		t.Fatal(err)
	}
	if dereg.TaskDefinition.Status != ecstypes.TaskDefinitionStatusInactive || dereg.TaskDefinition.DeregisteredAt == nil ||
		!dereg.TaskDefinition.DeregisteredAt.Equal(s.Clock().Now()) {
		t.Errorf("deregistered = %+v", dereg.TaskDefinition)
	}
	latest, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web")})
	if err != nil || latest.TaskDefinition.Revision != 2 {
		t.Errorf("latest web = %+v, %v", latest, err)
	}
	_, err = c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:40")})
	if !errors.As(err, &ce) {
		t.Errorf("err = %v, want ClientException for an unknown revision", err)
	}
}

func TestECSListTaskDefinitions(t *testing.T) {
	_, cfg := startWorldSim(t)
	ctx := context.Background()
	c := ecs.NewFromConfig(cfg)
	arn := func(fam string, rev int) string {
		return fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/%s:%d", fam, rev)
	}
	for range 2 {
		_, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family:               aws.String("web"),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("web:x")}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:2")}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		in   ecs.ListTaskDefinitionsInput
		want []string
	}{
		{"active", ecs.ListTaskDefinitionsInput{}, []string{arn("web", 1), arn("web", 3), arn("worker", 1)}},
		{"family", ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("web")}, []string{arn("web", 1), arn("web", 3)}},
		{"inactive", ecs.ListTaskDefinitionsInput{Status: ecstypes.TaskDefinitionStatusInactive}, []string{arn("web", 2)}},
		{"desc", ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("web"), Sort: ecstypes.SortOrderDesc},
			[]string{arn("web", 3), arn("web", 1)}},
	}
	for _, tc := range cases {
		var got []string
		p := ecs.NewListTaskDefinitionsPaginator(c, &tc.in, func(o *ecs.ListTaskDefinitionsPaginatorOptions) { o.Limit = 1 })
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.TaskDefinitionArns) > 1 {
				t.Errorf("%s: page of %d with limit 1", tc.name, len(page.TaskDefinitionArns))
			}
			got = append(got, page.TaskDefinitionArns...)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}

	_, err := c.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{NextToken: aws.String("garbage!")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ClientException" {
		t.Errorf("err = %v, want ClientException for a bad token", err)
	}
}

// A container registered with a name and an image comes back with what ECS
// fills in, and a described definition sent back as a registration (the
// README's jq step, here through the AWS CLI) reads back field for field.
func TestECSTaskDefinitionDefaultsRoundTrip(t *testing.T) {
	s, _ := startWorldSim(t)
	cli := newAWSCLI(t, s)
	var reg struct {
		TaskDefinition map[string]any `json:"taskDefinition"`
	}
	cli.json(&reg, "ecs", "register-task-definition", "--family", "bare",
		"--container-definitions", `[{"name":"app","image":"nginx:1.27"}]`)
	c := reg.TaskDefinition["containerDefinitions"].([]any)[0].(map[string]any)
	for k, want := range map[string]any{"cpu": 0.0, "essential": true} {
		if c[k] != want {
			t.Errorf("container %s = %v, want %v", k, c[k], want)
		}
	}
	for _, k := range []string{"portMappings", "environment", "mountPoints", "volumesFrom", "systemControls"} {
		if l, ok := c[k].([]any); !ok || len(l) != 0 {
			t.Errorf("container %s = %#v, want an empty list", k, c[k])
		}
	}
	for _, k := range []string{"volumes", "placementConstraints"} {
		if l, ok := reg.TaskDefinition[k].([]any); !ok || len(l) != 0 {
			t.Errorf("task definition %s = %#v, want an empty list", k, reg.TaskDefinition[k])
		}
	}

	// Send the description back as it is, read-only fields dropped.
	clone := map[string]any{}
	for k, v := range reg.TaskDefinition {
		if !slices.Contains(readOnlyTaskDefFields, k) {
			clone[k] = v
		}
	}
	b, err := json.Marshal(clone)
	if err != nil {
		t.Fatal(err)
	}
	var again struct {
		TaskDefinition map[string]any `json:"taskDefinition"`
	}
	cli.json(&again, "ecs", "register-task-definition", "--cli-input-json", string(b))
	for k, v := range reg.TaskDefinition {
		if slices.Contains([]string{"taskDefinitionArn", "revision", "registeredAt"}, k) {
			continue
		}
		if !reflect.DeepEqual(again.TaskDefinition[k], v) {
			t.Errorf("%s: first %#v, clone %#v", k, v, again.TaskDefinition[k])
		}
	}
	if len(again.TaskDefinition) != len(reg.TaskDefinition) || again.TaskDefinition["revision"] != 2.0 {
		t.Errorf("clone = %v\nfirst = %v", again.TaskDefinition, reg.TaskDefinition)
	}
}
