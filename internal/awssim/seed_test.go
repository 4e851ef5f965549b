package awssim

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// loadWorldFile loads a world file of testdata.
func loadWorldFile(t *testing.T, path string) World {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := LoadWorld(b)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// startWorld starts a simulator on 127.0.0.1 for the world in path, seeded
// with it; opts gives the rest of its options.
func startWorld(t *testing.T, path string, opts Options) *Sim {
	t.Helper()
	return startSeeded(t, loadWorldFile(t, path), opts)
}

// startSeeded starts a simulator on 127.0.0.1 seeded with w.
func startSeeded(t *testing.T, w World, opts Options) *Sim {
	t.Helper()
	s := New(w.Options(opts))
	if err := s.Seed(w); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// startWorldSim starts a simulator on 127.0.0.1 seeded with
// testdata/world.yaml and returns it with a client config pointing at it.
func startWorldSim(t *testing.T) (*Sim, aws.Config) {
	t.Helper()
	s := startWorld(t, "testdata/world.yaml", Options{})
	return s, s.Config()
}

func TestLoadWorldExample(t *testing.T) {
	w := loadWorldFile(t, "testdata/world.yaml")
	if w.Account != "123456789012" || w.Region != "us-east-1" {
		t.Errorf("account/region = %s/%s", w.Account, w.Region)
	}
	if len(w.Clusters) != 1 || len(w.Clusters[0].Services) != 2 {
		t.Fatalf("clusters = %+v", w.Clusters)
	}
	web := w.Clusters[0].Services[0]
	if web.Name != "web" || web.Controller != "" || *web.DesiredCount != 3 {
		t.Errorf("web = %+v", web)
	}
	if got := web.NetworkConfiguration.AwsvpcConfiguration.Subnets; len(got) != 2 {
		t.Errorf("subnets = %v", got)
	}
	if web.TaskDefinition["networkMode"] != "awsvpc" {
		t.Errorf("task definition = %v", web.TaskDefinition)
	}
	if len(w.Repositories) != 2 || len(w.Alarms) != 2 || len(w.Applications) != 1 {
		t.Errorf("repos %d alarms %d apps %d", len(w.Repositories), len(w.Alarms), len(w.Applications))
	}

	s := New(w.Options(Options{}))
	if err := s.Seed(w); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.ecs.service("prod", "web")
	if svc == nil || len(svc.taskSets) != 1 {
		t.Fatalf("web service = %+v", svc)
	}
	ts := svc.taskSets[0]
	if ts.status != "PRIMARY" || ts.label != "Blue" || ts.trafficWeight != 100 ||
		ts.stabilityStatus != "STEADY_STATE" || ts.running != 3 || ts.desired != 3 || ts.pending != 0 {
		t.Errorf("blue task set = %+v", ts)
	}
	if ts.targetGroupArn != svc.loadBalancers[0].TargetGroupArn {
		t.Errorf("task set target group = %q", ts.targetGroupArn)
	}
	if worker := s.ecs.service("prod", "worker"); worker == nil || worker.controller != "ECS" || len(worker.taskSets) != 0 {
		t.Errorf("worker = %+v", worker)
	}
	if td := s.ecs.taskDefByRef("web"); td == nil || td.body["cpu"] != "256" || len(td.tags) != 1 {
		t.Errorf("web task definition = %+v", td)
	}
	if got := s.alarmStateLocked("web-latency"); got != "INSUFFICIENT_DATA" {
		t.Errorf("web-latency state = %q", got)
	}
	if r := s.ecr.repos["web"]; r == nil || len(r.images) != 3 {
		t.Errorf("web repository = %+v", r)
	}
}

func TestLoadWorldRefusesUnknownKeys(t *testing.T) {
	_, err := LoadWorld([]byte("clusters:\n  - name: prod\n    servics: []\n"))
	if err == nil || !strings.Contains(err.Error(), "servics") {
		t.Fatalf("err = %v, want one naming the unknown key", err)
	}
}

func TestSeedRefusesBadWorlds(t *testing.T) {
	td := map[string]any{
		"family":               "api",
		"containerDefinitions": []any{map[string]any{"name": "api", "image": "api:1"}},
	}
	cases := map[string]struct {
		world World
		want  string
	}{
		"other account": {World{Account: "999999999999"}, "does not match"},
		"other region":  {World{Region: "eu-west-1"}, "does not match"},
		"bad alarm":     {World{Alarms: []AlarmSeed{{Name: "a", State: "RED"}}}, "alarm"},
		"no task definition": {World{Clusters: []ClusterSeed{{Name: "c", Services: []ServiceSeed{{Name: "api"}}}}},
			"taskDefinition is required"},
		"bad controller": {World{Clusters: []ClusterSeed{{Name: "c", Services: []ServiceSeed{
			{Name: "api", Controller: "ROLLING", TaskDefinition: td}}}}}, "controller"},
		"missing container": {World{Clusters: []ClusterSeed{{Name: "c", Services: []ServiceSeed{
			{Name: "api", TaskDefinition: td, LoadBalancers: []LoadBalancerSeed{{ContainerName: "web", ContainerPort: 80}}}}}}},
			"container web does not exist"},
		"duplicate service": {World{Clusters: []ClusterSeed{{Name: "c", Services: []ServiceSeed{
			{Name: "api", TaskDefinition: td}, {Name: "api", TaskDefinition: td}}}}}, "already exists"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := New(Options{}).Seed(tc.world)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestPutServiceDefaults(t *testing.T) {
	s := New(Options{})
	err := s.PutService("default", ServiceSeed{
		Name: "api",
		TaskDefinition: map[string]any{
			"containerDefinitions": []any{map[string]any{"name": "api", "image": "api:1"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.ecs.service("default", "api")
	if svc.controller != "CODE_DEPLOY" || svc.desiredCount != 1 || svc.launchType != "FARGATE" || svc.platformVer != "LATEST" {
		t.Errorf("service = %+v", svc)
	}
	if svc.taskDef != "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1" {
		t.Errorf("task definition = %s", svc.taskDef)
	}
}

func TestSeedCustomDeploymentConfig(t *testing.T) {
	_, cfg := startWorldSim(t)
	out, err := codedeploy.NewFromConfig(cfg).GetDeploymentConfig(context.Background(), &codedeploy.GetDeploymentConfigInput{
		DeploymentConfigName: aws.String("Linear20PercentEvery2Minutes"),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.DeploymentConfigInfo.TrafficRoutingConfig
	if r == nil || r.Type != cdtypes.TrafficRoutingTypeTimeBasedLinear || r.TimeBasedLinear == nil ||
		r.TimeBasedLinear.LinearPercentage != 20 || r.TimeBasedLinear.LinearInterval != 2 ||
		out.DeploymentConfigInfo.ComputePlatform != cdtypes.ComputePlatformEcs {
		t.Fatalf("seeded config = %+v", out.DeploymentConfigInfo)
	}
}
