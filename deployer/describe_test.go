package deployer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

func TestDescribeFollowsADeploymentThroughItsStages(t *testing.T) {
	h := newHarness(t)
	_, id := h.deploy(webEnv, "v1.4")

	// Before Install starts there is no target yet: no stages, no error.
	st := h.describe(webEnv, id)
	if st.Status != switchyard.StatusCreated || len(st.Stages) != 0 || !st.BlueAlive || (st.Waiting == switchyard.WaitTermination) {
		t.Errorf("fresh deployment: %+v", st)
	}
	if st.RequestID != testRequest || st.Creator != "user" {
		t.Errorf("who: %+v", st)
	}
	if st.ImageBefore != ecrWeb+":v1.3" || st.ImageAfter != ecrWeb+":v1.4" || st.TaskDefinition != "web:2" || st.Previous != "web:1" {
		t.Errorf("images %s → %s, task definitions %s → %s", st.ImageBefore, st.ImageAfter, st.Previous, st.TaskDefinition)
	}

	st = h.advanceUntil(webEnv, id, time.Second, time.Minute, func(s *switchyard.Observation) bool {
		ev, ok := stage(s, switchyard.Install)
		return ok && ev.Status == switchyard.StageInProgress && s.Green != nil
	})
	if st.Status != switchyard.StatusInProgress || st.Blue == nil || st.Blue.Running != 3 || st.Blue.Weight != 100 || st.Green.Weight != 0 || st.Green.Desired != 3 {
		t.Errorf("during Install: %+v blue %+v green %+v", st, st.Blue, st.Green)
	}

	st = h.advanceUntil(webEnv, id, 5*time.Second, 5*time.Minute, func(s *switchyard.Observation) bool {
		ev, ok := stage(s, switchyard.AllowTraffic)
		return ok && ev.Status == switchyard.StageInProgress
	})
	if st.Traffic != (switchyard.Traffic{Blue: 90, Green: 10}) || st.Green.Running != 3 {
		t.Errorf("canary traffic %+v green %+v", st.Traffic, st.Green)
	}
	// The canary's next step, all traffic, comes five minutes after the
	// shift began: the card names that time.
	if allow, _ := stage(st, switchyard.AllowTraffic); st.Next != (switchyard.Next{Kind: switchyard.NextTrafficStep,
		At: allow.Start.Add(5 * time.Minute), Percent: 100}) {
		t.Errorf("next = %+v, AllowTraffic started %v", st.Next, allow.Start)
	}
	var names []string
	for _, s := range st.Stages {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != strings.Join(switchyard.LifecycleOrder(), ",") {
		t.Errorf("stages %v", names)
	}
	hook, _ := stage(st, switchyard.BeforeAllowTraffic)
	if hook.Status != switchyard.StageSucceeded || hook.Duration(time.Time{}) != 5*time.Second {
		t.Errorf("hook stage %+v", hook)
	}
	// Polling a deployment the bot started costs two calls.
	h.rec.take()
	h.describe(webEnv, id)
	if ops := h.rec.take(); len(ops) != 2 {
		t.Errorf("Describe made %d calls: %v", len(ops), ops)
	}

	st = h.advanceUntil(webEnv, id, 30*time.Second, 10*time.Minute, func(s *switchyard.Observation) bool { return s.Waiting == switchyard.WaitTermination })
	if after, _ := stage(st, switchyard.AfterAllowTraffic); st.Next != (switchyard.Next{Kind: switchyard.NextBlueRemoved, At: after.End.Add(5 * time.Minute)}) {
		t.Errorf("in the termination wait next = %+v, AfterAllowTraffic ended %v", st.Next, after.End)
	}
	if st.Status != switchyard.StatusInProgress || st.TargetStatus != "Succeeded" || st.Traffic != (switchyard.Traffic{Blue: 0, Green: 100}) || !st.BlueAlive {
		t.Errorf("termination wait: %+v traffic %+v", st, st.Traffic)
	}
	for _, s := range st.Stages {
		if s.Status != switchyard.StageSucceeded || s.Start.IsZero() || s.End.IsZero() {
			t.Errorf("stage %+v", s)
		}
	}

	st = h.advanceUntil(webEnv, id, 30*time.Second, 10*time.Minute, func(s *switchyard.Observation) bool { return s.Status.Done() })
	if st.Status != switchyard.StatusSucceeded || st.BlueAlive || (st.Waiting == switchyard.WaitTermination) || st.Completed.IsZero() || st.ErrorCode != "" {
		t.Errorf("done: %+v", st)
	}

	// Who asked is the bot's to know, not the description's: Apply keeps
	// what the record has and adds nothing of the kind.
	var rec, outside switchyard.Deployment
	rec.ConfirmedBy, rec.RequestedBy = "bob", "alice"
	st.Apply(&rec)
	if st.Apply(&outside); outside.RequestedBy != "" || outside.ConfirmedBy != "" {
		t.Errorf("Apply took who asked from AWS: %+v", outside)
	}
	if rec.ID != id || rec.Status != switchyard.StatusSucceeded || rec.ConfirmedBy != "bob" || rec.RequestedBy != "alice" ||
		rec.ImageAfter != ecrWeb+":v1.4" || rec.Version != "v1.4" || len(rec.Stages) != 8 {
		t.Errorf("applied: %+v", rec)
	}
}

func TestDescribeFailureShowsDiagnosticsAndRollbackLinks(t *testing.T) {
	h := newHarness(t)
	h.sim.FailNextDeployment("web", switchyard.BeforeAllowTraffic, "smoke test: GET /health answered 503")
	_, id := h.deploy(webEnv, "v1.4")
	st := h.advanceUntil(webEnv, id, 5*time.Second, 10*time.Minute, func(s *switchyard.Observation) bool { return s.Status.Done() })
	if st.Status != switchyard.StatusFailed || st.ErrorCode != "HOOK_EXECUTION_FAILURE" || st.RollbackID == "" {
		t.Fatalf("failed deployment: %+v", st)
	}
	ev, _ := stage(st, switchyard.BeforeAllowTraffic)
	if ev.Status != switchyard.StageFailed || !strings.Contains(ev.Diagnostic, "GET /health answered 503") {
		t.Errorf("failed stage %+v", ev)
	}
	rb := h.describe(webEnv, st.RollbackID)
	if rb.RollbackOf != id || rb.Creator != "codeDeployRollback" || rb.RequestID != "" {
		t.Errorf("rollback deployment %+v", rb)
	}
}

func TestDescribeRefusesBadIDs(t *testing.T) {
	h := newHarness(t)
	_, err := h.d.Describe(context.Background(), webEnv, "d-123")
	errorCode(t, err, switchyard.EINVALID)
	_, err = h.d.Describe(context.Background(), webEnv, "d-AAAAAAAAA")
	errorCode(t, err, switchyard.ENOTFOUND)
}
