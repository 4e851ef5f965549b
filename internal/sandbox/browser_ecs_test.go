package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
)

// TestBrowserServicePage: the link of an ECS-native card, which names the
// service's Deployments tab in the ECS console, leads in the sandbox to
// the sandbox's own view of the service's deployments, which shows the one
// in flight.
func TestBrowserServicePage(t *testing.T) {
	sb := startConsoleSandbox(t)
	_, err := ecs.NewFromConfig(sb.AWS.Config()).UpdateService(context.Background(), &ecs.UpdateServiceInput{
		Cluster: aws.String("prod"), Service: aws.String("checkout"), ForceNewDeployment: true})
	if err != nil {
		t.Fatal(err)
	}
	sb.AWS.Advance(30 * time.Second)
	list, err := ecs.NewFromConfig(sb.AWS.Config()).ListServiceDeployments(context.Background(), &ecs.ListServiceDeploymentsInput{
		Cluster: aws.String("prod"), Service: aws.String("checkout")})
	if err != nil || len(list.ServiceDeployments) == 0 {
		t.Fatalf("no service deployment (%v)", err)
	}
	arn := aws.ToString(list.ServiceDeployments[0].ServiceDeploymentArn)
	short := switchyard.ShortID(arn)
	link := blocks.ConsoleURL("us-east-1", arn)
	if _, err := sb.Slack.Say("C0DEPLOYS", "U0ALICE", "checkout deploys: <"+link+"|"+short+">", ""); err != nil {
		t.Fatal(err)
	}

	b := browser(t, 1280, 720)
	if err := chromedp.Do(b, chromedp.Navigate(sb.URL()), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)), pickUser("alice")); err != nil {
		t.Fatal(err)
	}
	waitText(b, t, "checkout deploys", 20*time.Second)
	href, err := chromedp.Run(b, chromedp.Evaluate[string](`[...document.querySelectorAll('#messages a')].map(a => a.getAttribute('href')).find(h => h.startsWith('/aws/')) || ''`))
	if err != nil || href != "/aws/services/prod/checkout" {
		t.Fatalf("the ECS console link %s leads to %q in the sandbox (%v)", link, href, err)
	}
	if err := chromedp.Do(b, chromedp.Navigate(sb.URL()+href), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`))); err != nil {
		t.Fatal(err)
	}
	page, _ := chromedp.Run(b, chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"prod / checkout", "LINEAR", "IN_PROGRESS", arn[strings.LastIndex(arn, "/")+1:], "checkout:v2.0"} {
		if !strings.Contains(page, want) {
			t.Errorf("the service page lacks %q:\n%s", want, page)
		}
	}
	screenshot(t, b, "service")
}
