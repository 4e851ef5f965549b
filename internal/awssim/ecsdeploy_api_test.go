package awssim

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestSecondDeploymentSupersedesTheFirst: UpdateService while a deployment
// waits at its pause stops it, and the new one reconciles both running
// revisions (RECONCILE_SERVICE) before it scales up; its rollback goes to
// the revision that last succeeded and stops both others.
func TestSecondDeploymentSupersedesTheFirst(t *testing.T) {
	f := newSDFixture(t, sandboxWorld(t))
	v20 := aws.ToString(f.service("checkout").TaskDefinition)
	f.update("checkout", "v2.1")
	first := f.latest("checkout")
	f.expect(first, 40*sec, "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT src 100/0 4/4 tgt 0/100 4/4")
	f.update("checkout", "v2.2")
	second := f.latest("checkout")
	d := f.expect(first, 40*sec, "STOPPED POST_TEST_TRAFFIC_SHIFT src 100/0 4/4 tgt 0/100 4/4")
	if aws.ToString(d.StatusReason) != "Superseded by service deployment "+second+"." || !d.StoppedAt.Equal(f.t0.Add(40*sec)) ||
		d.LifecycleHookDetails[0].Status != ecstypes.DeploymentLifecycleHookStatusFailed {
		t.Fatalf("superseded: %+v", d)
	}
	d = f.expect(second, 40*sec, "PENDING  src 100/0 4/4 src 0/100 4/4 tgt 0/0 0/0")
	if svc := f.service("checkout"); len(svc.Deployments) != 3 || len(svc.CurrentServiceRevisions) != 3 || aws.ToString(svc.Deployments[0].Status) != "PRIMARY" {
		t.Fatalf("service deployments %v, revisions %+v", legacy(svc), svc.CurrentServiceRevisions)
	}
	f.expect(second, 41*sec, "IN_PROGRESS RECONCILE_SERVICE src 100/0 4/4 src 0/100 4/4 tgt 0/0 0/0")
	f.expect(second, 42*sec, "IN_PROGRESS PRE_SCALE_UP src 100/0 4/4 src 0/100 4/4 tgt 0/0 0/0")
	d = f.expect(second, 42*sec+36*sec, "IN_PROGRESS TEST_TRAFFIC_SHIFT src 100/0 4/4 src 0/0 4/4 tgt 0/100 4/4")
	if _, err := f.ecs.StopServiceDeployment(f.ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(second)}); err != nil {
		t.Fatal(err)
	}
	d = f.expect(second, 42*sec+36*sec, "ROLLBACK_REQUESTED TEST_TRAFFIC_SHIFT src 100/0 4/4 src 0/0 4/4 tgt 0/100 4/4")
	if aws.ToString(d.Rollback.ServiceRevisionArn) != aws.ToString(d.SourceServiceRevisions[0].Arn) {
		t.Fatalf("rollback to %s", aws.ToString(d.Rollback.ServiceRevisionArn))
	}
	f.expect(second, 42*sec+37*sec, "ROLLBACK_IN_PROGRESS TEST_TRAFFIC_SHIFT src 100/100 4/4 src 0/0 4/4 tgt 0/0 4/4")
	f.expect(second, 42*sec+38*sec, "ROLLBACK_IN_PROGRESS CLEAN_UP src 100/100 4/4 src 0/0 4/0 tgt 0/0 4/0")
	f.expect(second, 42*sec+68*sec, "ROLLBACK_SUCCESSFUL CLEAN_UP src 100/100 4/4 src 0/0 0/0 tgt 0/0 0/0")
	if svc := f.service("checkout"); aws.ToString(svc.TaskDefinition) != v20 || len(svc.Deployments) != 1 || svc.RunningCount != 4 {
		t.Fatalf("after the rollback: %s, %v", aws.ToString(svc.TaskDefinition), legacy(svc))
	}
}

// TestSupersededInCleanUp: a deployment already stopping its old tasks
// finishes SUCCESSFUL at once when the next one starts, which then has one
// source, its target.
func TestSupersededInCleanUp(t *testing.T) {
	f := newSDFixture(t, nativeWorld("web", "BLUE_GREEN", nil))
	f.update("web", "v2")
	first := f.latest("web")
	f.expect(first, 100*sec, "IN_PROGRESS CLEAN_UP src 0/- 4/0 tgt 100/- 4/4")
	f.update("web", "v3")
	d := f.expect(first, 100*sec, "SUCCESSFUL CLEAN_UP src 0/- 0/0 tgt 100/- 4/4")
	next := f.describe(f.latest("web"))
	if state(next) != "PENDING  src 100/- 4/4 tgt 0/- 0/0" || aws.ToString(next.SourceServiceRevisions[0].Arn) != aws.ToString(d.TargetServiceRevision.Arn) {
		t.Fatalf("the next deployment: %s", state(next))
	}
	f.expect(aws.ToString(next.ServiceDeploymentArn), 101*sec, "IN_PROGRESS PRE_SCALE_UP src 100/- 4/4 tgt 0/- 0/0")
}

// TestServiceDeploymentEventsReachSQS: the ECS events travel through an
// EventBridge rule to an SQS queue like CodeDeploy's do.
func TestServiceDeploymentEventsReachSQS(t *testing.T) {
	f := newSDFixture(t, sandboxWorld(t))
	cfg := f.sim.Config()
	qc, eb := sqs.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)
	url, _ := wireRule(t, eb, qc, "ecs-deployments",
		`{"source":["aws.ecs"],"detail-type":["ECS Deployment State Change","ECS Hook State Change"]}`, "ecs-events", allowRule)
	f.update("checkout", "v2.1")
	arn := f.latest("checkout")
	f.advanceTo(40 * sec)

	var got []string
	var pause ecsHookEventDetail
	var pauseResources []string
	for _, m := range receiveAll(t, qc, url) {
		var env struct {
			DetailType string          `json:"detail-type"`
			Resources  []string        `json:"resources"`
			Detail     json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil {
			t.Fatal(err)
		}
		var name struct{ EventName string }
		_ = json.Unmarshal(env.Detail, &name)
		got = append(got, env.DetailType+":"+name.EventName)
		if name.EventName == "HOOK_AWAITING_ACTION" {
			_ = json.Unmarshal(env.Detail, &pause)
			pauseResources = env.Resources
		}
	}
	want := []string{"ECS Deployment State Change:SERVICE_DEPLOYMENT_IN_PROGRESS", "ECS Hook State Change:HOOK_IN_PROGRESS",
		"ECS Hook State Change:HOOK_SUCCEEDED", "ECS Hook State Change:HOOK_AWAITING_ACTION"}
	if !slices.Equal(got, want) {
		t.Fatalf("queue holds %v, want %v", got, want)
	}
	d := f.describe(arn)
	if pause.HookID != aws.ToString(pauseHook(t, d).HookId) || pause.HookType != "PAUSE" || pause.EventType != "INFO" ||
		pause.LifecycleStage != "POST_TEST_TRAFFIC_SHIFT" || pause.ServiceDeploymentArn != arn ||
		pause.ServiceArn != "arn:aws:ecs:us-east-1:123456789012:service/prod/checkout" || pause.ClusterArn != "arn:aws:ecs:us-east-1:123456789012:cluster/prod" ||
		pause.ExpiresAt != f.t0.Add(38*sec+60*minute).Format(time.RFC3339) || pause.UpdatedAt != f.t0.Add(38*sec).Format(time.RFC3339) ||
		!slices.Equal(pauseResources, []string{arn}) {
		t.Fatalf("HOOK_AWAITING_ACTION detail %+v, resources %v", pause, pauseResources)
	}
}

// allowRule is a queue policy that lets the rule send to queue ecs-events.
func allowRule(ruleArn string) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
		"Resource": "arn:aws:sqs:us-east-1:123456789012:ecs-events", "Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleArn}},
	}}})
	return string(b)
}

// TestEveryServiceDeploymentCallPlaysWhatFellDue: with the clock running
// and no engine ticker, a call's own catch-up moves the deployment first,
// even when the call then refuses its input.
func TestEveryServiceDeploymentCallPlaysWhatFellDue(t *testing.T) {
	w := nativeWorld("web", "BLUE_GREEN", nil)
	sim := New(Options{Start: cdEpoch, Speed: 1e-9})
	if err := sim.Seed(w); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	f := &sdFixture{t: t, sim: sim, ecs: ecs.NewFromConfig(sim.Config(), func(o *ecs.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	}), ctx: t.Context(), t0: cdEpoch}
	ops := []string{"ListServiceDeployments", "DescribeServiceDeployments", "DescribeServiceRevisions", "StopServiceDeployment",
		"ContinueServiceDeployment", "DescribeServices", "UpdateService"}
	for i, op := range ops {
		f.update("web", "v"+string(rune('2'+i)))
		arn := f.latest("web")
		sim.clock.set(sim.clock.Now().Add(time.Hour))
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, strings.NewReader(`{"services":["web"],"cluster":"prod","service":"web"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", ecsTarget+"."+op)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		_ = resp.Body.Close()
		sim.mu.Lock()
		status := sim.ecs.native.byArn[arn].status
		sim.mu.Unlock()
		if status != "SUCCESSFUL" {
			t.Errorf("%s left deployment %s %s an hour after it was created", op, arn, status)
		}
	}
	n := 0
	for target := range sim.routes {
		if strings.HasPrefix(target, ecsTarget+".") && strings.Contains(target, "ServiceDeployment") || strings.HasSuffix(target, "ServiceRevisions") {
			n++
		}
	}
	if n != 5 {
		t.Fatalf("%d service deployment operations registered, want the 5 tested", n)
	}
}

// TestListServiceDeployments: newest first, filtered by status and
// creation time, paged; and the errors of List and Describe.
func TestListServiceDeployments(t *testing.T) {
	f := newSDFixture(t, nativeWorld("web", "BLUE_GREEN", nil))
	created := f.latest("web")
	f.advanceTo(10 * sec)
	f.update("web", "v2")
	f.advanceTo(3 * minute) // SUCCESSFUL
	f.update("web", "v3")
	second, third := "", f.latest("web")
	list := func(in *ecs.ListServiceDeploymentsInput) []string {
		t.Helper()
		in.Cluster, in.Service = aws.String("prod"), aws.String("web")
		out, err := f.ecs.ListServiceDeployments(f.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var arns []string
		for _, b := range out.ServiceDeployments {
			arns = append(arns, aws.ToString(b.ServiceDeploymentArn))
		}
		if out.NextToken != nil {
			arns = append(arns, "next")
		}
		return arns
	}
	all := list(&ecs.ListServiceDeploymentsInput{})
	if len(all) != 3 || all[0] != third || all[2] != created {
		t.Fatalf("all = %v", all)
	}
	second = all[1]
	if got := list(&ecs.ListServiceDeploymentsInput{Status: []ecstypes.ServiceDeploymentStatus{"SUCCESSFUL"}}); !slices.Equal(got, []string{second, created}) {
		t.Fatalf("SUCCESSFUL = %v", got)
	}
	if got := list(&ecs.ListServiceDeploymentsInput{CreatedAt: &ecstypes.CreatedAt{After: aws.Time(f.t0.Add(sec)), Before: aws.Time(f.t0.Add(time.Hour))}}); !slices.Equal(got, []string{third, second}) {
		t.Fatalf("created after t0+1s = %v", got)
	}
	if got := list(&ecs.ListServiceDeploymentsInput{MaxResults: aws.Int32(2)}); !slices.Equal(got, []string{third, second, "next"}) {
		t.Fatalf("first page of 2 = %v", got)
	}

	out, err := f.ecs.ListServiceDeployments(f.ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String("web")})
	if err != nil || out.ServiceDeployments[0].Status != ecstypes.ServiceDeploymentStatusPending || out.ServiceDeployments[0].StartedAt != nil ||
		aws.ToString(out.ServiceDeployments[1].TargetServiceRevisionArn) == "" || out.ServiceDeployments[1].FinishedAt == nil {
		t.Fatalf("briefs = %+v, %v", out, err)
	}

	var snf *ecstypes.ServiceNotFoundException
	if _, err := f.ecs.ListServiceDeployments(f.ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String("nope")}); !errors.As(err, &snf) {
		t.Fatalf("unknown service: %v", err)
	}
	var cnf *ecstypes.ClusterNotFoundException
	if _, err := f.ecs.ListServiceDeployments(f.ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("nope"), Service: aws.String("web")}); !errors.As(err, &cnf) {
		t.Fatalf("unknown cluster: %v", err)
	}
	_, err = f.ecs.ListServiceDeployments(f.ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String("web"), MaxResults: aws.Int32(101)})
	wantAPIError(t, err, "InvalidParameterException", "maxResults must be between 1 and 100.")
	desc, err := f.ecs.DescribeServiceDeployments(f.ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{third, third + "x"}})
	if err != nil || len(desc.ServiceDeployments) != 1 || len(desc.Failures) != 1 || aws.ToString(desc.Failures[0].Arn) != third+"x" ||
		aws.ToString(desc.Failures[0].Reason) != "MISSING" {
		t.Fatalf("describe with a missing ARN = %+v, %v", desc, err)
	}
	_, err = f.ecs.DescribeServiceDeployments(f.ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: slices.Repeat([]string{third}, 21)})
	wantAPIError(t, err, "InvalidParameterException", "serviceDeploymentArns must have between 1 and 20 items.")
}

// TestServiceDeploymentConfiguration: UpdateService checks a
// deploymentConfiguration as AWS documents it, and can switch strategies.
func TestServiceDeploymentConfiguration(t *testing.T) {
	f := newSDFixture(t, nativeWorld("web", "BLUE_GREEN", nil))
	upd := func(c *ecstypes.DeploymentConfiguration) error {
		_, err := f.ecs.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), DeploymentConfiguration: c})
		return err
	}
	lambda := func(stages ...ecstypes.DeploymentLifecycleHookStage) ecstypes.DeploymentLifecycleHook {
		return ecstypes.DeploymentLifecycleHook{HookTargetArn: aws.String("arn:aws:lambda:us-east-1:123456789012:function:f"), LifecycleStages: stages}
	}
	for name, c := range map[string]ecstypes.DeploymentConfiguration{
		"blue/green without bake time": {Strategy: ecstypes.DeploymentStrategyBlueGreen},
		"unknown strategy":             {Strategy: "SIDEWAYS"},
		"back to rolling":              {Strategy: ecstypes.DeploymentStrategyRolling},
		"linear step below 3":          {Strategy: ecstypes.DeploymentStrategyLinear, LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(2.5)}},
		"linear step not in tenths":    {Strategy: ecstypes.DeploymentStrategyLinear, LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(10.05)}},
		"canary over 100":              {Strategy: ecstypes.DeploymentStrategyCanary, CanaryConfiguration: &ecstypes.CanaryConfiguration{CanaryPercent: aws.Float64(101)}},
		"canary settings with linear":  {Strategy: ecstypes.DeploymentStrategyLinear, CanaryConfiguration: &ecstypes.CanaryConfiguration{}},
		"bake time over a day":         {Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(1441)},
		"pause at a traffic shift": {Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(0),
			LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause, LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{"TEST_TRAFFIC_SHIFT"}}}},
		"lambda without target": {Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(0),
			LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{"POST_SCALE_UP"}}}},
		"hook at SCALE_UP": {Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(0),
			LifecycleHooks: []ecstypes.DeploymentLifecycleHook{lambda("SCALE_UP")}},
		"lambda timeout over a day": {Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(0),
			LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{HookTargetArn: aws.String("arn:aws:lambda:us-east-1:123456789012:function:f"),
				LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{"POST_SCALE_UP"}, TimeoutConfiguration: &ecstypes.DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: aws.Int32(1441)}}}},
	} {
		if err := upd(&c); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			wantAPIError(t, err, "InvalidParameterException", "")
		}
	}

	// Linear 33%: 33, 66, 99, then the last 1.
	if err := upd(&ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyLinear,
		LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(33), StepBakeTimeInMinutes: aws.Int32(0)}}); err != nil {
		t.Fatal(err)
	}
	svc := f.service("web")
	if c := svc.DeploymentConfiguration; c.Strategy != ecstypes.DeploymentStrategyLinear || aws.ToInt32(c.BakeTimeInMinutes) != 0 ||
		aws.ToInt32(c.MaximumPercent) != 200 || aws.ToInt32(c.MinimumHealthyPercent) != 100 {
		t.Fatalf("configuration = %+v", c)
	}
	f.update("web", "v2")
	arn := f.latest("web")
	for i, w := range []string{"67/- 4/4 tgt 33", "34/- 4/4 tgt 66", "1/- 4/4 tgt 99", "0/- 4/4 tgt 100"} {
		f.expect(arn, 35*sec+time.Duration(i)*sec, "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT src "+w+"/- 4/4")
	}

	// A ROLLING service of the ECS controller stays as it was.
	if err := f.sim.PutService("prod", ServiceSeed{Name: "worker", Controller: "ECS", TaskDefinition: serviceSeed("worker").TaskDefinition}); err != nil {
		t.Fatal(err)
	}
	td := f.registerTD("worker", "v2")
	out, err := f.ecs.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("worker"), TaskDefinition: aws.String(td)})
	if err != nil || aws.ToString(out.Service.TaskDefinition) != td || out.Service.CurrentServiceDeployment != nil {
		t.Fatalf("rolling update = %+v, %v", out, err)
	}
	_, err = f.ecs.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("worker"),
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(0)}})
	wantAPIError(t, err, "InvalidParameterException", "")
}

// TestSeedServiceDeployments: the world file spells a service's controller
// and deployment configuration as the API does, and a wrong one is
// refused when seeded.
func TestSeedServiceDeployments(t *testing.T) {
	for name, yaml := range map[string]string{
		"controllers disagree":        "controller: CODE_DEPLOY\n        deploymentController: {type: ECS}",
		"configuration on CodeDeploy": "deploymentConfiguration: {strategy: BLUE_GREEN, bakeTimeInMinutes: 5}",
		"no advanced configuration":   "deploymentController: {type: ECS}\n        deploymentConfiguration: {strategy: LINEAR}",
	} {
		w, err := LoadWorld([]byte("clusters:\n  - name: prod\n    services:\n      - name: web\n        " + yaml +
			"\n        loadBalancers: [{targetGroupArn: tg, containerName: web, containerPort: 80}]" +
			"\n        taskDefinition: {containerDefinitions: [{name: web, image: nginx}]}\n"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := New(Options{}).Seed(w); err == nil {
			t.Errorf("%s: seeded", name)
		}
	}
	if _, err := LoadWorld([]byte("clusters:\n  - name: prod\n    services:\n      - name: web\n        deploymentConfiguration: {strategy: LINEAR, stepPercent: 5}\n")); err == nil {
		t.Error("a misplaced key was accepted")
	}
}
