package awssim

import (
	"regexp"
	"slices"
	"time"
)

// CodeDeploy operations on deployments and their targets.

var deploymentIDPattern = regexp.MustCompile(`^d-[A-Z0-9]{9}$`)

// deploymentLocked finds a deployment, with AWS's errors for a missing,
// malformed or unknown id.
func (s *Sim) deploymentLocked(id string) (*cdDeployment, error) {
	if id == "" {
		return nil, errf("DeploymentIdRequiredException", "Deployment id must be specified.")
	}
	if !deploymentIDPattern.MatchString(id) {
		return nil, errf("InvalidDeploymentIdException", "Specified DeploymentId is not in the valid format: %s", id)
	}
	d := s.codedeploy.deployments[id]
	if d == nil {
		return nil, errf("DeploymentDoesNotExistException", "The deployment %s could not be found.", id)
	}
	return d, nil
}

func (s *Sim) cdGetDeployment(req *request) (any, error) {
	var in struct {
		DeploymentID string `json:"deploymentId"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	d, err := s.deploymentLocked(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deploymentInfo": d.info()}, nil
}

func (s *Sim) cdBatchGetDeployments(req *request) (any, error) {
	var in struct {
		DeploymentIDs []string `json:"deploymentIds"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if len(in.DeploymentIDs) == 0 {
		return nil, errf("DeploymentIdRequiredException", "Deployment ids must be specified.")
	}
	if len(in.DeploymentIDs) > 25 {
		return nil, errf("BatchLimitExceededException", "The maximum number of deployment IDs you can specify is 25.")
	}
	out := []deploymentInfoOut{}
	for _, id := range in.DeploymentIDs {
		d, err := s.deploymentLocked(id)
		if err != nil {
			if ae := asAPIError(err); ae.Code == "DeploymentDoesNotExistException" {
				continue // unknown ids are left out, not an error
			}
			return nil, err
		}
		out = append(out, d.info())
	}
	return map[string]any{"deploymentsInfo": out}, nil
}

func (s *Sim) cdListDeployments(req *request) (any, error) {
	var in struct {
		ApplicationName     string   `json:"applicationName"`
		DeploymentGroupName string   `json:"deploymentGroupName"`
		IncludeOnlyStatuses []string `json:"includeOnlyStatuses"`
		CreateTimeRange     *struct {
			Start *float64 `json:"start"`
			End   *float64 `json:"end"`
		} `json:"createTimeRange"`
		NextToken string `json:"nextToken"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	var app *cdApp
	var group *cdGroup
	if in.ApplicationName != "" {
		a, err := s.appLocked(in.ApplicationName)
		if err != nil {
			return nil, err
		}
		app = a
	}
	if in.DeploymentGroupName != "" {
		if app == nil {
			return nil, errf("ApplicationNameRequiredException", "Application name must be specified with a deployment group name.")
		}
		g, err := s.groupLocked(app.name, in.DeploymentGroupName)
		if err != nil {
			return nil, err
		}
		group = g
	}
	for _, st := range in.IncludeOnlyStatuses {
		if !slices.Contains(deploymentStatuses, st) {
			return nil, errf("InvalidDeploymentStatusException", "Invalid deployment status: %s", st)
		}
	}
	var from, to time.Time
	if r := in.CreateTimeRange; r != nil {
		if r.Start != nil {
			from = fromEpoch(*r.Start)
		}
		if r.End != nil {
			to = fromEpoch(*r.End)
		}
		if !from.IsZero() && !to.IsZero() && to.Before(from) {
			return nil, errf("InvalidTimeRangeException", "The specified time range is invalid: start is after end.")
		}
	}
	ids := []string{}
	for i := len(s.codedeploy.order) - 1; i >= 0; i-- { // newest first
		d := s.codedeploy.order[i]
		switch {
		case app != nil && d.app != app, group != nil && d.group != group,
			len(in.IncludeOnlyStatuses) > 0 && !slices.Contains(in.IncludeOnlyStatuses, d.status),
			!from.IsZero() && d.createTime.Before(from), !to.IsZero() && d.createTime.After(to):
			continue
		}
		ids = append(ids, d.id)
	}
	page, next, err := pageOf(ids, in.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deployments": page, "nextToken": next}, nil
}

func fromEpoch(f float64) time.Time {
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
}

// startedLocked finds a deployment whose target exists (it has started).
func (s *Sim) startedLocked(id string) (*cdDeployment, error) {
	d, err := s.deploymentLocked(id)
	if err != nil {
		return nil, err
	}
	if d.status == "Created" || d.status == "Queued" {
		return nil, errf("DeploymentNotStartedException", "The deployment %s has not started.", id)
	}
	return d, nil
}

func (s *Sim) cdListDeploymentTargets(req *request) (any, error) {
	var in struct {
		DeploymentID string `json:"deploymentId"`
		NextToken    string `json:"nextToken"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	d, err := s.startedLocked(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf([]string{d.targetID()}, in.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"targetIds": page, "nextToken": next}, nil
}

func (s *Sim) cdGetDeploymentTarget(req *request) (any, error) {
	var in struct {
		DeploymentID string `json:"deploymentId"`
		TargetID     string `json:"targetId"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	d, err := s.startedLocked(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if in.TargetID == "" {
		return nil, errf("DeploymentTargetIdRequiredException", "A deployment target ID must be specified.")
	}
	if in.TargetID != d.targetID() {
		return nil, errf("DeploymentTargetDoesNotExistException", "The target %s does not exist in deployment %s.", in.TargetID, d.id)
	}
	return map[string]any{"deploymentTarget": s.target(d)}, nil
}

func (s *Sim) cdBatchGetDeploymentTargets(req *request) (any, error) {
	var in struct {
		DeploymentID string   `json:"deploymentId"`
		TargetIDs    []string `json:"targetIds"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	d, err := s.startedLocked(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if len(in.TargetIDs) == 0 {
		return nil, errf("DeploymentTargetIdRequiredException", "A deployment target ID must be specified.")
	}
	if len(in.TargetIDs) > 25 {
		return nil, errf("DeploymentTargetListSizeExceededException", "The maximum number of targets that can be associated with an Amazon ECS deployment was exceeded: 25.")
	}
	out := []deploymentTargetOut{}
	for _, id := range in.TargetIDs {
		if id != d.targetID() {
			return nil, errf("DeploymentTargetDoesNotExistException", "The target %s does not exist in deployment %s.", id, d.id)
		}
		out = append(out, s.target(d))
	}
	return map[string]any{"deploymentTargets": out}, nil
}

func (s *Sim) cdStopDeployment(req *request) (any, error) {
	var in struct {
		DeploymentID        string `json:"deploymentId"`
		AutoRollbackEnabled *bool  `json:"autoRollbackEnabled"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	d, err := s.deploymentLocked(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if d.phase == phaseDone {
		return nil, errf("DeploymentAlreadyCompletedException", "Deployment %s has already completed.", d.id)
	}
	rollback := d.rollsBackOn("DEPLOYMENT_STOP_ON_REQUEST")
	if in.AutoRollbackEnabled != nil {
		rollback = *in.AutoRollbackEnabled
	}
	rolled := s.stopLocked(d, s.clock.Now(), "MANUAL_STOP", "The deployment was stopped by a user.", rollback)
	if rolled {
		return map[string]string{"status": "Pending", "statusMessage": "Stopping deployment " + d.id + " and rolling back to the previous revision."}, nil
	}
	return map[string]string{"status": "Succeeded", "statusMessage": "Deployment " + d.id + " stopped."}, nil
}

func (s *Sim) cdContinueDeployment(req *request) (any, error) {
	var in struct {
		DeploymentID       string `json:"deploymentId"`
		DeploymentWaitType string `json:"deploymentWaitType"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	d, err := s.deploymentLocked(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if in.DeploymentWaitType == "" {
		in.DeploymentWaitType = "READY_WAIT"
	}
	if in.DeploymentWaitType != "READY_WAIT" && in.DeploymentWaitType != "TERMINATION_WAIT" {
		return nil, errf("InvalidDeploymentWaitTypeException", "The wait type %s is invalid.", in.DeploymentWaitType)
	}
	if d.phase == phaseDone {
		return nil, errf("DeploymentAlreadyCompletedException", "Deployment %s has already completed.", d.id)
	}
	now := s.clock.Now()
	switch {
	case in.DeploymentWaitType == "READY_WAIT" && d.phase == phaseReady:
		s.continueReadyLocked(d, now)
	case in.DeploymentWaitType == "TERMINATION_WAIT" && d.phase == phaseTermWait:
		s.terminateBlueLocked(d, now)
	default:
		return nil, errf("DeploymentIsNotInReadyStateException", "The deployment %s is not in a ready state for wait type %s.", d.id, in.DeploymentWaitType)
	}
	return nil, nil
}

func (s *Sim) cdPutLifecycleEventHookExecutionStatus(req *request) (any, error) {
	var in struct {
		DeploymentID                  string `json:"deploymentId"`
		LifecycleEventHookExecutionID string `json:"lifecycleEventHookExecutionId"`
		Status                        string `json:"status"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	d, err := s.deploymentLocked(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if in.Status != "Succeeded" && in.Status != "Failed" {
		return nil, errf("InvalidLifecycleEventHookExecutionStatusException", "The status %q is not valid: use Succeeded or Failed.", in.Status)
	}
	idx := slices.IndexFunc(d.events, func(e *lifecycleEvent) bool {
		return e.hookExecID != "" && e.hookExecID == in.LifecycleEventHookExecutionID
	})
	if idx < 0 {
		return nil, errf("InvalidLifecycleEventHookExecutionIdException", "The lifecycle event hook execution id %s is not valid for deployment %s.", in.LifecycleEventHookExecutionID, d.id)
	}
	ev := d.events[idx]
	if ev.status != "InProgress" || d.phase != phaseEvent || d.cur != idx {
		return nil, errf("LifecycleEventAlreadyCompletedException", "The lifecycle event %s has already completed.", ev.name)
	}
	now := s.clock.Now()
	if in.Status == "Failed" {
		s.failHookLocked(d, now, "The hook function "+ev.hookFn+" reported Failed.")
	} else {
		s.completeEventLocked(d, now)
	}
	return map[string]string{"lifecycleEventHookExecutionId": in.LifecycleEventHookExecutionID}, nil
}

func (s *Sim) cdGetApplicationRevision(req *request) (any, error) {
	var in struct {
		ApplicationName string            `json:"applicationName"`
		Revision        *revisionLocation `json:"revision"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	app, err := s.appLocked(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	if in.Revision == nil {
		return nil, errf("RevisionRequiredException", "Revision must be specified.")
	}
	if in.Revision.RevisionType != "AppSpecContent" && in.Revision.RevisionType != "S3" {
		return nil, invalidRevision("The revision type %q is not valid.", in.Revision.RevisionType)
	}
	r := app.revisions[revisionKey(in.Revision)]
	if r == nil {
		return nil, errf("RevisionDoesNotExistException", "No application revision found for the given revision in application %s.", app.name)
	}
	return map[string]any{
		"applicationName": app.name,
		"revision":        r.location,
		"revisionInfo": map[string]any{
			"deploymentGroups": r.groups, "registerTime": epochPtr(r.registered),
			"firstUsedTime": epochPtr(r.firstUsed), "lastUsedTime": epochPtr(r.lastUsed),
		},
	}, nil
}
