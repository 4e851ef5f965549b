package rules

import (
	"encoding/json"
	"fmt"

	"github.com/switchyard/switchyard"
)

// observed is the JSON a store keeps for the parts of the last observed
// state that have no column of their own because nothing queries them. A
// new field of switchyard.Deployment goes here or in a column; the
// conformance suite fails until it does.
type observed struct {
	Stages    []switchyard.Stage   `json:"stages,omitempty"`
	Traffic   switchyard.Traffic   `json:"traffic"`
	Region    string               `json:"region,omitempty"`
	Creator   string               `json:"creator,omitempty"`
	Waiting   switchyard.Wait      `json:"waiting,omitempty"`
	BlueAlive bool                 `json:"blue_alive,omitempty"`
	Alarms    []switchyard.Alarm   `json:"alarms,omitempty"`
	TaskDef   string               `json:"task_definition,omitempty"`
	PrevDef   string               `json:"previous_task_definition,omitempty"`
	Reason    string               `json:"reason,omitempty"`
	Next      switchyard.Next      `json:"next,omitzero"`
	Override  string               `json:"freeze_override,omitempty"`
	Backend   switchyard.Backend   `json:"backend,omitempty"`
	Pause     switchyard.PauseHook `json:"pause,omitzero"`
}

// EncodeObserved returns the JSON of d's fields that have no column.
func EncodeObserved(d *switchyard.Deployment) (string, error) {
	b, err := json.Marshal(observed{Stages: d.Stages, Traffic: d.Traffic, Region: d.Region, Creator: d.Creator,
		Waiting: d.Waiting, BlueAlive: d.BlueAlive, Alarms: d.Alarms, TaskDef: d.TaskDefinition, PrevDef: d.PreviousTaskDefinition,
		Reason: d.Reason, Next: d.Next, Override: d.FreezeOverride, Backend: d.Backend, Pause: d.Pause})
	if err != nil {
		return "", fmt.Errorf("encode observed state: %w", err)
	}
	return string(b), nil
}

// DecodeObserved sets d's fields that have no column from their JSON.
func DecodeObserved(b []byte, d *switchyard.Deployment) error {
	var o observed
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("deployment %s: decode observed state: %w", d.ID, err)
	}
	d.Stages, d.Traffic, d.Region, d.Creator = o.Stages, o.Traffic, o.Region, o.Creator
	d.Waiting, d.BlueAlive, d.Alarms = o.Waiting, o.BlueAlive, o.Alarms
	d.TaskDefinition, d.PreviousTaskDefinition = o.TaskDef, o.PrevDef
	d.Reason, d.Next = o.Reason, o.Next
	d.Backend, d.Pause = o.Backend, o.Pause
	d.FreezeOverride = o.Override
	return nil
}

// Normalise puts times at stored precision so that what a method returns
// equals what a later Get reads.
func Normalise(rec *switchyard.Record) {
	d := &rec.Deployment
	d.Created = Trunc(d.Created)
	if !d.Completed.IsZero() {
		d.Completed = Trunc(d.Completed)
	}
	if !rec.ObservedAt.IsZero() {
		rec.ObservedAt = Trunc(rec.ObservedAt)
	}
	for i := range d.Stages {
		s := &d.Stages[i]
		if !s.Start.IsZero() {
			s.Start = s.Start.UTC()
		}
		if !s.End.IsZero() {
			s.End = s.End.UTC()
		}
	}
}

// NewDeployment checks a deployment about to be created and sets what the
// store decides: Created (default now), Rev 1 and Updated.
func NewDeployment(rec *switchyard.Record, now Clock) error {
	d := &rec.Deployment
	if d.ID == "" || d.App == "" || d.Env == "" || d.Status == "" {
		return switchyard.Errorf(switchyard.EINVALID, "A deployment needs an ID, an app, an environment and a status.")
	}
	d.Created = now.Or(d.Created)
	Normalise(rec)
	rec.Rev, rec.Updated = 1, now.Now()
	return nil
}

// Mutate judges and applies a compare-and-set update to rec, the record as
// stored: ECONFLICT if its Rev is not expectedRev (unless that is
// switchyard.AnyRev), then mutate, then the store's own fields (ID, Rev+1,
// Updated) and a check that the result is still a valid deployment. prev is
// the stored Rev, for the write's WHERE. An error from mutate comes back as
// mutateErr, untouched, for the caller to return as is.
func Mutate(rec *switchyard.Record, expectedRev int64, now Clock, mutate func(*switchyard.Record) error) (prev int64, mutateErr, err error) {
	id, prev := rec.ID, rec.Rev
	if expectedRev != switchyard.AnyRev && prev != expectedRev {
		return prev, nil, switchyard.Errorf(switchyard.ECONFLICT,
			"Deployment %s changed while this was being decided (revision %d, expected %d); look again and retry.",
			id, prev, expectedRev)
	}
	if err := mutate(rec); err != nil {
		return prev, err, err
	}
	rec.ID, rec.Rev, rec.Updated = id, prev+1, now.Now()
	Normalise(rec)
	if rec.App == "" || rec.Env == "" || rec.Status == "" {
		return prev, nil, switchyard.Errorf(switchyard.EINVALID, "A deployment needs an app, an environment and a status.")
	}
	return prev, nil, nil
}

// DeploymentExists refuses a second deployment with the same ID.
func DeploymentExists(id string) error {
	return switchyard.Errorf(switchyard.ECONFLICT, "Deployment %s is already recorded.", id)
}

// NoDeployment is the answer about an unknown deployment.
func NoDeployment(id string) error {
	return switchyard.Errorf(switchyard.ENOTFOUND, "I have no record of deployment %s.", id)
}

// NoCard is the answer about a message that is no deployment's card.
func NoCard() error {
	return switchyard.Errorf(switchyard.ENOTFOUND, "That message is not the card of any deployment I know.")
}

// CardTaken refuses a card that deployment other already uses.
func CardTaken(other string) error {
	return switchyard.Errorf(switchyard.ECONFLICT, "That message is already the card of deployment %s.", other)
}

// CheckReplyKey refuses a reply without a key.
func CheckReplyKey(key string) error {
	if key == "" {
		return switchyard.Errorf(switchyard.EINVALID, "A reply needs a key.")
	}
	return nil
}

// NoReply is the answer about a reply key never marked.
func NoReply(deploymentID, key string) error {
	return switchyard.Errorf(switchyard.ENOTFOUND, "No reply %q was recorded for deployment %s.", key, deploymentID)
}
