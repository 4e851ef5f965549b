package awssim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// sdFixture is a simulator with a stopped clock, served over HTTP, and an
// ECS client: the service deployment tests move the clock themselves.
type sdFixture struct {
	t   *testing.T
	sim *Sim
	ecs *ecs.Client
	ctx context.Context
	t0  time.Time
}

func newSDFixture(t *testing.T, w World) *sdFixture {
	t.Helper()
	sim := startSeeded(t, w, Options{Start: cdEpoch})
	c := ecs.NewFromConfig(sim.Config(), func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
	return &sdFixture{t: t, sim: sim, ecs: c, ctx: context.Background(), t0: cdEpoch}
}

// sandboxWorld is the sandbox's own seed, where checkout deploys linearly.
func sandboxWorld(t *testing.T) World { return loadWorldFile(t, "../sandbox/world.yaml") }

const (
	checkoutBlueTG  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checkout-blue/0123456789abcdef"
	checkoutGreenTG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checkout-green/fedcba9876543210"
)

// nativeWorld is cluster prod with one ECS-controller service of four
// tasks, deploying with strategy; cfg adjusts its configuration.
func nativeWorld(name, strategy string, cfg func(*DeploymentConfiguration)) World {
	svc := serviceSeed(name)
	svc.DeploymentController = &DeploymentController{Type: "ECS"}
	svc.DesiredCount = aws.Int(4)
	svc.LoadBalancers[0].AdvancedConfiguration = &AdvancedConfiguration{
		AlternateTargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/" + name + "-green/fedcba9876543210",
		ProductionListenerRule:  "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/alb/1/2/3",
		RoleArn:                 "arn:aws:iam::123456789012:role/ecsInfrastructureRoleForLoadBalancers",
	}
	dc := &DeploymentConfiguration{Strategy: strategy, BakeTimeInMinutes: aws.Int(1)}
	if cfg != nil {
		cfg(dc)
	}
	svc.DeploymentConfiguration = dc
	return World{Clusters: []ClusterSeed{{Name: "prod", Services: []ServiceSeed{svc}}}, Alarms: []AlarmSeed{{Name: name + "-5xx"}}}
}

// update registers image tag of service's family and points the service
// at it, returning the service as UpdateService answered it.
func (f *sdFixture) update(service, tag string) *ecstypes.Service {
	f.t.Helper()
	td := f.registerTD(service, tag)
	out, err := f.ecs.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String(service), TaskDefinition: aws.String(td)})
	if err != nil {
		f.t.Fatalf("update service %s to %s: %v", service, tag, err)
	}
	return out.Service
}

func (f *sdFixture) registerTD(family, tag string) string {
	f.t.Helper()
	return (&cdFixture{t: f.t, sim: f.sim}).registerTD(family, tag)
}

// latest is the newest deployment of service, as ListServiceDeployments
// lists it.
func (f *sdFixture) latest(service string) string {
	f.t.Helper()
	out, err := f.ecs.ListServiceDeployments(f.ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String(service)})
	if err != nil || len(out.ServiceDeployments) == 0 {
		f.t.Fatalf("list service deployments of %s = %v, %v", service, out, err)
	}
	return aws.ToString(out.ServiceDeployments[0].ServiceDeploymentArn)
}

func (f *sdFixture) describe(arn string) ecstypes.ServiceDeployment {
	f.t.Helper()
	out, err := f.ecs.DescribeServiceDeployments(f.ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil || len(out.ServiceDeployments) != 1 {
		f.t.Fatalf("describe service deployment %s = %+v, %v", arn, out, err)
	}
	return out.ServiceDeployments[0]
}

func (f *sdFixture) service(name string) ecstypes.Service {
	f.t.Helper()
	out, err := f.ecs.DescribeServices(f.ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		f.t.Fatalf("describe service %s = %+v, %v", name, out, err)
	}
	return out.Services[0]
}

// advanceTo moves the clock to t0+offset.
func (f *sdFixture) advanceTo(offset time.Duration) {
	f.t.Helper()
	(&cdFixture{t: f.t, sim: f.sim, t0: f.t0}).advanceTo(offset)
}

// state is a deployment in one line: status, stage, then each source's
// and the target's production/test weights and running/requested tasks,
// e.g. "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src 75/0 4/4 tgt 25/100 4/4".
func state(d ecstypes.ServiceDeployment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", d.Status, d.LifecycleStage)
	for _, s := range d.SourceServiceRevisions {
		b.WriteString(" src " + summary(s))
	}
	if d.TargetServiceRevision != nil {
		b.WriteString(" tgt " + summary(*d.TargetServiceRevision))
	}
	return b.String()
}

func summary(s ecstypes.ServiceRevisionSummary) string {
	w := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%g", *p)
	}
	return fmt.Sprintf("%s/%s %d/%d", w(s.RequestedProductionTrafficWeight), w(s.RequestedTestTrafficWeight), s.RunningTaskCount, s.RequestedTaskCount)
}

// expect asserts the deployment's state line at t0+offset.
func (f *sdFixture) expect(arn string, offset time.Duration, want string) ecstypes.ServiceDeployment {
	f.t.Helper()
	f.advanceTo(offset)
	d := f.describe(arn)
	if got := state(d); got != want {
		f.t.Fatalf("at t0+%v:\n got %s\nwant %s", offset, got, want)
	}
	return d
}

// legacy renders DescribeServices' deployments as "STATUS:ecs-svc/…:rollout".
func legacy(svc ecstypes.Service) []string {
	var out []string
	for _, d := range svc.Deployments {
		out = append(out, fmt.Sprintf("%s:%s:%s", aws.ToString(d.Status), aws.ToString(d.Id), d.RolloutState))
	}
	return out
}

// revID is the digits ending a service revision ARN, the legacy
// deployment id's.
func revID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// ecsEvent is an aws.ecs event on the bus, reduced to what the tests read.
type ecsEvent struct {
	DetailType string          `json:"detail-type"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// ecsEvents returns the ECS events emitted so far, as "eventName" plus, for
// hook events, ":hookType@lifecycleStage".
func (f *sdFixture) ecsEvents() []string {
	f.t.Helper()
	var out []string
	for _, raw := range f.sim.Events() {
		var env struct {
			Source string `json:"source"`
			ecsEvent
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			f.t.Fatal(err)
		}
		if env.Source != "aws.ecs" {
			continue
		}
		var d map[string]string
		if err := json.Unmarshal(env.Detail, &d); err != nil {
			f.t.Fatalf("event detail: %s", env.Detail)
		}
		if env.DetailType == "ECS Hook State Change" {
			out = append(out, d["eventName"]+":"+d["hookType"]+"@"+d["lifecycleStage"])
			continue
		}
		out = append(out, d["eventName"]+":"+d["deploymentId"])
	}
	return out
}

// countEvents is how many of the ECS events so far read want.
func (f *sdFixture) countEvents(want string) int {
	n := 0
	for _, e := range f.ecsEvents() {
		if e == want {
			n++
		}
	}
	return n
}

// pauseHook returns the hook awaiting action on the deployment.
func pauseHook(t *testing.T, d ecstypes.ServiceDeployment) ecstypes.DeploymentLifecycleHookDetail {
	t.Helper()
	for _, h := range d.LifecycleHookDetails {
		if h.Status == ecstypes.DeploymentLifecycleHookStatusAwaitingAction {
			return h
		}
	}
	t.Fatalf("no hook awaiting action: %+v", d.LifecycleHookDetails)
	return ecstypes.DeploymentLifecycleHookDetail{}
}

func (f *sdFixture) cont(arn, hookID string, action ecstypes.DeploymentLifecycleHookAction) error {
	_, err := f.ecs.ContinueServiceDeployment(f.ctx, &ecs.ContinueServiceDeploymentInput{
		ServiceDeploymentArn: aws.String(arn), HookId: aws.String(hookID), Action: action,
	})
	return err
}
