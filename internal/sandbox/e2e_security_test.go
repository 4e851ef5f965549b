package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// The on-call person's and the attacker's view of rollbacks and of AWS text:
// each test here is a case that once went wrong.

const ecrMyapp = "123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp"

// serviceImage is the image of myapp's web container as ECS runs it now.
func (e *e2e) serviceImage() string {
	e.t.Helper()
	ctx := context.Background()
	c := ecs.NewFromConfig(e.sb.AWS.Config())
	svc, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"myapp"}})
	if err != nil || len(svc.Services) != 1 {
		e.t.Fatalf("describe myapp: %v", err)
	}
	td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.Services[0].TaskDefinition})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, cd := range td.TaskDefinition.ContainerDefinitions {
		if aws.ToString(cd.Name) == "web" {
			return aws.ToString(cd.Image)
		}
	}
	e.t.Fatal("no web container")
	return ""
}

// deploymentsOfMyapp lists every deployment CodeDeploy has of myapp.
func (e *e2e) deploymentsOfMyapp() []string {
	e.t.Helper()
	out, err := codedeploy.NewFromConfig(e.sb.AWS.Config()).ListDeployments(context.Background(), &codedeploy.ListDeploymentsInput{
		ApplicationName: aws.String("myapp"), DeploymentGroupName: aws.String("myapp-prod"),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.Deployments
}

// deploySucceeded has alice deploy myapp v1.4 to the end.
func (e *e2e) deploySucceeded() (string, string) {
	e.t.Helper()
	id, ts := e.deployMyapp(" --config all-at-once")
	e.advanceUntil("myapp", id, ts, 30*time.Second, 20*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	e.finished(ts)
	return id, ts
}

// After v1.4 succeeds, bob rolls back; a second rollback, typed at the
// same moment or after, and the rollback's own card offer no way to undo
// the rollback: v1.3 ends up running, not v1.4.
func TestE2ESecondRollbackDoesNotUndoTheFirst(t *testing.T) {
	e := newE2E(t, Options{})
	first, _ := e.deploySucceeded()
	if img := e.serviceImage(); img != ecrMyapp+":v1.4" {
		t.Fatalf("service runs %s", img)
	}

	// A double submit: two /deploy rollback myapp at once.
	n := len(e.messages())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { e.slash("U0BOB", "/deploy rollback myapp") })
	}
	wg.Wait()
	card := e.newTop(n, "Rollback of myapp in production")
	redeploy := e.deploymentID(card.TS)
	e.waitFor("both answers", func() bool {
		k := 0
		for _, m := range e.messages()[n:] {
			if m.EphemeralTo == "U0BOB" {
				k++
			}
		}
		return k == 2
	})
	refused := false
	for _, m := range e.messages()[n:] {
		if m.EphemeralTo == "U0BOB" && strings.Contains(m.Text, redeploy+" is already rolling back "+first+"; let it finish.") {
			refused = true
		}
	}
	if !refused {
		t.Errorf("the second rollback was not refused in words:\n%s", e.dump())
	}
	if got := e.deploymentsOfMyapp(); len(got) != 2 {
		t.Fatalf("CodeDeploy has %d deployments of myapp, want v1.4 and one rollback: %v", len(got), got)
	}

	// The rollback's card has no button that would stop it, and another
	// /deploy rollback while it runs is refused.
	if b := buttons(e.message(card.TS)); slices.Contains(b, "rollback") {
		t.Errorf("the rollback's card offers %v", b)
	}
	if _, err := e.click("U0BOB", card.TS, "rollback"); err != slacksim.ErrNoSuchButton {
		t.Errorf("a Rollback click on the rollback's card: %v", err)
	}
	n = len(e.messages())
	e.slash("U0BOB", "/deploy rollback myapp")
	if m := e.ephemeralTo(n, "U0BOB"); !strings.Contains(m.Text, "is already rolling back "+first+"; let it finish.") {
		t.Errorf("a rollback during the rollback was told %q", m.Text)
	}
	if d := e.truth("myapp", redeploy); d.Status.Done() {
		t.Fatalf("the rollback was stopped: %s", d.Status)
	}

	d := e.advanceUntil("myapp", redeploy, card.TS, 30*time.Second, 20*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if d.Status != switchyard.StatusSucceeded {
		t.Fatalf("the rollback ended %s", d.Status)
	}
	if img := e.serviceImage(); img != ecrMyapp+":v1.3" {
		t.Errorf("after the rollback the service runs %s, want v1.3", img)
	}
	// Once it has finished there is nothing left to undo by rolling back.
	n = len(e.messages())
	e.slash("U0BOB", "/deploy rollback myapp")
	if m := e.ephemeralTo(n, "U0BOB"); !strings.Contains(m.Text, "already rolled back "+first) {
		t.Errorf("a rollback after the rollback was told %q", m.Text)
	}
	if got := e.deploymentsOfMyapp(); len(got) != 2 {
		t.Errorf("CodeDeploy has %d deployments of myapp: %v", len(got), got)
	}
}

// A deployment that failed and that CodeDeploy rolled back by itself:
// /deploy rollback says so and deploys nothing.
func TestE2ERollbackAfterCodeDeployRolledBack(t *testing.T) {
	e := newE2E(t, Options{})
	e.sb.AWS.FailNextDeployment("myapp", switchyard.AfterInstall, "smoke test failed")
	id, ts := e.deployMyapp("")
	e.advanceUntil("myapp", id, ts, 10*time.Second, 20*time.Minute, func(d switchyard.Deployment) bool {
		if !d.Status.Done() || d.RollbackID == "" {
			return false
		}
		return e.truth("myapp", d.RollbackID).Status.Done()
	})
	e.waitFor("the thread to tell CodeDeploy's rollback finished", func() bool {
		return strings.Contains(replyTexts(e.thread(ts)), "Rollback of myapp in production finished")
	})
	before := e.deploymentsOfMyapp()

	n := len(e.messages())
	e.slash("U0BOB", "/deploy rollback myapp")
	m := e.ephemeralTo(n, "U0BOB")
	if !strings.Contains(m.Text, "CodeDeploy already put the previous version back") || !strings.Contains(m.Text, "Nothing to do") {
		t.Errorf("bob was told %q", m.Text)
	}
	if after := e.deploymentsOfMyapp(); len(after) != len(before) {
		t.Errorf("the rollback started a deployment: %v → %v", before, after)
	}
	if img := e.serviceImage(); img != ecrMyapp+":v1.3" {
		t.Errorf("service runs %s", img)
	}
}

// registerTaskDefinition registers a copy of myapp's task definition under
// family with the web container's image set to image, as anyone allowed
// to call ECS could.
func (e *e2e) registerTaskDefinition(family, image string) string {
	e.t.Helper()
	ctx := context.Background()
	c := ecs.NewFromConfig(e.sb.AWS.Config())
	cur, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("myapp")})
	if err != nil {
		e.t.Fatal(err)
	}
	td := cur.TaskDefinition
	defs := slices.Clone(td.ContainerDefinitions)
	for i := range defs {
		if aws.ToString(defs[i].Name) == "web" {
			defs[i].Image = aws.String(image)
		}
	}
	out, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), ContainerDefinitions: defs, Cpu: td.Cpu, Memory: td.Memory,
		NetworkMode: td.NetworkMode, RequiresCompatibilities: td.RequiresCompatibilities,
		ExecutionRoleArn: td.ExecutionRoleArn, TaskRoleArn: td.TaskRoleArn,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// createDeployment starts a deployment of taskDef in myapp's group with
// description, the way a CI role or a console user would.
func (e *e2e) createDeployment(taskDef, description string) string {
	e.t.Helper()
	spec := fmt.Sprintf(`{"version":0.0,"Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":%q,"LoadBalancerInfo":{"ContainerName":"web","ContainerPort":8080}}}}]}`, taskDef)
	sum := sha256.Sum256([]byte(spec))
	out, err := codedeploy.NewFromConfig(e.sb.AWS.Config()).CreateDeployment(context.Background(), &codedeploy.CreateDeploymentInput{
		ApplicationName: aws.String("myapp"), DeploymentGroupName: aws.String("myapp-prod"),
		DeploymentConfigName: aws.String("CodeDeployDefault.ECSAllAtOnce"),
		Description:          aws.String(description),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(spec), Sha256: aws.String(hex.EncodeToString(sum[:]))}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.DeploymentId)
}

// waitCard waits for the card of deployment id and returns it.
func (e *e2e) waitCard(id string) slacksim.Message {
	e.t.Helper()
	var card slacksim.Message
	e.waitFor("a card for "+id, func() bool {
		for _, m := range e.topLevel() {
			if m.ThreadTS == "" && strings.Contains(string(m.Blocks), id) {
				card = m
				return true
			}
		}
		return false
	})
	return card
}

// Someone who may create deployments, but is not in Slack, writes a
// description that looks like the bot's: it names alice as the deployer,
// carries a version that is a mention and a link, and a trailer that says
// the rollback should deploy a task definition of another family from
// another repository. The card trusts none of it; the rollback deploys
// what AWS says ran before.
func TestE2EForgedDescriptionIsNotTrusted(t *testing.T) {
	e := newE2E(t, Options{})
	evil := e.registerTaskDefinition("evil", "evil.example.com/backdoor:1")
	next := e.registerTaskDefinition("myapp", ecrMyapp+":v1.5")
	forged := fmt.Sprintf("Deployed by U0ALICE from Slack #deploys: myapp <!here><https://evil.example.com|v9> [switchyard td=%s prev=%s]",
		next[strings.LastIndexByte(next, '/')+1:], evil[strings.LastIndexByte(evil, '/')+1:])
	id := e.createDeployment(next, forged)
	card := e.waitCard(id)
	d := e.advanceUntil("myapp", id, card.TS, 30*time.Second, 20*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if d.Status != switchyard.StatusSucceeded {
		t.Fatalf("the outside deployment ended %s", d.Status)
	}
	e.finished(card.TS)

	shown := e.message(card.TS)
	all := shown.Text + string(unescape(shown.Blocks)) + replyTexts(e.thread(card.TS))
	for _, bad := range []string{"<!here>", "<https://evil", "<@U0ALICE>", "v9"} {
		if strings.Contains(all, bad) {
			t.Errorf("the card or thread shows %q from the description:\n%s", bad, all)
		}
	}
	for _, want := range []string{"myapp v1.5 → production", "outside Slack"} {
		if !strings.Contains(all, want) {
			t.Errorf("the card lacks %q:\n%s", want, all)
		}
	}

	n := len(e.messages())
	e.slash("U0BOB", "/deploy rollback myapp")
	rb := e.newTop(n, "Rollback of myapp in production")
	rid := e.deploymentID(rb.TS)
	e.advanceUntil("myapp", rid, rb.TS, 30*time.Second, 20*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if img := e.serviceImage(); img != ecrMyapp+":v1.3" {
		t.Errorf("the rollback deployed %s, want what ran before (v1.3)", img)
	}
}

// An outside deployment that switched the service to another task
// definition family: rolling it back would deploy another family than the
// one running, so the rollback waits on a card that says so, and starts
// only when bob confirms.
func TestE2ERollbackToAnotherFamilyAsksFirst(t *testing.T) {
	e := newE2E(t, Options{})
	other := e.registerTaskDefinition("myapp-next", ecrMyapp+":v1.5")
	id := e.createDeployment(other, "migrate to the myapp-next family")
	card := e.waitCard(id)
	e.advanceUntil("myapp", id, card.TS, 30*time.Second, 20*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	e.finished(card.TS)
	before := e.deploymentsOfMyapp()

	n := len(e.messages())
	e.slash("U0BOB", "/deploy rollback myapp")
	ask := e.newTop(n, "Roll back myapp in production to v1.3?")
	text := string(unescape(ask.Blocks))
	if !strings.Contains(text, "another task definition family") || !strings.Contains(text, "`myapp`") || !strings.Contains(text, "`myapp-next`") {
		t.Errorf("the rollback's card does not say it changes the family:\n%s", text)
	}
	if after := e.deploymentsOfMyapp(); len(after) != len(before) {
		t.Fatalf("the rollback started before anyone confirmed: %v", after)
	}
	n = len(e.messages())
	e.mustClick("U0CAROL", ask.TS, "confirm")
	if m := e.ephemeralTo(n, "U0CAROL"); !strings.Contains(m.Text, "Only <@U0BOB>, who asked for this rollback, can confirm it.") {
		t.Errorf("carol was told %q", m.Text)
	}
	if after := e.deploymentsOfMyapp(); len(after) != len(before) {
		t.Fatalf("carol's click started it: %v", after)
	}
	e.mustClick("U0BOB", ask.TS, "confirm")
	var rid string
	e.waitFor("the card to become the rollback's live card", func() bool {
		m := e.message(ask.TS)
		for _, found := range deploymentIDPattern.FindAllString(m.Text+string(m.Blocks), -1) {
			if found != id {
				rid = found
			}
		}
		return rid != ""
	})
	e.advanceUntil("myapp", rid, ask.TS, 30*time.Second, 20*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if img := e.serviceImage(); img != ecrMyapp+":v1.3" {
		t.Errorf("the rollback left the service on %s", img)
	}
}

// A tag and a digest that name different images: the card would say v1.5
// and ECS would run v1.4. Refused before any card.
func TestE2ETagAndDigestThatDisagree(t *testing.T) {
	e := newE2E(t, Options{})
	digest := e.sb.AWS.PutImage("myapp", "v1.4")
	n := len(e.messages())
	e.slash("U0ALICE", "/deploy myapp "+ecrMyapp+":v1.5@"+digest)
	m := e.ephemeralTo(n, "U0ALICE")
	if !strings.Contains(m.Text, "The tag v1.5 and the digest "+digest[:19]+" name different images") || !strings.Contains(m.Text, "v1.4") {
		t.Errorf("alice was told %q", m.Text)
	}
	for _, msg := range e.messages()[n:] {
		if msg.EphemeralTo == "" {
			t.Errorf("a card was posted: %s", msg.Text)
		}
	}
	// The same digest with its own tag is fine.
	e.request("U0ALICE", "myapp "+ecrMyapp+":v1.4@"+digest, "Deploy myapp v1.4 to production?")
}

// A lock reason is a person's text: bob's, full of markup, reaches alice's
// refusal as text.
func TestE2ELockReasonIsEscaped(t *testing.T) {
	e := newE2E(t, Options{})
	n := len(e.messages())
	e.slash("U0BOB", "/deploy lock myapp <!here> freeze, see <https://evil.example.com|the plan>")
	e.newTop(n, "is locked by <@U0BOB>")
	n = len(e.messages())
	e.slash("U0ALICE", "/deploy lock myapp mine")
	m := e.ephemeralTo(n, "U0ALICE")
	shown := m.Text + string(unescape(m.Blocks))
	if strings.Contains(shown, "<!here>") || strings.Contains(shown, "<https://evil") {
		t.Errorf("alice's refusal carries live markup: %s", shown)
	}
	if !strings.Contains(shown, "&lt;!here&gt; freeze") || !strings.Contains(shown, "locked by <@U0BOB>") {
		t.Errorf("alice's refusal = %s", shown)
	}
}
