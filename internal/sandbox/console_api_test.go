package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// startConsoleSandbox starts a sandbox whose clock only the test moves, without
// the bot.
func startConsoleSandbox(t *testing.T) *Sandbox {
	t.Helper()
	sb, err := Start(Options{Speed: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("close the sandbox: %v", err)
		}
	})
	return sb
}

// getConsoleJSON reads a console endpoint into v and returns the HTTP status.
func getConsoleJSON(t *testing.T, url string, v any) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if v != nil && res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, body)
		}
	}
	return res.StatusCode
}

// slackTSTime reads a Slack ts as a time.
func slackTSTime(t *testing.T, ts string) time.Time {
	t.Helper()
	f, err := strconv.ParseFloat(ts, 64)
	if err != nil {
		t.Fatalf("ts %q: %v", ts, err)
	}
	return time.UnixMicro(int64(f * 1e6))
}

// TestConsoleClock: the console reads the simulated clock, and the Slack
// simulator stamps messages with it, not with the machine's.
func TestConsoleClock(t *testing.T) {
	sb := startConsoleSandbox(t)
	var c Clock
	getConsoleJSON(t, sb.URL()+"/_sim/clock", &c)
	if !c.Now.Equal(sb.AWS.Clock().Now()) || c.Speed != 0 || c.UnixMS != c.Now.UnixMilli() {
		t.Fatalf("clock = %+v, want the AWS simulator's %v at speed 0", c, sb.AWS.Clock().Now())
	}
	sb.AWS.Advance(3 * time.Hour)
	var later Clock
	getConsoleJSON(t, sb.URL()+"/_sim/clock", &later)
	if got := later.Now.Sub(c.Now); got != 3*time.Hour {
		t.Fatalf("the clock moved %v after a 3h advance", got)
	}
	ts, err := sb.Slack.Say(deploys, "U0ALICE", "hello", "")
	if err != nil {
		t.Fatal(err)
	}
	if d := slackTSTime(t, ts).Sub(later.Now); math.Abs(d.Seconds()) > 1 {
		t.Fatalf("a message posted at simulated %v has ts %s (%v away): messages must follow the simulated clock", later.Now, ts, d)
	}
}

// TestConsoleRoles: each person's role comes from the bot's access lists,
// with the on-call group read from Slack.
func TestConsoleRoles(t *testing.T) {
	sb := startConsoleSandbox(t)
	var roles []Role
	if code := getConsoleJSON(t, sb.URL()+"/_sim/roles", &roles); code != http.StatusOK {
		t.Fatalf("GET /_sim/roles: %d", code)
	}
	want := map[string]struct {
		myapp   []string
		summary string
	}{
		"alice": {[]string{"deploy", "rollback", "lock"}, "may deploy, roll back, lock"},
		"bob":   {[]string{"rollback", "lock"}, "may roll back, lock"}, // through @oncall
		"carol": {nil, "may only watch"},
		"dave":  {[]string{"approve"}, "may approve"},
	}
	if len(roles) != len(want) {
		t.Fatalf("roles for %d people, want %d: %+v", len(roles), len(want), roles)
	}
	for _, r := range roles {
		w, ok := want[r.Name]
		if !ok {
			t.Errorf("unexpected person %+v", r)
			continue
		}
		if !slices.Equal(r.Apps["myapp"], w.myapp) || !slices.Equal(r.Apps["payments"], w.myapp) || r.Summary != w.summary {
			t.Errorf("%s: apps %v, summary %q; want %v on both apps, %q", r.Name, r.Apps, r.Summary, w.myapp, w.summary)
		}
	}
}

func TestConsoleSummarize(t *testing.T) {
	for _, c := range []struct {
		apps map[string][]string
		n    int
		want string
	}{
		{nil, 2, "may only watch"},
		{map[string][]string{"a": {"deploy"}, "b": {"deploy"}}, 2, "may deploy"},
		{map[string][]string{"a": {"deploy"}}, 2, "may deploy a"},
		{map[string][]string{"b": {"approve"}, "a": {"deploy", "lock"}}, 2, "may deploy, lock a; approve b"},
	} {
		if got := summarize(c.apps, c.n); got != c.want {
			t.Errorf("summarize(%v) = %q, want %q", c.apps, got, c.want)
		}
	}
}

// TestConsoleDeploymentView: the sandbox's own view of a deployment shows
// what CodeDeploy and ECS say of it, as it moves.
func TestConsoleDeploymentView(t *testing.T) {
	sb := startConsoleSandbox(t)
	id, tdARN := startDeployment(t, sb)
	url := sb.URL() + "/_sim/aws/deployments/" + id

	sb.AWS.Advance(3 * time.Minute)
	var v DeploymentView
	if code := getConsoleJSON(t, url, &v); code != http.StatusOK {
		t.Fatalf("GET %s: %d", url, code)
	}
	if v.Status != "InProgress" || v.Config != "CodeDeployDefault.ECSLinear10PercentEvery1Minutes" || v.TaskDefinition == nil ||
		v.TaskDefinition.ARN != tdARN || len(v.TaskDefinition.Containers) != 1 || !strings.HasSuffix(v.TaskDefinition.Containers[0].Image, ":v1.9") {
		t.Fatalf("while shifting: %+v", v)
	}
	if v.Target == nil || v.Target.Cluster != "prod" || v.Target.Service != "myapp" || len(v.Target.TaskSets) != 2 {
		t.Fatalf("the target while shifting shows no blue and green task sets: %+v", v.Target)
	}
	weights := map[string]float64{}
	for _, ts := range v.Target.TaskSets {
		weights[ts.Label] = ts.TrafficWeight
		if ts.TaskDefinition == nil || len(ts.TaskDefinition.Containers) == 0 {
			t.Errorf("task set %s has no task definition: %+v", ts.Label, ts)
		}
	}
	if weights["Green"] <= 0 || weights["Green"] >= 100 || weights["Blue"]+weights["Green"] != 100 {
		t.Fatalf("traffic while shifting: %v", weights)
	}
	if first := v.Target.Lifecycle[0]; first.Name != "BeforeInstall" || first.Status != "Succeeded" {
		t.Fatalf("lifecycle: %+v", v.Target.Lifecycle)
	}

	sb.AWS.Advance(20 * time.Minute)
	getConsoleJSON(t, url, &v)
	if v.Status != "Succeeded" || v.Completed == nil || v.Target.Lifecycle[len(v.Target.Lifecycle)-1].Status != "Succeeded" {
		t.Fatalf("after the shift: %+v", v)
	}

	for path, want := range map[string]int{
		"/_sim/aws/deployments/d-AAAAAAAAA":   http.StatusNotFound,
		"/_sim/aws/deployments/not-an-id":     http.StatusNotFound,
		"/aws/deployments/" + id:              http.StatusOK,
		"/_sim/aws/deployments/" + id + "%3E": http.StatusNotFound,
	} {
		if code := getConsoleJSON(t, sb.URL()+path, nil); code != want {
			t.Errorf("GET %s: %d, want %d", path, code, want)
		}
	}
}

// startDeployment deploys myapp v1.9 with the SDK, as CI would, and returns
// the deployment's id and its task definition's ARN.
func startDeployment(t *testing.T, sb *Sandbox) (id, tdARN string) {
	t.Helper()
	ctx := context.Background()
	cfg := sb.AWS.Config()
	td, err := ecs.NewFromConfig(cfg).RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("myapp"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("web"), Image: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:v1.9"),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tdARN = aws.ToString(td.TaskDefinition.TaskDefinitionArn)
	spec := "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n" +
		"        TaskDefinition: \"" + tdARN + "\"\n        LoadBalancerInfo:\n          ContainerName: \"web\"\n          ContainerPort: 8080\n"
	out, err := codedeploy.NewFromConfig(cfg).CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{
		ApplicationName: aws.String("myapp"), DeploymentGroupName: aws.String("myapp-prod"),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(spec)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.DeploymentId), tdARN
}

// TestConsoleClockControl: POST /_sim/clock stops the clock and moves it,
// playing what falls due, and refuses what it cannot do.
func TestConsoleClockControl(t *testing.T) {
	sb, err := Start(Options{Speed: 600})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	post := func(body string) (int, Clock) {
		t.Helper()
		res, err := http.Post(sb.URL()+"/_sim/clock", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var c Clock
		if res.StatusCode == http.StatusOK {
			if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
				t.Fatal(err)
			}
		}
		return res.StatusCode, c
	}
	code, stopped := post(`{"speed":0}`)
	if code != http.StatusOK || stopped.Speed != 0 {
		t.Fatalf("stop the clock: %d %+v", code, stopped)
	}
	// Stopped means stopped, whatever starts meanwhile.
	id, _ := startDeployment(t, sb)
	var again Clock
	getConsoleJSON(t, sb.URL()+"/_sim/clock", &again)
	if !again.Now.Equal(stopped.Now) {
		t.Fatalf("the stopped clock moved from %v to %v", stopped.Now, again.Now)
	}
	code, moved := post(`{"advance":"30m"}`)
	if code != http.StatusOK || moved.Now.Sub(stopped.Now) != 30*time.Minute || moved.Speed != 0 {
		t.Fatalf("advance 30m: %d %+v, from %v", code, moved, stopped.Now)
	}
	got, err := codedeploy.NewFromConfig(sb.AWS.Config()).GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if st := got.DeploymentInfo.Status; st != cdtypes.DeploymentStatusSucceeded {
		t.Errorf("after 30 simulated minutes the deployment is %s, want Succeeded", st)
	}
	if code, c := post(`{"speed":12,"advance":"1m"}`); code != http.StatusOK || c.Speed != 12 || c.Now.Sub(moved.Now) < time.Minute {
		t.Errorf("speed 12 and advance 1m: %d %+v", code, c)
	}
	for _, bad := range []string{`{"advance":"-1m"}`, `{"advance":"soon"}`, `{"advance":"200h"}`, `{"speed":-1}`,
		`{"speed":100000}`, `{"pause":true}`, `not json`} {
		if code, _ := post(bad); code != http.StatusBadRequest {
			t.Errorf("POST /_sim/clock %s answered %d, want 400", bad, code)
		}
	}
}
