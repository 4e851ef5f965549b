package awssim

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"
)

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

// lifecycleEvent is one lifecycle event of the target.
type lifecycleEvent struct {
	name       string
	start, end time.Time
	status     string // Pending | InProgress | Succeeded | Failed | Skipped
	diag       *diagnostics
	hookFn     string // the AppSpec's Lambda for this stage, if any
	hookExecID string
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

// plannedEvents lists the target's lifecycle events, all Pending. Without a
// test listener the test traffic events are absent.
func (s *Sim) plannedEvents(d *cdDeployment) []*lifecycleEvent {
	names := []string{"BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}
	if d.isRollback {
		names = []string{"BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}
	} else if !hasTestListener(d.group) {
		names = slices.DeleteFunc(names, func(n string) bool { return n == "AllowTestTraffic" || n == "AfterAllowTestTraffic" })
	}
	evs := make([]*lifecycleEvent, len(names))
	for i, n := range names {
		evs[i] = &lifecycleEvent{name: n, status: "Pending"}
		if !d.isRollback {
			evs[i].hookFn = d.spec.hooks[n]
		}
	}
	return evs
}

func hasTestListener(g *cdGroup) bool {
	l := g.lb.TargetGroupPairInfoList
	return len(l) > 0 && l[0].TestTrafficRoute != nil && len(l[0].TestTrafficRoute.ListenerArns) > 0
}

// resolveRevision parses the revision and registers it with the application.
func (s *Sim) resolveRevision(app *cdApp, loc *revisionLocation) (*cdRevision, error) {
	var content string
	var out revisionLocation
	switch loc.RevisionType {
	case "AppSpecContent":
		if loc.AppSpecContent == nil || loc.AppSpecContent.Content == nil || *loc.AppSpecContent.Content == "" {
			return nil, invalidRevision("The AppSpecContent revision has no content.")
		}
		content = *loc.AppSpecContent.Content
		sum := sha256Hex(content)
		if loc.AppSpecContent.Sha256 != "" && loc.AppSpecContent.Sha256 != sum {
			return nil, invalidRevision("The sha256 of the AppSpec content does not match the content.")
		}
		out = revisionLocation{RevisionType: "AppSpecContent", AppSpecContent: &appSpecContent{Content: &content, Sha256: sum}}
	case "S3":
		l := loc.S3Location
		if l == nil || l.Bucket == "" || l.Key == "" {
			return nil, invalidRevision("The S3 revision needs a bucket and a key.")
		}
		if l.BundleType != "YAML" && l.BundleType != "JSON" {
			return nil, invalidRevision("The bundle type of an ECS AppSpec in S3 must be YAML or JSON, not %q.", l.BundleType)
		}
		c, ok := s.codedeploy.s3[l.Bucket+"/"+l.Key]
		if !ok {
			return nil, invalidRevision("The revision s3://%s/%s cannot be read: the object does not exist.", l.Bucket, l.Key)
		}
		content = c
		cp := *l
		out = revisionLocation{RevisionType: "S3", S3Location: &cp}
	default:
		return nil, invalidRevision("The revision type %q is not supported for an ECS deployment; use AppSpecContent or S3.", loc.RevisionType)
	}
	spec, err := parseAppSpec(content)
	if err != nil {
		return nil, err
	}
	key := revisionKey(&out)
	if r := app.revisions[key]; r != nil && r.content == content {
		return r, nil
	}
	r := &cdRevision{location: out, content: content, spec: spec, registered: s.clock.Now()}
	app.revisions[key] = r
	return r, nil
}

// revisionKey identifies a revision within an application.
func revisionKey(l *revisionLocation) string {
	switch {
	case l.AppSpecContent != nil:
		if l.AppSpecContent.Sha256 != "" {
			return "sha256:" + l.AppSpecContent.Sha256
		}
		if l.AppSpecContent.Content != nil {
			return "sha256:" + sha256Hex(*l.AppSpecContent.Content)
		}
	case l.S3Location != nil:
		return "s3:" + l.S3Location.Bucket + "/" + l.S3Location.Key + "@" + l.S3Location.Version
	}
	return ""
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
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

func withoutContent(l *revisionLocation) *revisionLocation {
	cp := *l
	if l.AppSpecContent != nil {
		cp.AppSpecContent = &appSpecContent{Sha256: l.AppSpecContent.Sha256}
	}
	return &cp
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

func (d *cdDeployment) targetID() string {
	return d.cluster + ":" + d.svc.name
}
