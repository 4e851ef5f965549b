package awssim

import (
	"slices"
	"time"
)

// CodeDeploy deployment targets: a deployment's one ECS service, with its
// lifecycle events and task sets.

// lifecycleEvent is one lifecycle event of the target.
type lifecycleEvent struct {
	name       string
	start, end time.Time
	status     string // Pending | InProgress | Succeeded | Failed | Skipped
	diag       *diagnostics
	hookFn     string // the AppSpec's Lambda for this stage, if any
	hookExecID string
	// How the engine plays it: its stage, and whether the ready wait comes
	// first (see lifecycle).
	stage          stage
	afterReadyWait bool
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

func (d *cdDeployment) targetID() string {
	return d.cluster + ":" + d.svc.name
}

// target renders the deployment's ECS target.
func (s *Sim) target(d *cdDeployment) deploymentTargetOut {
	t := &ecsTargetOut{
		DeploymentID: d.id, TargetID: d.targetID(), Status: d.targetStatus, LastUpdatedAt: epochPtr(d.updated),
		TargetArn:       d.svc.arn,
		LifecycleEvents: make([]lifecycleEventOut, 0, len(d.events)),
		TaskSetsInfo:    []ecsTaskSetOut{},
	}
	for _, e := range d.events {
		t.LifecycleEvents = append(t.LifecycleEvents, lifecycleEventOut{
			LifecycleEventName: e.name, StartTime: epochPtr(e.start), EndTime: epochPtr(e.end), Status: e.status, Diagnostics: e.diag,
		})
	}
	add := func(ts *ecsTaskSet, label, tg string) {
		if ts == nil || !slices.Contains(d.svc.taskSets, ts) {
			return
		}
		o := ecsTaskSetOut{
			Identifer: ts.id, DesiredCount: ts.desired, PendingCount: ts.pending, RunningCount: ts.running,
			Status: ts.status, TrafficWeight: ts.trafficWeight, TaskSetLabel: label,
		}
		if tg != "" {
			o.TargetGroup = &nameRef{Name: tg}
		}
		t.TaskSetsInfo = append(t.TaskSetsInfo, o)
	}
	add(d.blue, "Blue", d.blueTG)
	add(d.green, "Green", d.greenTG)
	return deploymentTargetOut{DeploymentTargetType: "ECSTarget", EcsTarget: t}
}

type diagnostics struct {
	ErrorCode  string `json:"errorCode,omitempty"`
	ScriptName string `json:"scriptName,omitempty"`
	Message    string `json:"message,omitempty"`
	LogTail    string `json:"logTail,omitempty"`
}

type lifecycleEventOut struct {
	LifecycleEventName string       `json:"lifecycleEventName"`
	StartTime          *epoch       `json:"startTime,omitempty"`
	EndTime            *epoch       `json:"endTime,omitempty"`
	Status             string       `json:"status"`
	Diagnostics        *diagnostics `json:"diagnostics,omitempty"`
}

type ecsTaskSetOut struct {
	Identifer     string   `json:"identifer"` // sic: the SDK's spelling
	DesiredCount  int      `json:"desiredCount"`
	PendingCount  int      `json:"pendingCount"`
	RunningCount  int      `json:"runningCount"`
	Status        string   `json:"status"`
	TrafficWeight float64  `json:"trafficWeight"`
	TargetGroup   *nameRef `json:"targetGroup,omitempty"`
	TaskSetLabel  string   `json:"taskSetLabel"`
}

type ecsTargetOut struct {
	DeploymentID    string              `json:"deploymentId"`
	TargetID        string              `json:"targetId"`
	TargetArn       string              `json:"targetArn"`
	LastUpdatedAt   *epoch              `json:"lastUpdatedAt,omitempty"`
	Status          string              `json:"status"`
	LifecycleEvents []lifecycleEventOut `json:"lifecycleEvents"`
	TaskSetsInfo    []ecsTaskSetOut     `json:"taskSetsInfo"`
}

type deploymentTargetOut struct {
	DeploymentTargetType string        `json:"deploymentTargetType"`
	EcsTarget            *ecsTargetOut `json:"ecsTarget,omitempty"`
}
