// Package switchyard holds the domain of the deployment bot: apps and their
// environments, deployments with their lifecycle stages and traffic split,
// and the error kinds every layer shares. It depends on the standard library
// only, so every other package can import it without pulling in Slack or AWS.
package switchyard

import (
	"slices"
	"time"
)

// Status is the state of a CodeDeploy deployment as CodeDeploy names it.
type Status string

// Deployment statuses, spelled as CodeDeploy's GetDeployment reports them.
const (
	StatusCreated    Status = "Created"
	StatusQueued     Status = "Queued"
	StatusInProgress Status = "InProgress"
	StatusBaking     Status = "Baking"
	StatusReady      Status = "Ready"
	StatusSucceeded  Status = "Succeeded"
	StatusFailed     Status = "Failed"
	StatusStopped    Status = "Stopped"
)

// Done reports whether the status is final: nothing will change afterwards.
func (s Status) Done() bool {
	switch s {
	case StatusSucceeded, StatusFailed, StatusStopped, StatusRolledBack, StatusRollbackFailed:
		return true
	}
	return false
}

// StageStatus is the state of one lifecycle event of a deployment target.
type StageStatus string

// Lifecycle event statuses, spelled as CodeDeploy reports them.
const (
	StagePending    StageStatus = "Pending"
	StageInProgress StageStatus = "InProgress"
	StageSucceeded  StageStatus = "Succeeded"
	StageFailed     StageStatus = "Failed"
	StageSkipped    StageStatus = "Skipped"
	StageUnknown    StageStatus = "Unknown"
)

// Lifecycle event names of an ECS blue/green deployment, in the order
// CodeDeploy runs them. AllowTestTraffic and AfterAllowTestTraffic appear only
// when the deployment group has a test listener.
const (
	BeforeInstall         = "BeforeInstall"
	Install               = "Install"
	AfterInstall          = "AfterInstall"
	AllowTestTraffic      = "AllowTestTraffic"
	AfterAllowTestTraffic = "AfterAllowTestTraffic"
	BeforeAllowTraffic    = "BeforeAllowTraffic"
	AllowTraffic          = "AllowTraffic"
	AfterAllowTraffic     = "AfterAllowTraffic"
)

// LifecycleOrder lists every ECS lifecycle event name in execution order.
// Each call returns a new slice, so no caller can change another's.
func LifecycleOrder() []string {
	return []string{
		BeforeInstall, Install, AfterInstall, AllowTestTraffic, AfterAllowTestTraffic,
		BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic,
	}
}

// HookStages lists the lifecycle events that run AppSpec hooks, in
// execution order; the others are CodeDeploy's own work. Each call returns
// a new slice, so no caller can change another's.
func HookStages() []string {
	return []string{BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic, AfterAllowTraffic}
}

// IsHookStage reports whether name is a lifecycle event that runs an AppSpec hook.
func IsHookStage(name string) bool {
	return slices.Contains(HookStages(), name)
}

// Stage is one lifecycle event of a deployment as last observed.
type Stage struct {
	Name   string
	Status StageStatus
	Start  time.Time
	End    time.Time
	// Diagnostic is the hook's or CodeDeploy's explanation of a failure.
	Diagnostic string

	// The rest is for ECS-native deployments, whose stage names repeat
	// (see ID). Percent is the share of production traffic a production
	// step moves the new version to, as ECS requested it; BakeMinutes is
	// how long a bake stage waits; Back marks a stage of the way back (a
	// rollback or a stop).
	Percent     float64 `json:",omitempty"`
	BakeMinutes int     `json:",omitempty"`
	Back        bool    `json:",omitempty"`
}

// Duration is how long the stage ran, or has been running as of now.
func (s Stage) Duration(now time.Time) time.Duration {
	switch {
	case s.Start.IsZero():
		return 0
	case s.End.IsZero():
		return now.Sub(s.Start)
	default:
		return s.End.Sub(s.Start)
	}
}

// Traffic is the production traffic split between the blue (old) and green
// (new) task sets, in percent.
type Traffic struct {
	Blue  float64
	Green float64
}

// App is one deployable service as configured.
type App struct {
	Name    string
	Aliases []string
	// Environments maps an environment name (for example "production") to
	// where and how that environment deploys.
	Environments map[string]Environment
	// DefaultEnv is the environment used when a command names none.
	DefaultEnv string
}

// Environment is an app in one place: an ECS service, behind one CodeDeploy
// deployment group (Application, DeploymentGroup) when CodeDeploy deploys
// it, or deployed by ECS itself, which needs neither.
type Environment struct {
	Name             string
	Region           string
	Cluster          string
	Service          string
	Container        string
	ContainerPort    int
	Application      string
	DeploymentGroup  string
	DeploymentConfig string
	// Hooks maps a hook lifecycle event to the Lambda function name or ARN
	// that CodeDeploy invokes for it.
	Hooks    map[string]string
	Channels []string
	// RequireApproval means a second authorised person must approve before
	// a deployment starts.
	RequireApproval bool

	// App is the name of the app the environment belongs to.
	App string
	// RoleARN is the IAM role the bot assumes to act in this environment,
	// which names its account; "" means the bot's own credentials.
	// ExternalID goes with it when the role's trust policy asks for one.
	RoleARN    string
	ExternalID string
}

// Deployment is what the bot knows of one deployment: a CodeDeploy
// deployment (ID d-…) or an ECS service deployment (ID its ARN).
type Deployment struct {
	ID string
	// Backend is who runs it; CodeDeploy when zero.
	Backend     Backend
	App         string
	Env         string
	Version     string
	ImageBefore string
	ImageAfter  string
	Config      string
	Status      Status
	Stages      []Stage
	Traffic     Traffic
	RequestedBy string
	ConfirmedBy string
	// RolledBackBy is the Slack user who asked for a rollback, if any.
	RolledBackBy string
	// RollbackID is the deployment CodeDeploy started to roll this one back.
	RollbackID string
	// RollbackOf is the deployment this one rolls back.
	RollbackOf string
	ErrorCode  string
	ErrorText  string
	Created    time.Time
	Completed  time.Time

	// Region is where the deployment runs, for the console link.
	Region string
	// Creator is CodeDeploy's creator: "user" for the bot and anyone else's
	// API call, "codeDeployRollback" for a rollback CodeDeploy started.
	Creator string
	// Waiting says what the deployment is waiting for, if anything; Pause
	// is the pause hook of an ECS deployment that waits (WaitPause).
	Waiting Wait
	Pause   PauseHook
	// BlueAlive is true while the blue task set still exists, so that a
	// stop with rollback can still send traffic back to it.
	BlueAlive bool
	// Alarms are the CloudWatch alarms the deployment group watches.
	Alarms []Alarm

	// TaskDefinition is what the deployment deploys and
	// PreviousTaskDefinition what the service ran before (family:revision
	// or ARN), as the bot planned them or AWS showed them (the task sets
	// of a running deployment); never read from a description, which
	// anyone who may create deployments can write. A rollback redeploys
	// PreviousTaskDefinition.
	TaskDefinition         string
	PreviousTaskDefinition string

	// Reason is why the requester deployed, as they typed it.
	Reason string
	// Next is what happens next without anyone's click, and when: the
	// next traffic step, the end of a wait. Zero when nothing is due.
	Next Next
	// FreezeOverride is why the deployment went ahead during a freeze, as
	// the person who asked gave it; "" for one outside any freeze.
	FreezeOverride string
}

// NextKind says what comes next in a deployment by itself.
type NextKind string

// Next kinds.
const (
	NextNone         NextKind = ""
	NextTrafficStep  NextKind = "traffic-step"  // Percent of traffic moves to green at At
	NextReadyTimeout NextKind = "ready-timeout" // the ready wait ends at At, stopping the deployment
	NextBlueRemoved  NextKind = "blue-removed"  // the termination wait ends at At: blue is removed, no instant rollback after
)

// Next is what happens next in a deployment without anyone's click.
type Next struct {
	Kind    NextKind  `json:"kind,omitempty"`
	At      time.Time `json:"at,omitzero"`
	Percent float64   `json:"percent,omitempty"`
}

// Wait is a pause in a blue/green deployment that a person can end early.
type Wait string

// Waits.
const (
	WaitNone        Wait = ""
	WaitReady       Wait = "ready"       // green is up; traffic waits for the go-ahead (Shift traffic now)
	WaitTermination Wait = "termination" // traffic is on green; blue is kept until the wait ends (Finish now)
)

// Alarm is a CloudWatch alarm a deployment watches, and its state.
type Alarm struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// Alarm states: CloudWatch's three, and two of the bot's own for an alarm it
// could not read and one the group names but CloudWatch lacks.
const (
	AlarmOK           = "OK"
	AlarmFiring       = "ALARM"
	AlarmInsufficient = "INSUFFICIENT_DATA"
	AlarmUnknown      = "unknown"
	AlarmMissing      = "missing"
)

// Actor is who a write to AWS is made for: the Slack user who confirmed,
// approved or clicked, the channel it happened in, and the deploy request
// it carries out. The deployer names them in what it writes (the
// description), so that a deployment can be traced to its request, and in
// an environment with a role it acts as them: the user is the session's
// source identity, the user and team its tags.
type Actor struct {
	User    string // Slack user ID (U…, W…)
	Channel string // Slack channel ID
	Request string // the deploy request's id, "" when there is none
	Team    string // Slack team (workspace) ID (T…), "" when unknown
}

// RollbackKind says how a rollback was done.
type RollbackKind string

// Rollback kinds.
const (
	// StoppedWithRollback: the deployment was still running (blue alive),
	// so it was stopped and traffic went back to blue.
	StoppedWithRollback RollbackKind = "stopped-with-rollback"
	// Redeployed: the deployment had succeeded and blue was gone, so the
	// previous task definition revision was deployed anew.
	Redeployed RollbackKind = "redeployed"
	// NeedsConfirmation: the previous revision belongs to another task
	// definition family or image repository than what runs now, so
	// nothing was started; Plan is what would be deployed, for a person
	// to confirm.
	NeedsConfirmation RollbackKind = "needs-confirmation"
)

// RollbackResult is the outcome of a rollback.
type RollbackResult struct {
	Kind RollbackKind `json:"kind"`
	// NewDeploymentID is the deployment that carries the rollback. After a
	// stop CodeDeploy creates it shortly after; it may be empty then, and
	// the stopped deployment's RollbackID shows it later.
	NewDeploymentID string `json:"new_deployment_id,omitempty"`
	// Plan is the redeployment's plan (Redeployed, NeedsConfirmation).
	Plan *Plan `json:"plan,omitempty"`
}

// CanRollback reports whether the deployment is still in flight with blue
// alive, so that one click sends traffic back to it. After success, a
// rollback is a new deployment of the previous revision (/deploy rollback).
// A rollback itself never can: stopping it would bring back the version it
// withdraws.
func (d *Deployment) CanRollback() bool {
	return !d.Status.Done() && d.BlueAlive && !d.IsRollback()
}

// IsRollback reports whether the deployment puts a previous version back:
// the bot's redeployment or CodeDeploy's own rollback.
func (d *Deployment) IsRollback() bool {
	return d.RollbackOf != "" || d.Creator == CreatorRollback
}

// CreatorRollback is CodeDeploy's creator of a rollback deployment it
// started itself.
const CreatorRollback = "codeDeployRollback"
