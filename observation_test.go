package switchyard

import "testing"

func TestApplyNamesTheVersionOfOutsideDeployments(t *testing.T) {
	var d Deployment
	(&Observation{ID: "d-ABCDEFGHI", ImageAfter: "123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:v1.5"}).Apply(&d)
	if d.Version != "v1.5" {
		t.Fatalf("version = %q, want the new image's tag", d.Version)
	}
	kept := Deployment{Version: "v1.4"}
	(&Observation{ImageAfter: "repo/myapp:v9"}).Apply(&kept)
	if kept.Version != "v1.4" {
		t.Fatalf("a known version was overwritten: %q", kept.Version)
	}
	var digest Deployment
	(&Observation{ImageAfter: "repo/myapp@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}).Apply(&digest)
	if digest.Version != "sha256:0123456789ab" {
		t.Fatalf("digest version = %q", digest.Version)
	}
	// An image reference from AWS is anyone's text: what is not a tag or
	// a digest is no version.
	for _, image := range []string{"repo/myapp:<!here>", "repo/myapp:v1|x", "repo/myapp@sha256:<https://evil|x>"} {
		var d Deployment
		(&Observation{ImageAfter: image}).Apply(&d)
		if d.Version != "unknown" {
			t.Errorf("%s gives version %q", image, d.Version)
		}
	}
}

// Apply sets every observed field, keeps what only the bot knows, and
// drops what a finished deployment no longer has.
func TestApplySetsEveryObservedField(t *testing.T) {
	d := Deployment{RequestedBy: "U0ALICE", ConfirmedBy: "U0DAVE", RolledBackBy: "U0BOB", RollbackOf: "d-BOTREDEPL",
		TaskDefinition: "web:9", PreviousTaskDefinition: "web:8", Alarms: []Alarm{{Name: "old", State: AlarmOK}}}
	o := Observation{ID: "d-ABCDEFGHI", Status: StatusReady, Creator: "user", Region: "eu-west-1", BlueAlive: true,
		Waiting: WaitReady, Traffic: Traffic{Blue: 100}, Config: "cfg", TaskDefinition: "web:2", Previous: "web:1"}
	o.Apply(&d)
	if d.ID != o.ID || d.Status != StatusReady || d.Creator != "user" || d.Region != "eu-west-1" || !d.BlueAlive ||
		d.Waiting != WaitReady || d.Config != "cfg" || d.Alarms[0].Name != "old" {
		t.Errorf("applied %+v", d)
	}
	if d.RequestedBy != "U0ALICE" || d.ConfirmedBy != "U0DAVE" || d.RolledBackBy != "U0BOB" || d.RollbackOf != "d-BOTREDEPL" ||
		d.TaskDefinition != "web:9" || d.PreviousTaskDefinition != "web:8" {
		t.Errorf("the bot's own fields changed: %+v", d)
	}
	o.Status, o.Alarms = StatusSucceeded, []Alarm{{Name: "new", State: AlarmFiring}}
	o.Apply(&d)
	if d.BlueAlive || d.Waiting != WaitNone || d.Alarms[0].Name != "new" {
		t.Errorf("a finished deployment still shows blue alive or a wait: %+v", d)
	}
}
