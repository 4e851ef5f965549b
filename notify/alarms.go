package notify

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// GroupReader reads a deployment group. *codedeploy.Client satisfies it.
type GroupReader interface {
	GetDeploymentGroup(ctx context.Context, in *codedeploy.GetDeploymentGroupInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error)
}

// AlarmDescriber reads CloudWatch alarms. *cloudwatch.Client satisfies it.
type AlarmDescriber interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

var (
	_ GroupReader    = (*codedeploy.Client)(nil)
	_ AlarmDescriber = (*cloudwatch.Client)(nil)
)

// NewAlarmReader returns an AlarmReader that reads the group's alarm
// configuration and then the alarms' states: two calls.
func NewAlarmReader(groups GroupReader, alarms AlarmDescriber) AlarmReader {
	return &alarmReader{groups: groups, alarms: alarms}
}

type alarmReader struct {
	groups GroupReader
	alarms AlarmDescriber
}

// Alarms implements AlarmReader.
func (r *alarmReader) Alarms(ctx context.Context, env switchyard.Environment) ([]switchyard.Alarm, error) {
	g, err := r.groups.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{
		ApplicationName: aws.String(env.Application), DeploymentGroupName: aws.String(env.DeploymentGroup),
	})
	if err != nil {
		return nil, err
	}
	info := g.DeploymentGroupInfo
	if info == nil || info.AlarmConfiguration == nil || !info.AlarmConfiguration.Enabled {
		return nil, nil
	}
	var names []string
	for _, a := range info.AlarmConfiguration.Alarms {
		names = append(names, aws.ToString(a.Name))
	}
	if len(names) == 0 {
		return nil, nil
	}
	out, err := r.alarms.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names})
	if err != nil {
		return nil, err
	}
	state := map[string]string{}
	for _, m := range out.MetricAlarms {
		state[aws.ToString(m.AlarmName)] = string(m.StateValue)
	}
	list := make([]switchyard.Alarm, 0, len(names))
	for _, n := range names {
		list = append(list, switchyard.Alarm{Name: n, State: state[n]})
	}
	return list, nil
}

// alarmTTL is how long an environment's alarm states are reused.
const alarmTTL = 15 * time.Second

// alarmCache keeps each environment's alarms for alarmTTL so that polling
// many deployments does not multiply CloudWatch calls.
type alarmCache struct {
	r    AlarmReader
	mu   sync.Mutex
	byID map[string]alarmEntry
}

type alarmEntry struct {
	at     time.Time
	alarms []switchyard.Alarm
}

func newAlarmCache(r AlarmReader) *alarmCache {
	return &alarmCache{r: r, byID: map[string]alarmEntry{}}
}

// get returns env's alarms, nil when there is no reader or it failed (the
// card then says none are known, which is better than a stale state).
func (c *alarmCache) get(ctx context.Context, env switchyard.Environment, fresh bool, log *zap.Logger) []switchyard.Alarm {
	if c.r == nil {
		return nil
	}
	key := env.Region + "/" + env.Application + "/" + env.DeploymentGroup
	c.mu.Lock()
	e, ok := c.byID[key]
	c.mu.Unlock()
	if ok && !fresh && time.Since(e.at) < alarmTTL {
		return e.alarms
	}
	alarms, err := c.r.Alarms(ctx, env)
	if err != nil {
		log.Debug("read alarms", zap.String("group", env.DeploymentGroup), zap.Error(err))
		return e.alarms
	}
	c.mu.Lock()
	c.byID[key] = alarmEntry{at: time.Now(), alarms: alarms}
	c.mu.Unlock()
	return alarms
}
