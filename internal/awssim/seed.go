package awssim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"gopkg.in/yaml.v3"
)

// World is a seed description of an AWS account in one region (and, under
// Accounts, of others): what exists before the first API call. It is written in YAML (see testdata/world.yaml) and loaded
// with LoadWorld; Seed builds it.
type World struct {
	// Account and Region, when set, must match the simulator's; use
	// World.Options to build a simulator for the world.
	Account      string           `yaml:"account"`
	Region       string           `yaml:"region"`
	Clusters     []ClusterSeed    `yaml:"clusters"`
	Repositories []RepositorySeed `yaml:"repositories"`
	Alarms       []AlarmSeed      `yaml:"alarms"`
	// DeploymentConfigs are custom configs, as CreateDeploymentConfig
	// would make them; groups in Applications may name them.
	DeploymentConfigs []DeploymentConfigSeed `yaml:"deploymentConfigs"`
	Applications      []ApplicationSeed      `yaml:"applications"`
	// Roles are IAM roles (global, like IAM); a role's account defaults to
	// this world's.
	Roles []RoleSeed `yaml:"roles"`
	// Accounts are further partitions, each written as a world of its own
	// for one account (required) in one region (required): Seed builds
	// each in Partition(account, region). They may list roles, not
	// accounts.
	Accounts []World `yaml:"accounts"`
}

// ClusterSeed is an ECS cluster and its services.
type ClusterSeed struct {
	Name     string        `yaml:"name"`
	Services []ServiceSeed `yaml:"services"`
}

// ServiceSeed is an ECS service with the task definition it runs.
type ServiceSeed struct {
	Name string `yaml:"name"`
	// Controller is the deployment controller: CODE_DEPLOY (the default),
	// ECS or EXTERNAL.
	Controller string `yaml:"controller"`
	// DeploymentController is the API's spelling of Controller ({type:
	// ECS}); give either, or both alike.
	DeploymentController *DeploymentController `yaml:"deploymentController"`
	// DeploymentConfiguration is an ECS-controller service's, in the API's
	// member names; with strategy BLUE_GREEN, LINEAR or CANARY the service
	// plays service deployments and needs a load balancer with an
	// advancedConfiguration.
	DeploymentConfiguration *DeploymentConfiguration `yaml:"deploymentConfiguration"`
	// DesiredCount defaults to 1.
	DesiredCount *int `yaml:"desiredCount"`
	// LaunchType defaults to FARGATE, PlatformVersion then to LATEST.
	LaunchType           string                `yaml:"launchType"`
	PlatformVersion      string                `yaml:"platformVersion"`
	NetworkConfiguration *NetworkConfiguration `yaml:"networkConfiguration"`
	LoadBalancers        []LoadBalancerSeed    `yaml:"loadBalancers"`
	// TaskDefinition is a RegisterTaskDefinition request in the API's
	// camelCase member names (family, containerDefinitions, cpu, memory,
	// networkMode, requiresCompatibilities, executionRoleArn, taskRoleArn,
	// tags and any other member); every field is kept. The family defaults
	// to the service name.
	TaskDefinition map[string]any `yaml:"taskDefinition"`
	// Tags are the service's tags.
	Tags map[string]string `yaml:"tags"`
}

// NetworkConfiguration is an ECS service's networkConfiguration.
type NetworkConfiguration struct {
	AwsvpcConfiguration AwsvpcConfiguration `yaml:"awsvpcConfiguration" json:"awsvpcConfiguration"`
}

// AwsvpcConfiguration is the awsvpc part of a networkConfiguration.
type AwsvpcConfiguration struct {
	Subnets        []string `yaml:"subnets" json:"subnets"`
	SecurityGroups []string `yaml:"securityGroups" json:"securityGroups,omitempty"`
	// AssignPublicIp is ENABLED or DISABLED (the default).
	AssignPublicIp string `yaml:"assignPublicIp" json:"assignPublicIp"`
}

// LoadBalancerSeed attaches a service's container port to a target group.
type LoadBalancerSeed struct {
	TargetGroupArn string `yaml:"targetGroupArn"`
	ContainerName  string `yaml:"containerName"`
	ContainerPort  int    `yaml:"containerPort"`
	// AdvancedConfiguration is for ECS-native blue/green strategies.
	AdvancedConfiguration *AdvancedConfiguration `yaml:"advancedConfiguration"`
}

// RepositorySeed is an ECR repository and the tags pushed to it.
type RepositorySeed struct {
	Name string   `yaml:"name"`
	Tags []string `yaml:"tags"`
}

// AlarmSeed is a CloudWatch metric alarm; State defaults to OK.
type AlarmSeed struct {
	Name   string `yaml:"name"`
	State  string `yaml:"state"`
	Reason string `yaml:"reason"`
}

// LoadWorld parses a YAML seed description. Unknown keys are refused, so
// that a typo does not silently seed less than intended.
func LoadWorld(yamlBytes []byte) (World, error) {
	var w World
	dec := yaml.NewDecoder(bytes.NewReader(yamlBytes))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil && !errors.Is(err, io.EOF) {
		return World{}, fmt.Errorf("load world: %w", err)
	}
	return w, nil
}

// Options returns base with the world's account and region filled in, for
// New.
func (w World) Options(base Options) Options {
	if w.Account != "" {
		base.Account = w.Account
	}
	if w.Region != "" {
		base.Region = w.Region
	}
	return base
}

// Seed builds the world: ECR repositories and tags, alarms, task
// definitions, clusters and services (a CODE_DEPLOY service starts with one
// PRIMARY task set, label Blue, all traffic, steady, running its desired
// count), then the CodeDeploy applications and deployment groups. It may be
// called more than once to add to the world; a service that already exists
// is an error.
func (s *Sim) Seed(w World) error {
	if w.Account != "" && w.Account != s.account {
		return fmt.Errorf("seed: world account %s does not match simulator account %s", w.Account, s.account)
	}
	if w.Region != "" && w.Region != s.region {
		return fmt.Errorf("seed: world region %s does not match simulator region %s", w.Region, s.region)
	}
	if err := s.seedECSAndFriends(w); err != nil {
		return err
	}
	if err := s.seedDeploymentConfigs(w.DeploymentConfigs); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := s.seedCodeDeploy(w.Applications); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return s.seedAccounts(w)
}

func (s *Sim) seedECSAndFriends(w World) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range w.Repositories {
		if r.Name == "" {
			return errors.New("seed: repository without a name")
		}
		s.ecrRepoLocked(r.Name)
		for _, t := range r.Tags {
			s.putImageLocked(r.Name, t)
		}
	}
	for _, a := range w.Alarms {
		if a.State == "" {
			a.State = "OK"
		}
		if a.Name == "" || !slices.Contains(alarmStates, a.State) {
			return fmt.Errorf("seed: alarm %q: name and a state of OK, ALARM or INSUFFICIENT_DATA needed", a.Name)
		}
		s.putAlarmLocked(a.Name, a.State, a.Reason)
	}
	for _, c := range w.Clusters {
		if c.Name == "" {
			return errors.New("seed: cluster without a name")
		}
		for _, svc := range c.Services {
			if err := s.putServiceLocked(c.Name, svc); err != nil {
				return fmt.Errorf("seed: %w", err)
			}
		}
		s.clusterLocked(c.Name)
	}
	return nil
}

// PutService creates a service in cluster (creating the cluster if needed)
// from its seed description, registering its task definition first.
func (s *Sim) PutService(cluster string, svc ServiceSeed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putServiceLocked(cluster, svc)
}

// clusterLocked returns the cluster named name, creating it if needed.
func (s *Sim) clusterLocked(name string) *ecsCluster {
	if c := s.ecs.clusters[name]; c != nil {
		return c
	}
	c := &ecsCluster{name: name, arn: s.clusterArn(name), services: map[string]*ecsService{}}
	s.ecs.clusters[name] = c
	return c
}

func (s *Sim) putServiceLocked(cluster string, in ServiceSeed) error {
	if in.Name == "" {
		return fmt.Errorf("service in cluster %s has no name", cluster)
	}
	if s.ecs.service(cluster, in.Name) != nil {
		return fmt.Errorf("service %s/%s already exists", cluster, in.Name)
	}
	if err := seedController(&in); err != nil {
		return fmt.Errorf("service %s: %w", in.Name, err)
	}
	if in.Controller == "" {
		in.Controller = "CODE_DEPLOY"
	}
	if !slices.Contains([]string{"CODE_DEPLOY", "ECS", "EXTERNAL"}, in.Controller) {
		return fmt.Errorf("service %s: controller %q is not CODE_DEPLOY, ECS or EXTERNAL", in.Name, in.Controller)
	}
	desired := 1
	if in.DesiredCount != nil {
		desired = *in.DesiredCount
	}
	if in.LaunchType == "" {
		in.LaunchType = "FARGATE"
	}
	if in.PlatformVersion == "" && in.LaunchType == "FARGATE" {
		in.PlatformVersion = "LATEST"
	}
	if in.TaskDefinition == nil {
		return fmt.Errorf("service %s: taskDefinition is required", in.Name)
	}
	body, tags, err := taskDefSeedBody(in.TaskDefinition, in.Name)
	if err != nil {
		return fmt.Errorf("service %s: %w", in.Name, err)
	}
	now := s.clock.Now()
	td, err := s.registerTaskDefLocked(body, tags, now)
	if err != nil {
		return fmt.Errorf("service %s: register task definition: %w", in.Name, err)
	}
	var lbs []ecsLoadBalancer
	for _, lb := range in.LoadBalancers {
		if !hasContainer(td.body, lb.ContainerName) {
			return fmt.Errorf("service %s: the container %s does not exist in the task definition", in.Name, lb.ContainerName)
		}
		lbs = append(lbs, ecsLoadBalancer{TargetGroupArn: lb.TargetGroupArn, ContainerName: lb.ContainerName, ContainerPort: lb.ContainerPort,
			AdvancedConfiguration: lb.AdvancedConfiguration})
	}
	deployCfg, err := seedDeploymentConfig(in, lbs)
	if err != nil {
		return fmt.Errorf("service %s: %w", in.Name, err)
	}
	var network json.RawMessage
	if in.NetworkConfiguration != nil {
		nc := *in.NetworkConfiguration
		if nc.AwsvpcConfiguration.AssignPublicIp == "" {
			nc.AwsvpcConfiguration.AssignPublicIp = "DISABLED"
		}
		network, _ = json.Marshal(nc)
	}
	c := s.clusterLocked(cluster)
	svc := &ecsService{
		name:          in.Name,
		arn:           s.serviceArn(cluster, in.Name),
		clusterArn:    c.arn,
		controller:    in.Controller,
		taskDef:       td.arn,
		desiredCount:  desired,
		launchType:    in.LaunchType,
		platformVer:   in.PlatformVersion,
		network:       network,
		loadBalancers: lbs,
		createdAt:     now,
		tags:          sortedTags(in.Tags),
	}
	c.services[in.Name] = svc
	if deployCfg != nil {
		s.initNativeLocked(svc, *deployCfg, now)
	}
	if in.Controller == "CODE_DEPLOY" {
		ts := s.newTaskSet(svc, td.arn, "", now)
		ts.status = "PRIMARY"
		ts.label = "Blue"
		ts.stabilityStatus = "STEADY_STATE"
		ts.trafficWeight = 100
		ts.running, ts.pending = ts.desired, 0
	}
	return nil
}

// taskDefSeedBody turns a seed's task definition into a registration body
// (JSON-shaped, as the API would receive it) and its tags.
func taskDefSeedBody(seed map[string]any, defaultFamily string) (map[string]any, []ecsTag, error) {
	raw, err := json.Marshal(seed)
	if err != nil {
		return nil, nil, fmt.Errorf("task definition is not JSON-shaped: %w", err)
	}
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return nil, nil, fmt.Errorf("task definition: %w", err)
	}
	if _, ok := body["family"]; !ok {
		body["family"] = defaultFamily
	}
	var tags []ecsTag
	if t, ok := body["tags"]; ok {
		b, _ := json.Marshal(t)
		if err := json.Unmarshal(b, &tags); err != nil {
			return nil, nil, fmt.Errorf("task definition tags must be a list of {key, value}: %w", err)
		}
	}
	return body, tags, nil
}

func hasContainer(body map[string]any, name string) bool {
	containers, _ := body["containerDefinitions"].([]any)
	for _, c := range containers {
		if m, _ := c.(map[string]any); m != nil && m["name"] == name {
			return true
		}
	}
	return false
}

func sortedTags(m map[string]string) []ecsTag {
	tags := make([]ecsTag, 0, len(m))
	for k, v := range m {
		tags = append(tags, ecsTag{Key: k, Value: v})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags
}
