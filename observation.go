package switchyard

import "time"

// Observation is a deployment as AWS reports it now: what the deployer's
// Describe and Recent return. Apply turns it into the bot's Deployment; no
// other code copies observed fields.
type Observation struct {
	ID string `json:"id"`
	// Backend is who runs the deployment (CodeDeploy when zero).
	Backend         Backend `json:"backend,omitempty"`
	Application     string  `json:"application"`
	DeploymentGroup string  `json:"deployment_group"`
	Status          Status  `json:"status"`
	// Creator is who CodeDeploy says created it: user, codeDeployRollback,
	// autoscaling, CodeDeployAutoUpdate.
	Creator     string `json:"creator"`
	Description string `json:"description,omitempty"`
	// RequestID is the deploy request the description names, when it is in
	// the bot's shape. Anyone who may create deployments can write one, so
	// it is a hint to look up and verify in the store, never trusted alone.
	RequestID string `json:"request_id,omitempty"`
	Config    string `json:"config,omitempty"`
	Region    string `json:"region,omitempty"`

	// Stages are the lifecycle events in the order they run; empty before
	// the first starts.
	Stages       []Stage  `json:"stages,omitempty"`
	TargetStatus string   `json:"target_status,omitempty"`
	Traffic      Traffic  `json:"traffic"`
	Blue         *TaskSet `json:"blue,omitempty"`
	Green        *TaskSet `json:"green,omitempty"`
	// BlueAlive is true while the original task set still exists, so that
	// stopping the deployment rolls back at once.
	BlueAlive bool `json:"blue_alive"`
	// Waiting is the wait the deployment is in, if any; Pause the pause
	// hook that awaits action (WaitPause).
	Waiting Wait      `json:"waiting,omitempty"`
	Pause   PauseHook `json:"pause,omitzero"`
	// Alarms are the watched alarms with their states; nil when they were
	// not read with this observation (the record keeps the last ones).
	Alarms []Alarm `json:"alarms,omitempty"`
	// Next is what comes next by itself, and when.
	Next Next `json:"next,omitzero"`

	ErrorCode string `json:"error_code,omitempty"`
	ErrorText string `json:"error_text,omitempty"`
	// RollbackID is the deployment that rolls this one back; RollbackOf the
	// one this deployment rolls back, as AWS links them.
	RollbackID      string `json:"rollback_id,omitempty"`
	RollbackOf      string `json:"rollback_of,omitempty"`
	RollbackMessage string `json:"rollback_message,omitempty"`

	// TaskDefinition is what this deployment deploys (green), Previous what
	// ran before (blue), as family:revision, as AWS showed them (the task
	// sets while the deployment runs); empty when unknown.
	TaskDefinition string `json:"task_definition,omitempty"`
	Previous       string `json:"previous,omitempty"`
	ImageBefore    string `json:"image_before,omitempty"`
	ImageAfter     string `json:"image_after,omitempty"`

	Created   time.Time `json:"created,omitzero"`
	Started   time.Time `json:"started,omitzero"`
	Completed time.Time `json:"completed,omitzero"`
}

// TaskSet is one side of a blue/green deployment.
type TaskSet struct {
	ID          string  `json:"id"`
	Status      string  `json:"status"` // PRIMARY, ACTIVE, DRAINING
	Weight      float64 `json:"weight"`
	Desired     int64   `json:"desired"`
	Pending     int64   `json:"pending"`
	Running     int64   `json:"running"`
	TargetGroup string  `json:"target_group,omitempty"`
}

// Apply sets every field of d that AWS observes, keeping what only the bot
// knows (who asked, confirmed or rolled back, the card, the version and
// task definitions it planned, the reason). It is the one place an
// observation becomes the bot's deployment.
//
// An ECS deployment's stages and error code are merged rather than
// replaced: ECS reports only the stage it is in, so the record keeps when
// each stage was first seen and how the way forward ended once it turned
// back, and why it turned back once that was seen (mergeECSStages).
func (o *Observation) Apply(d *Deployment) {
	code, stages := o.ErrorCode, o.Stages
	if o.Backend == BackendECS {
		if code == "" && o.ErrorText != "" {
			code = d.ErrorCode // why it turned back does not change once known
		}
		stages = mergeECSStages(d.Stages, o.Stages, o.Status, code)
	}
	d.ID, d.Status, d.Stages, d.Traffic, d.Backend = o.ID, o.Status, stages, o.Traffic, o.Backend
	d.ErrorCode, d.ErrorText = code, o.ErrorText
	d.Creator = o.Creator
	if o.Region != "" {
		d.Region = o.Region
	}
	done := o.Status.Done()
	d.BlueAlive = o.BlueAlive && !done
	d.Waiting, d.Next, d.Pause = WaitNone, Next{}, PauseHook{}
	if !done {
		d.Waiting, d.Next, d.Pause = o.Waiting, o.Next, o.Pause
	}
	if o.Alarms != nil {
		d.Alarms = o.Alarms
	}
	// The rollback links AWS knows (CodeDeploy's own rollbacks) add to
	// the bot's (its redeployments, which CodeDeploy sees as ordinary).
	if o.RollbackID != "" {
		d.RollbackID = o.RollbackID
	}
	if o.RollbackOf != "" {
		d.RollbackOf = o.RollbackOf
	}
	if o.Config != "" {
		d.Config = o.Config
	}
	if o.ImageBefore != "" {
		d.ImageBefore = o.ImageBefore
	}
	if o.ImageAfter != "" {
		d.ImageAfter = o.ImageAfter
	}
	if d.Version == "" && o.ImageAfter != "" {
		// Started outside the bot: the new image's tag is the version.
		d.Version = VersionOf(o.ImageAfter)
	}
	if d.TaskDefinition == "" {
		d.TaskDefinition = o.TaskDefinition
	}
	if d.PreviousTaskDefinition == "" {
		d.PreviousTaskDefinition = o.Previous
	}
	d.Created, d.Completed = o.Created, o.Completed
}
