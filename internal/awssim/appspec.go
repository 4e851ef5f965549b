package awssim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// appSpec is the part of an ECS AppSpec file the simulator plays.
type appSpec struct {
	taskDefinition  string
	containerName   string
	containerPort   int
	platformVersion string
	// hooks maps a hook stage (BeforeInstall, AfterInstall,
	// AfterAllowTestTraffic, BeforeAllowTraffic, AfterAllowTraffic) to the
	// Lambda function named for it.
	hooks map[string]string
}

// hookStages are the lifecycle events an ECS AppSpec may hook.
var hookStages = []string{"BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"}

// appSpecFile mirrors the AppSpec layout; yaml.v3 also reads JSON, and
// JSON input goes through encoding/json so tabs and the like are fine.
type appSpecFile struct {
	Version   any `yaml:"version" json:"version"`
	Resources []map[string]struct {
		Type       string `yaml:"Type" json:"Type"`
		Properties struct {
			TaskDefinition   string `yaml:"TaskDefinition" json:"TaskDefinition"`
			LoadBalancerInfo struct {
				ContainerName string `yaml:"ContainerName" json:"ContainerName"`
				ContainerPort any    `yaml:"ContainerPort" json:"ContainerPort"`
			} `yaml:"LoadBalancerInfo" json:"LoadBalancerInfo"`
			PlatformVersion      string `yaml:"PlatformVersion" json:"PlatformVersion"`
			NetworkConfiguration any    `yaml:"NetworkConfiguration" json:"NetworkConfiguration"`
		} `yaml:"Properties" json:"Properties"`
	} `yaml:"Resources" json:"Resources"`
	Hooks []map[string]string `yaml:"Hooks" json:"Hooks"`
}

// parseAppSpec parses YAML or JSON AppSpec content. Errors are
// InvalidRevisionException as CodeDeploy answers them.
func parseAppSpec(content string) (*appSpec, error) {
	var f appSpecFile
	var err error
	if trimmed := strings.TrimSpace(content); strings.HasPrefix(trimmed, "{") {
		err = json.Unmarshal([]byte(trimmed), &f)
	} else {
		err = yaml.Unmarshal([]byte(content), &f)
	}
	if err != nil {
		return nil, invalidRevision("The AppSpec file cannot be parsed: %v", err)
	}
	if v := fmt.Sprint(f.Version); v != "0" && v != "0.0" {
		return nil, invalidRevision("The AppSpec file version must be 0.0, not %q.", v)
	}
	if len(f.Resources) != 1 {
		return nil, invalidRevision("The AppSpec file must name exactly one resource for an ECS deployment.")
	}
	var spec appSpec
	for _, res := range f.Resources[0] {
		if res.Type != "AWS::ECS::Service" {
			return nil, invalidRevision("The AppSpec resource type must be AWS::ECS::Service, not %q.", res.Type)
		}
		p := res.Properties
		if p.TaskDefinition == "" {
			return nil, invalidRevision("The AppSpec file does not specify a TaskDefinition.")
		}
		if p.LoadBalancerInfo.ContainerName == "" {
			return nil, invalidRevision("The AppSpec file does not specify a LoadBalancerInfo ContainerName.")
		}
		port, err := strconv.Atoi(fmt.Sprint(p.LoadBalancerInfo.ContainerPort))
		if err != nil || port < 1 || port > 65535 {
			return nil, invalidRevision("The AppSpec file specifies an invalid ContainerPort: %v.", p.LoadBalancerInfo.ContainerPort)
		}
		spec = appSpec{
			taskDefinition: p.TaskDefinition, containerName: p.LoadBalancerInfo.ContainerName,
			containerPort: port, platformVersion: p.PlatformVersion, hooks: map[string]string{},
		}
	}
	for _, h := range f.Hooks {
		for stage, fn := range h {
			if !slices.Contains(hookStages, stage) {
				return nil, invalidRevision("The AppSpec file names an unknown lifecycle event hook %q for an ECS deployment.", stage)
			}
			if fn == "" {
				return nil, invalidRevision("The AppSpec hook %s names no Lambda function.", stage)
			}
			spec.hooks[stage] = fn
		}
	}
	return &spec, nil
}

func invalidRevision(format string, args ...any) *apiError {
	return errf("InvalidRevisionException", format, args...)
}

// checkAppSpec validates a parsed AppSpec against the world: the task
// definition must be registered and ACTIVE, the container and port must be
// the service's load-balanced ones.
func (s *Sim) checkAppSpec(spec *appSpec, svc *ecsService) error {
	td := s.ecs.taskDefByRef(spec.taskDefinition)
	if td == nil || !strings.HasPrefix(spec.taskDefinition, "arn:") || td.status != "ACTIVE" {
		return invalidRevision("The task definition %s in the AppSpec file is not a registered, active task definition ARN.", spec.taskDefinition)
	}
	spec.taskDefinition = td.arn
	if len(svc.loadBalancers) == 0 {
		return invalidRevision("The ECS service %s has no load balancer.", svc.name)
	}
	lb := svc.loadBalancers[0]
	if lb.ContainerName != spec.containerName || lb.ContainerPort != spec.containerPort {
		return invalidRevision("The container %s:%d in the AppSpec file does not match the load balancer container %s:%d of service %s.",
			spec.containerName, spec.containerPort, lb.ContainerName, lb.ContainerPort, svc.name)
	}
	return nil
}

// rollbackAppSpec writes the AppSpec of a rollback deployment: the blue task
// definition with the same container and port.
func rollbackAppSpec(taskDef string, spec *appSpec) string {
	return fmt.Sprintf(`version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "%s"
        LoadBalancerInfo:
          ContainerName: "%s"
          ContainerPort: %d
`, taskDef, spec.containerName, spec.containerPort)
}
