package awssim

// allowsService reports whether a queue policy lets the service principal
// (events.amazonaws.com) call sqs:SendMessage on queueArn for sourceArn,
// the rule that sends: the one condition key a delivery carries is
// aws:SourceArn, so a policy that narrows by another key drops events
// rather than delivering ones AWS would refuse.
func (p *policyDoc) allowsService(service, queueArn, sourceArn string) bool {
	return p.allows(policyRequest{
		service:  service,
		action:   "sqs:SendMessage",
		resource: queueArn,
		context:  map[string][]string{"aws:sourcearn": {sourceArn}},
	})
}
