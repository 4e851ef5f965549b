package deployer_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/switchyard/switchyard"
)

// deployOutside deploys image to hub the way a CI job would: it registers a
// task definition and creates the deployment with a YAML AppSpec, with the
// SDK and no bot.
func (h *harness) deployOutside(image string) (id, taskDef string) {
	h.t.Helper()
	ctx := context.Background()
	reg, err := h.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:      aws.String("hub"),
		NetworkMode: ecstypes.NetworkModeBridge,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("hub"), Image: aws.String(image), Essential: aws.Bool(true), Memory: aws.Int32(256),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(3000)}},
		}},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	taskDef = aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	spec := fmt.Sprintf(`version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: %s
        LoadBalancerInfo:
          ContainerName: hub
          ContainerPort: 3000
`, taskDef)
	sum := sha256.Sum256([]byte(spec))
	out, err := h.cd.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{
		ApplicationName: aws.String("hub"), DeploymentGroupName: aws.String("hub-prod"),
		Description: aws.String("ci pipeline run 812"),
		Revision: &cdtypes.RevisionLocation{
			RevisionType:   cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(spec), Sha256: aws.String(hex.EncodeToString(sum[:]))},
		},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return aws.ToString(out.DeploymentId), taskDef
}

func TestRecentFindsDeploymentsStartedOutsideTheBot(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, mine := h.deploy(hubEnv, "2.1")
	h.advanceUntil(hubEnv, mine, time.Minute, 30*time.Minute, func(s *switchyard.Observation) bool { return s.Status.Done() })
	h.sim.Advance(time.Minute)
	theirs, taskDef := h.deployOutside("ghcr.io/example/hub:2.2")

	// Describe finds the images of a deployment it did not start from the
	// task sets while it runs.
	st := h.advanceUntil(hubEnv, theirs, 5*time.Second, 5*time.Minute, func(s *switchyard.Observation) bool { return s.Traffic.Green > 0 })
	if st.RequestID != "" || st.Description != "ci pipeline run 812" ||
		st.ImageBefore != "ghcr.io/example/hub:2.1" || st.ImageAfter != "ghcr.io/example/hub:2.2" ||
		!strings.HasSuffix(taskDef, "/"+st.TaskDefinition[strings.LastIndexByte(st.TaskDefinition, '/')+1:]) {
		t.Errorf("outside deployment %+v", st)
	}

	list, err := h.d.Recent(ctx, hubEnv, start)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != theirs || list[1].ID != mine {
		t.Fatalf("recent %v", ids(list))
	}
	if list[0].RequestID != "" || list[0].Status != switchyard.StatusInProgress || list[1].RequestID != testRequest || list[1].Status != switchyard.StatusSucceeded {
		t.Errorf("recent %+v / %+v", list[0], list[1])
	}
	// since leaves out older deployments.
	list, err = h.d.Recent(ctx, hubEnv, start.Add(10*time.Minute))
	if err != nil || len(list) != 1 || list[0].ID != theirs {
		t.Errorf("recent since: %v %v", ids(list), err)
	}
}

func TestRecentReadsManyDeploymentsInBatches(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	var want []string
	for i := range 30 {
		id, _ := h.deployOutside(fmt.Sprintf("ghcr.io/example/hub:3.%d", i))
		if _, err := h.cd.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
		want = append([]string{id}, want...)
		h.sim.Advance(time.Second)
	}
	h.rec.take()
	list, err := h.d.Recent(ctx, hubEnv, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids(list), ",") != strings.Join(want, ",") {
		t.Errorf("recent %v\nwant   %v", ids(list), want)
	}
	if ops := h.rec.take(); count(ops, "BatchGetDeployments") != 2 {
		t.Errorf("calls %v", ops)
	}
}

func TestRollbackOfAnOutsideDeploymentFindsThePreviousRevision(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	first, firstTD := h.deployOutside("ghcr.io/example/hub:2.1")
	h.advanceUntil(hubEnv, first, time.Minute, 30*time.Minute, func(s *switchyard.Observation) bool { return s.Status.Done() })
	h.sim.Advance(time.Minute)
	second, _ := h.deployOutside("ghcr.io/example/hub:2.2")
	h.sim.Advance(30 * time.Minute)

	// Neither description says what ran before: the previous successful
	// deployment's AppSpec does.
	res, err := h.d.Rollback(ctx, hubEnv, switchyard.Deployment{ID: second}, switchyard.Actor{User: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != switchyard.Redeployed || res.Plan.Deploy != firstTD || res.Plan.ImageNext != "ghcr.io/example/hub:2.1" {
		t.Errorf("result %+v plan %+v", res, res.Plan)
	}

	// The first deployment of a group has nothing before it.
	h2 := newHarness(t)
	only, _ := h2.deployOutside("ghcr.io/example/hub:2.1")
	h2.sim.Advance(30 * time.Minute)
	_, err = h2.d.Rollback(ctx, hubEnv, switchyard.Deployment{ID: only}, switchyard.Actor{User: "carol"})
	if se := errorCode(t, err, switchyard.ECONFLICT); !strings.Contains(se.Message, "Cannot tell which task definition ran before") {
		t.Errorf("message %q", se.Message)
	}
}

func ids(list []*switchyard.Observation) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.ID)
	}
	return out
}
