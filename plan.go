package switchyard

import (
	"strings"
	"time"
)

// PlanOptions are the optional inputs of planning a deployment.
type PlanOptions struct {
	// App is the app's name for descriptions and messages; default the
	// service name.
	App string
	// Config overrides the deployment config of the environment and group.
	Config string
}

// Plan is what a deployment will do, read from AWS without changing
// anything: plain data, with no words for people (internal/blocks writes
// those). It is kept with a deploy request and handed to the deployer's
// Start later, so that Confirm starts exactly what people saw.
type Plan struct {
	// Backend is who will run the deployment, as the service's deployment
	// controller said when planned; Start refuses if it changed since.
	Backend Backend     `json:"backend,omitempty"`
	App     string      `json:"app"`
	Env     Environment `json:"env"`
	Version string      `json:"version"` // the tag, or a short digest

	ServiceARN string `json:"service_arn"`
	// TaskDefinition is the ARN the service runs now; Start refuses if the
	// service moved on since.
	TaskDefinition string `json:"task_definition"`
	// Container is the container whose image changes.
	Container string `json:"container"`
	// LBContainer and LBPort are the AppSpec's LoadBalancerInfo; when the
	// configuration named another container or port, ConfiguredLB says
	// which (the AppSpec follows the service).
	LBContainer  string `json:"lb_container"`
	LBPort       int    `json:"lb_port"`
	ConfiguredLB string `json:"configured_lb,omitempty"`

	ImageNow  string     `json:"image_now"`
	ImageNext string     `json:"image_next"`
	Image     ImageCheck `json:"image_check"`

	Config      string       `json:"config"`
	Traffic     TrafficShape `json:"traffic_shape"`
	ReadyWait   ReadyWait    `json:"ready_wait"`
	Termination Termination  `json:"termination"`
	Alarms      []Alarm      `json:"alarms,omitempty"`
	// AlarmsUnread is true when CloudWatch could not be asked for the
	// alarm states, which then read AlarmUnknown.
	AlarmsUnread bool         `json:"alarms_unread,omitempty"`
	AutoRollback AutoRollback `json:"auto_rollback"`
	TestTraffic  bool         `json:"test_traffic"`
	// Hooks maps a lifecycle event to the Lambda function it runs.
	Hooks map[string]string `json:"hooks,omitempty"`
	// Strategy is how ECS deploys the service (BackendECS only; Config is
	// then its type, and the CodeDeploy fields above are empty).
	Strategy *Strategy `json:"strategy,omitempty"`

	// AlreadyRunning is true when the service already runs ImageNext.
	AlreadyRunning bool `json:"already_running"`
	// ActiveDeployment is a deployment of the group still in progress when
	// the plan was made; Start will be refused while it runs.
	ActiveDeployment string `json:"active_deployment,omitempty"`

	// Deploy, when set, is a task definition to deploy as it is instead of
	// registering a clone (a rollback to the previous revision).
	Deploy string `json:"deploy,omitempty"`
	// RollbackOf is the deployment this plan undoes.
	RollbackOf string `json:"rollback_of,omitempty"`

	PlannedAt time.Time `json:"planned_at"`
}

// ImageCheck is what was learnt about the next image before anything was
// registered.
type ImageCheck struct {
	// ECR is true for an image in a private ECR registry, which is looked
	// up; Checked is true when ECR confirmed it exists.
	ECR        bool      `json:"ecr"`
	Checked    bool      `json:"checked"`
	Repository string    `json:"repository,omitempty"`
	Digest     string    `json:"digest,omitempty"`
	Pushed     time.Time `json:"pushed,omitzero"`
	// TagUnchecked is the tag of a reference that also names a digest
	// outside ECR: it could not be checked against the digest, so the
	// version is named by the digest, which is what runs.
	TagUnchecked string `json:"tag_unchecked,omitempty"`
}

// Traffic routing kinds, as CodeDeploy names them.
const (
	RoutingAllAtOnce = "AllAtOnce"
	RoutingLinear    = "TimeBasedLinear"
	RoutingCanary    = "TimeBasedCanary"
)

// TrafficShape is how a deployment config moves production traffic: all at
// once, Percent more every IntervalMinutes (linear), or Percent first and
// the rest after IntervalMinutes (canary).
type TrafficShape struct {
	Type            string `json:"type"`
	Percent         int    `json:"percent,omitempty"`
	IntervalMinutes int    `json:"interval_minutes,omitempty"`
}

// ReadyWait is what happens between green being ready and production
// traffic moving to it.
type ReadyWait struct {
	// Manual means traffic moves only when someone continues the deployment
	// (Shift traffic now), within Minutes, else it stops.
	Manual  bool `json:"manual"`
	Minutes int  `json:"minutes,omitempty"`
}

// Termination is what happens to blue after a successful deployment.
type Termination struct {
	// Terminate is false when the group keeps blue alive (KEEP_ALIVE).
	Terminate bool `json:"terminate"`
	// WaitMinutes is how long blue is kept, ready for a rollback, before it
	// is deleted.
	WaitMinutes int `json:"wait_minutes"`
}

// AutoRollback is the group's automatic rollback setting.
type AutoRollback struct {
	Enabled bool     `json:"enabled"`
	Events  []string `json:"events,omitempty"` // DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST
}

// Firing lists the watched alarms that are in ALARM now: a deployment would
// stop at once.
func (p *Plan) Firing() []string {
	var out []string
	for _, a := range p.Alarms {
		if a.State == AlarmFiring {
			out = append(out, a.Name)
		}
	}
	return out
}

// HookWithoutTestTraffic reports whether the plan names an
// AfterAllowTestTraffic hook that will not run, because the group has no
// test listener.
func (p *Plan) HookWithoutTestTraffic() bool {
	_, ok := p.Hooks[AfterAllowTestTraffic]
	return ok && !p.TestTraffic
}

// RepositoryChange returns the image repositories the service runs from
// now and would run from after the deployment, and whether they differ:
// a full image reference may name another registry or repository than
// the one running, which a tag alone does not show.
func (p *Plan) RepositoryChange() (from, to string, changed bool) {
	from, to = ParseImage(p.ImageNow).Repo, ParseImage(p.ImageNext).Repo
	return from, to, from != to
}

// FamilyChange returns the task definition family the service runs now
// and the one the plan deploys, and whether they differ: a rollback that
// redeploys a revision of another family deploys another app's settings.
func (p *Plan) FamilyChange() (from, to string, changed bool) {
	if p.Deploy == "" {
		return Family(p.TaskDefinition), Family(p.TaskDefinition), false
	}
	from, to = Family(p.TaskDefinition), Family(p.Deploy)
	return from, to, from != to
}

// Family is the family of a task definition ARN or family:revision.
func Family(taskDef string) string {
	if i := strings.LastIndexByte(taskDef, '/'); i >= 0 {
		taskDef = taskDef[i+1:]
	}
	name, _, _ := strings.Cut(taskDef, ":")
	return name
}
