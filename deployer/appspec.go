package deployer

import (
	"encoding/json"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"gopkg.in/yaml.v3"

	"github.com/switchyard/switchyard"
)

// The AppSpec of an ECS deployment, written as JSON (which is also YAML, so
// any AppSpec reader takes it). Field names are the AppSpec's own.
type appSpecDoc struct {
	Version   json.RawMessage              `json:"version"`
	Resources []map[string]appSpecResource `json:"Resources"`
	Hooks     []map[string]string          `json:"Hooks,omitempty"`
}

type appSpecResource struct {
	Type       string            `json:"Type"`
	Properties appSpecProperties `json:"Properties"`
}

type appSpecProperties struct {
	TaskDefinition           string                    `json:"TaskDefinition"`
	LoadBalancerInfo         appSpecLoadBalancer       `json:"LoadBalancerInfo"`
	PlatformVersion          string                    `json:"PlatformVersion,omitempty"`
	NetworkConfiguration     *appSpecNetwork           `json:"NetworkConfiguration,omitempty"`
	CapacityProviderStrategy []appSpecCapacityProvider `json:"CapacityProviderStrategy,omitempty"`
}

type appSpecLoadBalancer struct {
	ContainerName string `json:"ContainerName"`
	ContainerPort int    `json:"ContainerPort"`
}

type appSpecNetwork struct {
	AwsvpcConfiguration appSpecAwsvpc `json:"AwsvpcConfiguration"`
}

type appSpecAwsvpc struct {
	Subnets        []string `json:"Subnets"`
	SecurityGroups []string `json:"SecurityGroups,omitempty"`
	AssignPublicIp string   `json:"AssignPublicIp,omitempty"`
}

type appSpecCapacityProvider struct {
	CapacityProvider string `json:"CapacityProvider"`
	Base             int32  `json:"Base,omitempty"`
	Weight           int32  `json:"Weight,omitempty"`
}

// appSpec writes the AppSpec that deploys taskDef to the service: the load
// balancer container and port from the plan, the platform version, network
// configuration and capacity providers the service has, and the plan's hooks
// in lifecycle order.
func appSpec(taskDef string, plan *switchyard.Plan, svc *ecstypes.Service) (string, error) {
	if plan.LBContainer == "" || plan.LBPort <= 0 {
		return "", errors.New("no load balancer container and port")
	}
	props := appSpecProperties{
		TaskDefinition:   taskDef,
		LoadBalancerInfo: appSpecLoadBalancer{ContainerName: plan.LBContainer, ContainerPort: plan.LBPort},
		PlatformVersion:  aws.ToString(svc.PlatformVersion),
	}
	if n := svc.NetworkConfiguration; n != nil && n.AwsvpcConfiguration != nil {
		props.NetworkConfiguration = &appSpecNetwork{AwsvpcConfiguration: appSpecAwsvpc{
			Subnets:        n.AwsvpcConfiguration.Subnets,
			SecurityGroups: n.AwsvpcConfiguration.SecurityGroups,
			AssignPublicIp: string(n.AwsvpcConfiguration.AssignPublicIp),
		}}
	}
	for _, cp := range svc.CapacityProviderStrategy {
		props.CapacityProviderStrategy = append(props.CapacityProviderStrategy, appSpecCapacityProvider{
			CapacityProvider: aws.ToString(cp.CapacityProvider), Base: cp.Base, Weight: cp.Weight,
		})
	}
	doc := appSpecDoc{
		Version: json.RawMessage("0.0"),
		Resources: []map[string]appSpecResource{{
			"TargetService": {Type: "AWS::ECS::Service", Properties: props},
		}},
	}
	for _, stage := range switchyard.HookStages() {
		if fn, ok := plan.Hooks[stage]; ok && fn != "" {
			doc.Hooks = append(doc.Hooks, map[string]string{stage: fn})
		}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// appSpecTaskDefinition reads the task definition out of an AppSpec, JSON
// or the YAML CodeDeploy also takes.
func appSpecTaskDefinition(content string) string {
	var doc struct {
		Resources []map[string]struct {
			Properties struct {
				TaskDefinition string `json:"TaskDefinition" yaml:"TaskDefinition"`
			} `json:"Properties" yaml:"Properties"`
		} `json:"Resources" yaml:"Resources"`
	}
	if err := unmarshalAppSpec(content, &doc); err != nil {
		return ""
	}
	for _, r := range doc.Resources {
		for _, res := range r {
			if res.Properties.TaskDefinition != "" {
				return res.Properties.TaskDefinition
			}
		}
	}
	return ""
}

// unmarshalAppSpec decodes an AppSpec; YAML is a superset of JSON, so one
// decoder reads both.
func unmarshalAppSpec(content string, v any) error {
	return yaml.Unmarshal([]byte(content), v)
}
