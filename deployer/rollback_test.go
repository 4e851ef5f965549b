package deployer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/switchyard/switchyard"
)

// serviceTaskDefinition is the family:revision the service runs now.
func (h *harness) serviceTaskDefinition(service string) string {
	h.t.Helper()
	out, err := h.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{
		Cluster: aws.String("prod"), Services: []string{service},
	})
	if err != nil || len(out.Services) != 1 {
		h.t.Fatalf("describe service %s: %v", service, err)
	}
	arn := aws.ToString(out.Services[0].TaskDefinition)
	return arn[strings.LastIndexByte(arn, '/')+1:]
}

// stopsWithRollback rolls back id and checks that CodeDeploy stopped it
// and put traffic back on blue.
func (h *harness) stopsWithRollback(env switchyard.Environment, id, blue string) {
	h.t.Helper()
	res, err := h.d.Rollback(context.Background(), env, switchyard.Deployment{ID: id}, switchyard.Actor{User: "bob"})
	if err != nil {
		h.t.Fatal(err)
	}
	if res.Kind != switchyard.StoppedWithRollback || res.NewDeploymentID == "" {
		h.t.Fatalf("rollback result %+v", res)
	}
	st := h.describe(env, id)
	if st.Status != switchyard.StatusStopped || st.ErrorCode != "MANUAL_STOP" || st.RollbackID != res.NewDeploymentID {
		h.t.Errorf("stopped deployment %+v", st)
	}
	rb := h.advanceUntil(env, res.NewDeploymentID, 10*time.Second, 10*time.Minute, func(s *switchyard.Observation) bool { return s.Status.Done() })
	if rb.Status != switchyard.StatusSucceeded || rb.RollbackOf != id {
		h.t.Errorf("rollback deployment %+v", rb)
	}
	if got := h.serviceTaskDefinition(env.Service); got != blue {
		h.t.Errorf("service runs %s after the rollback, want %s", got, blue)
	}
}

func TestRollbackBeforeInstallJustStops(t *testing.T) {
	h := newHarness(t)
	_, id := h.deploy(webEnv, "v1.4")
	res, err := h.d.Rollback(context.Background(), webEnv, switchyard.Deployment{ID: id}, switchyard.Actor{User: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	// Green never existed, so there is no rollback deployment: stopping is
	// the whole rollback.
	if res.Kind != switchyard.StoppedWithRollback || res.NewDeploymentID != "" {
		t.Errorf("result %+v", res)
	}
	if st := h.describe(webEnv, id); st.Status != switchyard.StatusStopped || h.serviceTaskDefinition("web") != "web:1" {
		t.Errorf("stopped: %+v", st)
	}
}

func TestRollbackWhileInstalling(t *testing.T) {
	h := newHarness(t)
	_, id := h.deploy(webEnv, "v1.4")
	h.advanceUntil(webEnv, id, time.Second, time.Minute, func(s *switchyard.Observation) bool { return s.Green != nil })
	h.stopsWithRollback(webEnv, id, "web:1")
}

func TestRollbackDuringTheTrafficShift(t *testing.T) {
	h := newHarness(t)
	_, id := h.deploy(webEnv, "v1.4")
	h.advanceUntil(webEnv, id, 5*time.Second, 5*time.Minute, func(s *switchyard.Observation) bool { return s.Traffic.Green == 10 })
	h.stopsWithRollback(webEnv, id, "web:1")
}

func TestRollbackInTheReadyWait(t *testing.T) {
	h := newHarness(t)
	_, id := h.deploy(apiEnv, "1.1")
	h.advanceUntil(apiEnv, id, 10*time.Second, 5*time.Minute, func(s *switchyard.Observation) bool { return s.Status == switchyard.StatusReady })
	h.stopsWithRollback(apiEnv, id, "api:1")
}

func TestRollbackInTheTerminationWait(t *testing.T) {
	h := newHarness(t)
	_, id := h.deploy(webEnv, "v1.4")
	st := h.advanceUntil(webEnv, id, 30*time.Second, 10*time.Minute, func(s *switchyard.Observation) bool { return s.Waiting == switchyard.WaitTermination })
	if st.Traffic.Green != 100 {
		t.Fatalf("traffic %+v", st.Traffic)
	}
	h.stopsWithRollback(webEnv, id, "web:1")
}

func TestRollbackAfterSuccessRedeploysThePreviousRevision(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	plan, id := h.deploy(webEnv, "v1.4")
	h.advanceUntil(webEnv, id, time.Minute, 20*time.Minute, func(s *switchyard.Observation) bool { return s.Status.Done() })
	if got := h.serviceTaskDefinition("web"); got != "web:2" {
		t.Fatalf("service runs %s", got)
	}
	// The bot's record of the deployment says what ran before it, as the
	// plan read it from the service.
	target := switchyard.Deployment{ID: id, PreviousTaskDefinition: plan.TaskDefinition}
	h.rec.take()
	res, err := h.d.Rollback(ctx, webEnv, target, switchyard.Actor{User: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != switchyard.Redeployed || res.NewDeploymentID == "" || res.Plan.RollbackOf != id ||
		res.Plan.ImageNext != ecrWeb+":v1.3" || res.Plan.ImageNow != ecrWeb+":v1.4" {
		t.Fatalf("result %+v plan %+v", res, res.Plan)
	}
	if ops := h.rec.take(); count(ops, "RegisterTaskDefinition") != 0 {
		t.Errorf("a rollback deploys the old revision as it is, without registering: %v", ops)
	}
	st := h.describe(webEnv, res.NewDeploymentID)
	if st.TaskDefinition != "web:1" || st.Previous != "web:2" || st.Config != "CodeDeployDefault.ECSAllAtOnce" ||
		!strings.HasPrefix(st.Description, "Rolled back by bob: web to v1.3, undoing "+id) {
		t.Errorf("redeployment %+v", st)
	}
	// The redeployment as the bot records it is a rollback: while it runs
	// nobody can undo it, which would bring v1.4 back.
	redeploy := switchyard.Deployment{ID: res.NewDeploymentID, RollbackOf: id}
	_, err = h.d.Rollback(ctx, webEnv, redeploy, switchyard.Actor{User: "carol"})
	if se := errorCode(t, err, switchyard.ECONFLICT); se.Message != res.NewDeploymentID+" is already rolling back "+id+"; let it finish." {
		t.Errorf("message %q", se.Message)
	}
	// Nor can the deployment it undoes be rolled back a second time.
	_, err = h.d.Rollback(ctx, webEnv, target, switchyard.Actor{User: "carol"})
	var busy *switchyard.BusyError
	if errorCode(t, err, switchyard.ECONFLICT); !errors.As(err, &busy) || busy.Active != res.NewDeploymentID {
		t.Errorf("second rollback of %s: %v", id, err)
	}
	if got := h.serviceTaskDefinition("web"); got != "web:2" {
		t.Fatalf("the refused rollbacks moved the service to %s", got)
	}
	st = h.advanceUntil(webEnv, res.NewDeploymentID, time.Minute, 20*time.Minute, func(s *switchyard.Observation) bool { return s.Status.Done() })
	if st.Status != switchyard.StatusSucceeded || h.serviceTaskDefinition("web") != "web:1" {
		t.Errorf("after the redeployment: %s, service runs %s", st.Status, h.serviceTaskDefinition("web"))
	}
	_, err = h.d.Rollback(ctx, webEnv, redeploy, switchyard.Actor{User: "carol"})
	if se := errorCode(t, err, switchyard.ECONFLICT); !strings.Contains(se.Message, "already rolled back "+id+". Nothing to do") {
		t.Errorf("message %q", se.Message)
	}
	// The first deployment is no longer the latest: rolling it back again
	// would undo the rollback.
	_, err = h.d.Rollback(ctx, webEnv, target, switchyard.Actor{User: "bob"})
	if se := errorCode(t, err, switchyard.ECONFLICT); !strings.Contains(se.Message, "is not the latest one") {
		t.Errorf("message %q", se.Message)
	}
}

func TestRollbackRefusesWhenNothingCanBeRolledBack(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	// A failure CodeDeploy already rolled back.
	h.sim.FailNextDeployment("web", switchyard.AfterInstall, "")
	_, id := h.deploy(webEnv, "v1.4")
	st := h.advanceUntil(webEnv, id, 5*time.Second, 10*time.Minute, func(s *switchyard.Observation) bool { return s.Status.Done() })
	_, err := h.d.Rollback(ctx, webEnv, switchyard.Deployment{ID: id}, switchyard.Actor{User: "bob"})
	if se := errorCode(t, err, switchyard.ECONFLICT); se.Message != "CodeDeploy already put the previous version back: "+st.RollbackID+" rolled back "+id+" when it failed. Nothing to do." {
		t.Errorf("message %q", se.Message)
	}
	// CodeDeploy's rollback itself, while it runs and after: what CodeDeploy
	// says of it is enough, with no record of the bot's.
	_, err = h.d.Rollback(ctx, webEnv, switchyard.Deployment{ID: st.RollbackID}, switchyard.Actor{User: "bob"})
	if se := errorCode(t, err, switchyard.ECONFLICT); se.Message != st.RollbackID+" is already rolling back "+id+"; let it finish." {
		t.Errorf("message %q", se.Message)
	}
	h.advanceUntil(webEnv, st.RollbackID, 10*time.Second, 10*time.Minute, func(s *switchyard.Observation) bool { return s.Status.Done() })
	_, err = h.d.Rollback(ctx, webEnv, switchyard.Deployment{ID: st.RollbackID}, switchyard.Actor{User: "bob"})
	if se := errorCode(t, err, switchyard.ECONFLICT); se.Message != "CodeDeploy already put the previous version back: "+st.RollbackID+" rolled back "+id+". Nothing to do." {
		t.Errorf("message %q", se.Message)
	}

	// A deployment stopped without rollback before green took over.
	_, id = h.deploy(webEnv, "v1.5")
	if _, err := h.cd.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	_, err = h.d.Rollback(ctx, webEnv, switchyard.Deployment{ID: id}, switchyard.Actor{User: "bob"})
	if se := errorCode(t, err, switchyard.ECONFLICT); !strings.Contains(se.Message, "nothing to roll back") {
		t.Errorf("message %q", se.Message)
	}

	// Another app's deployment.
	_, err = h.d.Rollback(ctx, apiEnv, switchyard.Deployment{ID: id}, switchyard.Actor{User: "bob"})
	errorCode(t, err, switchyard.EINVALID)
}

func TestContinueEndsTheWaits(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, id := h.deploy(apiEnv, "1.1")
	err := h.d.Continue(ctx, apiEnv, id, switchyard.WaitReady, switchyard.Actor{User: "alice"})
	if se := errorCode(t, err, switchyard.ECONFLICT); se.Message != "Deployment "+id+" is not waiting for traffic to be shifted." {
		t.Errorf("message %q", se.Message)
	}
	h.advanceUntil(apiEnv, id, 10*time.Second, 5*time.Minute, func(s *switchyard.Observation) bool { return s.Status == switchyard.StatusReady })
	if err := h.d.Continue(ctx, apiEnv, id, switchyard.WaitReady, switchyard.Actor{User: "alice"}); err != nil {
		t.Fatal(err)
	}
	st := h.advanceUntil(apiEnv, id, 5*time.Second, 5*time.Minute, func(s *switchyard.Observation) bool { return s.Waiting == switchyard.WaitTermination })
	if st.Traffic.Green != 100 {
		t.Errorf("traffic %+v", st.Traffic)
	}
	if err := h.d.Continue(ctx, apiEnv, id, switchyard.WaitTermination, switchyard.Actor{User: "alice"}); err != nil {
		t.Fatal(err)
	}
	if st = h.describe(apiEnv, id); st.Status != switchyard.StatusSucceeded {
		t.Errorf("after ending the termination wait: %s", st.Status)
	}
	err = h.d.Continue(ctx, apiEnv, id, switchyard.WaitTermination, switchyard.Actor{User: "alice"})
	if se := errorCode(t, err, switchyard.ECONFLICT); se.Message != "Deployment "+id+" has already finished." {
		t.Errorf("message %q", se.Message)
	}
	errorCode(t, h.d.Continue(ctx, apiEnv, id, "NOW", switchyard.Actor{User: "alice"}), switchyard.EINVALID)
}
