package sandbox

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// TestConsoleServiceView: the sandbox's own view of an ECS service's
// deployments, where the links of checkout's cards lead, shows what ECS
// says of them, newest first, as they move.
func TestConsoleServiceView(t *testing.T) {
	sb := startConsoleSandbox(t)
	client := ecs.NewFromConfig(sb.AWS.Config())
	_, err := client.UpdateService(context.Background(), &ecs.UpdateServiceInput{
		Cluster: aws.String("prod"), Service: aws.String("checkout"), ForceNewDeployment: true})
	if err != nil {
		t.Fatal(err)
	}
	url := sb.URL() + "/_sim/aws/services/prod/checkout"
	sb.AWS.Advance(30 * time.Second)

	var v ServiceView
	if code := getConsoleJSON(t, url, &v); code != http.StatusOK {
		t.Fatalf("GET %s: %d", url, code)
	}
	if v.Cluster != "prod" || v.Service != "checkout" || v.Strategy != "LINEAR" || v.TaskDefinition == nil ||
		len(v.TaskDefinition.Containers) == 0 || !strings.Contains(v.TaskDefinition.Containers[0].Image, "checkout:") {
		t.Fatalf("the service: %+v", v)
	}
	if len(v.Deployments) == 0 {
		t.Fatal("no deployment shown")
	}
	d := v.Deployments[0]
	if !strings.HasSuffix(d.ARN, "/"+d.ID) || !strings.HasPrefix(d.ARN, "arn:aws:ecs:us-east-1:") || d.Status != "IN_PROGRESS" || d.Stage == "" ||
		d.TaskDefinition == nil || len(d.TaskDefinition.Containers) == 0 {
		t.Fatalf("the newest deployment while it runs: %+v", d)
	}
	for i := 1; i < len(v.Deployments); i++ {
		if v.Deployments[i].Created.After(*v.Deployments[i-1].Created) {
			t.Errorf("deployments not newest first: %v after %v", v.Deployments[i].Created, v.Deployments[i-1].Created)
		}
	}

	for path, want := range map[string]int{
		"/_sim/aws/services/prod/nosuch":         http.StatusNotFound,
		"/_sim/aws/services/nosuch/checkout":     http.StatusNotFound,
		"/_sim/aws/services/prod/check%3Cout%3E": http.StatusNotFound,
		"/aws/services/prod/checkout":            http.StatusOK,
	} {
		if code := getConsoleJSON(t, sb.URL()+path, nil); code != want {
			t.Errorf("GET %s: %d, want %d", path, code, want)
		}
	}
}
