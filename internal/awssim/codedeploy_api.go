package awssim

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
)

// CodeDeploy operations on applications, deployment groups and deployment
// configs. Handlers run with s.mu held (see adaptLocked).

const listPageSize = 50 // unconfirmed: AWS pages these lists at some size; tests use the token, not the size.

func (s *Sim) cdCreateApplication(req *request) (any, error) {
	var in struct {
		ApplicationName string `json:"applicationName"`
		ComputePlatform string `json:"computePlatform"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if in.ComputePlatform != "" && in.ComputePlatform != "ECS" {
		return nil, errf("InvalidComputePlatformException", "The simulator supports only the ECS compute platform, not %s.", in.ComputePlatform)
	}
	app, err := s.createApplicationLocked(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	return map[string]string{"applicationId": app.id}, nil
}

func (s *Sim) createApplicationLocked(name string) (*cdApp, error) {
	if name == "" {
		return nil, errf("ApplicationNameRequiredException", "Application name must be specified")
	}
	if len(name) > 100 {
		return nil, errf("InvalidApplicationNameException", "Application name is too long: %s", name)
	}
	if _, ok := s.codedeploy.apps[name]; ok {
		return nil, errf("ApplicationAlreadyExistsException", "%s already exists in your account", name)
	}
	app := &cdApp{id: newUUID(), name: name, createdAt: s.clock.Now(), groups: map[string]*cdGroup{}, revisions: map[string]*cdRevision{}}
	s.codedeploy.apps[name] = app
	return app, nil
}

type applicationInfoOut struct {
	ApplicationID   string `json:"applicationId"`
	ApplicationName string `json:"applicationName"`
	ComputePlatform string `json:"computePlatform"`
	CreateTime      *epoch `json:"createTime,omitempty"`
	LinkedToGitHub  bool   `json:"linkedToGitHub"`
}

func (s *Sim) cdGetApplication(req *request) (any, error) {
	var in struct {
		ApplicationName string `json:"applicationName"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	app, err := s.appLocked(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"application": applicationInfoOut{
		ApplicationID: app.id, ApplicationName: app.name, ComputePlatform: "ECS", CreateTime: epochPtr(app.createdAt),
	}}, nil
}

func (s *Sim) appLocked(name string) (*cdApp, error) {
	if name == "" {
		return nil, errf("ApplicationNameRequiredException", "Application name must be specified")
	}
	app := s.codedeploy.apps[name]
	if app == nil {
		return nil, errf("ApplicationDoesNotExistException", "No application found for name: %s", name)
	}
	return app, nil
}

func (s *Sim) cdListApplications(req *request) (any, error) {
	var in struct {
		NextToken string `json:"nextToken"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	names := sortedKeys(s.codedeploy.apps)
	page, next, err := pageOf(names, in.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"applications": page, "nextToken": next}, nil
}

// pageOf returns one page of items and the token of the next ("" at the
// end). Tokens are opaque offsets.
func pageOf[T any](items []T, token string) ([]T, *string, error) {
	start := 0
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		n, cerr := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
		if err != nil || cerr != nil || !strings.HasPrefix(string(b), "o:") || n < 0 || n > len(items) {
			return nil, nil, errf("InvalidNextTokenException", "The next token was specified in an invalid format.")
		}
		start = n
	}
	end := min(start+listPageSize, len(items))
	page := items[start:end]
	if page == nil {
		page = []T{}
	}
	if end == len(items) {
		return page, nil, nil
	}
	next := base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(end)))
	return page, &next, nil
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

func (s *Sim) cdCreateDeploymentConfig(req *request) (any, error) {
	var in struct {
		DeploymentConfigName string                `json:"deploymentConfigName"`
		ComputePlatform      string                `json:"computePlatform"`
		TrafficRoutingConfig *trafficRoutingConfig `json:"trafficRoutingConfig"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	c, err := s.createConfigLocked(in.DeploymentConfigName, in.ComputePlatform, in.TrafficRoutingConfig)
	if err != nil {
		return nil, err
	}
	return map[string]string{"deploymentConfigId": c.id}, nil
}

func (s *Sim) createConfigLocked(name, platform string, r *trafficRoutingConfig) (*cdConfig, error) {
	if name == "" {
		return nil, errf("DeploymentConfigNameRequiredException", "Deployment config name must be specified")
	}
	if strings.HasPrefix(name, "CodeDeployDefault.") || len(name) > 100 {
		return nil, errf("InvalidDeploymentConfigNameException", "Deployment config name %s is not valid.", name)
	}
	if s.codedeploy.configs[name] != nil {
		return nil, errf("DeploymentConfigAlreadyExistsException", "Deployment config %s already exists.", name)
	}
	if platform != "ECS" {
		return nil, errf("InvalidComputePlatformException", "The simulator supports only the ECS compute platform.")
	}
	if r == nil {
		return nil, errf("InvalidTrafficRoutingConfigurationException", "An ECS deployment config needs a traffic routing config.")
	}
	bad := errf("InvalidTrafficRoutingConfigurationException", "The traffic routing configuration is invalid.")
	switch r.Type {
	case "AllAtOnce":
		r.TimeBasedCanary, r.TimeBasedLinear = nil, nil
	case "TimeBasedLinear":
		l := r.TimeBasedLinear
		if l == nil || l.LinearPercentage < 1 || l.LinearPercentage > 99 || l.LinearInterval < 1 {
			return nil, bad
		}
		r.TimeBasedCanary = nil
	case "TimeBasedCanary":
		c := r.TimeBasedCanary
		if c == nil || c.CanaryPercentage < 1 || c.CanaryPercentage > 99 || c.CanaryInterval < 1 {
			return nil, bad
		}
		r.TimeBasedLinear = nil
	default:
		return nil, bad
	}
	c := &cdConfig{id: newUUID(), name: name, createdAt: s.clock.Now(), routing: *r}
	s.codedeploy.configs[name] = c
	return c, nil
}

func (s *Sim) cdGetDeploymentConfig(req *request) (any, error) {
	var in struct {
		DeploymentConfigName string `json:"deploymentConfigName"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if in.DeploymentConfigName == "" {
		return nil, errf("DeploymentConfigNameRequiredException", "Deployment config name must be specified")
	}
	c, err := s.configLocked(in.DeploymentConfigName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deploymentConfigInfo": map[string]any{
		"deploymentConfigId": c.id, "deploymentConfigName": c.name, "computePlatform": "ECS",
		"createTime": epochPtr(c.createdAt), "trafficRoutingConfig": c.routing,
	}}, nil
}

// configLocked finds a deployment config by name, or answers
// DeploymentConfigDoesNotExistException.
func (s *Sim) configLocked(name string) (*cdConfig, error) {
	c := s.codedeploy.configs[name]
	if c == nil {
		return nil, errf("DeploymentConfigDoesNotExistException", "No deployment configuration found for name: %s", name)
	}
	return c, nil
}

func (s *Sim) cdListDeploymentConfigs(req *request) (any, error) {
	var in struct {
		NextToken string `json:"nextToken"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	names := sortedKeys(s.codedeploy.configs)
	page, next, err := pageOf(names, in.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deploymentConfigsList": page, "nextToken": next}, nil
}
