package awssim

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

func TestApplicationsGroupsAndConfigs(t *testing.T) {
	w := oneServiceWorld()
	w.Clusters[0].Services = append(w.Clusters[0].Services, serviceSeed("api"))
	f := newCDFixture(t, w)
	ctx, cd := f.ctx, f.cd

	if _, err := cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("api"), ComputePlatform: types.ComputePlatformEcs}); err != nil {
		t.Fatal(err)
	}
	_, err := cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("api"), ComputePlatform: types.ComputePlatformEcs})
	var exists *types.ApplicationAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("duplicate application: %v", err)
	}
	app, err := cd.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("api")})
	if err != nil || app.Application.ComputePlatform != types.ComputePlatformEcs || !app.Application.CreateTime.Equal(f.t0) {
		t.Fatalf("get application: %+v %v", app, err)
	}
	_, err = cd.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("nope")})
	var noApp *types.ApplicationDoesNotExistException
	if !errors.As(err, &noApp) {
		t.Fatalf("missing application: %v", err)
	}
	apps, err := cd.ListApplications(ctx, &codedeploy.ListApplicationsInput{})
	if err != nil || !slices.Equal(apps.Applications, []string{"api", "web"}) {
		t.Fatalf("list applications: %v %v", apps.Applications, err)
	}

	_, err = cd.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: aws.String("api"), DeploymentGroupName: aws.String("api-prod"),
		ServiceRoleArn:       aws.String("arn:aws:iam::123456789012:role/cd"),
		DeploymentConfigName: aws.String("CodeDeployDefault.ECSCanary10Percent5Minutes"),
		EcsServices:          []types.ECSService{{ClusterName: aws.String("prod"), ServiceName: aws.String("api")}},
		DeploymentStyle:      &types.DeploymentStyle{DeploymentType: types.DeploymentTypeBlueGreen, DeploymentOption: types.DeploymentOptionWithTrafficControl},
		BlueGreenDeploymentConfiguration: &types.BlueGreenDeploymentConfiguration{
			DeploymentReadyOption:                     &types.DeploymentReadyOption{ActionOnTimeout: types.DeploymentReadyActionStopDeployment, WaitTimeInMinutes: 30},
			TerminateBlueInstancesOnDeploymentSuccess: &types.BlueInstanceTerminationOption{Action: types.InstanceActionTerminate, TerminationWaitTimeInMinutes: 15},
		},
		AlarmConfiguration:        &types.AlarmConfiguration{Enabled: true, Alarms: []types.Alarm{{Name: aws.String("api-5xx")}}},
		AutoRollbackConfiguration: &types.AutoRollbackConfiguration{Enabled: true, Events: []types.AutoRollbackEvent{types.AutoRollbackEventDeploymentFailure, types.AutoRollbackEventDeploymentStopOnAlarm}},
		LoadBalancerInfo: &types.LoadBalancerInfo{TargetGroupPairInfoList: []types.TargetGroupPairInfo{{
			TargetGroups:     []types.TargetGroupInfo{{Name: aws.String("api-blue")}, {Name: aws.String("api-green")}},
			ProdTrafficRoute: &types.TrafficRoute{ListenerArns: []string{"arn:prod"}},
			TestTrafficRoute: &types.TrafficRoute{ListenerArns: []string{"arn:test"}},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := cd.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("api"), DeploymentGroupName: aws.String("api-prod")})
	if err != nil {
		t.Fatal(err)
	}
	gi := g.DeploymentGroupInfo
	bg := gi.BlueGreenDeploymentConfiguration
	if aws.ToString(gi.DeploymentConfigName) != "CodeDeployDefault.ECSCanary10Percent5Minutes" || gi.ComputePlatform != types.ComputePlatformEcs ||
		aws.ToString(gi.EcsServices[0].ServiceName) != "api" || bg.DeploymentReadyOption.WaitTimeInMinutes != 30 ||
		bg.DeploymentReadyOption.ActionOnTimeout != types.DeploymentReadyActionStopDeployment ||
		bg.TerminateBlueInstancesOnDeploymentSuccess.TerminationWaitTimeInMinutes != 15 || !gi.AlarmConfiguration.Enabled ||
		aws.ToString(gi.AlarmConfiguration.Alarms[0].Name) != "api-5xx" || len(gi.AutoRollbackConfiguration.Events) != 2 ||
		aws.ToString(gi.LoadBalancerInfo.TargetGroupPairInfoList[0].TargetGroups[1].Name) != "api-green" ||
		gi.DeploymentStyle.DeploymentType != types.DeploymentTypeBlueGreen || gi.LastAttemptedDeployment != nil {
		t.Fatalf("group: %+v", gi)
	}
	_, err = cd.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("api"), DeploymentGroupName: aws.String("nope")})
	var noGroup *types.DeploymentGroupDoesNotExistException
	if !errors.As(err, &noGroup) {
		t.Fatalf("missing group: %v", err)
	}
	groups, err := cd.ListDeploymentGroups(ctx, &codedeploy.ListDeploymentGroupsInput{ApplicationName: aws.String("web")})
	if err != nil || !slices.Equal(groups.DeploymentGroups, []string{"web-prod"}) {
		t.Fatalf("list groups: %v %v", groups, err)
	}
	_, err = cd.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: aws.String("api"), DeploymentGroupName: aws.String("again"), ServiceRoleArn: aws.String("arn:aws:iam::123456789012:role/cd"),
		EcsServices: []types.ECSService{{ClusterName: aws.String("prod"), ServiceName: aws.String("api")}},
		LoadBalancerInfo: &types.LoadBalancerInfo{TargetGroupPairInfoList: []types.TargetGroupPairInfo{{
			TargetGroups:     []types.TargetGroupInfo{{Name: aws.String("a")}, {Name: aws.String("b")}},
			ProdTrafficRoute: &types.TrafficRoute{ListenerArns: []string{"arn:prod"}}}}},
	})
	var mapped *types.ECSServiceMappingLimitExceededException
	if !errors.As(err, &mapped) {
		t.Fatalf("service in two groups: %v", err)
	}

	if _, err := cd.CreateDeploymentConfig(ctx, &codedeploy.CreateDeploymentConfigInput{
		DeploymentConfigName: aws.String("Linear25Every2"), ComputePlatform: types.ComputePlatformEcs,
		TrafficRoutingConfig: &types.TrafficRoutingConfig{Type: types.TrafficRoutingTypeTimeBasedLinear,
			TimeBasedLinear: &types.TimeBasedLinear{LinearPercentage: 25, LinearInterval: 2}},
	}); err != nil {
		t.Fatal(err)
	}
	_, err = cd.CreateDeploymentConfig(ctx, &codedeploy.CreateDeploymentConfigInput{
		DeploymentConfigName: aws.String("Broken"), ComputePlatform: types.ComputePlatformEcs,
		TrafficRoutingConfig: &types.TrafficRoutingConfig{Type: types.TrafficRoutingTypeTimeBasedCanary},
	})
	var badRouting *types.InvalidTrafficRoutingConfigurationException
	if !errors.As(err, &badRouting) {
		t.Fatalf("canary without numbers: %v", err)
	}
	c, err := cd.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: aws.String("CodeDeployDefault.ECSCanary10Percent15Minutes")})
	if err != nil || c.DeploymentConfigInfo.TrafficRoutingConfig.Type != types.TrafficRoutingTypeTimeBasedCanary ||
		c.DeploymentConfigInfo.TrafficRoutingConfig.TimeBasedCanary.CanaryInterval != 15 || c.DeploymentConfigInfo.TrafficRoutingConfig.TimeBasedCanary.CanaryPercentage != 10 {
		t.Fatalf("predefined config: %+v %v", c, err)
	}
	_, err = cd.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: aws.String("nope")})
	var noConfig *types.DeploymentConfigDoesNotExistException
	if !errors.As(err, &noConfig) {
		t.Fatalf("missing config: %v", err)
	}
	configs, err := cd.ListDeploymentConfigs(ctx, &codedeploy.ListDeploymentConfigsInput{})
	if err != nil || len(configs.DeploymentConfigsList) != 6 || !slices.Contains(configs.DeploymentConfigsList, "Linear25Every2") ||
		!slices.Contains(configs.DeploymentConfigsList, "CodeDeployDefault.ECSLinear10PercentEvery3Minutes") {
		t.Fatalf("list configs: %v %v", configs.DeploymentConfigsList, err)
	}

	// The custom config drives a deployment: 25, 50, 75, 100 every 2 minutes.
	td := f.registerTD("api", "v2")
	out, err := cd.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("api"), DeploymentGroupName: aws.String("api-prod"),
		DeploymentConfigName: aws.String("Linear25Every2"),
		Revision:             contentRevision(appSpecYAML(td))})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.DeploymentId)
	f.advanceTo(35 * sec) // Ready after the test traffic stages
	if _, err := cd.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	// BeforeAllowTraffic [35,36], AllowTraffic from 36s.
	for i, w := range []float64{25, 50, 75, 100} {
		f.advanceTo(36*sec + time.Duration(i)*2*time.Minute)
		blue, green := f.weightsOf(id, "api")
		if green != w || blue != 100-w {
			t.Fatalf("step %d: blue %g green %g", i, blue, green)
		}
	}
	gi = f.group("api", "api-prod")
	if aws.ToString(gi.LastAttemptedDeployment.DeploymentId) != id || gi.LastSuccessfulDeployment != nil {
		t.Fatalf("last deployments: %+v %+v", gi.LastAttemptedDeployment, gi.LastSuccessfulDeployment)
	}
}

func (f *cdFixture) group(app, group string) *types.DeploymentGroupInfo {
	f.t.Helper()
	g, err := f.cd.GetDeploymentGroup(f.ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String(app), DeploymentGroupName: aws.String(group)})
	if err != nil {
		f.t.Fatal(err)
	}
	return g.DeploymentGroupInfo
}

func (f *cdFixture) weightsOf(id, service string) (blue, green float64) {
	out, err := f.cd.GetDeploymentTarget(f.ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String("prod:" + service)})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, ts := range out.DeploymentTarget.EcsTarget.TaskSetsInfo {
		if ts.TaskSetLabel == types.TargetLabelBlue {
			blue = ts.TrafficWeight
		} else {
			green = ts.TrafficWeight
		}
	}
	return blue, green
}

func TestCreateDeploymentErrors(t *testing.T) {
	f := newCDFixture(t, oneServiceWorld())
	td := f.registerTD("web", "v2")
	create := func(mod func(*codedeploy.CreateDeploymentInput)) error {
		in := &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web-prod"),
			Revision: contentRevision(appSpecYAML(td))}
		mod(in)
		_, err := f.cd.CreateDeployment(f.ctx, in)
		return err
	}
	cases := []struct {
		name, code string
		mod        func(*codedeploy.CreateDeploymentInput)
	}{
		{"no application", "ApplicationDoesNotExistException", func(in *codedeploy.CreateDeploymentInput) { in.ApplicationName = aws.String("nope") }},
		{"no group", "DeploymentGroupDoesNotExistException", func(in *codedeploy.CreateDeploymentInput) { in.DeploymentGroupName = aws.String("nope") }},
		{"no config", "DeploymentConfigDoesNotExistException", func(in *codedeploy.CreateDeploymentInput) { in.DeploymentConfigName = aws.String("nope") }},
		{"long description", "DescriptionTooLongException", func(in *codedeploy.CreateDeploymentInput) { in.Description = aws.String(strings.Repeat("x", 300)) }},
		{"no revision", "RevisionRequiredException", func(in *codedeploy.CreateDeploymentInput) { in.Revision = nil }},
		{"not YAML", "InvalidRevisionException", func(in *codedeploy.CreateDeploymentInput) { in.Revision = contentRevision("version: [0.0\n") }},
		{"unknown task definition", "InvalidRevisionException", func(in *codedeploy.CreateDeploymentInput) {
			in.Revision = contentRevision(appSpecYAML("arn:aws:ecs:us-east-1:123456789012:task-definition/web:9"))
		}},
		{"family instead of ARN", "InvalidRevisionException", func(in *codedeploy.CreateDeploymentInput) { in.Revision = contentRevision(appSpecYAML("web:2")) }},
		{"wrong container", "InvalidRevisionException", func(in *codedeploy.CreateDeploymentInput) {
			in.Revision = contentRevision(strings.Replace(appSpecYAML(td), `"web"`, `"api"`, 1))
		}},
		{"wrong port", "InvalidRevisionException", func(in *codedeploy.CreateDeploymentInput) {
			in.Revision = contentRevision(strings.Replace(appSpecYAML(td), "8080", "9090", 1))
		}},
		{"unknown hook", "InvalidRevisionException", func(in *codedeploy.CreateDeploymentInput) {
			in.Revision = contentRevision(appSpecYAML(td, "ApplicationStart=fn"))
		}},
		{"S3 object not registered", "InvalidRevisionException", func(in *codedeploy.CreateDeploymentInput) {
			in.Revision = &types.RevisionLocation{RevisionType: types.RevisionLocationTypeS3,
				S3Location: &types.S3Location{Bucket: aws.String("b"), Key: aws.String("missing.yaml"), BundleType: types.BundleTypeYaml}}
		}},
		{"bad rollback events", "InvalidAutoRollbackConfigException", func(in *codedeploy.CreateDeploymentInput) {
			in.AutoRollbackConfiguration = &types.AutoRollbackConfiguration{Enabled: true, Events: []types.AutoRollbackEvent{"SOMETIMES"}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, create(tc.mod), tc.code, "") })
	}
	// The typed errors the SDK knows for CreateDeployment.
	var limit *types.DeploymentLimitExceededException
	var invalid *types.InvalidRevisionException
	if err := create(func(in *codedeploy.CreateDeploymentInput) { in.Revision = contentRevision("{") }); !errors.As(err, &invalid) {
		t.Fatalf("typed InvalidRevisionException: %v", err)
	}
	id := f.deploy("web", "web-prod", "web")
	err := create(func(*codedeploy.CreateDeploymentInput) {})
	if !errors.As(err, &limit) {
		t.Fatalf("second deployment: %v", err)
	}
	wantAPIError(t, err, "DeploymentLimitExceededException", "The Deployment Group 'web-prod' already has an active Deployment '"+id+"'")
	// JSON AppSpec and an S3 revision registered with PutS3Object are accepted once the group is free.
	f.sim.Advance(2 * time.Minute)
	jsonSpec := `{"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": "` + td +
		`", "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": 8080}}}}], "Hooks": [{"AfterAllowTraffic": "check"}]}`
	if err := create(func(in *codedeploy.CreateDeploymentInput) { in.Revision = contentRevision(jsonSpec) }); err != nil {
		t.Fatalf("JSON AppSpec: %v", err)
	}
	f.sim.Advance(2 * time.Minute)
	f.sim.PutS3Object("specs", "web.yaml", appSpecYAML(td))
	s3rev := &types.RevisionLocation{RevisionType: types.RevisionLocationTypeS3,
		S3Location: &types.S3Location{Bucket: aws.String("specs"), Key: aws.String("web.yaml"), BundleType: types.BundleTypeYaml}}
	if err := create(func(in *codedeploy.CreateDeploymentInput) { in.Revision = s3rev }); err != nil {
		t.Fatalf("S3 revision: %v", err)
	}
}

func TestDeploymentReads(t *testing.T) {
	f := newCDFixture(t, oneServiceWorld())
	ctx, cd := f.ctx, f.cd
	td := f.registerTD("web", "v2")
	content := appSpecYAML(td)
	out, err := cd.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web-prod"),
		Description: aws.String("web v2"), Revision: contentRevision(content)})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.DeploymentId)
	if !deploymentIDPattern.MatchString(id) {
		t.Fatalf("deployment id %q", id)
	}
	_, err = cd.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id)})
	var notStarted *types.DeploymentNotStartedException
	if !errors.As(err, &notStarted) {
		t.Fatalf("targets before start: %v", err)
	}
	_, err = cd.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String("prod:web")})
	if !errors.As(err, &notStarted) {
		t.Fatalf("target before start: %v", err)
	}
	info := f.info(id)
	sum := sha256Hex(content)
	if info.Revision.AppSpecContent.Content != nil || aws.ToString(info.Revision.AppSpecContent.Sha256) != sum ||
		info.Creator != types.DeploymentCreatorUser || aws.ToString(info.Description) != "web v2" || info.ComputePlatform != types.ComputePlatformEcs ||
		aws.ToString(info.DeploymentConfigName) != "CodeDeployDefault.ECSAllAtOnce" || info.DeploymentOverview.Pending != 1 ||
		info.DeploymentStyle.DeploymentOption != types.DeploymentOptionWithTrafficControl || !info.CreateTime.Equal(f.t0) {
		t.Fatalf("deployment info: %+v", info)
	}
	rev, err := cd.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{ApplicationName: aws.String("web"),
		Revision: &types.RevisionLocation{RevisionType: types.RevisionLocationTypeAppSpecContent, AppSpecContent: &types.AppSpecContent{Sha256: aws.String(sum)}}})
	if err != nil || aws.ToString(rev.Revision.AppSpecContent.Content) != content || !slices.Equal(rev.RevisionInfo.DeploymentGroups, []string{"web-prod"}) {
		t.Fatalf("application revision: %+v %v", rev, err)
	}
	_, err = cd.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{ApplicationName: aws.String("web"),
		Revision: &types.RevisionLocation{RevisionType: types.RevisionLocationTypeAppSpecContent, AppSpecContent: &types.AppSpecContent{Sha256: aws.String("00")}}})
	var noRev *types.RevisionDoesNotExistException
	if !errors.As(err, &noRev) {
		t.Fatalf("unknown revision: %v", err)
	}

	f.advanceTo(5 * sec)
	targets, err := cd.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id)})
	if err != nil || !slices.Equal(targets.TargetIds, []string{"prod:web"}) {
		t.Fatalf("targets: %v %v", targets, err)
	}
	batch, err := cd.BatchGetDeploymentTargets(ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: aws.String(id), TargetIds: []string{"prod:web"}})
	if err != nil || len(batch.DeploymentTargets) != 1 || batch.DeploymentTargets[0].DeploymentTargetType != types.DeploymentTargetTypeEcsTarget {
		t.Fatalf("batch targets: %+v %v", batch, err)
	}
	et := batch.DeploymentTargets[0].EcsTarget
	if et.Status != types.TargetStatusInProgress || aws.ToString(et.TargetArn) != "arn:aws:ecs:us-east-1:123456789012:service/prod/web" ||
		len(et.TaskSetsInfo) != 2 || aws.ToString(et.TaskSetsInfo[1].TargetGroup.Name) != "web-green" || et.TaskSetsInfo[1].DesiredCount != 1 ||
		!strings.HasPrefix(aws.ToString(et.TaskSetsInfo[1].Identifer), "ecs-svc/") || aws.ToString(et.TaskSetsInfo[0].Status) != "PRIMARY" {
		t.Fatalf("ecs target: %+v", et)
	}
	_, err = cd.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String("prod:api")})
	var noTarget *types.DeploymentTargetDoesNotExistException
	if !errors.As(err, &noTarget) {
		t.Fatalf("unknown target: %v", err)
	}
	_, err = cd.BatchGetDeploymentTargets(ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: aws.String(id), TargetIds: make([]string, 26)})
	var tooManyTargets *types.DeploymentTargetListSizeExceededException
	if !errors.As(err, &tooManyTargets) {
		t.Fatalf("26 targets: %v", err)
	}

	_, err = cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String("d-AAAAAAAAA")})
	var noDeployment *types.DeploymentDoesNotExistException
	if !errors.As(err, &noDeployment) {
		t.Fatalf("unknown deployment: %v", err)
	}
	_, err = cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String("nonsense")})
	var badID *types.InvalidDeploymentIdException
	if !errors.As(err, &badID) {
		t.Fatalf("malformed id: %v", err)
	}
	_, err = cd.BatchGetDeployments(ctx, &codedeploy.BatchGetDeploymentsInput{DeploymentIds: make([]string, 26)})
	var tooMany *types.BatchLimitExceededException
	if !errors.As(err, &tooMany) {
		t.Fatalf("26 ids: %v", err)
	}

	// More deployments for the lists: finish this one, then 60 more.
	f.sim.Advance(time.Minute)
	ids := []string{id}
	for range 60 {
		ids = append(ids, f.deploy("web", "web-prod", "web"))
		f.sim.Advance(time.Minute)
	}
	last := f.deploy("web", "web-prod", "web")
	bg, err := cd.BatchGetDeployments(ctx, &codedeploy.BatchGetDeploymentsInput{DeploymentIds: []string{id, last, "d-AAAAAAAAA"}})
	if err != nil || len(bg.DeploymentsInfo) != 2 {
		t.Fatalf("batch get: %d %v", len(bg.DeploymentsInfo), err)
	}
	var listed []string
	var token *string
	for pages := 0; ; pages++ {
		page, err := cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("web"),
			DeploymentGroupName: aws.String("web-prod"), IncludeOnlyStatuses: []types.DeploymentStatus{types.DeploymentStatusSucceeded}, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, page.Deployments...)
		if token = page.NextToken; token == nil {
			if pages == 0 {
				t.Fatal("61 deployments fit in one page")
			}
			break
		}
	}
	slices.Reverse(listed) // newest first on the wire
	if !slices.Equal(listed, ids) {
		t.Fatalf("listed %d succeeded deployments, want %d", len(listed), len(ids))
	}
	active, err := cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{IncludeOnlyStatuses: []types.DeploymentStatus{types.DeploymentStatusCreated, types.DeploymentStatusInProgress}})
	if err != nil || !slices.Equal(active.Deployments, []string{last}) {
		t.Fatalf("active: %v %v", active, err)
	}
	window, err := cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{CreateTimeRange: &types.TimeRange{
		Start: aws.Time(f.t0.Add(30 * time.Second)), End: aws.Time(f.t0.Add(3*time.Minute + 30*time.Second))}})
	if err != nil || len(window.Deployments) != 3 {
		t.Fatalf("time range: %v %v", window, err)
	}
	_, err = cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{IncludeOnlyStatuses: []types.DeploymentStatus{"Sleeping"}})
	wantAPIError(t, err, "InvalidDeploymentStatusException", "")
	_, err = cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{NextToken: aws.String("garbage")})
	wantAPIError(t, err, "InvalidNextTokenException", "")
	_, err = cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("nope")})
	wantAPIError(t, err, "DeploymentGroupDoesNotExistException", "")
}

func TestStopContinueAndHookStatusErrors(t *testing.T) {
	f := newCDFixture(t, oneServiceWorld(func(g *DeploymentGroupSeed) { g.TerminationWaitMinutes = 30 }))
	ctx, cd := f.ctx, f.cd
	f.sim.SetManualHooks(true)
	id := f.deploy("web", "web-prod", "web", "BeforeAllowTraffic=gate", "AfterAllowTraffic=smoke")
	_, err := cd.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id), DeploymentWaitType: types.DeploymentWaitTypeReadyWait})
	var notReady *types.DeploymentIsNotInReadyStateException
	if !errors.As(err, &notReady) {
		t.Fatalf("continue while not ready: %v", err)
	}
	_, err = cd.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id), DeploymentWaitType: "SOON"})
	wantAPIError(t, err, "InvalidDeploymentWaitTypeException", "")

	// The BeforeAllowTraffic hook waits for its status (manual hooks).
	f.advanceTo(40 * time.Minute)
	stage, exec, ok := f.sim.PendingHookExecution(id)
	if !ok || stage != "BeforeAllowTraffic" {
		t.Fatalf("pending hook: %s %v", stage, ok)
	}
	_, err = cd.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{DeploymentId: aws.String(id),
		LifecycleEventHookExecutionId: aws.String("not-an-execution"), Status: types.LifecycleEventStatusSucceeded})
	var badExec *types.InvalidLifecycleEventHookExecutionIdException
	if !errors.As(err, &badExec) {
		t.Fatalf("unknown execution: %v", err)
	}
	_, err = cd.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{DeploymentId: aws.String(id),
		LifecycleEventHookExecutionId: aws.String(exec), Status: types.LifecycleEventStatusPending})
	var badStatus *types.InvalidLifecycleEventHookExecutionStatusException
	if !errors.As(err, &badStatus) {
		t.Fatalf("Pending status: %v", err)
	}
	put, err := cd.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{DeploymentId: aws.String(id),
		LifecycleEventHookExecutionId: aws.String(exec), Status: types.LifecycleEventStatusSucceeded})
	if err != nil || aws.ToString(put.LifecycleEventHookExecutionId) != exec {
		t.Fatalf("put status: %+v %v", put, err)
	}
	_, err = cd.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{DeploymentId: aws.String(id),
		LifecycleEventHookExecutionId: aws.String(exec), Status: types.LifecycleEventStatusSucceeded})
	var done *types.LifecycleEventAlreadyCompletedException
	if !errors.As(err, &done) {
		t.Fatalf("second put: %v", err)
	}
	// AllowTraffic is all at once; the AfterAllowTraffic hook fails by its report.
	stage, exec, _ = f.sim.PendingHookExecution(id)
	if stage != "AfterAllowTraffic" {
		t.Fatalf("next hook: %s", stage)
	}
	if _, err := cd.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{DeploymentId: aws.String(id),
		LifecycleEventHookExecutionId: aws.String(exec), Status: types.LifecycleEventStatusFailed}); err != nil {
		t.Fatal(err)
	}
	info := f.info(id)
	if info.Status != types.DeploymentStatusFailed || info.ErrorInformation.Code != types.ErrorCodeHookExecutionFailure || info.RollbackInfo != nil {
		t.Fatalf("after a Failed report: %s %+v", info.Status, info.ErrorInformation)
	}
	_, err = cd.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id)})
	var completed *types.DeploymentAlreadyCompletedException
	if !errors.As(err, &completed) {
		t.Fatalf("stop a completed deployment: %v", err)
	}
	_, err = cd.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id), DeploymentWaitType: types.DeploymentWaitTypeTerminationWait})
	if !errors.As(err, &completed) {
		t.Fatalf("continue a completed deployment: %v", err)
	}
	_, err = cd.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String("d-AAAAAAAAA")})
	var missing *types.DeploymentDoesNotExistException
	if !errors.As(err, &missing) {
		t.Fatalf("stop unknown: %v", err)
	}

	// A hook nobody answers fails after an hour.
	id2 := f.deploy("web", "web-prod", "web", "BeforeInstall=slow")
	f.sim.Advance(time.Hour + 2*sec)
	if info := f.info(id2); info.Status != types.DeploymentStatusFailed || f.events(id2)[0] != "BeforeInstall:Failed" {
		t.Fatalf("unanswered hook: %s %v", info.Status, f.events(id2))
	}
}
