package awssim

type eventsState struct{}

func (s *Sim) registerEvents() {}

// emitEvent publishes an event from an AWS service (source "aws.codedeploy",
// "aws.ecs") on the default bus: every enabled rule whose pattern matches
// delivers it to its targets. Call it with s.mu held.
func (s *Sim) emitEvent(source, detailType string, resources []string, detail any) {}
