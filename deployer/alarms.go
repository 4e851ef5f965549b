package deployer

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// Alarms returns the CloudWatch alarms env's deployment group watches, in
// the group's order, with their current states (OK, ALARM,
// INSUFFICIENT_DATA; "" when CloudWatch has no such alarm). A group that
// watches none, or has alarm monitoring off, gives nil. It makes two calls,
// GetDeploymentGroup and DescribeAlarms, and caches nothing: callers that
// ask on every poll keep their own short cache. Errors are
// *switchyard.Error with a message safe to show.
//
// For a service ECS deploys itself, the alarms are those of its deployment
// configuration (when enabled), read from the service at most every
// serviceTTL: one call, DescribeAlarms, in between. An environment with a
// codedeploy section is taken for CodeDeploy's until a read of its service
// (Plan, Start, Recent) said otherwise.
func (d *Deployer) Alarms(ctx context.Context, env switchyard.Environment) ([]switchyard.Alarm, error) {
	c, err := d.reads(ctx, env, "")
	if err != nil {
		return nil, err
	}
	var names []string
	whose := env.DeploymentGroup
	f, known := d.services.get(env)
	var ferr error
	if !known && env.Application == "" {
		f, ferr = d.facts(ctx, c, env)
	}
	if ferr == nil && f.backend == switchyard.BackendECS {
		names, whose = f.alarms, "service "+env.Service
	} else if env.Application == "" {
		return nil, ferr
	} else {
		g, err := d.readGroup(ctx, c, env)
		if err != nil {
			return nil, err
		}
		names = g.alarms
	}
	if len(names) == 0 {
		return nil, nil
	}
	states, err := readAlarmStates(ctx, c, names)
	if err != nil {
		return nil, fail(err, "describe alarms of "+whose, "read the CloudWatch alarms of "+whose)
	}
	out := make([]switchyard.Alarm, 0, len(names))
	for _, n := range names {
		out = append(out, switchyard.Alarm{Name: n, State: states[n]})
	}
	return out, nil
}

// readAlarmStates reads the states of the named alarms, metric and
// composite, in one call: alarm name → state. An alarm CloudWatch does not
// have is absent from the map.
func readAlarmStates(ctx context.Context, c Clients, names []string) (map[string]string, error) {
	out, err := c.Alarms.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
		AlarmNames: names,
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
	})
	if err != nil {
		return nil, err
	}
	states := make(map[string]string, len(out.MetricAlarms)+len(out.CompositeAlarms))
	for _, a := range out.MetricAlarms {
		states[aws.ToString(a.AlarmName)] = string(a.StateValue)
	}
	for _, a := range out.CompositeAlarms {
		states[aws.ToString(a.AlarmName)] = string(a.StateValue)
	}
	return states, nil
}

// alarmStates reads the states of the alarms a group watches for a plan. A
// failure is not fatal: the plan says the states are unknown (unread).
func (d *Deployer) alarmStates(ctx context.Context, c Clients, names []string) (alarms []switchyard.Alarm, unread bool) {
	if len(names) == 0 {
		return nil, false
	}
	states, err := readAlarmStates(ctx, c, names)
	if err != nil && ctx.Err() == nil { // a plan given up (a typo found first) is no fault
		d.log.Warn("describe alarms", zap.Strings("alarms", names), zap.Error(err))
	}
	alarms = make([]switchyard.Alarm, 0, len(names))
	for _, n := range names {
		st, ok := states[n]
		switch {
		case err != nil:
			st = switchyard.AlarmUnknown
		case !ok:
			st = switchyard.AlarmMissing
		}
		alarms = append(alarms, switchyard.Alarm{Name: n, State: st})
	}
	return alarms, err != nil
}
