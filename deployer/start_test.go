package deployer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
)

// rawTaskDefinition asks the simulator for a task definition with its tags
// by hand, without the SDK, so the comparison sees exactly what AWS would
// answer and not what the SDK's types kept of it.
func (h *harness) rawTaskDefinition(ref string) map[string]any {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"taskDefinition": ref, "include": []string{"TAGS"}})
	req, _ := http.NewRequest(http.MethodPost, h.sim.URL(), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil || resp.StatusCode != 200 {
		h.t.Fatalf("describe %s: %d %v %v", ref, resp.StatusCode, err, out)
	}
	return out
}

func TestStartClonesTheTaskDefinitionChangingOnlyTheImage(t *testing.T) {
	h := newHarness(t)
	_, id := h.deploy(webEnv, "v1.4")
	if !strings.HasPrefix(id, "d-") || len(id) != 11 {
		t.Fatalf("deployment id %q", id)
	}
	old := h.rawTaskDefinition("web:1")
	cur := h.rawTaskDefinition("web:2")
	oldTD, newTD := old["taskDefinition"].(map[string]any), cur["taskDefinition"].(map[string]any)

	// Field by field: every field of the old revision is in the new one,
	// equal, except what AWS sets on registration and the one image.
	ignore := map[string]bool{"taskDefinitionArn": true, "revision": true, "registeredAt": true}
	keys := map[string]bool{}
	for k := range oldTD {
		keys[k] = true
	}
	for k := range newTD {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if ignore[k] || k == "containerDefinitions" {
			continue
		}
		if !reflect.DeepEqual(oldTD[k], newTD[k]) {
			t.Errorf("field %s changed:\n old %v\n new %v", k, oldTD[k], newTD[k])
		}
	}
	if newTD["revision"] != json.Number("2") {
		t.Errorf("revision %v", newTD["revision"])
	}
	oldC, newC := oldTD["containerDefinitions"].([]any), newTD["containerDefinitions"].([]any)
	if len(oldC) != 3 || len(newC) != 3 {
		t.Fatalf("containers: %d old, %d new", len(oldC), len(newC))
	}
	for i := range oldC {
		o, n := oldC[i].(map[string]any), newC[i].(map[string]any)
		for k := range o {
			if k == "image" && o["name"] == "web" {
				continue
			}
			if !reflect.DeepEqual(o[k], n[k]) {
				t.Errorf("container %s field %s changed:\n old %v\n new %v", o["name"], k, o[k], n[k])
			}
		}
		for k := range n {
			if _, ok := o[k]; !ok {
				t.Errorf("container %s gained field %s = %v", n["name"], k, n[k])
			}
		}
	}
	if img := newC[0].(map[string]any)["image"]; img != ecrWeb+":v1.4" {
		t.Errorf("web image %v", img)
	}
	// The sidecars' telling fields are there, not merely equal-as-absent.
	if newC[1].(map[string]any)["firelensConfiguration"] == nil || newTD["proxyConfiguration"] == nil ||
		newC[0].(map[string]any)["secrets"] == nil || newC[0].(map[string]any)["dependsOn"] == nil {
		t.Errorf("sidecar configuration lost: %v", newTD)
	}

	// Tags are kept, except the aws: ones ECS reserves for itself.
	wantTags := []any{}
	for _, tag := range old["tags"].([]any) {
		if !strings.HasPrefix(tag.(map[string]any)["key"].(string), "aws:") {
			wantTags = append(wantTags, tag)
		}
	}
	if len(wantTags) != 2 || !reflect.DeepEqual(cur["tags"], wantTags) {
		t.Errorf("tags %v, want %v", cur["tags"], wantTags)
	}
}

func TestStartCreatesTheDeploymentWithAnAppSpec(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p, err := h.d.Plan(ctx, webEnv, "v1.4", switchyard.PlanOptions{App: "web"})
	if err != nil {
		t.Fatal(err)
	}
	// The plan goes through storage before Start.
	b, _ := json.Marshal(p)
	var stored switchyard.Plan
	if err := json.Unmarshal(b, &stored); err != nil {
		t.Fatal(err)
	}
	h.rec.take()
	id, err := h.d.Start(ctx, &stored, switchyard.Actor{User: "alice", Channel: "#deploys"})
	if err != nil {
		t.Fatal(err)
	}
	ops := h.rec.take()
	if len(ops) > 6 {
		t.Errorf("Start made %d AWS calls, want at most 6: %v", len(ops), ops)
	}
	if count(ops, "CreateDeployment") != 1 || count(ops, "RegisterTaskDefinition") != 1 {
		t.Errorf("calls %v", ops)
	}

	got, err := h.cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	info := got.DeploymentInfo
	if d := aws.ToString(info.Description); !strings.HasPrefix(d, "Deployed by alice from Slack #deploys: web v1.4") {
		t.Errorf("description %q", d)
	}
	if aws.ToString(info.DeploymentConfigName) != "CodeDeployDefault.ECSCanary10Percent5Minutes" {
		t.Errorf("config %s", aws.ToString(info.DeploymentConfigName))
	}
	rev, err := h.cd.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{
		ApplicationName: aws.String("web"), Revision: info.Revision,
	})
	if err != nil {
		t.Fatal(err)
	}
	content := aws.ToString(rev.Revision.AppSpecContent.Content)
	sum := sha256.Sum256([]byte(content))
	if hex.EncodeToString(sum[:]) != aws.ToString(info.Revision.AppSpecContent.Sha256) {
		t.Errorf("sha256 does not match the content")
	}
	var spec struct {
		Version   json.Number
		Resources []map[string]struct {
			Type       string
			Properties struct {
				TaskDefinition   string
				LoadBalancerInfo struct {
					ContainerName string
					ContainerPort int
				}
				PlatformVersion      string
				NetworkConfiguration struct {
					AwsvpcConfiguration struct {
						Subnets, SecurityGroups []string
						AssignPublicIp          string
					}
				}
			}
		}
		Hooks []map[string]string
	}
	if err := json.Unmarshal([]byte(content), &spec); err != nil {
		t.Fatalf("AppSpec %s: %v", content, err)
	}
	props := spec.Resources[0]["TargetService"].Properties
	if spec.Version != "0.0" || spec.Resources[0]["TargetService"].Type != "AWS::ECS::Service" ||
		props.TaskDefinition != "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2" ||
		props.LoadBalancerInfo.ContainerName != "envoy" || props.LoadBalancerInfo.ContainerPort != 10000 ||
		props.PlatformVersion != "1.4.0" ||
		!reflect.DeepEqual(props.NetworkConfiguration.AwsvpcConfiguration.Subnets, []string{"subnet-0a1b2c3d", "subnet-4e5f6a7b"}) ||
		!reflect.DeepEqual(props.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups, []string{"sg-0123456789abcdef0"}) ||
		props.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp != "DISABLED" ||
		!reflect.DeepEqual(spec.Hooks, []map[string]string{{"BeforeAllowTraffic": "web-smoke-test"}}) {
		t.Errorf("AppSpec:\n%s", content)
	}
}

func TestStartOnEC2LeavesOutPlatformAndNetwork(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, id := h.deploy(hubEnv, "2.1")
	got, err := h.cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := h.cd.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{
		ApplicationName: aws.String("hub"), Revision: got.DeploymentInfo.Revision,
	})
	if err != nil {
		t.Fatal(err)
	}
	content := aws.ToString(rev.Revision.AppSpecContent.Content)
	if strings.Contains(content, "PlatformVersion") || strings.Contains(content, "NetworkConfiguration") || strings.Contains(content, "Hooks") {
		t.Errorf("AppSpec of an EC2 bridge service:\n%s", content)
	}
}

func TestStartRefusesASecondDeploymentWhileOneRuns(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, first := h.deploy(webEnv, "v1.4")
	p, err := h.d.Plan(ctx, webEnv, "v1.5", switchyard.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.ActiveDeployment != first {
		t.Errorf("plan shows active deployment %q, want %s", p.ActiveDeployment, first)
	}
	h.rec.take()
	_, err = h.d.Start(ctx, p, switchyard.Actor{User: "bob", Channel: "#deploys"})
	se := errorCode(t, err, switchyard.ECONFLICT)
	if se.Message != "A deployment is already running: "+first {
		t.Errorf("message %q", se.Message)
	}
	if ops := h.rec.take(); count(ops, "RegisterTaskDefinition") != 0 {
		t.Errorf("registered a task definition that cannot be deployed: %v", ops)
	}
}

// staleGroups hides the group's last attempted deployment, as a read made
// just before someone else started one would: the bot's own check passes
// and CodeDeploy's one-at-a-time rule has to refuse.
type staleGroups struct{ deployer.Groups }

func (g staleGroups) GetDeploymentGroup(ctx context.Context, in *codedeploy.GetDeploymentGroupInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error) {
	out, err := g.Groups.GetDeploymentGroup(ctx, in, optFns...)
	if err == nil && out.DeploymentGroupInfo != nil {
		out.DeploymentGroupInfo.LastAttemptedDeployment = nil
	}
	return out, err
}

func TestStartTurnsCodeDeploysRefusalIntoAConflict(t *testing.T) {
	h := newHarnessWith(t, func(c deployer.Clients) deployer.Clients {
		c.Groups = staleGroups{c.Groups}
		return c
	})
	ctx := context.Background()
	_, first := h.deploy(webEnv, "v1.4")
	h.sim.Advance(2 * 60e9)
	p, err := h.d.Plan(ctx, webEnv, "v1.5", switchyard.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The plan is current (blue, web:1, is still the PRIMARY task set), and
	// the stale group read lets Start through to CreateDeployment.
	_, err = h.d.Start(ctx, p, switchyard.Actor{User: "bob", Channel: "#deploys"})
	se := errorCode(t, err, switchyard.ECONFLICT)
	if se.Message != "A deployment is already running: "+first {
		t.Errorf("message %q", se.Message)
	}
	if apiErr := se.Err; apiErr == nil || !strings.Contains(apiErr.Error(), "DeploymentLimitExceededException") {
		t.Errorf("cause %v", apiErr)
	}
}

func TestStartRefusesAStalePlan(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	stale, err := h.d.Plan(ctx, apiEnv, "1.1", switchyard.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, id := h.deploy(apiEnv, "1.2")
	h.advanceUntil(apiEnv, id, 30e9, 10*60e9, func(s *switchyard.Observation) bool { return s.Status == switchyard.StatusReady })
	if err := h.d.Continue(ctx, apiEnv, id, switchyard.WaitReady, switchyard.Actor{User: "alice"}); err != nil {
		t.Fatal(err)
	}
	h.advanceUntil(apiEnv, id, 60e9, 2*3600e9, func(s *switchyard.Observation) bool { return s.Status.Done() })
	_, err = h.d.Start(ctx, stale, switchyard.Actor{User: "bob", Channel: "#deploys"})
	se := errorCode(t, err, switchyard.ECONFLICT)
	if !strings.Contains(se.Message, "changed since this was planned") {
		t.Errorf("message %q", se.Message)
	}
}

func TestStartErrorsAreSafeSentences(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p, err := h.d.Plan(ctx, webEnv, "v1.4", switchyard.PlanOptions{App: "web"})
	if err != nil {
		t.Fatal(err)
	}
	h.sim.Deny("ecs:RegisterTaskDefinition")
	_, err = h.d.Start(ctx, p, switchyard.Actor{User: "alice", Channel: "#deploys"})
	se := errorCode(t, err, switchyard.EFORBIDDEN)
	if se.Message != "Could not register the new task definition of web: the bot's AWS role is not allowed to do that (AccessDeniedException)." {
		t.Errorf("message %q", se.Message)
	}
	h.sim.Allow("ecs:RegisterTaskDefinition")
	h.sim.Deny("codedeploy:CreateDeployment")
	_, err = h.d.Start(ctx, p, switchyard.Actor{User: "alice", Channel: "#deploys"})
	errorCode(t, err, switchyard.EFORBIDDEN)
}

func TestStartRetriesThrottledWritesOnly(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p, err := h.d.Plan(ctx, webEnv, "v1.4", switchyard.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Every other call is throttled: the SDK's retryer carries Start
	// through, writes included, because a throttled call did not run.
	h.sim.SetThrottle("*", 0.5)
	h.rec.take()
	id, err := h.d.Start(ctx, p, switchyard.Actor{User: "alice", Channel: "#deploys"})
	if err != nil {
		t.Fatal(err)
	}
	h.sim.SetThrottle("*", 0)
	if ops := h.rec.takeAttempts(); count(ops, "CreateDeployment") < 1 || len(ops) < 8 {
		t.Errorf("attempts %v", ops)
	}
	out, err := h.cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web-prod")})
	if err != nil || !reflect.DeepEqual(out.Deployments, []string{id}) {
		t.Errorf("deployments %v %v, want just %s", out.Deployments, err, id)
	}
}

func TestStartDoesNotRepeatACreateDeploymentThatMayHaveRun(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p, err := h.d.Plan(ctx, webEnv, "v1.4", switchyard.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// CodeDeploy creates the deployment, then the answer is lost in a 500.
	// The SDK would retry a 500; a second CreateDeployment would collide
	// with the first and report our own deployment as someone else's.
	h.rec.lose = "CreateDeployment"
	h.rec.take()
	_, err = h.d.Start(ctx, p, switchyard.Actor{User: "alice", Channel: "#deploys"})
	errorCode(t, err, switchyard.EUNAVAILABLE)
	if ops := h.rec.takeAttempts(); count(ops, "CreateDeployment") != 1 {
		t.Errorf("CreateDeployment sent %d times: %v", count(ops, "CreateDeployment"), ops)
	}
	out, err := h.cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{
		ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web-prod"),
		IncludeOnlyStatuses: []cdtypes.DeploymentStatus{cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusInProgress},
	})
	if err != nil || len(out.Deployments) != 1 {
		t.Errorf("deployments %v %v", out, err)
	}
}
