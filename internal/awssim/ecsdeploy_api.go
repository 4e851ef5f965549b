package awssim

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// The service deployment operations: ListServiceDeployments,
// DescribeServiceDeployments, DescribeServiceRevisions and
// StopServiceDeployment (ContinueServiceDeployment is with the hooks).
// Each runs with s.mu held, the clock caught up (registerServiceDeployments).

// serviceDeploymentLocked finds a deployment for Stop and Continue.
func (s *Sim) serviceDeploymentLocked(arn string) (*svcDeployment, error) {
	if arn == "" {
		return nil, errECSParam("serviceDeploymentArn must be specified.")
	}
	if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":service-deployment/") {
		return nil, errECSParam("Invalid serviceDeploymentArn %q: not a service deployment ARN.", arn)
	}
	d := s.ecs.native.byArn[arn]
	if d == nil {
		return nil, errf("ServiceDeploymentNotFoundException", "The service deployment %s does not exist.", arn)
	}
	return d, nil
}

func (s *Sim) ecsListServiceDeployments(req *request) (any, error) {
	var in struct {
		Service   string   `json:"service"`
		Cluster   string   `json:"cluster"`
		Status    []string `json:"status"`
		CreatedAt *struct {
			Before *float64 `json:"before"`
			After  *float64 `json:"after"`
		} `json:"createdAt"`
		NextToken  string `json:"nextToken"`
		MaxResults *int   `json:"maxResults"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if in.Service == "" {
		return nil, errECSParam("service must be specified.")
	}
	limit := 20
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 100 {
			return nil, errECSParam("maxResults must be between 1 and 100.")
		}
		limit = *in.MaxResults
	}
	for _, st := range in.Status {
		if !slices.Contains(ecsDeploymentStatuses, st) {
			return nil, errECSParam("Invalid status %q.", st)
		}
	}
	svc, aerr := s.ecs.clusterService(in.Cluster, in.Service)
	if aerr != nil {
		return nil, aerr
	}
	// Newest first (AWS does not document the order).
	briefs := []map[string]any{}
	if svc.native != nil {
		for _, d := range slices.Backward(svc.native.deployments) {
			if (len(in.Status) > 0 && !slices.Contains(in.Status, d.status)) || !createdIn(d.createdAt, in.CreatedAt) {
				continue
			}
			briefs = append(briefs, s.renderDeploymentBrief(d))
		}
	}
	page, next, ok := offsetPage(briefs, in.NextToken, limit, 20)
	if !ok {
		return nil, errECSParam("Invalid nextToken.")
	}
	return withToken(map[string]any{"serviceDeployments": page}, "nextToken", next), nil
}

// createdIn applies ListServiceDeployments' createdAt filter (epoch
// seconds, both ends exclusive).
func createdIn(t time.Time, f *struct {
	Before *float64 `json:"before"`
	After  *float64 `json:"after"`
}) bool {
	if f == nil {
		return true
	}
	secs := float64(t.UnixNano()) / 1e9
	return (f.Before == nil || secs < *f.Before) && (f.After == nil || secs > *f.After)
}

func (s *Sim) ecsDescribeServiceDeployments(req *request) (any, error) {
	return describeArns(req, "serviceDeploymentArns", "serviceDeployments", func(arn string) map[string]any {
		if d := s.ecs.native.byArn[arn]; d != nil {
			return s.renderServiceDeployment(d)
		}
		return nil
	})
}

func (s *Sim) ecsDescribeServiceRevisions(req *request) (any, error) {
	return describeArns(req, "serviceRevisionArns", "serviceRevisions", func(arn string) map[string]any {
		if rev := s.ecs.native.revisions[arn]; rev != nil {
			return s.renderServiceRevision(rev)
		}
		return nil
	})
}

// describeArns answers a Describe call of 1 to 20 ARNs in the request
// member named member: what render makes of each under outKey, and a
// MISSING failure for each it knows nothing of.
func describeArns(req *request, member, outKey string, render func(arn string) map[string]any) (any, error) {
	var in map[string]json.RawMessage
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	var arns []string
	if raw, ok := in[member]; ok && json.Unmarshal(raw, &arns) != nil {
		return nil, errSerialization("cannot parse request: " + member + " must be a list of strings")
	}
	if len(arns) == 0 || len(arns) > 20 {
		return nil, errECSParam("%s must have between 1 and 20 items.", member)
	}
	out := []map[string]any{}
	failures := []ecsFailure{}
	for _, arn := range arns {
		if m := render(arn); m != nil {
			out = append(out, m)
		} else {
			failures = append(failures, ecsFailure{Arn: arn, Reason: "MISSING"})
		}
	}
	return map[string]any{outKey: out, "failures": failures}, nil
}

// ecsStopServiceDeployment stops a deployment. ROLLBACK (the default, the
// only type AWS documents) rolls back; ABORT stops without hooks (the
// simulator's reading, see the package doc). A deployment already turning
// back keeps doing what it does. One that has completed, or is in CLEAN_UP
// (the source revision's tasks are stopping, nothing left to return to), is
// refused with ConflictException.
func (s *Sim) ecsStopServiceDeployment(req *request) (any, error) {
	var in struct {
		ServiceDeploymentArn string `json:"serviceDeploymentArn"`
		StopType             string `json:"stopType"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if in.StopType == "" {
		in.StopType = actRollback
	}
	if in.StopType != actRollback && in.StopType != "ABORT" {
		return nil, errECSParam("Invalid stopType %q: use ROLLBACK or ABORT.", in.StopType)
	}
	d, err := s.serviceDeploymentLocked(in.ServiceDeploymentArn)
	if err != nil {
		return nil, err
	}
	switch {
	case d.terminal():
		return nil, errConflict(d.arn, "The service deployment %s has already completed with status %s.", d.arn, d.status)
	case d.mode == modeForward && d.stage == stCleanUp:
		return nil, errConflict(d.arn, "The service deployment %s is in CLEAN_UP: the source revision is being stopped and it can no longer be rolled back.", d.arn)
	case d.mode != modeForward:
		// ROLLBACK_REQUESTED/_IN_PROGRESS and STOP_REQUESTED carry on.
	case in.StopType == "ABORT":
		s.sdStopLocked(d, s.clock.Now(), "Service deployment stopped by StopServiceDeployment (ABORT).")
	default:
		s.sdRollbackLocked(d, s.clock.Now(), "Service deployment rolled back by StopServiceDeployment (ROLLBACK).", false)
	}
	return map[string]string{"serviceDeploymentArn": d.arn}, nil
}

// errConflict is ECS's ConflictException, which names the resources in
// conflict in resourceIds.
func errConflict(arn, format string, args ...any) *apiError {
	e := errf("ConflictException", format, args...)
	e.Fields = map[string]any{"resourceIds": []string{arn}}
	return e
}
