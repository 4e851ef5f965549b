package awssim

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// eventsState is the EventBridge part of the world: the rules of the
// default event bus (the only bus simulated), every event put on it, and
// the count of deliveries dropped.
type eventsState struct {
	rules map[string]*ebRule // by name
	// log holds every event put on the bus, newest last, up to maxEventLog.
	log []json.RawMessage
	// dropped counts deliveries to SQS targets that AWS would drop
	// silently: no such queue, or a queue policy that does not allow the rule.
	dropped int
}

// maxEventLog bounds the event log of a long-running sandbox.
const maxEventLog = 10000

// ebRule is one rule with its targets.
type ebRule struct {
	name        string
	arn         string
	description string
	pattern     string // as given; "" for schedule-only rules
	matcher     *eventPattern
	schedule    string
	state       string // ENABLED | DISABLED | ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
	roleArn     string
	targets     []*ebTarget // in the order first put
}

// ebTarget is one target; raw is the Target exactly as given, answered back
// by ListTargetsByRule.
type ebTarget struct {
	ID               string          `json:"Id"`
	Arn              string          `json:"Arn"`
	RoleArn          string          `json:"RoleArn,omitempty"`
	Input            *string         `json:"Input,omitempty"`
	InputPath        string          `json:"InputPath,omitempty"`
	InputTransformer json.RawMessage `json:"InputTransformer,omitempty"`
	raw              json.RawMessage
}

// maxTargetsPerRule is EventBridge's quota of targets per rule.
const maxTargetsPerRule = 5

const defaultBus = "default"

var ruleNameRE = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)

func (s *Sim) registerEvents() {
	s.events = eventsState{rules: map[string]*ebRule{}}
	const t = "AWSEvents"
	s.handle(t, "events", "PutRule", s.ebPutRule)
	s.handle(t, "events", "DescribeRule", s.ebDescribeRule)
	s.handle(t, "events", "DeleteRule", s.ebDeleteRule)
	s.handle(t, "events", "EnableRule", s.ebEnableRule)
	s.handle(t, "events", "DisableRule", s.ebDisableRule)
	s.handle(t, "events", "ListRules", s.ebListRules)
	s.handle(t, "events", "PutTargets", s.ebPutTargets)
	s.handle(t, "events", "RemoveTargets", s.ebRemoveTargets)
	s.handle(t, "events", "ListTargetsByRule", s.ebListTargetsByRule)
	s.handle(t, "events", "PutEvents", s.ebPutEvents)
	s.handle(t, "events", "TestEventPattern", s.ebTestEventPattern)
}

func ebValidation(format string, args ...any) *apiError {
	return errf("ValidationException", format, args...)
}

// checkBus accepts the default bus by name or ARN (or no name at all).
func (s *Sim) checkBus(name string) *apiError {
	if name == "" || name == defaultBus || name == s.busArn() {
		return nil
	}
	return errf("ResourceNotFoundException", "Event bus %s does not exist.", name)
}

// decodeOnBus decodes a request into v, then refuses it unless *bus (a
// field of v) names the default bus: the first checks of the rule and
// target calls (PutRule checks the rule name before the bus).
func (s *Sim) decodeOnBus(req *request, v any, bus *string) error {
	if err := decode(req, v); err != nil {
		return err
	}
	if aerr := s.checkBus(*bus); aerr != nil {
		return aerr
	}
	return nil
}

func (s *Sim) busArn() string {
	return "arn:aws:events:" + s.region + ":" + s.account + ":event-bus/" + defaultBus
}

// rule finds a rule or answers ResourceNotFoundException. Call with s.mu held.
func (s *Sim) rule(name string) (*ebRule, *apiError) {
	if name == "" {
		return nil, ebValidation("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	r := s.events.rules[name]
	if r == nil {
		return nil, errf("ResourceNotFoundException", "Rule %s does not exist on EventBus %s.", name, defaultBus)
	}
	return r, nil
}

type putRuleInput struct {
	Name               string
	EventPattern       *string
	ScheduleExpression string
	State              string
	Description        string
	RoleArn            string
	EventBusName       string
}

func (s *Sim) ebPutRule(_ context.Context, req *request) (any, error) {
	var in putRuleInput
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if !ruleNameRE.MatchString(in.Name) {
		return nil, ebValidation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", in.Name)
	}
	if aerr := s.checkBus(in.EventBusName); aerr != nil {
		return nil, aerr
	}
	switch in.State {
	case "":
		in.State = "ENABLED"
	case "ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS":
	default:
		return nil, ebValidation("1 validation error detected: Value '%s' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]", in.State)
	}
	if (in.EventPattern == nil || *in.EventPattern == "") && in.ScheduleExpression == "" {
		return nil, ebValidation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	var matcher *eventPattern
	pattern := ""
	if in.EventPattern != nil && *in.EventPattern != "" {
		pattern = *in.EventPattern
		m, err := parsePattern(pattern)
		if err != nil {
			return nil, errf("InvalidEventPatternException", "Event pattern is not valid. Reason: %s", err.Error())
		}
		matcher = m
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.events.rules[in.Name]
	if r == nil {
		r = &ebRule{name: in.Name, arn: "arn:aws:events:" + s.region + ":" + s.account + ":rule/" + in.Name}
		s.events.rules[in.Name] = r
	}
	r.pattern, r.matcher = pattern, matcher
	r.schedule, r.state, r.description, r.roleArn = in.ScheduleExpression, in.State, in.Description, in.RoleArn
	return map[string]string{"RuleArn": r.arn}, nil
}

// ruleOut is a rule as DescribeRule and ListRules answer it.
type ruleOut struct {
	Name               string `json:"Name"`
	Arn                string `json:"Arn"`
	EventPattern       string `json:"EventPattern,omitempty"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State"`
	Description        string `json:"Description,omitempty"`
	RoleArn            string `json:"RoleArn,omitempty"`
	EventBusName       string `json:"EventBusName"`
	CreatedBy          string `json:"CreatedBy,omitempty"`
}

func (s *Sim) ruleOut(r *ebRule) ruleOut {
	return ruleOut{Name: r.name, Arn: r.arn, EventPattern: r.pattern, ScheduleExpression: r.schedule,
		State: r.state, Description: r.description, RoleArn: r.roleArn, EventBusName: defaultBus}
}

type ruleNameInput struct {
	Name         string
	EventBusName string
	Force        bool
}

func (s *Sim) ebDescribeRule(_ context.Context, req *request) (any, error) {
	var in ruleNameInput
	if err := s.decodeOnBus(req, &in, &in.EventBusName); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, aerr := s.rule(in.Name)
	if aerr != nil {
		return nil, aerr
	}
	out := s.ruleOut(r)
	out.CreatedBy = s.account
	return out, nil
}

// ebDeleteRule deletes a rule; deleting a rule that does not exist succeeds,
// as on AWS, but a rule with targets is refused.
func (s *Sim) ebDeleteRule(_ context.Context, req *request) (any, error) {
	var in ruleNameInput
	if err := s.decodeOnBus(req, &in, &in.EventBusName); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.events.rules[in.Name]
	if r == nil {
		return nil, nil
	}
	if len(r.targets) > 0 {
		return nil, ebValidation("Rule can't be deleted since it has targets.")
	}
	delete(s.events.rules, in.Name)
	return nil, nil
}

func (s *Sim) ebEnableRule(_ context.Context, req *request) (any, error) {
	return nil, s.setRuleState(req, "ENABLED")
}

func (s *Sim) ebDisableRule(_ context.Context, req *request) (any, error) {
	return nil, s.setRuleState(req, "DISABLED")
}

func (s *Sim) setRuleState(req *request, state string) error {
	var in ruleNameInput
	if err := s.decodeOnBus(req, &in, &in.EventBusName); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, aerr := s.rule(in.Name)
	if aerr != nil {
		return aerr
	}
	r.state = state
	return nil
}

// page cuts a sorted list of names at an index token ("" is the start).
func page(names []string, token string, limit *int) (start, end int, next string, aerr *apiError) {
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(names) {
			return 0, 0, "", ebValidation("The nextToken provided is invalid.")
		}
		start = n
	}
	size := 100
	if limit != nil {
		if *limit < 1 || *limit > 100 {
			return 0, 0, "", ebValidation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100", *limit)
		}
		size = *limit
	}
	end = min(start+size, len(names))
	if end < len(names) {
		next = strconv.Itoa(end)
	}
	return start, end, next, nil
}

func (s *Sim) ebListRules(_ context.Context, req *request) (any, error) {
	var in struct {
		NamePrefix   string
		EventBusName string
		Limit        *int
		NextToken    string
	}
	if err := s.decodeOnBus(req, &in, &in.EventBusName); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for _, n := range sortedKeys(s.events.rules) {
		if strings.HasPrefix(n, in.NamePrefix) {
			names = append(names, n)
		}
	}
	start, end, next, aerr := page(names, in.NextToken, in.Limit)
	if aerr != nil {
		return nil, aerr
	}
	rules := []ruleOut{}
	for _, n := range names[start:end] {
		rules = append(rules, s.ruleOut(s.events.rules[n]))
	}
	return withToken(map[string]any{"Rules": rules}, "NextToken", next), nil
}
