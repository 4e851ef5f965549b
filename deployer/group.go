package deployer

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/switchyard/switchyard"
)

// group is what the deployer needs to know about a deployment group.
type group struct {
	config         string
	services       []string // "cluster/service"
	readyWait      switchyard.ReadyWait
	termination    switchyard.Termination
	alarmsEnabled  bool
	alarms         []string
	autoRollback   switchyard.AutoRollback
	testTraffic    bool
	active         string // a deployment still running, from lastAttemptedDeployment
	lastSuccessful string
}

// readGroup reads env's deployment group.
func (d *Deployer) readGroup(ctx context.Context, c Clients, env switchyard.Environment) (*group, error) {
	out, err := c.Groups.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{
		ApplicationName:     aws.String(env.Application),
		DeploymentGroupName: aws.String(env.DeploymentGroup),
	})
	if err != nil {
		return nil, fail(err, "get deployment group "+env.DeploymentGroup,
			"read the CodeDeploy deployment group "+env.Application+"/"+env.DeploymentGroup)
	}
	info := out.DeploymentGroupInfo
	if info == nil {
		return nil, switchyard.Errorf(switchyard.EINTERNAL, "CodeDeploy returned no deployment group %s.", env.DeploymentGroup)
	}
	g := &group{config: aws.ToString(info.DeploymentConfigName), termination: switchyard.Termination{Terminate: true}}
	for _, s := range info.EcsServices {
		g.services = append(g.services, lastSegment(aws.ToString(s.ClusterName))+"/"+lastSegment(aws.ToString(s.ServiceName)))
	}
	if bg := info.BlueGreenDeploymentConfiguration; bg != nil {
		if r := bg.DeploymentReadyOption; r != nil && r.ActionOnTimeout == cdtypes.DeploymentReadyActionStopDeployment {
			g.readyWait = switchyard.ReadyWait{Manual: true, Minutes: int(r.WaitTimeInMinutes)}
		}
		if t := bg.TerminateBlueInstancesOnDeploymentSuccess; t != nil {
			g.termination = switchyard.Termination{Terminate: t.Action != cdtypes.InstanceActionKeepAlive, WaitMinutes: int(t.TerminationWaitTimeInMinutes)}
		}
	}
	if a := info.AlarmConfiguration; a != nil && a.Enabled {
		g.alarmsEnabled = true
		for _, al := range a.Alarms {
			g.alarms = append(g.alarms, aws.ToString(al.Name))
		}
	}
	if r := info.AutoRollbackConfiguration; r != nil {
		g.autoRollback.Enabled = r.Enabled
		for _, e := range r.Events {
			g.autoRollback.Events = append(g.autoRollback.Events, string(e))
		}
	}
	if lb := info.LoadBalancerInfo; lb != nil {
		for _, p := range lb.TargetGroupPairInfoList {
			if p.TestTrafficRoute != nil && len(p.TestTrafficRoute.ListenerArns) > 0 {
				g.testTraffic = true
			}
		}
	}
	if last := info.LastAttemptedDeployment; last != nil && !switchyard.Status(last.Status).Done() && last.Status != "" {
		g.active = aws.ToString(last.DeploymentId)
	}
	if last := info.LastSuccessfulDeployment; last != nil {
		g.lastSuccessful = aws.ToString(last.DeploymentId)
	}
	return g, nil
}

// deploys reports whether the group deploys env's service.
func (g *group) deploys(env switchyard.Environment) bool {
	if len(g.services) == 0 {
		return true // not reported: trust the configuration
	}
	want := lastSegment(env.Cluster) + "/" + lastSegment(env.Service)
	for _, s := range g.services {
		if s == want {
			return true
		}
	}
	return false
}

// describeConfig reads how a deployment config moves production traffic.
func (d *Deployer) describeConfig(ctx context.Context, c Clients, name string) (switchyard.TrafficShape, error) {
	out, err := c.Groups.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: aws.String(name)})
	if err != nil {
		if apiCode(err) == "DeploymentConfigDoesNotExistException" {
			return switchyard.TrafficShape{}, switchyard.Wrap(switchyard.EINVALID, "There is no CodeDeploy deployment config named "+name+".",
				fmt.Errorf("get deployment config %s: %w", name, err))
		}
		return switchyard.TrafficShape{}, fail(err, "get deployment config "+name, "read the deployment config "+name)
	}
	if out.DeploymentConfigInfo == nil {
		return switchyard.TrafficShape{}, switchyard.Errorf(switchyard.EINTERNAL, "CodeDeploy returned no deployment config %s.", name)
	}
	return trafficShape(out.DeploymentConfigInfo.TrafficRoutingConfig), nil
}

// trafficShape reads a traffic routing config.
func trafficShape(t *cdtypes.TrafficRoutingConfig) switchyard.TrafficShape {
	switch {
	case t == nil:
	case t.Type == cdtypes.TrafficRoutingTypeTimeBasedLinear && t.TimeBasedLinear != nil:
		return switchyard.TrafficShape{Type: switchyard.RoutingLinear, Percent: int(t.TimeBasedLinear.LinearPercentage),
			IntervalMinutes: int(t.TimeBasedLinear.LinearInterval)}
	case t.Type == cdtypes.TrafficRoutingTypeTimeBasedCanary && t.TimeBasedCanary != nil:
		return switchyard.TrafficShape{Type: switchyard.RoutingCanary, Percent: int(t.TimeBasedCanary.CanaryPercentage),
			IntervalMinutes: int(t.TimeBasedCanary.CanaryInterval)}
	}
	return switchyard.TrafficShape{Type: switchyard.RoutingAllAtOnce}
}

// lastSegment returns what follows the last "/" of an ARN, or s itself.
func lastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}
