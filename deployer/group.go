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

// ReadyWait is what happens between green being ready and production
// traffic moving to it.
type ReadyWait struct {
	// Manual means traffic moves only when someone continues the deployment
	// (ContinueDeployment READY_WAIT), within Minutes, else it stops.
	Manual  bool `json:"manual"`
	Minutes int  `json:"minutes,omitempty"`
}

// String says it in words.
func (w ReadyWait) String() string {
	if !w.Manual {
		return "traffic moves as soon as green is ready"
	}
	return fmt.Sprintf("waits up to %s for someone to shift traffic, then stops", minutes(w.Minutes))
}

// Termination is what happens to blue after a successful deployment.
type Termination struct {
	// Terminate is false when the group keeps blue alive (KEEP_ALIVE).
	Terminate bool `json:"terminate"`
	// WaitMinutes is how long blue is kept, ready for a rollback, before it
	// is deleted.
	WaitMinutes int `json:"wait_minutes"`
}

// String says it in words.
func (t Termination) String() string {
	switch {
	case !t.Terminate:
		return "blue is kept running after success"
	case t.WaitMinutes == 0:
		return "blue is deleted right after success"
	default:
		return fmt.Sprintf("blue is kept %s after success for a quick rollback, then deleted", minutes(t.WaitMinutes))
	}
}

// AutoRollback is the group's automatic rollback setting.
type AutoRollback struct {
	Enabled bool     `json:"enabled"`
	Events  []string `json:"events,omitempty"` // DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST
}

// Alarm is a CloudWatch alarm the deployment group watches, with its state
// when the plan was made: OK, ALARM, INSUFFICIENT_DATA, or "unknown" when it
// could not be read, "missing" when CloudWatch has no such alarm.
type Alarm struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// group is what the deployer needs to know about a deployment group.
type group struct {
	config         string
	services       []string // "cluster/service"
	readyWait      ReadyWait
	termination    Termination
	alarmsEnabled  bool
	alarms         []string
	autoRollback   AutoRollback
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
	g := &group{config: aws.ToString(info.DeploymentConfigName), termination: Termination{Terminate: true}}
	for _, s := range info.EcsServices {
		g.services = append(g.services, lastSegment(aws.ToString(s.ClusterName))+"/"+lastSegment(aws.ToString(s.ServiceName)))
	}
	if bg := info.BlueGreenDeploymentConfiguration; bg != nil {
		if r := bg.DeploymentReadyOption; r != nil && r.ActionOnTimeout == cdtypes.DeploymentReadyActionStopDeployment {
			g.readyWait = ReadyWait{Manual: true, Minutes: int(r.WaitTimeInMinutes)}
		}
		if t := bg.TerminateBlueInstancesOnDeploymentSuccess; t != nil {
			g.termination = Termination{Terminate: t.Action != cdtypes.InstanceActionKeepAlive, WaitMinutes: int(t.TerminationWaitTimeInMinutes)}
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

// describeConfig reads a deployment config and says in words what it does
// to production traffic, for example "10% every 1 minute, all traffic after
// 9 minutes".
func (d *Deployer) describeConfig(ctx context.Context, c Clients, name string) (string, error) {
	out, err := c.Groups.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: aws.String(name)})
	if err != nil {
		if apiCode(err) == "DeploymentConfigDoesNotExistException" {
			return "", switchyard.Wrap(switchyard.EINVALID, "There is no CodeDeploy deployment config named "+name+".",
				fmt.Errorf("get deployment config %s: %w", name, err))
		}
		return "", fail(err, "get deployment config "+name, "read the deployment config "+name)
	}
	if out.DeploymentConfigInfo == nil {
		return "", switchyard.Errorf(switchyard.EINTERNAL, "CodeDeploy returned no deployment config %s.", name)
	}
	return trafficWords(out.DeploymentConfigInfo.TrafficRoutingConfig), nil
}

// trafficWords describes a traffic routing config.
func trafficWords(t *cdtypes.TrafficRoutingConfig) string {
	if t == nil {
		return "all traffic at once"
	}
	switch t.Type {
	case cdtypes.TrafficRoutingTypeTimeBasedLinear:
		l := t.TimeBasedLinear
		if l == nil || l.LinearPercentage <= 0 {
			return "linear traffic shift"
		}
		steps := (100 + int(l.LinearPercentage) - 1) / int(l.LinearPercentage)
		return fmt.Sprintf("%d%% every %s, all traffic after %s",
			l.LinearPercentage, minutes(int(l.LinearInterval)), minutes((steps-1)*int(l.LinearInterval)))
	case cdtypes.TrafficRoutingTypeTimeBasedCanary:
		cn := t.TimeBasedCanary
		if cn == nil {
			return "canary traffic shift"
		}
		return fmt.Sprintf("%d%% first, all traffic after %s", cn.CanaryPercentage, minutes(int(cn.CanaryInterval)))
	default:
		return "all traffic at once"
	}
}

func minutes(n int) string {
	if n == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", n)
}

// lastSegment returns what follows the last "/" of an ARN, or s itself.
func lastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}
