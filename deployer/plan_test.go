package deployer_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
)

const ecrWeb = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web"

func TestPlanReportsWhatWillHappen(t *testing.T) {
	h := newHarness(t)
	p, err := h.d.Plan(context.Background(), webEnv, "v1.4", deployer.PlanOptions{App: "web"})
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
		"ConfigWords":    "10% first, all traffic after 5 minutes",
		"TaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1",
		"ImageChecked":   true,
		"AlreadyRunning": false,
		"TestTraffic":    true,
	}
	got := reflect.ValueOf(*p)
	for field, w := range want {
		if g := got.FieldByName(field).Interface(); !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", field, g, w)
		}
	}
	if !strings.HasPrefix(p.ImageDigest, "sha256:") || p.ImagePushed.IsZero() {
		t.Errorf("ECR check gave digest %q pushed %v", p.ImageDigest, p.ImagePushed)
	}
	wantAlarms := []deployer.Alarm{{Name: "web-5xx", State: "OK"}, {Name: "web-p99", State: "INSUFFICIENT_DATA"}}
	if !reflect.DeepEqual(p.Alarms, wantAlarms) {
		t.Errorf("alarms %v, want %v", p.Alarms, wantAlarms)
	}
	if p.Termination != (deployer.Termination{Terminate: true, WaitMinutes: 5}) || p.ReadyWait.Manual {
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
	var back deployer.Plan
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
	for cfg, words := range map[string]string{
		"CodeDeployDefault.ECSLinear10PercentEvery1Minutes": "10% every 1 minute, all traffic after 9 minutes",
		"CodeDeployDefault.ECSLinear10PercentEvery3Minutes": "10% every 3 minutes, all traffic after 27 minutes",
		"CodeDeployDefault.ECSCanary10Percent15Minutes":     "10% first, all traffic after 15 minutes",
		"CodeDeployDefault.ECSAllAtOnce":                    "all traffic at once",
	} {
		p, err := h.d.Plan(ctx, webEnv, "v1.4", deployer.PlanOptions{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		if p.Config != cfg || p.ConfigWords != words {
			t.Errorf("%s: %q, want %q", cfg, p.ConfigWords, words)
		}
	}
	_, err := h.d.Plan(ctx, webEnv, "v1.4", deployer.PlanOptions{Config: "NoSuchConfig"})
	errorCode(t, err, switchyard.EINVALID)

	p, err := h.d.Plan(ctx, apiEnv, "1.1", deployer.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.ReadyWait != (deployer.ReadyWait{Manual: true, Minutes: 30}) || p.ReadyWait.String() != "waits up to 30 minutes for someone to shift traffic, then stops" {
		t.Errorf("ready wait %+v %q", p.ReadyWait, p.ReadyWait)
	}
	if p.Termination.String() != "blue is kept 60 minutes after success for a quick rollback, then deleted" {
		t.Errorf("termination %q", p.Termination)
	}
	// The app names no container: the load balancer's is the one deployed.
	if p.Container != "api" || p.LBPort != 9000 || p.App != "api" || len(p.Alarms) != 0 {
		t.Errorf("plan %+v", p)
	}
}

func TestPlanAlreadyRunning(t *testing.T) {
	h := newHarness(t)
	p, err := h.d.Plan(context.Background(), webEnv, "v1.3", deployer.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.AlreadyRunning || p.ImageNow != p.ImageNext {
		t.Errorf("AlreadyRunning %v now %s next %s", p.AlreadyRunning, p.ImageNow, p.ImageNext)
	}
}

func TestPlanMissingTagIsCaughtBeforeAnythingIsRegistered(t *testing.T) {
	h := newHarness(t)
	_, err := h.d.Plan(context.Background(), webEnv, "1.4", deployer.PlanOptions{})
	se := errorCode(t, err, switchyard.EINVALID)
	if !strings.Contains(se.Message, "There is no image 1.4 in the ECR repository web") {
		t.Errorf("message %q", se.Message)
	}
	ops := h.rec.take()
	if count(ops, "DescribeImages") != 1 || count(ops, "RegisterTaskDefinition") != 0 {
		t.Errorf("calls %v", ops)
	}
}

func TestPlanRefusesBadVersions(t *testing.T) {
	h := newHarness(t)
	for _, v := range []string{"", "-v1", ".v1", "v1.4!", "web:v 1", strings.Repeat("a", 129), "web@sha256:abc"} {
		_, err := h.d.Plan(context.Background(), webEnv, v, deployer.PlanOptions{})
		errorCode(t, err, switchyard.EINVALID)
	}
}

func TestPlanAcceptsDigestsAndFullReferences(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	digest := h.sim.PutImage("web", "v1.6")
	p, err := h.d.Plan(ctx, webEnv, digest, deployer.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.ImageNext != ecrWeb+"@"+digest || !p.ImageChecked || p.Version != digest[:19] {
		t.Errorf("digest plan: next %s checked %v version %s", p.ImageNext, p.ImageChecked, p.Version)
	}
	p, err = h.d.Plan(ctx, webEnv, "@"+digest, deployer.PlanOptions{})
	if err != nil || p.ImageNext != ecrWeb+"@"+digest {
		t.Errorf("@digest plan: %v %v", p, err)
	}
	p, err = h.d.Plan(ctx, webEnv, ecrWeb+":v1.5", deployer.PlanOptions{})
	if err != nil || p.ImageNext != ecrWeb+":v1.5" || !p.ImageChecked {
		t.Errorf("full reference plan: %+v %v", p, err)
	}
	missing := "sha256:" + strings.Repeat("0", 64)
	_, err = h.d.Plan(ctx, webEnv, missing, deployer.PlanOptions{})
	errorCode(t, err, switchyard.EINVALID)
}

func TestPlanSkipsTheCheckOutsideECR(t *testing.T) {
	h := newHarness(t)
	p, err := h.d.Plan(context.Background(), hubEnv, "2.1", deployer.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.ImageNext != "ghcr.io/example/hub:2.1" || p.ImageChecked || !strings.Contains(p.ImageNote, "not checked") {
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

func TestPlanRefusesAServiceCodeDeployDoesNotControl(t *testing.T) {
	h := newHarness(t)
	_, err := h.d.Plan(context.Background(), workerEnv, "2024.07.1", deployer.PlanOptions{})
	se := errorCode(t, err, switchyard.EUNIMPLEMENTED)
	if !strings.Contains(se.Message, "uses the ECS deployment controller") {
		t.Errorf("message %q", se.Message)
	}
}

func TestPlanNamesWhatIsMissing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	env := webEnv
	env.Service = "nope"
	_, err := h.d.Plan(ctx, env, "v1.4", deployer.PlanOptions{})
	if se := errorCode(t, err, switchyard.ENOTFOUND); se.Message != "There is no ECS service nope in cluster prod." {
		t.Errorf("message %q", se.Message)
	}
	env = webEnv
	env.Cluster = "staging"
	_, err = h.d.Plan(ctx, env, "v1.4", deployer.PlanOptions{})
	errorCode(t, err, switchyard.ENOTFOUND)

	env = webEnv
	env.DeploymentGroup = "api-prod"
	env.Application = "api"
	_, err = h.d.Plan(ctx, env, "v1.4", deployer.PlanOptions{})
	errorCode(t, err, switchyard.EINVALID) // the group deploys another service

	env = webEnv
	env.Container = "sidecar"
	_, err = h.d.Plan(ctx, env, "v1.4", deployer.PlanOptions{})
	errorCode(t, err, switchyard.EINVALID)

	env = webEnv
	env.Hooks = map[string]string{"Install": "fn"}
	_, err = h.d.Plan(ctx, env, "v1.4", deployer.PlanOptions{})
	errorCode(t, err, switchyard.EINVALID)
}

func TestPlanShowsFiringAlarmsAndSurvivesCloudWatchTrouble(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if err := h.sim.SetAlarm("web-5xx", "ALARM", "5xx above 1%"); err != nil {
		t.Fatal(err)
	}
	p, err := h.d.Plan(ctx, webEnv, "v1.4", deployer.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Alarms[0] != (deployer.Alarm{Name: "web-5xx", State: "ALARM"}) || !strings.Contains(strings.Join(p.Notes, " "), "firing") {
		t.Errorf("alarms %v notes %v", p.Alarms, p.Notes)
	}
	h.sim.Deny("cloudwatch:DescribeAlarms")
	p, err = h.d.Plan(ctx, webEnv, "v1.4", deployer.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Alarms[0].State != "unknown" {
		t.Errorf("alarms %v", p.Alarms)
	}
}

func TestPlanErrorsAreSafeSentences(t *testing.T) {
	h := newHarness(t)
	h.sim.Deny("ecs:DescribeServices")
	_, err := h.d.Plan(context.Background(), webEnv, "v1.4", deployer.PlanOptions{})
	se := errorCode(t, err, switchyard.EFORBIDDEN)
	if se.Message != "Could not read the ECS service web: the bot's AWS role is not allowed to do that (AccessDeniedException)." {
		t.Errorf("message %q", se.Message)
	}
	if strings.Contains(se.Message, "arn:aws:iam") || !strings.Contains(se.Error(), "not authorized") {
		t.Errorf("the cause belongs in the log only: message %q, error %q", se.Message, se.Error())
	}
}
