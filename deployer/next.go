package deployer

import (
	"context"
	"time"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// nextOf says what comes next in a deployment without anyone's click, and
// when, from what AWS showed: the next traffic step of a linear or canary
// shift, the end of a ready wait that stops the deployment, the end of the
// termination wait that removes blue. The card names that clock time, so
// that it never goes stale. It costs a call only for a custom deployment
// config seen for the first time.
func (d *Deployer) nextOf(ctx context.Context, c Clients, info *cdtypes.DeploymentInfo, o *switchyard.Observation) switchyard.Next {
	if o.Status.Done() {
		return switchyard.Next{}
	}
	bg := info.BlueGreenDeploymentConfiguration
	switch o.Waiting {
	case switchyard.WaitReady:
		if bg == nil || bg.DeploymentReadyOption == nil || bg.DeploymentReadyOption.ActionOnTimeout != cdtypes.DeploymentReadyActionStopDeployment {
			return switchyard.Next{}
		}
		start := lastEnd(o.Stages)
		if start.IsZero() {
			return switchyard.Next{}
		}
		return switchyard.Next{Kind: switchyard.NextReadyTimeout, At: start.Add(minutesOf(bg.DeploymentReadyOption.WaitTimeInMinutes))}
	case switchyard.WaitTermination:
		if bg == nil || bg.TerminateBlueInstancesOnDeploymentSuccess == nil {
			return switchyard.Next{}
		}
		start := lastEnd(o.Stages)
		if start.IsZero() {
			return switchyard.Next{}
		}
		return switchyard.Next{Kind: switchyard.NextBlueRemoved,
			At: start.Add(minutesOf(bg.TerminateBlueInstancesOnDeploymentSuccess.TerminationWaitTimeInMinutes))}
	}
	for _, s := range o.Stages {
		if s.Name != switchyard.AllowTraffic || s.Status != switchyard.StageInProgress || s.Start.IsZero() {
			continue
		}
		return nextStep(d.shapeOf(ctx, c, o.Config), s.Start, o.Traffic.Green)
	}
	return switchyard.Next{}
}

// nextStep is the next step of a traffic shift that started at start and
// stands at green percent.
func nextStep(shape switchyard.TrafficShape, start time.Time, green float64) switchyard.Next {
	p, every := float64(shape.Percent), time.Duration(shape.IntervalMinutes)*time.Minute
	if p <= 0 || green >= 100 {
		return switchyard.Next{}
	}
	switch shape.Type {
	case switchyard.RoutingLinear:
		done := int(green / p)
		at := start
		if done > 0 {
			at = start.Add(time.Duration(done) * every)
		}
		return switchyard.Next{Kind: switchyard.NextTrafficStep, At: at, Percent: min(100, float64(done+1)*p)}
	case switchyard.RoutingCanary:
		if green < p {
			return switchyard.Next{Kind: switchyard.NextTrafficStep, At: start, Percent: p}
		}
		return switchyard.Next{Kind: switchyard.NextTrafficStep, At: start.Add(every), Percent: 100}
	}
	return switchyard.Next{}
}

// shapeOf is how config moves traffic: a predefined config's from the
// table, a custom one's read once and remembered.
func (d *Deployer) shapeOf(ctx context.Context, c Clients, config string) switchyard.TrafficShape {
	if shape, ok := predefinedShapes[config]; ok {
		return shape
	}
	if shape, ok := d.memo.shape(config); ok {
		return shape
	}
	shape, err := d.describeConfig(ctx, c, config)
	if err != nil {
		d.log.Debug("read deployment config", zap.String("config", config), zap.Error(err))
		return switchyard.TrafficShape{}
	}
	d.memo.putShape(config, shape)
	return shape
}

// lastEnd is when the last finished stage ended: where a wait began.
func lastEnd(stages []switchyard.Stage) time.Time {
	var t time.Time
	for _, s := range stages {
		if s.End.After(t) {
			t = s.End
		}
	}
	return t
}

func minutesOf(n int32) time.Duration { return time.Duration(n) * time.Minute }
