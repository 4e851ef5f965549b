package awssim

import (
	"fmt"
	"strings"
	"time"
)

// CodeDeploy deployment configs: the predefined ECS ones and custom ones.

type cdConfig struct {
	id         string
	name       string
	createdAt  time.Time
	routing    trafficRoutingConfig
	predefined bool
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

// DeploymentConfigSeed is a custom ECS deployment config in a seed file.
type DeploymentConfigSeed struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"` // AllAtOnce | TimeBasedLinear | TimeBasedCanary
	// Percentage and IntervalMinutes describe the linear or canary step.
	Percentage      int `yaml:"percentage"`
	IntervalMinutes int `yaml:"intervalMinutes"`
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

type timeBasedLinear struct {
	LinearPercentage int `json:"linearPercentage"`
	LinearInterval   int `json:"linearInterval"`
}

type timeBasedCanary struct {
	CanaryPercentage int `json:"canaryPercentage"`
	CanaryInterval   int `json:"canaryInterval"`
}

type trafficRoutingConfig struct {
	Type            string           `json:"type,omitempty"`
	TimeBasedLinear *timeBasedLinear `json:"timeBasedLinear,omitempty"`
	TimeBasedCanary *timeBasedCanary `json:"timeBasedCanary,omitempty"`
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
