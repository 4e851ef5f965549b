package awssim

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"
)

// Lifecycle hooks of service deployments. No Lambda runs here: a Lambda
// hook succeeds hookDelay after its stage starts, unless a fault armed with
// FailNextServiceDeployment makes it fail. A pause hook waits for
// ContinueServiceDeployment or its timeout. Each execution has its own
// hookId, so a pause at PRE_PRODUCTION_TRAFFIC_SHIFT has a new one at every
// production step.

// hookRun is one execution of a hook at one stage.
type hookRun struct {
	id        string
	hook      *LifecycleHook
	stage     string // the hook stage, PRE_PRODUCTION_TRAFFIC_SHIFT included
	status    string // IN_PROGRESS | AWAITING_ACTION | SUCCEEDED | FAILED | TIMED_OUT
	doneAt    time.Time
	expiresAt time.Time
}

const (
	hookInProgress = "IN_PROGRESS"
	hookAwaiting   = "AWAITING_ACTION"
	hookSucceeded  = "SUCCEEDED"
	hookFailed     = "FAILED"
	hookTimedOut   = "TIMED_OUT"
)

func (r *hookRun) pending() bool { return r.status == hookInProgress || r.status == hookAwaiting }

// newHookID is like AWS's pause hook ids (ecs-pause-e7tK9G_WRJ…, 43
// characters after the prefix); Lambda executions get ecs-lambda-….
func newHookID(targetType string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	prefix := "ecs-lambda-"
	if targetType == hookPause {
		prefix = "ecs-pause-"
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// sdStartHooksLocked starts the executions of the hooks the row runs and
// announces each on the event bus.
func (s *Sim) sdStartHooksLocked(d *svcDeployment, mv *move, at time.Time) []*hookRun {
	if mv.kind != mvHooks || mv.hooks == hooksNone {
		return nil
	}
	var runs []*hookRun
	for _, h := range d.config.hooksAt(mv.hookStage) {
		if mv.hooks == hooksLambdaOnly && h.TargetType != hookLambda {
			continue
		}
		r := &hookRun{id: newHookID(h.TargetType), hook: h, stage: mv.hookStage,
			expiresAt: at.Add(time.Duration(*h.TimeoutConfiguration.TimeoutInMinutes) * time.Minute)}
		event := "HOOK_AWAITING_ACTION"
		if h.TargetType == hookLambda {
			r.status, r.doneAt, event = hookInProgress, at.Add(hookDelay), "HOOK_IN_PROGRESS"
		} else {
			r.status = hookAwaiting
		}
		runs = append(runs, r)
		d.allHooks[r.id] = r
		s.emitHookEvent(d, r, event)
	}
	return runs
}

// sdSettleHooksLocked moves on when no execution of the current row is
// pending (nor a fault waiting to strike), and otherwise sets d.due to the
// first moment one of them can end.
func (s *Sim) sdSettleHooksLocked(d *svcDeployment, mv *move, at time.Time) {
	var next time.Time
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, r := range d.moveRuns {
		switch r.status {
		case hookInProgress:
			later(r.doneAt)
		case hookAwaiting:
			later(r.expiresAt)
		}
	}
	if d.faultHere(mv) {
		later(d.moveAt.Add(hookDelay))
	}
	if next.IsZero() {
		s.sdNextLocked(d, at)
		return
	}
	d.due = next
}

// sdHooksDueLocked ends the executions whose time has come: a Lambda hook
// succeeds, a pause hook times out. A timeout whose action is ROLLBACK turns
// the deployment back; it reports whether that happened.
func (s *Sim) sdHooksDueLocked(d *svcDeployment, at time.Time) bool {
	for _, r := range d.moveRuns {
		switch {
		case r.status == hookInProgress && !at.Before(r.doneAt):
			s.endHookLocked(d, r, hookSucceeded, at)
		case r.status == hookAwaiting && !at.Before(r.expiresAt):
			s.endHookLocked(d, r, hookTimedOut, at)
			if r.hook.TimeoutConfiguration.Action == actRollback {
				s.sdRollbackLocked(d, at, fmt.Sprintf("The pause hook %s at %s timed out after %d minutes; its timeout action is ROLLBACK.",
					r.id, r.stage, *r.hook.TimeoutConfiguration.TimeoutInMinutes), true)
				return true
			}
		}
	}
	return false
}

// sdHookFaultLocked makes the armed fault strike: the row's first Lambda
// hook (or, without one, the stage itself) fails, and the deployment rolls
// back.
func (s *Sim) sdHookFaultLocked(d *svcDeployment, mv *move, at time.Time) {
	reason := fmt.Sprintf("The %s lifecycle stage failed: %s", mv.hookStage, d.fault.message)
	for _, r := range d.moveRuns {
		if r.hook.TargetType == hookLambda && r.status == hookInProgress {
			s.endHookLocked(d, r, hookFailed, at)
			reason = fmt.Sprintf("The lifecycle hook %s failed at %s: %s", r.hook.HookTargetArn, mv.hookStage, d.fault.message)
			break
		}
	}
	s.sdRollbackLocked(d, at, reason, true)
}

// endHookLocked records an execution's outcome and announces it.
func (s *Sim) endHookLocked(d *svcDeployment, r *hookRun, status string, at time.Time) {
	r.status, r.doneAt, d.updatedAt = status, at, at
	s.emitHookEvent(d, r, "HOOK_"+status)
}

// abandonHooksLocked ends the executions still pending when the deployment
// turns back or is superseded: they count as FAILED, and a pause hook can
// no longer be continued.
func (s *Sim) abandonHooksLocked(d *svcDeployment, at time.Time) {
	for _, r := range d.moveRuns {
		if r.pending() {
			s.endHookLocked(d, r, hookFailed, at)
		}
	}
}

func (s *Sim) ecsContinueServiceDeployment(req *request) (any, error) {
	var in struct {
		ServiceDeploymentArn string `json:"serviceDeploymentArn"`
		HookID               string `json:"hookId"`
		Action               string `json:"action"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if in.HookID == "" {
		return nil, errECSParam("hookId must be specified.")
	}
	if in.Action == "" {
		in.Action = actContinue
	}
	if in.Action != actContinue && in.Action != actRollback {
		return nil, errECSParam("Invalid action %q: use CONTINUE or ROLLBACK.", in.Action)
	}
	d, err := s.serviceDeploymentLocked(in.ServiceDeploymentArn)
	if err != nil {
		return nil, err
	}
	r := d.allHooks[in.HookID]
	if r == nil || r.hook.TargetType != hookPause {
		return nil, errECSParam("The hook ID %s does not identify a pause hook of service deployment %s.", in.HookID, d.arn)
	}
	if r.status != hookAwaiting {
		return nil, errECSParam("The pause hook %s is not awaiting action: its status is %s.", in.HookID, r.status)
	}
	now := s.clock.Now()
	if in.Action == actRollback {
		s.endHookLocked(d, r, hookFailed, now)
		s.sdRollbackLocked(d, now, fmt.Sprintf("The pause hook %s at %s was continued with ROLLBACK.", r.id, r.stage), false)
	} else {
		s.endHookLocked(d, r, hookSucceeded, now)
		s.sdSettleHooksLocked(d, &d.plan[d.cur], now)
	}
	return map[string]string{"serviceDeploymentArn": d.arn}, nil
}
