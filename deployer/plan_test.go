package deployer_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
)

const ecrWeb = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web"

func TestPlanReportsWhatWillHappen(t *testing.T) {
	h := newHarness(t)
	p, err := h.d.Plan(context.Background(), webEnv, "v1.4", switchyard.PlanOptions{App: "web"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"ImageNow":       ecrWeb + ":v1.3",
		"ImageNext":      ecrWeb + ":v1.4",
		"Version":        "v1.4",
		"Container":      "web",
		"LBContainer":    "envoy",
		"LBPort":         10000,
		"Config":         "CodeDeployDefault.ECSCanary10Percent5Minutes",
		"Traffic":        switchyard.TrafficShape{Type: switchyard.RoutingCanary, Percent: 10, IntervalMinutes: 5},
		"TaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1",
		"AlreadyRunning": false,
		"TestTraffic":    true,
	}
	got := reflect.ValueOf(*p)
	for field, w := range want {
		if g := got.FieldByName(field).Interface(); !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", field, g, w)
		}
	}
	if !p.Image.ECR || !p.Image.Checked || p.Image.Repository != "web" || !strings.HasPrefix(p.Image.Digest, "sha256:") || p.Image.Pushed.IsZero() {
		t.Errorf("ECR check gave digest %q pushed %v", p.Image.Digest, p.Image.Pushed)
	}
	wantAlarms := []switchyard.Alarm{{Name: "web-5xx", State: "OK"}, {Name: "web-p99", State: "INSUFFICIENT_DATA"}}
	if !reflect.DeepEqual(p.Alarms, wantAlarms) {
		t.Errorf("alarms %v, want %v", p.Alarms, wantAlarms)
	}
	if p.Termination != (switchyard.Termination{Terminate: true, WaitMinutes: 5}) || p.ReadyWait.Manual {
		t.Errorf("termination %+v ready wait %+v", p.Termination, p.ReadyWait)
	}
	if !p.AutoRollback.Enabled || !reflect.DeepEqual(p.AutoRollback.Events, []string{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"}) {
		t.Errorf("auto rollback %+v", p.AutoRollback)
	}
	if p.Hooks[switchyard.BeforeAllowTraffic] != "web-smoke-test" {
		t.Errorf("hooks %v", p.Hooks)
	}
	// Plan reads and never writes.
	for _, op := range h.rec.take() {
		if !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "Get") {
			t.Errorf("Plan called %s", op)
		}
	}

	// The plan survives being stored as JSON.
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back switchyard.Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, p) {
		t.Errorf("JSON round trip changed the plan:\n%+v\n%+v", back, *p)
	}
}

func TestPlanWordsForConfigsAndWaits(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for cfg, shape := range map[string]switchyard.TrafficShape{
		"CodeDeployDefault.ECSLinear10PercentEvery1Minutes": {Type: switchyard.RoutingLinear, Percent: 10, IntervalMinutes: 1},
		"CodeDeployDefault.ECSLinear10PercentEvery3Minutes": {Type: switchyard.RoutingLinear, Percent: 10, IntervalMinutes: 3},
		"CodeDeployDefault.ECSCanary10Percent15Minutes":     {Type: switchyard.RoutingCanary, Percent: 10, IntervalMinutes: 15},
		"CodeDeployDefault.ECSAllAtOnce":                    {Type: switchyard.RoutingAllAtOnce},
	} {
		p, err := h.d.Plan(ctx, webEnv, "v1.4", switchyard.PlanOptions{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		if p.Config != cfg || p.Traffic != shape || deployer.PredefinedShape(cfg) != shape {
			t.Errorf("%s: %+v, want %+v", cfg, p.Traffic, shape)
		}
	}
	_, err := h.d.Plan(ctx, webEnv, "v1.4", switchyard.PlanOptions{Config: "NoSuchConfig"})
	errorCode(t, err, switchyard.EINVALID)

	p, err := h.d.Plan(ctx, apiEnv, "1.1", switchyard.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.ReadyWait != (switchyard.ReadyWait{Manual: true, Minutes: 30}) {
		t.Errorf("ready wait %+v", p.ReadyWait)
	}
	if p.Termination != (switchyard.Termination{Terminate: true, WaitMinutes: 60}) {
		t.Errorf("termination %+v", p.Termination)
	}
	// The app names no container: the load balancer's is the one deployed.
	if p.Container != "api" || p.LBPort != 9000 || p.App != "api" || len(p.Alarms) != 0 {
		t.Errorf("plan %+v", p)
	}
}

func TestPlanAlreadyRunning(t *testing.T) {
	h := newHarness(t)
	p, err := h.d.Plan(context.Background(), webEnv, "v1.3", switchyard.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.AlreadyRunning || p.ImageNow != p.ImageNext {
		t.Errorf("AlreadyRunning %v now %s next %s", p.AlreadyRunning, p.ImageNow, p.ImageNext)
	}
}

func TestPlanMissingTagIsCaughtBeforeAnythingIsRegistered(t *testing.T) {
	h := newHarness(t)
	_, err := h.d.Plan(context.Background(), webEnv, "1.4", switchyard.PlanOptions{})
	se := errorCode(t, err, switchyard.EINVALID)
	if !strings.Contains(se.Message, "There is no image 1.4 in the ECR repository web") {
		t.Errorf("message %q", se.Message)
	}
	// The refusal names the tags nearest to the one typed, at the cost of
	// one more DescribeImages on this failure path only.
	if !strings.Contains(se.Message, "The nearest tags it has are v1.4, ") {
		t.Errorf("the refusal does not name the nearest tags: %q", se.Message)
	}
	ops := h.rec.take()
	if count(ops, "DescribeImages") != 2 || count(ops, "RegisterTaskDefinition") != 0 {
		t.Errorf("calls %v", ops)
	}
	if _, err := h.d.Plan(context.Background(), webEnv, "v1.4", switchyard.PlanOptions{}); err != nil {
		t.Fatal(err)
	}
	if ops := h.rec.take(); count(ops, "DescribeImages") != 1 {
		t.Errorf("a tag that exists cost %d DescribeImages: %v", count(ops, "DescribeImages"), ops)
	}
	_, err = h.d.Plan(context.Background(), webEnv, "zzzzzzzz", switchyard.PlanOptions{})
	if se := errorCode(t, err, switchyard.EINVALID); !strings.Contains(se.Message, "Check the version") || strings.Contains(se.Message, "nearest") {
		t.Errorf("a tag near none: %q", se.Message)
	}
}

// The tags named are those that extend the one typed, then the nearest by
// edit distance, the newest first among equals, at most three.
func TestMissingImageNamesNearestTags(t *testing.T) {
	h := newHarness(t)
	for _, tag := range []string{"v1.6.0", "v1.6.1", "release-candidate", "v1.6.0-rc1"} {
		h.sim.PutImage("web", tag)
	}
	_, err := h.d.Plan(context.Background(), webEnv, "v1.6", switchyard.PlanOptions{})
	se := errorCode(t, err, switchyard.EINVALID)
	if want := "There is no image v1.6 in the ECR repository web. The nearest tags it has are v1.6.1, v1.6.0-rc1 and v1.6.0."; se.Message != want {
		t.Errorf("message %q\nwant    %q", se.Message, want)
	}
	_, err = h.d.Plan(context.Background(), webEnv, "v1.7", switchyard.PlanOptions{})
	if se := errorCode(t, err, switchyard.EINVALID); !strings.Contains(se.Message, "The nearest tags it has are v1.") ||
		!strings.Contains(se.Message, "v1.5") || strings.Contains(se.Message, "release-candidate") {
		t.Errorf("v1.7: %q", se.Message)
	}
}

func TestPlanRefusesBadVersions(t *testing.T) {
	h := newHarness(t)
	for _, v := range []string{"", "-v1", ".v1", "v1.4!", "web:v 1", strings.Repeat("a", 129), "web@sha256:abc"} {
		_, err := h.d.Plan(context.Background(), webEnv, v, switchyard.PlanOptions{})
		errorCode(t, err, switchyard.EINVALID)
	}
}

func TestPlanAcceptsDigestsAndFullReferences(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	digest := h.sim.PutImage("web", "v1.6")
	p, err := h.d.Plan(ctx, webEnv, digest, switchyard.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.ImageNext != ecrWeb+"@"+digest || !p.Image.Checked || p.Version != digest[:19] {
		t.Errorf("digest plan: next %s checked %v version %s", p.ImageNext, p.Image.Checked, p.Version)
	}
	p, err = h.d.Plan(ctx, webEnv, "@"+digest, switchyard.PlanOptions{})
	if err != nil || p.ImageNext != ecrWeb+"@"+digest {
		t.Errorf("@digest plan: %v %v", p, err)
	}
	p, err = h.d.Plan(ctx, webEnv, ecrWeb+":v1.5", switchyard.PlanOptions{})
	if err != nil || p.ImageNext != ecrWeb+":v1.5" || !p.Image.Checked {
		t.Errorf("full reference plan: %+v %v", p, err)
	}
	missing := "sha256:" + strings.Repeat("0", 64)
	_, err = h.d.Plan(ctx, webEnv, missing, switchyard.PlanOptions{})
	errorCode(t, err, switchyard.EINVALID)
}

func TestPlanSkipsTheCheckOutsideECR(t *testing.T) {
	h := newHarness(t)
	p, err := h.d.Plan(context.Background(), hubEnv, "2.1", switchyard.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.ImageNext != "ghcr.io/example/hub:2.1" || p.Image.Checked || p.Image.ECR {
		t.Errorf("plan %+v", p)
	}
	if ops := h.rec.take(); count(ops, "DescribeImages") != 0 {
		t.Errorf("asked ECR about a ghcr.io image: %v", ops)
	}
	// EC2 launch type: no platform version, no awsvpc network.
	if p.LBContainer != "hub" || p.LBPort != 3000 {
		t.Errorf("load balancer %s:%d", p.LBContainer, p.LBPort)
	}
}

func TestPlanRefusesARollingService(t *testing.T) {
	h := newHarness(t)
	_, err := h.d.Plan(context.Background(), workerEnv, "2024.07.1", switchyard.PlanOptions{})
	se := errorCode(t, err, switchyard.EUNIMPLEMENTED)
	if !strings.Contains(se.Message, "uses ECS rolling updates") {
		t.Errorf("message %q", se.Message)
	}
}

func TestPlanNamesWhatIsMissing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	env := webEnv
	env.Service = "nope"
	_, err := h.d.Plan(ctx, env, "v1.4", switchyard.PlanOptions{})
	if se := errorCode(t, err, switchyard.ENOTFOUND); se.Message != "There is no ECS service nope in cluster prod." {
		t.Errorf("message %q", se.Message)
	}
	env = webEnv
	env.Cluster = "staging"
	_, err = h.d.Plan(ctx, env, "v1.4", switchyard.PlanOptions{})
	errorCode(t, err, switchyard.ENOTFOUND)

	env = webEnv
	env.DeploymentGroup = "api-prod"
	env.Application = "api"
	_, err = h.d.Plan(ctx, env, "v1.4", switchyard.PlanOptions{})
	// The group deploys another service, named as text, not a Go slice.
	if se := errorCode(t, err, switchyard.EINVALID); se.Message != "Deployment group api-prod deploys prod/api, not prod/web." {
		t.Errorf("message %q", se.Message)
	}

	env = webEnv
	env.Container = "sidecar"
	_, err = h.d.Plan(ctx, env, "v1.4", switchyard.PlanOptions{})
	errorCode(t, err, switchyard.EINVALID)

	env = webEnv
	env.Hooks = map[string]string{"Install": "fn"}
	_, err = h.d.Plan(ctx, env, "v1.4", switchyard.PlanOptions{})
	errorCode(t, err, switchyard.EINVALID)
}

func TestPlanShowsFiringAlarmsAndSurvivesCloudWatchTrouble(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if err := h.sim.SetAlarm("web-5xx", "ALARM", "5xx above 1%"); err != nil {
		t.Fatal(err)
	}
	p, err := h.d.Plan(ctx, webEnv, "v1.4", switchyard.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Alarms[0] != (switchyard.Alarm{Name: "web-5xx", State: "ALARM"}) || !slices.Equal(p.Firing(), []string{"web-5xx"}) || p.AlarmsUnread {
		t.Errorf("alarms %v firing %v", p.Alarms, p.Firing())
	}
	h.sim.Deny("cloudwatch:DescribeAlarms")
	p, err = h.d.Plan(ctx, webEnv, "v1.4", switchyard.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Alarms[0].State != switchyard.AlarmUnknown || !p.AlarmsUnread {
		t.Errorf("alarms %v unread %v", p.Alarms, p.AlarmsUnread)
	}
}

func TestPlanErrorsAreSafeSentences(t *testing.T) {
	h := newHarness(t)
	h.sim.Deny("ecs:DescribeServices")
	_, err := h.d.Plan(context.Background(), webEnv, "v1.4", switchyard.PlanOptions{})
	se := errorCode(t, err, switchyard.EFORBIDDEN)
	if se.Message != "Could not read the ECS service web: the bot's AWS role is not allowed to do that (AccessDeniedException)." {
		t.Errorf("message %q", se.Message)
	}
	if strings.Contains(se.Message, "arn:aws:iam") || !strings.Contains(se.Error(), "not authorized") {
		t.Errorf("the cause belongs in the log only: message %q, error %q", se.Message, se.Error())
	}
}
