package awssim

import (
	"fmt"
	"slices"
)

// CodeDeploy deployment groups: ECS blue/green only.

// cdGroup is an ECS blue/green deployment group. The wire-shaped fields are
// kept exactly as given so that GetDeploymentGroup answers them back.
type cdGroup struct {
	id              string
	name            string
	app             *cdApp
	instanceGroupID string // the UUID CodeDeploy puts in state-change events
	serviceRoleArn  string
	configName      string
	ecsServices     []ecsServiceRef
	blueGreen       blueGreenConfig
	alarms          alarmConfig
	autoRollback    autoRollbackConfig
	lb              loadBalancerInfo
	style           deploymentStyle
	lastAttempt     *cdDeployment
	lastSuccess     *cdDeployment
	current         *cdDeployment // the one active deployment, if any
}

// DeploymentGroupSeed is one ECS blue/green deployment group of a seeded
// application.
type DeploymentGroupSeed struct {
	Name    string `yaml:"name"`
	Service struct {
		Cluster string `yaml:"cluster"`
		Name    string `yaml:"name"`
	} `yaml:"service"`
	// DeploymentConfig defaults to CodeDeployDefault.ECSAllAtOnce.
	DeploymentConfig string `yaml:"deploymentConfig"`
	// ReadyWait is the deploymentReadyOption; absent means CONTINUE_DEPLOYMENT.
	ReadyWait *struct {
		Action  string `yaml:"action"` // CONTINUE_DEPLOYMENT | STOP_DEPLOYMENT
		Minutes int    `yaml:"minutes"`
	} `yaml:"readyWait"`
	TerminationWaitMinutes int `yaml:"terminationWaitMinutes"`
	// Alarms are CloudWatch alarm names; listing any enables monitoring.
	Alarms       []string `yaml:"alarms"`
	AutoRollback *struct {
		Enabled bool     `yaml:"enabled"`
		Events  []string `yaml:"events"`
	} `yaml:"autoRollback"`
	// TestListener adds a test traffic route (and so the test traffic stages).
	TestListener bool `yaml:"testListener"`
	// TargetGroups are the two target group names; default <service>-blue
	// and <service>-green.
	TargetGroups []string `yaml:"targetGroups"`
}

// groupFromSeed turns a seed entry into CreateDeploymentGroup's input.
func (s *Sim) groupFromSeed(g DeploymentGroupSeed) createGroupInput {
	in := createGroupInput{
		DeploymentGroupName:  g.Name,
		DeploymentConfigName: g.DeploymentConfig,
		ServiceRoleArn:       "arn:aws:iam::" + s.account + ":role/CodeDeployECSRole",
		EcsServices:          []ecsServiceRef{{ServiceName: g.Service.Name, ClusterName: g.Service.Cluster}},
		DeploymentStyle:      &deploymentStyle{DeploymentType: "BLUE_GREEN", DeploymentOption: "WITH_TRAFFIC_CONTROL"},
	}
	ready := &readyOption{ActionOnTimeout: "CONTINUE_DEPLOYMENT"}
	if g.ReadyWait != nil {
		ready = &readyOption{ActionOnTimeout: g.ReadyWait.Action, WaitTimeInMinutes: g.ReadyWait.Minutes}
	}
	in.BlueGreenDeploymentConfiguration = &blueGreenConfig{
		DeploymentReadyOption:                     ready,
		TerminateBlueInstancesOnDeploymentSuccess: &terminateOption{Action: "TERMINATE", TerminationWaitTimeInMinutes: g.TerminationWaitMinutes},
	}
	if len(g.Alarms) > 0 {
		ac := &alarmConfig{Enabled: true}
		for _, a := range g.Alarms {
			ac.Alarms = append(ac.Alarms, alarmRef{Name: a})
		}
		in.AlarmConfiguration = ac
	}
	if g.AutoRollback != nil {
		in.AutoRollbackConfiguration = &autoRollbackConfig{Enabled: g.AutoRollback.Enabled, Events: g.AutoRollback.Events}
	}
	tgs := g.TargetGroups
	if len(tgs) != 2 {
		tgs = []string{g.Service.Name + "-blue", g.Service.Name + "-green"}
	}
	pair := targetGroupPair{
		TargetGroups:     []nameRef{{Name: tgs[0]}, {Name: tgs[1]}},
		ProdTrafficRoute: &trafficRoute{ListenerArns: []string{s.listenerArn(g.Service.Name, "prod")}},
	}
	if g.TestListener {
		pair.TestTrafficRoute = &trafficRoute{ListenerArns: []string{s.listenerArn(g.Service.Name, "test")}}
	}
	in.LoadBalancerInfo = &loadBalancerInfo{TargetGroupPairInfoList: []targetGroupPair{pair}}
	return in
}

// listenerArn is the ARN of a seeded group's prod or test listener.
func (s *Sim) listenerArn(service, kind string) string {
	return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:listener/app/%s-alb/0123456789abcdef/%s", s.region, s.account, service, kind)
}

type createGroupInput struct {
	ApplicationName                  string              `json:"applicationName"`
	DeploymentGroupName              string              `json:"deploymentGroupName"`
	DeploymentConfigName             string              `json:"deploymentConfigName"`
	ServiceRoleArn                   string              `json:"serviceRoleArn"`
	EcsServices                      []ecsServiceRef     `json:"ecsServices"`
	BlueGreenDeploymentConfiguration *blueGreenConfig    `json:"blueGreenDeploymentConfiguration"`
	AlarmConfiguration               *alarmConfig        `json:"alarmConfiguration"`
	AutoRollbackConfiguration        *autoRollbackConfig `json:"autoRollbackConfiguration"`
	LoadBalancerInfo                 *loadBalancerInfo   `json:"loadBalancerInfo"`
	DeploymentStyle                  *deploymentStyle    `json:"deploymentStyle"`
}

func (s *Sim) cdCreateDeploymentGroup(req *request) (any, error) {
	var in createGroupInput
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	app, err := s.appLocked(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	g, err := s.createGroupLocked(app, in)
	if err != nil {
		return nil, err
	}
	return map[string]string{"deploymentGroupId": g.id}, nil
}

var autoRollbackEvents = []string{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"}

func validAutoRollback(c *autoRollbackConfig) error {
	if c == nil {
		return nil
	}
	for _, e := range c.Events {
		if !slices.Contains(autoRollbackEvents, e) {
			return errf("InvalidAutoRollbackConfigException", "Invalid auto rollback event: %s", e)
		}
	}
	if c.Enabled && len(c.Events) == 0 {
		return errf("InvalidAutoRollbackConfigException", "Auto rollback is enabled but no events are specified.")
	}
	return nil
}

func (s *Sim) createGroupLocked(app *cdApp, in createGroupInput) (*cdGroup, error) {
	if in.DeploymentGroupName == "" {
		return nil, errf("DeploymentGroupNameRequiredException", "Deployment group name must be specified")
	}
	if _, ok := app.groups[in.DeploymentGroupName]; ok {
		return nil, errf("DeploymentGroupAlreadyExistsException", "Deployment group %s already exists for application %s", in.DeploymentGroupName, app.name)
	}
	if in.ServiceRoleArn == "" {
		return nil, errf("RoleRequiredException", "Role ARN is required.")
	}
	if in.DeploymentConfigName == "" {
		in.DeploymentConfigName = "CodeDeployDefault.ECSAllAtOnce"
	}
	if _, err := s.configLocked(in.DeploymentConfigName); err != nil {
		return nil, err
	}
	if len(in.EcsServices) != 1 {
		return nil, errf("InvalidECSServiceException", "Exactly one ECS service must be specified for an ECS deployment group.")
	}
	ref := in.EcsServices[0]
	svc := s.ecs.service(ref.ClusterName, ref.ServiceName)
	if svc == nil {
		return nil, errf("InvalidECSServiceException", "The ECS service %s in cluster %s does not exist.", ref.ServiceName, ref.ClusterName)
	}
	if svc.controller != "CODE_DEPLOY" {
		return nil, errf("InvalidECSServiceException", "Deployment group's ECS service must be configured for a CODE_DEPLOY deployment controller.")
	}
	for _, a := range s.codedeploy.apps {
		for _, g := range a.groups {
			if g.ecsServices[0].ClusterName == ref.ClusterName && g.ecsServices[0].ServiceName == ref.ServiceName {
				return nil, errf("ECSServiceMappingLimitExceededException", "The ECS service %s in cluster %s is already associated with deployment group %s.", ref.ServiceName, ref.ClusterName, g.name)
			}
		}
	}
	style := deploymentStyle{DeploymentType: "BLUE_GREEN", DeploymentOption: "WITH_TRAFFIC_CONTROL"}
	if in.DeploymentStyle != nil && *in.DeploymentStyle != style {
		return nil, errf("InvalidDeploymentStyleException", "ECS deployment groups must use BLUE_GREEN with WITH_TRAFFIC_CONTROL.")
	}
	if in.LoadBalancerInfo == nil || len(in.LoadBalancerInfo.TargetGroupPairInfoList) != 1 ||
		len(in.LoadBalancerInfo.TargetGroupPairInfoList[0].TargetGroups) != 2 ||
		in.LoadBalancerInfo.TargetGroupPairInfoList[0].ProdTrafficRoute == nil {
		return nil, errf("InvalidLoadBalancerInfoException", "An ECS deployment group needs one target group pair with two target groups and a production listener.")
	}
	bg := blueGreenConfig{
		DeploymentReadyOption:                     &readyOption{ActionOnTimeout: "CONTINUE_DEPLOYMENT"},
		TerminateBlueInstancesOnDeploymentSuccess: &terminateOption{Action: "TERMINATE"},
	}
	if in.BlueGreenDeploymentConfiguration != nil {
		if r := in.BlueGreenDeploymentConfiguration.DeploymentReadyOption; r != nil {
			bg.DeploymentReadyOption = r
		}
		if t := in.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess; t != nil {
			bg.TerminateBlueInstancesOnDeploymentSuccess = t
		}
	}
	r, t := bg.DeploymentReadyOption, bg.TerminateBlueInstancesOnDeploymentSuccess
	if r.ActionOnTimeout == "" {
		r.ActionOnTimeout = "CONTINUE_DEPLOYMENT"
	}
	if t.Action == "" {
		t.Action = "TERMINATE"
	}
	if (r.ActionOnTimeout != "CONTINUE_DEPLOYMENT" && r.ActionOnTimeout != "STOP_DEPLOYMENT") || r.WaitTimeInMinutes < 0 ||
		(t.Action != "TERMINATE" && t.Action != "KEEP_ALIVE") || t.TerminationWaitTimeInMinutes < 0 || t.TerminationWaitTimeInMinutes > 2880 {
		return nil, errf("InvalidBlueGreenDeploymentConfigurationException", "The blue/green deployment configuration is invalid.")
	}
	if in.AlarmConfiguration != nil && len(in.AlarmConfiguration.Alarms) > 10 {
		return nil, errf("AlarmsLimitExceededException", "The maximum number of alarms for a deployment group (10) was exceeded.")
	}
	if err := validAutoRollback(in.AutoRollbackConfiguration); err != nil {
		return nil, err
	}
	g := &cdGroup{
		id: newUUID(), name: in.DeploymentGroupName, app: app, instanceGroupID: newUUID(),
		serviceRoleArn: in.ServiceRoleArn, configName: in.DeploymentConfigName,
		ecsServices: []ecsServiceRef{{ServiceName: svc.name, ClusterName: lastSegment(svc.clusterArn)}},
		blueGreen:   bg, lb: *in.LoadBalancerInfo, style: style,
	}
	if g.ecsServices[0].ClusterName == "" {
		g.ecsServices[0].ClusterName = ref.ClusterName
	}
	if in.AlarmConfiguration != nil {
		g.alarms = *in.AlarmConfiguration
	}
	if in.AutoRollbackConfiguration != nil {
		g.autoRollback = *in.AutoRollbackConfiguration
	}
	app.groups[g.name] = g
	return g, nil
}

type deploymentGroupInfoOut struct {
	ApplicationName                  string              `json:"applicationName"`
	DeploymentGroupID                string              `json:"deploymentGroupId"`
	DeploymentGroupName              string              `json:"deploymentGroupName"`
	DeploymentConfigName             string              `json:"deploymentConfigName"`
	ServiceRoleArn                   string              `json:"serviceRoleArn"`
	ComputePlatform                  string              `json:"computePlatform"`
	EcsServices                      []ecsServiceRef     `json:"ecsServices"`
	BlueGreenDeploymentConfiguration blueGreenConfig     `json:"blueGreenDeploymentConfiguration"`
	AlarmConfiguration               alarmConfig         `json:"alarmConfiguration"`
	AutoRollbackConfiguration        autoRollbackConfig  `json:"autoRollbackConfiguration"`
	LoadBalancerInfo                 loadBalancerInfo    `json:"loadBalancerInfo"`
	DeploymentStyle                  deploymentStyle     `json:"deploymentStyle"`
	LastAttemptedDeployment          *lastDeploymentInfo `json:"lastAttemptedDeployment,omitempty"`
	LastSuccessfulDeployment         *lastDeploymentInfo `json:"lastSuccessfulDeployment,omitempty"`
	OutdatedInstancesStrategy        string              `json:"outdatedInstancesStrategy"`
}

type lastDeploymentInfo struct {
	DeploymentID string `json:"deploymentId"`
	Status       string `json:"status"`
	EndTime      *epoch `json:"endTime,omitempty"`
	CreateTime   *epoch `json:"createTime,omitempty"`
}

func lastInfo(d *cdDeployment) *lastDeploymentInfo {
	if d == nil {
		return nil
	}
	return &lastDeploymentInfo{DeploymentID: d.id, Status: d.status, CreateTime: epochPtr(d.createTime), EndTime: epochPtr(d.completeTime)}
}

func (s *Sim) cdGetDeploymentGroup(req *request) (any, error) {
	var in struct {
		ApplicationName     string `json:"applicationName"`
		DeploymentGroupName string `json:"deploymentGroupName"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	g, err := s.groupLocked(in.ApplicationName, in.DeploymentGroupName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deploymentGroupInfo": deploymentGroupInfoOut{
		ApplicationName: g.app.name, DeploymentGroupID: g.id, DeploymentGroupName: g.name,
		DeploymentConfigName: g.configName, ServiceRoleArn: g.serviceRoleArn, ComputePlatform: "ECS",
		EcsServices: g.ecsServices, BlueGreenDeploymentConfiguration: g.blueGreen, AlarmConfiguration: g.alarms,
		AutoRollbackConfiguration: g.autoRollback, LoadBalancerInfo: g.lb, DeploymentStyle: g.style,
		LastAttemptedDeployment: lastInfo(g.lastAttempt), LastSuccessfulDeployment: lastInfo(g.lastSuccess),
		OutdatedInstancesStrategy: "UPDATE",
	}}, nil
}

func (s *Sim) groupLocked(appName, groupName string) (*cdGroup, error) {
	app, err := s.appLocked(appName)
	if err != nil {
		return nil, err
	}
	if groupName == "" {
		return nil, errf("DeploymentGroupNameRequiredException", "Deployment group name must be specified")
	}
	g := app.groups[groupName]
	if g == nil {
		return nil, errf("DeploymentGroupDoesNotExistException", "No Deployment Group found for name: %s", groupName)
	}
	return g, nil
}

func (s *Sim) cdListDeploymentGroups(req *request) (any, error) {
	var in struct {
		ApplicationName string `json:"applicationName"`
		NextToken       string `json:"nextToken"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	app, err := s.appLocked(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	names := sortedKeys(app.groups)
	page, next, err := pageOf(names, in.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"applicationName": app.name, "deploymentGroups": page, "nextToken": next}, nil
}

func hasTestListener(g *cdGroup) bool {
	l := g.lb.TargetGroupPairInfoList
	return len(l) > 0 && l[0].TestTrafficRoute != nil && len(l[0].TestTrafficRoute.ListenerArns) > 0
}

func (s *Sim) groupArn(app, group string) string {
	return fmt.Sprintf("arn:aws:codedeploy:%s:%s:deploymentgroup:%s/%s", s.region, s.account, app, group)
}
