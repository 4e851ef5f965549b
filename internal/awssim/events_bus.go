package awssim

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"time"

	"go.uber.org/zap"
)

// Event buses across accounts and regions. Each partition's default bus
// has a resource policy (PutPermission, RemovePermission, read back by
// DescribeEventBus) saying which other accounts may send to it. A rule's
// target may be another partition's default bus
// (arn:aws:events:REGION:ACCOUNT:event-bus/default): PutTargets checks the
// receiving bus's policy for another account (AccessDeniedException) and
// wants a RoleArn for another region, as AWS does; the role itself is not
// checked. A matching event is then put on that bus unchanged (the
// sender's account and region, the same id) and its rules see it. As on
// AWS, an event received from another account is not forwarded again;
// within one account, an event goes at most maxForwardHops buses on, so
// that rules forwarding between two regions cannot loop.
type busState struct {
	created, modified time.Time
	statements        []busStatement // the policy, in order
}

type busStatement struct {
	sid    string
	raw    json.RawMessage
	parsed policyStatement
}

const (
	maxForwardHops = 3
	maxBusPolicy   = 10240
)

var (
	statementIDRE = regexp.MustCompile(`^[a-zA-Z0-9-_]{1,64}$`)
	busPrincipal  = regexp.MustCompile(`^(\d{12}|\*)$`)
	busArnRE      = regexp.MustCompile(`^arn:aws:events:([a-z0-9-]+):(\d{12}):event-bus/([\w.\-/]+)$`)
)

func (s *Sim) registerEventBus() {
	const t = "AWSEvents"
	s.handle(t, "events", "PutPermission", s.ebPutPermission)
	s.handle(t, "events", "RemovePermission", s.ebRemovePermission)
	s.handle(t, "events", "DescribeEventBus", s.ebDescribeEventBus)
}

// parseBusArn reads an event bus ARN.
func parseBusArn(arn string) (region, account, name string, ok bool) {
	m := busArnRE.FindStringSubmatch(arn)
	if m == nil {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}

// policyText renders the bus policy; "" when there is none.
func (b *busState) policyText() string {
	if len(b.statements) == 0 {
		return ""
	}
	raws := make([]json.RawMessage, len(b.statements))
	for i, st := range b.statements {
		raws[i] = st.raw
	}
	out, _ := json.Marshal(struct {
		Version   string
		Statement []json.RawMessage
	}{"2012-10-17", raws})
	return string(out)
}

type permissionCondition struct{ Type, Key, Value string }

func (s *Sim) ebPutPermission(_ context.Context, req *request) (any, error) {
	var in struct {
		EventBusName, Action, Principal, StatementId, Policy string
		Condition                                            *permissionCondition
	}
	if err := s.decodeOnBus(req, &in, &in.EventBusName); err != nil {
		return nil, err
	}
	var statements []busStatement
	var err *apiError
	if in.Policy != "" {
		statements, err = policyStatements(in.Policy)
	} else {
		var st busStatement
		st, err = s.permissionStatement(in.Action, in.Principal, in.StatementId, in.Condition)
		statements = []busStatement{st}
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := busState{created: s.bus.created, modified: s.clock.Now()}
	if in.Policy == "" {
		next.statements = append(next.statements, s.bus.statements...)
		replaced := false
		for i, old := range next.statements {
			if old.sid == statements[0].sid {
				next.statements[i], replaced = statements[0], true
			}
		}
		if !replaced {
			next.statements = append(next.statements, statements[0])
		}
	} else {
		next.statements = statements
	}
	if len(next.policyText()) > maxBusPolicy {
		return nil, errf("PolicyLengthExceededException", "The event bus policy exceeds the maximum size of %d characters.", maxBusPolicy)
	}
	s.bus = next
	return nil, nil
}

// permissionStatement builds the statement PutPermission adds: the
// principal account becomes arn:aws:iam::ACCOUNT:root; a condition goes
// only with "*".
func (s *Sim) permissionStatement(action, principal, sid string, cond *permissionCondition) (busStatement, *apiError) {
	switch {
	case action != "events:PutEvents":
		return busStatement{}, ebValidation("Provided value in parameter 'action' is not supported.")
	case !busPrincipal.MatchString(principal):
		return busStatement{}, ebValidation("1 validation error detected: Value '%s' at 'principal' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\d{12}|\\*)", principal)
	case !statementIDRE.MatchString(sid):
		return busStatement{}, ebValidation("1 validation error detected: Value '%s' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+", sid)
	case cond != nil && principal != "*":
		return busStatement{}, ebValidation("A condition can be set only when the principal is '*'.")
	case cond != nil && (cond.Type != "StringEquals" || cond.Key != "aws:PrincipalOrgID" || cond.Value == ""):
		return busStatement{}, ebValidation("The condition must be of Type StringEquals on the Key aws:PrincipalOrgID, with a Value.")
	}
	out := struct {
		Sid       string                       `json:"Sid"`
		Effect    string                       `json:"Effect"`
		Principal any                          `json:"Principal"`
		Action    string                       `json:"Action"`
		Resource  string                       `json:"Resource"`
		Condition map[string]map[string]string `json:"Condition,omitempty"`
	}{Sid: sid, Effect: "Allow", Principal: "*", Action: action, Resource: s.busArn()}
	if principal != "*" {
		out.Principal = map[string]string{"AWS": "arn:aws:iam::" + principal + ":root"}
	}
	if cond != nil {
		out.Condition = map[string]map[string]string{cond.Type: {cond.Key: cond.Value}}
	}
	raw, _ := json.Marshal(out)
	var parsed policyStatement
	_ = json.Unmarshal(raw, &parsed)
	return busStatement{sid: sid, raw: raw, parsed: parsed}, nil
}

// policyStatements splits a whole policy given to PutPermission.
func policyStatements(doc string) ([]busStatement, *apiError) {
	if len(doc) > maxBusPolicy {
		return nil, errf("PolicyLengthExceededException", "The event bus policy exceeds the maximum size of %d characters.", maxBusPolicy)
	}
	p, err := parsePolicy(doc)
	if err != nil {
		return nil, ebValidation("The policy is not valid: %s.", err.Error())
	}
	var raw struct{ Statement json.RawMessage }
	_ = json.Unmarshal([]byte(doc), &raw)
	var raws []json.RawMessage
	if json.Unmarshal(raw.Statement, &raws) != nil {
		raws = []json.RawMessage{raw.Statement}
	}
	out := make([]busStatement, len(p.Statement))
	for i, st := range p.Statement {
		out[i] = busStatement{sid: st.Sid, raw: raws[i], parsed: st}
	}
	return out, nil
}

func (s *Sim) ebRemovePermission(_ context.Context, req *request) (any, error) {
	var in struct {
		EventBusName, StatementId string
		RemoveAllPermissions      bool
	}
	if err := s.decodeOnBus(req, &in, &in.EventBusName); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.RemoveAllPermissions {
		s.bus.statements, s.bus.modified = nil, s.clock.Now()
		return nil, nil
	}
	if len(s.bus.statements) == 0 {
		return nil, errf("ResourceNotFoundException", "EventBus does not have a policy.")
	}
	for i, st := range s.bus.statements {
		if st.sid == in.StatementId {
			s.bus.statements = append(s.bus.statements[:i:i], s.bus.statements[i+1:]...)
			s.bus.modified = s.clock.Now()
			return nil, nil
		}
	}
	return nil, errf("ResourceNotFoundException", "Statement with the provided id does not exist.")
}

func (s *Sim) ebDescribeEventBus(_ context.Context, req *request) (any, error) {
	var in struct{ Name string }
	if err := s.decodeOnBus(req, &in, &in.Name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	modified := s.bus.modified
	if modified.IsZero() {
		modified = s.bus.created
	}
	out := map[string]any{"Name": defaultBus, "Arn": s.busArn(), "CreationTime": epoch(s.bus.created),
		"LastModifiedTime": epoch(modified)}
	if p := s.bus.policyText(); p != "" {
		out["Policy"] = p
	}
	return out, nil
}

// busAllowsLocked reports whether this bus's policy lets the account
// sender's rule ruleArn put events on it. For a delivery, event gives the
// events: condition keys; for PutTargets (event nil) conditions on them
// pass. Call with s.mu held.
func (s *Sim) busAllowsLocked(sender, ruleArn string, event map[string]any) bool {
	ctx := map[string][]string{"aws:sourcearn": {ruleArn}, "aws:principalaccount": {sender}}
	if event != nil {
		for _, k := range []string{"source", "detail-type"} {
			if v, ok := event[k].(string); ok {
				ctx["events:"+k] = []string{v}
			}
		}
	}
	doc := policyDoc{}
	for _, st := range s.bus.statements {
		doc.Statement = append(doc.Statement, st.parsed)
	}
	return doc.allows(policyRequest{account: sender, arns: []string{"arn:aws:iam::" + sender + ":root"},
		action: "events:PutEvents", resource: s.busArn(), context: ctx, lenient: event == nil})
}

// busTargetLocked checks a target that is an event bus, for PutTargets: a
// failed entry's message, or an error that refuses the whole call. Call
// with s.mu held.
func (s *Sim) busTargetLocked(ctx context.Context, r *ebRule, t *ebTarget) (string, *apiError) {
	region, account, name, ok := parseBusArn(t.Arn)
	if !ok {
		return "", nil
	}
	if name != defaultBus {
		return "", errf("ResourceNotFoundException", "Event bus %s does not exist.", name)
	}
	if account == s.account && region == s.region {
		return "The target event bus " + t.Arn + " is the bus the rule is on.", nil
	}
	if account != s.account && (t.Input != nil || t.InputPath != "" || len(t.InputTransformer) > 0) {
		return "Input, InputPath and InputTransformer are not supported for an event bus in another account.", nil
	}
	if region != s.region && t.RoleArn == "" {
		return "RoleArn is required for target " + t.Arn + ": an event bus in another Region.", nil
	}
	if t.RoleArn != "" && !roleArnRE.MatchString(t.RoleArn) {
		return "RoleArn " + t.RoleArn + " is not a valid IAM role ARN.", nil
	}
	if account != s.account {
		dst := s.front.lookupLocked(account, region)
		if dst == nil || !dst.busAllowsLocked(s.account, r.arn, nil) {
			return "", &apiError{Status: http.StatusBadRequest, Code: "AccessDeniedException",
				Message: "User: " + callerOf(ctx, s).arn + " is not authorized to perform: events:PutEvents on resource: " + t.Arn +
					" because no resource-based policy allows the events:PutEvents action"}
		}
	}
	return "", nil
}

// forwardLocked puts an event a rule matched on the event bus its target
// names, in another partition, if AWS would. Call with s.mu held.
func (s *Sim) forwardLocked(r *ebRule, t *ebTarget, raw []byte, event map[string]any) {
	f := s.front
	region, account, name, _ := parseBusArn(t.Arn)
	drop := func(why string) {
		s.events.dropped++
		s.log.Debug("event not forwarded", zap.String("rule", r.name), zap.String("target", t.Arn), zap.String("why", why))
	}
	var dst *Sim
	switch from, _ := event["account"].(string); {
	case from != s.account:
		drop("received from another account")
		return
	case name != defaultBus || (account == s.account && region == s.region):
		drop("no such bus")
		return
	case f.forwarding >= maxForwardHops:
		drop("forwarded too many times")
		return
	case account == s.account:
		dst = f.partitionLocked(account, region)
	default:
		dst = f.lookupLocked(account, region)
		if dst != nil && !dst.busAllowsLocked(s.account, r.arn, event) {
			dst = nil
		}
	}
	if dst == nil {
		drop("the bus policy does not allow this account")
		return
	}
	f.forwarding++
	defer func() { f.forwarding-- }()
	dst.logAndDeliver(raw)
}
