package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/smithy-go"
)

// cdFixture is a simulator served over HTTP with a CodeDeploy client.
type cdFixture struct {
	t   *testing.T
	sim *Sim
	cd  *codedeploy.Client
	ctx context.Context
	t0  time.Time
}

var cdEpoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newCDFixture(t *testing.T, w World) *cdFixture {
	t.Helper()
	return startCDFixture(t, Options{Start: cdEpoch}, w)
}

// startCDFixture seeds a simulator made with opts and starts it, engine
// included.
func startCDFixture(t *testing.T, opts Options, w World) *cdFixture {
	t.Helper()
	sim := New(opts)
	if err := sim.Seed(w); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return cdFixtureAt(t, sim, sim.URL())
}

// cdFixtureAt is a fixture whose client reaches sim at url, however sim is
// served.
func cdFixtureAt(t *testing.T, sim *Sim, url string) *cdFixture {
	cfg := sim.Config()
	cfg.BaseEndpoint = aws.String(url)
	cd := codedeploy.NewFromConfig(cfg, func(o *codedeploy.Options) { o.RetryMaxAttempts = 1 })
	return &cdFixture{t: t, sim: sim, cd: cd, ctx: context.Background(), t0: cdEpoch}
}

// serviceSeed is a CODE_DEPLOY service running container web on port 8080.
func serviceSeed(name string) ServiceSeed {
	return ServiceSeed{
		Name: name,
		TaskDefinition: map[string]any{
			"family": name,
			"containerDefinitions": []any{map[string]any{
				"name": "web", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + name + ":v1",
				"portMappings": []any{map[string]any{"containerPort": 8080}},
			}},
		},
		LoadBalancers: []LoadBalancerSeed{{
			TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/" + name + "-blue/0123456789abcdef",
			ContainerName:  "web", ContainerPort: 8080,
		}},
	}
}

// groupSeed is a group for service in cluster prod; mods adjust it.
func groupSeed(name, service string, mods ...func(*DeploymentGroupSeed)) DeploymentGroupSeed {
	g := DeploymentGroupSeed{Name: name, DeploymentConfig: "CodeDeployDefault.ECSAllAtOnce"}
	g.Service.Cluster, g.Service.Name = "prod", service
	for _, m := range mods {
		m(&g)
	}
	return g
}

// oneServiceWorld is cluster prod with service web, application web and
// group web-prod.
func oneServiceWorld(mods ...func(*DeploymentGroupSeed)) World {
	return World{
		Clusters:     []ClusterSeed{{Name: "prod", Services: []ServiceSeed{serviceSeed("web")}}},
		Alarms:       []AlarmSeed{{Name: "web-5xx"}},
		Applications: []ApplicationSeed{{Name: "web", DeploymentGroups: []DeploymentGroupSeed{groupSeed("web-prod", "web", mods...)}}},
	}
}

func withRollback(events ...string) func(*DeploymentGroupSeed) {
	return func(g *DeploymentGroupSeed) {
		g.AutoRollback = &struct {
			Enabled bool     `yaml:"enabled"`
			Events  []string `yaml:"events"`
		}{Enabled: true, Events: events}
	}
}

func withReadyWait(action string, minutes int) func(*DeploymentGroupSeed) {
	return func(g *DeploymentGroupSeed) {
		g.ReadyWait = &struct {
			Action  string `yaml:"action"`
			Minutes int    `yaml:"minutes"`
		}{action, minutes}
	}
}

// registerTD registers a new revision of family with image tag and returns
// its ARN.
func (f *cdFixture) registerTD(family, tag string) string {
	f.t.Helper()
	f.sim.mu.Lock()
	defer f.sim.mu.Unlock()
	td, err := f.sim.registerTaskDefLocked(map[string]any{
		"family": family,
		"containerDefinitions": []any{map[string]any{
			"name": "web", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + family + ":" + tag,
			"portMappings": []any{map[string]any{"containerPort": 8080}},
		}},
	}, nil, f.sim.clock.Now())
	if err != nil {
		f.t.Fatalf("register task definition: %v", err)
	}
	return td.arn
}

// appSpec writes a YAML AppSpec for taskDef with hooks given as
// "Stage=function" pairs.
func appSpecYAML(taskDef string, hooks ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n")
	fmt.Fprintf(&b, "        TaskDefinition: %q\n        LoadBalancerInfo:\n          ContainerName: \"web\"\n          ContainerPort: 8080\n", taskDef)
	if len(hooks) > 0 {
		b.WriteString("Hooks:\n")
		for _, h := range hooks {
			stage, fn, _ := strings.Cut(h, "=")
			fmt.Fprintf(&b, "  - %s: %q\n", stage, fn)
		}
	}
	return b.String()
}

func contentRevision(content string) *types.RevisionLocation {
	return &types.RevisionLocation{RevisionType: types.RevisionLocationTypeAppSpecContent,
		AppSpecContent: &types.AppSpecContent{Content: aws.String(content)}}
}

// deploy creates a deployment of a new task definition revision of service
// in app/group and returns its id.
func (f *cdFixture) deploy(app, group, service string, hooks ...string) string {
	f.t.Helper()
	td := f.registerTD(service, "v2")
	out, err := f.cd.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{
		ApplicationName: aws.String(app), DeploymentGroupName: aws.String(group),
		Revision: contentRevision(appSpecYAML(td, hooks...)),
	})
	if err != nil {
		f.t.Fatalf("create deployment: %v", err)
	}
	return aws.ToString(out.DeploymentId)
}

func (f *cdFixture) info(id string) *types.DeploymentInfo {
	f.t.Helper()
	out, err := f.cd.GetDeployment(f.ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		f.t.Fatalf("get deployment %s: %v", id, err)
	}
	return out.DeploymentInfo
}

func (f *cdFixture) target(id string) *types.ECSTarget {
	f.t.Helper()
	out, err := f.cd.GetDeploymentTarget(f.ctx, &codedeploy.GetDeploymentTargetInput{
		DeploymentId: aws.String(id), TargetId: aws.String("prod:" + f.serviceOf(id)),
	})
	if err != nil {
		f.t.Fatalf("get deployment target %s: %v", id, err)
	}
	return out.DeploymentTarget.EcsTarget
}

func (f *cdFixture) serviceOf(id string) string {
	f.sim.mu.Lock()
	defer f.sim.mu.Unlock()
	return f.sim.codedeploy.deployments[id].svc.name
}

// weights returns the Blue and Green traffic weights (-1 when absent).
func (f *cdFixture) weights(id string) (blue, green float64) {
	f.t.Helper()
	blue, green = -1, -1
	for _, ts := range f.target(id).TaskSetsInfo {
		switch ts.TaskSetLabel {
		case types.TargetLabelBlue:
			blue = ts.TrafficWeight
		case types.TargetLabelGreen:
			green = ts.TrafficWeight
		}
	}
	return blue, green
}

// events renders the lifecycle events as "Name:Status" in order.
func (f *cdFixture) events(id string) []string {
	f.t.Helper()
	var out []string
	for _, e := range f.target(id).LifecycleEvents {
		out = append(out, aws.ToString(e.LifecycleEventName)+":"+string(e.Status))
	}
	return out
}

// advanceTo moves the clock to t0+offset.
func (f *cdFixture) advanceTo(offset time.Duration) {
	f.t.Helper()
	now := f.sim.clock.Now()
	target := f.t0.Add(offset)
	if target.Before(now) {
		f.t.Fatalf("advanceTo %v: clock already at %v", offset, now.Sub(f.t0))
	}
	f.sim.Advance(target.Sub(now))
}

// serviceState is the service's task definition and task sets (status:weight).
func (f *cdFixture) serviceState(service string) (taskDef string, sets []string) {
	f.sim.mu.Lock()
	defer f.sim.mu.Unlock()
	svc := f.sim.ecs.service("prod", service)
	for _, ts := range svc.taskSets {
		sets = append(sets, fmt.Sprintf("%s:%s:%g", ts.taskDef[strings.LastIndexByte(ts.taskDef, '/')+1:], ts.status, ts.trafficWeight))
	}
	return svc.taskDef, sets
}

// deploymentEvents returns the states of the CodeDeploy state-change events
// emitted for deployment id, in order.
func (f *cdFixture) deploymentEvents(id string) []string {
	return f.allDeploymentEvents()[id]
}

// allDeploymentEvents returns the states of every CodeDeploy state-change
// event by deployment id, checking the envelope of each.
func (f *cdFixture) allDeploymentEvents() map[string][]string {
	f.t.Helper()
	states := map[string][]string{}
	for _, raw := range f.sim.Events() {
		var env struct {
			Source     string        `json:"source"`
			DetailType string        `json:"detail-type"`
			Resources  []string      `json:"resources"`
			Detail     cdEventDetail `json:"detail"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			f.t.Fatalf("event: %v", err)
		}
		if env.Source != "aws.codedeploy" {
			continue
		}
		d := env.Detail
		if env.DetailType != "CodeDeploy Deployment State-change Notification" || d.Region != "us-east-1" || d.InstanceGroupID == "" ||
			len(env.Resources) != 2 || env.Resources[0] != "arn:aws:codedeploy:us-east-1:123456789012:application:"+d.Application ||
			env.Resources[1] != "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:"+d.Application+"/"+d.DeploymentGroup {
			f.t.Fatalf("event envelope: %s", raw)
		}
		states[d.DeploymentID] = append(states[d.DeploymentID], d.State)
	}
	return states
}

// wantAPIError asserts err is the AWS error code, with msg in its message
// when msg is not empty.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if msg != "" && ae.ErrorMessage() != msg {
		t.Fatalf("%s message: want %q, got %q", code, msg, ae.ErrorMessage())
	}
}
