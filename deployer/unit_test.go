package deployer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/switchyard/switchyard"
)

func TestNextImage(t *testing.T) {
	const ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web"
	digest := "sha256:" + strings.Repeat("ab", 32)
	for _, tc := range []struct {
		current, version, want, label string
	}{
		{ecr + ":v1.3", "v1.4", ecr + ":v1.4", "v1.4"},
		{ecr + ":v1.3", "1.4", ecr + ":1.4", "1.4"},
		{ecr + ":v1.3@" + digest, "v1.4", ecr + ":v1.4", "v1.4"},
		{ecr + ":v1.3", digest, ecr + "@" + digest, digest[:19]},
		{ecr + ":v1.3", "@" + digest, ecr + "@" + digest, digest[:19]},
		{"registry.local:5000/web:1", "2", "registry.local:5000/web:2", "2"},
		{"nginx", "1.27-alpine", "nginx:1.27-alpine", "1.27-alpine"},
		{ecr + ":v1.3", "ghcr.io/acme/web:v2", "ghcr.io/acme/web:v2", "v2"},
		{ecr + ":v1.3", "ghcr.io/acme/web@" + digest, "ghcr.io/acme/web@" + digest, digest[:19]},
		{ecr + ":v1.3", "_build_42", ecr + ":_build_42", "_build_42"},
	} {
		got, err := nextImage(tc.current, tc.version)
		if err != nil || got.String() != tc.want || got.Label() != tc.label {
			t.Errorf("nextImage(%q, %q) = %q %q %v, want %q %q", tc.current, tc.version, got, got.Label(), err, tc.want, tc.label)
		}
	}
	for _, bad := range []string{"", " ", "-rc1", ".x", "v1.4 ", "a b", "v1.4!", strings.Repeat("x", 129),
		"ghcr.io/acme/web", "web:bad tag", "web@sha256:short", "web:-x"} {
		if bad == "v1.4 " { // surrounding space is forgiven
			continue
		}
		if got, err := nextImage(ecr+":v1", bad); switchyard.ErrorCode(err) != switchyard.EINVALID {
			t.Errorf("nextImage(%q) = %q, %v; want EINVALID", bad, got, err)
		}
	}
}

func TestImageRegistry(t *testing.T) {
	for ref, want := range map[string][3]string{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:v1":      {"123456789012", "eu-west-1", "team/web"},
		"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/web:v1":      {"123456789012", "us-east-1", "web"},
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web@sha256:x": {"123456789012", "cn-north-1", "web"},
	} {
		a, r, repo, ok := ecrOf(switchyard.ParseImage(ref))
		if !ok || [3]string{a, r, repo} != want {
			t.Errorf("%s: %s %s %s %v", ref, a, r, repo, ok)
		}
	}
	for _, ref := range []string{"public.ecr.aws/nginx/nginx:1", "ghcr.io/a/b:1", "nginx:1", "12345.dkr.ecr.us-east-1.amazonaws.com/web:1"} {
		if _, _, _, ok := ecrOf(switchyard.ParseImage(ref)); ok {
			t.Errorf("%s taken for a private ECR image", ref)
		}
	}
}

func TestDescriptionRoundTrip(t *testing.T) {
	for _, d := range []description{
		{Who: "alice", Where: "#deploys", App: "web", Version: "v1.4", TaskDef: "web:13", Previous: "web:12"},
		{Rollback: true, Who: "Bob Smith", App: "web", Version: "v1.3", TaskDef: "web:12", Previous: "web:13", Undoes: "d-ABCDEFGHI"},
	} {
		s := d.String()
		got, ok := parseDescription(s)
		if !ok || !reflect.DeepEqual(got, d) {
			t.Errorf("%q parsed as %+v, want %+v", s, got, d)
		}
	}
	long := description{Who: strings.Repeat("w", 300), Where: strings.Repeat("c", 300), App: "web", Version: strings.Repeat("v", 128), TaskDef: "web:1", Previous: "web:2"}
	s := long.String()
	got, ok := parseDescription(s)
	if len(s) > maxDescription || !ok || got.TaskDef != "web:1" || got.Previous != "web:2" {
		t.Errorf("long description (%d bytes) %q parsed as %+v", len(s), s, got)
	}
	if _, ok := parseDescription("ci pipeline run 812"); ok {
		t.Error("a foreign description was taken for the bot's")
	}
}

func TestTrafficShape(t *testing.T) {
	for _, tc := range []struct {
		cfg  *cdtypes.TrafficRoutingConfig
		want switchyard.TrafficShape
	}{
		{nil, switchyard.TrafficShape{Type: switchyard.RoutingAllAtOnce}},
		{&cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeAllAtOnce}, switchyard.TrafficShape{Type: switchyard.RoutingAllAtOnce}},
		{&cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeTimeBasedLinear,
			TimeBasedLinear: &cdtypes.TimeBasedLinear{LinearPercentage: 30, LinearInterval: 2}},
			switchyard.TrafficShape{Type: switchyard.RoutingLinear, Percent: 30, IntervalMinutes: 2}},
		{&cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeTimeBasedCanary,
			TimeBasedCanary: &cdtypes.TimeBasedCanary{CanaryPercentage: 25, CanaryInterval: 1}},
			switchyard.TrafficShape{Type: switchyard.RoutingCanary, Percent: 25, IntervalMinutes: 1}},
		// A linear config without its settings says nothing more.
		{&cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeTimeBasedLinear}, switchyard.TrafficShape{Type: switchyard.RoutingAllAtOnce}},
	} {
		if got := trafficShape(tc.cfg); got != tc.want {
			t.Errorf("%+v: %+v, want %+v", tc.cfg, got, tc.want)
		}
	}
	for name, shape := range predefinedShapes {
		if shape.Type == "" || (shape.Type != switchyard.RoutingAllAtOnce && shape.Percent == 0) {
			t.Errorf("%s: %+v", name, shape)
		}
	}
}

func apiErr(code string, status int) error {
	return &smithy.OperationError{ServiceID: "CodeDeploy", OperationName: "Op", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: &smithy.GenericAPIError{Code: code, Message: "secret detail arn:aws:iam::1:role/x"}},
	}}
}

func TestFailMapsCodesToSafeSentences(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code string
	}{
		{apiErr("AccessDeniedException", 400), switchyard.EFORBIDDEN},
		{apiErr("ThrottlingException", 400), switchyard.EUNAVAILABLE},
		{apiErr("ServerException", 500), switchyard.EUNAVAILABLE},
		{apiErr("ApplicationDoesNotExistException", 400), switchyard.ENOTFOUND},
		{apiErr("InvalidRevisionException", 400), switchyard.EINVALID},
		{apiErr("ClientException", 400), switchyard.EINVALID},
		{apiErr("SomethingNewException", 400), switchyard.EINTERNAL},
		{context.DeadlineExceeded, switchyard.EUNAVAILABLE},
		{fmt.Errorf("dial tcp: connection refused"), switchyard.EUNAVAILABLE},
	} {
		err := fail(tc.err, "op", "do the thing")
		var se *switchyard.Error
		if !errors.As(err, &se) || se.Code != tc.code || !strings.HasPrefix(se.Message, "Could not do the thing: ") ||
			strings.Contains(se.Message, "secret") || !errors.Is(err, tc.err) {
			t.Errorf("%v → %#v", tc.err, err)
		}
	}
}

func TestDeploymentIDIn(t *testing.T) {
	err := &smithy.GenericAPIError{Code: "DeploymentLimitExceededException",
		Message: "The Deployment Group 'web-prod' already has an active Deployment 'd-7QX2M9K1A'"}
	if got := deploymentIDIn(fmt.Errorf("wrapped: %w", err)); got != "d-7QX2M9K1A" {
		t.Errorf("got %q", got)
	}
	if got := deploymentIDIn(errors.New("d-7QX2M9K1A")); got != "" {
		t.Errorf("read an id out of a non-AWS error: %q", got)
	}
}

func TestThrottleOnlyRetriesThrottling(t *testing.T) {
	r := throttleOnly{retry.NewStandard()}
	if !r.IsErrorRetryable(apiErr("ThrottlingException", 400)) {
		t.Error("throttling not retried")
	}
	for _, err := range []error{apiErr("InternalFailure", 500), apiErr("RequestTimeout", 408), errors.New("connection reset by peer")} {
		if r.IsErrorRetryable(err) {
			t.Errorf("%v retried", err)
		}
	}
	if r.MaxAttempts() != 3 {
		t.Errorf("max attempts %d: the client's retryer settings must be kept", r.MaxAttempts())
	}
}

func TestCloneTaskDefinition(t *testing.T) {
	td := &ecstypes.TaskDefinition{
		TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:1:task-definition/web:3"), Family: aws.String("web"), Revision: 3,
		Status: ecstypes.TaskDefinitionStatusActive, Cpu: aws.String("256"), Memory: aws.String("512"),
		RequiresAttributes: []ecstypes.Attribute{{Name: aws.String("x")}},
		Compatibilities:    []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{Name: aws.String("web"), Image: aws.String("web:1")},
			{Name: aws.String("envoy"), Image: aws.String("envoy:1")},
		},
	}
	tags := []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("AWS:cloudformation:stack-id"), Value: aws.String("s")}}
	in, dropped, err := cloneTaskDefinition(td, tags, "web", "web:2")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(in.ContainerDefinitions[0].Image) != "web:2" || aws.ToString(in.ContainerDefinitions[1].Image) != "envoy:1" ||
		aws.ToString(td.ContainerDefinitions[0].Image) != "web:1" {
		t.Errorf("images: clone %v, original %v", in.ContainerDefinitions, td.ContainerDefinitions)
	}
	if len(in.Tags) != 1 || !reflect.DeepEqual(dropped, []string{"AWS:cloudformation:stack-id"}) {
		t.Errorf("tags %v dropped %v", in.Tags, dropped)
	}
	if _, _, err := cloneTaskDefinition(td, nil, "api", "api:2"); switchyard.ErrorCode(err) != switchyard.EINVALID {
		t.Errorf("unknown container: %v", err)
	}
}

func TestNextStep(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	linear := switchyard.TrafficShape{Type: switchyard.RoutingLinear, Percent: 10, IntervalMinutes: 1}
	canary := switchyard.TrafficShape{Type: switchyard.RoutingCanary, Percent: 10, IntervalMinutes: 5}
	for _, tc := range []struct {
		shape switchyard.TrafficShape
		green float64
		want  switchyard.Next
	}{
		{linear, 0, switchyard.Next{Kind: switchyard.NextTrafficStep, At: start, Percent: 10}},
		{linear, 10, switchyard.Next{Kind: switchyard.NextTrafficStep, At: start.Add(time.Minute), Percent: 20}},
		{linear, 90, switchyard.Next{Kind: switchyard.NextTrafficStep, At: start.Add(9 * time.Minute), Percent: 100}},
		{linear, 100, switchyard.Next{}},
		{canary, 10, switchyard.Next{Kind: switchyard.NextTrafficStep, At: start.Add(5 * time.Minute), Percent: 100}},
		{switchyard.TrafficShape{Type: switchyard.RoutingAllAtOnce}, 0, switchyard.Next{}},
		{switchyard.TrafficShape{Type: switchyard.RoutingLinear, Percent: 30, IntervalMinutes: 2}, 90, switchyard.Next{Kind: switchyard.NextTrafficStep, At: start.Add(6 * time.Minute), Percent: 100}},
	} {
		if got := nextStep(tc.shape, start, tc.green); got != tc.want {
			t.Errorf("%+v at %.0f%%: %+v, want %+v", tc.shape, tc.green, got, tc.want)
		}
	}
}
