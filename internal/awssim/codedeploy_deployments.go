package awssim

import (
	"crypto/rand"
	"regexp"
	"slices"
	"time"
)

// CodeDeploy deployments: creating, reading, listing, stopping and
// continuing them. The engine plays them.

// cdDeployment is one deployment and its single ECS target.
type cdDeployment struct {
	seq          int64
	id           string
	app          *cdApp
	group        *cdGroup
	config       *cdConfig
	creator      string // user | codeDeployRollback
	description  string
	revision     *cdRevision
	prevRevision *cdRevision
	autoRollback autoRollbackConfig
	// overrideAlarms replaces the group's alarm configuration when given.
	overrideAlarms *alarmConfig
	status         string
	createTime     time.Time
	startTime      time.Time
	completeTime   time.Time
	errInfo        *errorInformation
	rollback       rollbackInfo
	termWait       bool // instanceTerminationWaitTimeStarted

	// The target: the group's one ECS service.
	svc          *ecsService
	cluster      string
	targetStatus string
	updated      time.Time
	events       []*lifecycleEvent
	spec         *appSpec
	blue, green  *ecsTaskSet
	blueTG       string
	greenTG      string

	// Engine state.
	phase          phase
	due            time.Time // when the engine next steps it
	cur            int       // index of the current lifecycle event
	steps          []trafficStep
	step           int
	readyContinued bool
	fault          *hookFault
	isRollback     bool
}

type phase int

const (
	phaseCreated  phase = iota // waiting to start
	phaseEvent                 // playing events[cur]
	phaseReady                 // Ready: waiting for ContinueDeployment(READY_WAIT)
	phaseTermWait              // target Succeeded, blue kept until the wait ends
	phaseDone
)

var deploymentStatuses = []string{"Created", "Queued", "InProgress", "Baking", "Succeeded", "Failed", "Stopped", "Ready"}

type createDeploymentInput struct {
	ApplicationName            string              `json:"applicationName"`
	DeploymentGroupName        string              `json:"deploymentGroupName"`
	DeploymentConfigName       string              `json:"deploymentConfigName"`
	Description                string              `json:"description"`
	Revision                   *revisionLocation   `json:"revision"`
	AutoRollbackConfiguration  *autoRollbackConfig `json:"autoRollbackConfiguration"`
	OverrideAlarmConfiguration *alarmConfig        `json:"overrideAlarmConfiguration"`
}

// maxDescription is the longest description accepted (unconfirmed: AWS
// documents DescriptionTooLongException without the limit).
const maxDescription = 256

func (s *Sim) cdCreateDeployment(req *request) (any, error) {
	var in createDeploymentInput
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	g, err := s.groupLocked(in.ApplicationName, in.DeploymentGroupName)
	if err != nil {
		return nil, err
	}
	if len(in.Description) > maxDescription {
		return nil, errf("DescriptionTooLongException", "The description is too long.")
	}
	cfgName := in.DeploymentConfigName
	if cfgName == "" {
		cfgName = g.configName
	}
	cfg, err := s.configLocked(cfgName)
	if err != nil {
		return nil, err
	}
	if err := validAutoRollback(in.AutoRollbackConfiguration); err != nil {
		return nil, err
	}
	if in.Revision == nil {
		return nil, errf("RevisionRequiredException", "Revision must be specified.")
	}
	svc := s.ecs.service(g.ecsServices[0].ClusterName, g.ecsServices[0].ServiceName)
	if svc == nil {
		return nil, errf("InvalidECSServiceException", "The ECS service %s in cluster %s does not exist.", g.ecsServices[0].ServiceName, g.ecsServices[0].ClusterName)
	}
	rev, err := s.resolveRevision(g.app, in.Revision)
	if err != nil {
		return nil, err
	}
	if err := s.checkAppSpec(rev.spec, svc); err != nil {
		return nil, err
	}
	if g.current != nil {
		return nil, errf("DeploymentLimitExceededException", "The Deployment Group '%s' already has an active Deployment '%s'", g.name, g.current.id)
	}
	now := s.clock.Now()
	d := s.newDeploymentLocked(g, cfg, rev, svc, now)
	d.creator = "user"
	d.description = in.Description
	d.autoRollback = g.autoRollback
	if in.AutoRollbackConfiguration != nil {
		d.autoRollback = *in.AutoRollbackConfiguration
	}
	d.overrideAlarms = in.OverrideAlarmConfiguration
	if f, ok := s.codedeploy.failNext[g.app.name]; ok {
		d.fault = &f
		delete(s.codedeploy.failNext, g.app.name)
	}
	d.events = s.plannedEvents(d)
	return map[string]string{"deploymentId": d.id}, nil
}

// newDeploymentLocked records a deployment in Created; the engine starts it
// a second later.
func (s *Sim) newDeploymentLocked(g *cdGroup, cfg *cdConfig, rev *cdRevision, svc *ecsService, now time.Time) *cdDeployment {
	s.codedeploy.seq++
	id := newDeploymentID()
	for s.codedeploy.deployments[id] != nil {
		id = newDeploymentID()
	}
	d := &cdDeployment{
		seq: s.codedeploy.seq, id: id, app: g.app, group: g, config: cfg, revision: rev,
		status: "Created", createTime: now, svc: svc, cluster: g.ecsServices[0].ClusterName,
		targetStatus: "Pending", updated: now, spec: rev.spec, phase: phaseCreated, due: now.Add(startDelay),
	}
	if last := g.lastSuccess; last != nil {
		d.prevRevision = last.revision
	}
	rev.lastUsed = now
	if rev.firstUsed.IsZero() {
		rev.firstUsed = now
	}
	if !slices.Contains(rev.groups, g.name) {
		rev.groups = append(rev.groups, g.name)
	}
	s.codedeploy.deployments[id] = d
	s.codedeploy.order = append(s.codedeploy.order, d)
	s.codedeploy.active = append(s.codedeploy.active, d)
	g.current = d
	g.lastAttempt = d
	return d
}

// newDeploymentID returns "d-" and nine upper-case letters or digits.
func newDeploymentID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [9]byte
	_, _ = rand.Read(b[:])
	out := []byte("d-")
	for _, c := range b {
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out)
}

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

// info renders GetDeployment's deploymentInfo; the AppSpec content is
// never included (only its sha256), as in AWS.
func (d *cdDeployment) info() deploymentInfoOut {
	out := deploymentInfoOut{
		ApplicationName: d.app.name, DeploymentGroupName: d.group.name, DeploymentConfigName: d.config.name,
		DeploymentID: d.id, Status: d.status, Creator: d.creator, Description: d.description,
		CreateTime: epochPtr(d.createTime), StartTime: epochPtr(d.startTime), CompleteTime: epochPtr(d.completeTime),
		ComputePlatform: "ECS", DeploymentStyle: d.group.style, ErrorInformation: d.errInfo,
		Revision: withoutContent(&d.revision.location), OverrideAlarmConfiguration: d.overrideAlarms,
		InstanceTerminationWaitTimeStarted: d.termWait, DeploymentStatusMessages: []string{},
	}
	if d.prevRevision != nil {
		out.PreviousRevision = withoutContent(&d.prevRevision.location)
	}
	if d.rollback != (rollbackInfo{}) {
		rb := d.rollback
		out.RollbackInfo = &rb
	}
	ar := d.autoRollback
	out.AutoRollbackConfiguration = &ar
	bg := d.group.blueGreen
	out.BlueGreenDeploymentConfiguration = &bg
	lb := d.group.lb
	out.LoadBalancerInfo = &lb
	switch d.targetStatus {
	case "Pending":
		out.DeploymentOverview.Pending = 1
	case "InProgress":
		out.DeploymentOverview.InProgress = 1
	case "Succeeded":
		out.DeploymentOverview.Succeeded = 1
	case "Failed":
		out.DeploymentOverview.Failed = 1
	case "Skipped":
		out.DeploymentOverview.Skipped = 1
	case "Ready":
		out.DeploymentOverview.Ready = 1
	}
	return out
}

type errorInformation struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type rollbackInfo struct {
	RollbackDeploymentID           string `json:"rollbackDeploymentId,omitempty"`
	RollbackMessage                string `json:"rollbackMessage,omitempty"`
	RollbackTriggeringDeploymentID string `json:"rollbackTriggeringDeploymentId,omitempty"`
}

type deploymentOverview struct {
	Pending    int `json:"Pending"`
	InProgress int `json:"InProgress"`
	Succeeded  int `json:"Succeeded"`
	Failed     int `json:"Failed"`
	Skipped    int `json:"Skipped"`
	Ready      int `json:"Ready"`
}

type deploymentInfoOut struct {
	ApplicationName                    string              `json:"applicationName"`
	DeploymentGroupName                string              `json:"deploymentGroupName"`
	DeploymentConfigName               string              `json:"deploymentConfigName"`
	DeploymentID                       string              `json:"deploymentId"`
	Status                             string              `json:"status"`
	Creator                            string              `json:"creator"`
	Description                        string              `json:"description,omitempty"`
	CreateTime                         *epoch              `json:"createTime,omitempty"`
	StartTime                          *epoch              `json:"startTime,omitempty"`
	CompleteTime                       *epoch              `json:"completeTime,omitempty"`
	ComputePlatform                    string              `json:"computePlatform"`
	DeploymentOverview                 deploymentOverview  `json:"deploymentOverview"`
	DeploymentStyle                    deploymentStyle     `json:"deploymentStyle"`
	ErrorInformation                   *errorInformation   `json:"errorInformation,omitempty"`
	RollbackInfo                       *rollbackInfo       `json:"rollbackInfo,omitempty"`
	Revision                           *revisionLocation   `json:"revision,omitempty"`
	PreviousRevision                   *revisionLocation   `json:"previousRevision,omitempty"`
	AutoRollbackConfiguration          *autoRollbackConfig `json:"autoRollbackConfiguration,omitempty"`
	OverrideAlarmConfiguration         *alarmConfig        `json:"overrideAlarmConfiguration,omitempty"`
	BlueGreenDeploymentConfiguration   *blueGreenConfig    `json:"blueGreenDeploymentConfiguration,omitempty"`
	LoadBalancerInfo                   *loadBalancerInfo   `json:"loadBalancerInfo,omitempty"`
	InstanceTerminationWaitTimeStarted bool                `json:"instanceTerminationWaitTimeStarted"`
	DeploymentStatusMessages           []string            `json:"deploymentStatusMessages"`
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
	w, ok := waits[d.phase]
	if !ok || w.waitType() != in.DeploymentWaitType {
		return nil, errf("DeploymentIsNotInReadyStateException", "The deployment %s is not in a ready state for wait type %s.", d.id, in.DeploymentWaitType)
	}
	w.proceed(s, d, s.clock.Now())
	return nil, nil
}
