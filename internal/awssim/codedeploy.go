package awssim

import (
	"crypto/rand"
	"fmt"
	"time"
)

// codedeployState is the CodeDeploy part of the world. Only the ECS compute
// platform exists here: applications, their blue/green deployment groups,
// deployment configs and the deployments the engine plays on the clock.
type codedeployState struct {
	apps        map[string]*cdApp    // by name
	configs     map[string]*cdConfig // by name, predefined ones included
	deployments map[string]*cdDeployment
	// order is every deployment in creation order (ListDeployments pages it).
	order []*cdDeployment
	// active are the deployments the engine still plays, in creation order.
	active []*cdDeployment
	// s3 holds object contents registered with PutS3Object ("bucket/key"):
	// the simulator has no S3, so an S3 revision resolves only through it.
	s3 map[string]string
	// failNext holds the fault for the next deployment of an application.
	failNext map[string]hookFault
	// manualHooks makes hook stages wait for PutLifecycleEventHookExecutionStatus
	// (up to an hour) instead of succeeding on their own.
	manualHooks bool
	seq         int64 // creation order of deployments, ties in the engine
}

type cdApp struct {
	id        string
	name      string
	createdAt time.Time
	groups    map[string]*cdGroup
	revisions map[string]*cdRevision // by revisionKey
}

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

type cdConfig struct {
	id         string
	name       string
	createdAt  time.Time
	routing    trafficRoutingConfig
	predefined bool
}

// cdRevision is an application revision as registered by a deployment.
type cdRevision struct {
	location   revisionLocation // content included
	content    string
	spec       *appSpec
	registered time.Time
	firstUsed  time.Time
	lastUsed   time.Time
	groups     []string
}

// hookFault makes a hook report Failed at stage.
type hookFault struct {
	stage   string
	message string
}

// The five predefined ECS deployment configs.
var predefinedECSConfigs = []struct {
	name    string
	routing trafficRoutingConfig
}{
	{"CodeDeployDefault.ECSAllAtOnce", trafficRoutingConfig{Type: "AllAtOnce"}},
	{"CodeDeployDefault.ECSLinear10PercentEvery1Minutes", trafficRoutingConfig{Type: "TimeBasedLinear", TimeBasedLinear: &timeBasedLinear{LinearPercentage: 10, LinearInterval: 1}}},
	{"CodeDeployDefault.ECSLinear10PercentEvery3Minutes", trafficRoutingConfig{Type: "TimeBasedLinear", TimeBasedLinear: &timeBasedLinear{LinearPercentage: 10, LinearInterval: 3}}},
	{"CodeDeployDefault.ECSCanary10Percent5Minutes", trafficRoutingConfig{Type: "TimeBasedCanary", TimeBasedCanary: &timeBasedCanary{CanaryPercentage: 10, CanaryInterval: 5}}},
	{"CodeDeployDefault.ECSCanary10Percent15Minutes", trafficRoutingConfig{Type: "TimeBasedCanary", TimeBasedCanary: &timeBasedCanary{CanaryPercentage: 10, CanaryInterval: 15}}},
}

// ApplicationSeed describes a CodeDeploy application and its deployment
// groups in a seed file. The services named must be seeded in ECS first.
type ApplicationSeed struct {
	Name             string                `yaml:"name"`
	DeploymentGroups []DeploymentGroupSeed `yaml:"deploymentGroups"`
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

// DeploymentConfigSeed is a custom ECS deployment config in a seed file.
type DeploymentConfigSeed struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"` // AllAtOnce | TimeBasedLinear | TimeBasedCanary
	// Percentage and IntervalMinutes describe the linear or canary step.
	Percentage      int `yaml:"percentage"`
	IntervalMinutes int `yaml:"intervalMinutes"`
}

func (s *Sim) registerCodeDeploy() {
	now := s.clock.Now()
	s.codedeploy = codedeployState{
		apps:        map[string]*cdApp{},
		configs:     map[string]*cdConfig{},
		deployments: map[string]*cdDeployment{},
		s3:          map[string]string{},
		failNext:    map[string]hookFault{},
	}
	for _, p := range predefinedECSConfigs {
		s.codedeploy.configs[p.name] = &cdConfig{id: newUUID(), name: p.name, createdAt: now, routing: p.routing, predefined: true}
	}
	const t = "CodeDeploy_20141006"
	ops := map[string]func(*request) (any, error){
		"CreateApplication":                    s.cdCreateApplication,
		"GetApplication":                       s.cdGetApplication,
		"ListApplications":                     s.cdListApplications,
		"CreateDeploymentGroup":                s.cdCreateDeploymentGroup,
		"GetDeploymentGroup":                   s.cdGetDeploymentGroup,
		"ListDeploymentGroups":                 s.cdListDeploymentGroups,
		"CreateDeploymentConfig":               s.cdCreateDeploymentConfig,
		"GetDeploymentConfig":                  s.cdGetDeploymentConfig,
		"ListDeploymentConfigs":                s.cdListDeploymentConfigs,
		"CreateDeployment":                     s.cdCreateDeployment,
		"GetDeployment":                        s.cdGetDeployment,
		"BatchGetDeployments":                  s.cdBatchGetDeployments,
		"ListDeployments":                      s.cdListDeployments,
		"ListDeploymentTargets":                s.cdListDeploymentTargets,
		"GetDeploymentTarget":                  s.cdGetDeploymentTarget,
		"BatchGetDeploymentTargets":            s.cdBatchGetDeploymentTargets,
		"StopDeployment":                       s.cdStopDeployment,
		"ContinueDeployment":                   s.cdContinueDeployment,
		"GetApplicationRevision":               s.cdGetApplicationRevision,
		"PutLifecycleEventHookExecutionStatus": s.cdPutLifecycleEventHookExecutionStatus,
	}
	for op, fn := range ops {
		s.handle(t, "codedeploy", op, s.cdOp(fn))
	}
}

func (s *Sim) seedCodeDeploy(apps []ApplicationSeed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range apps {
		app, err := s.createApplicationLocked(a.Name)
		if err != nil {
			return fmt.Errorf("seed codedeploy application %q: %w", a.Name, err)
		}
		for _, g := range a.DeploymentGroups {
			if _, err := s.createGroupLocked(app, s.groupFromSeed(g)); err != nil {
				return fmt.Errorf("seed deployment group %s/%s: %w", a.Name, g.Name, err)
			}
		}
	}
	return nil
}

// seedDeploymentConfigs adds custom deployment configs from a seed file.
func (s *Sim) seedDeploymentConfigs(configs []DeploymentConfigSeed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range configs {
		r := trafficRoutingConfig{Type: c.Type}
		switch c.Type {
		case "TimeBasedLinear":
			r.TimeBasedLinear = &timeBasedLinear{LinearPercentage: c.Percentage, LinearInterval: c.IntervalMinutes}
		case "TimeBasedCanary":
			r.TimeBasedCanary = &timeBasedCanary{CanaryPercentage: c.Percentage, CanaryInterval: c.IntervalMinutes}
		}
		if _, err := s.createConfigLocked(c.Name, "ECS", &r); err != nil {
			return fmt.Errorf("seed deployment config %q: %w", c.Name, err)
		}
	}
	return nil
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

// startEngine plays deployments in real time when the clock runs (speed >
// 0): a ticker steps every due transition until Close. At speed 0 only
// Advance moves deployments.
func (s *Sim) startEngine() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(25 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				if s.clock.Speed() <= 0 {
					continue
				}
				s.mu.Lock()
				s.runDueLocked(s.clock.Now(), false)
				s.mu.Unlock()
			}
		}
	}()
}

// newDeploymentID returns "d-" and nine upper-case letters or digits.
func newDeploymentID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [9]byte
	_, _ = rand.Read(b[:])
	out := []byte("d-")
	for _, c := range b {
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out)
}

func (s *Sim) appArn(app string) string {
	return fmt.Sprintf("arn:aws:codedeploy:%s:%s:application:%s", s.region, s.account, app)
}

func (s *Sim) groupArn(app, group string) string {
	return fmt.Sprintf("arn:aws:codedeploy:%s:%s:deploymentgroup:%s/%s", s.region, s.account, app, group)
}
