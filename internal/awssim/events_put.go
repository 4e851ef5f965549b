package awssim

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"go.uber.org/zap"
)

// eventEnvelope is an event as EventBridge delivers it, fields in AWS's order.
type eventEnvelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// emitEvent publishes an event from an AWS service (source "aws.codedeploy",
// "aws.ecs") on the default bus: every enabled rule whose pattern matches
// delivers it to its targets. Call it with s.mu held.
func (s *Sim) emitEvent(source, detailType string, resources []string, detail any) {
	b, err := json.Marshal(detail)
	if err != nil {
		s.log.Error("cannot encode event detail", zap.String("source", source), zap.Error(err))
		return
	}
	s.putEvent(source, detailType, resources, b, s.clock.Now())
}

// putEvent builds the envelope, logs the event and delivers it. Call with
// s.mu held. It returns the event id.
func (s *Sim) putEvent(source, detailType string, resources []string, detail json.RawMessage, at time.Time) string {
	if resources == nil {
		resources = []string{}
	}
	env := eventEnvelope{
		Version:    "0",
		ID:         newUUID(),
		DetailType: detailType,
		Source:     source,
		Account:    s.account,
		Time:       at.UTC().Format("2006-01-02T15:04:05Z"),
		Region:     s.region,
		Resources:  resources,
		Detail:     detail,
	}
	raw, err := json.Marshal(env)
	if err != nil {
		s.log.Error("cannot encode event", zap.String("source", source), zap.Error(err))
		return env.ID
	}
	s.logAndDeliver(raw)
	return env.ID
}

// logAndDeliver keeps an event on the bus's log and delivers it: an event
// put here, or one another partition forwarded. Call with s.mu held.
func (s *Sim) logAndDeliver(raw []byte) {
	s.events.log = append(s.events.log, raw)
	if over := len(s.events.log) - maxEventLog; over > 0 {
		s.events.log = append(s.events.log[:0:0], s.events.log[over:]...)
	}
	s.deliver(raw)
}

// deliver sends an event to the SQS targets of every enabled matching rule,
// rules in name order, and forwards it to the event buses they target
// (see events_bus.go). Delivery follows the queue's policy as AWS does: a
// queue that is gone or whose policy does not let events.amazonaws.com
// sqs:SendMessage for the rule gets nothing, silently; those drops are
// counted (DroppedEvents), as are events a bus target does not take.
// Other targets are accepted by PutTargets but not simulated. Call with
// s.mu held.
func (s *Sim) deliver(raw []byte) {
	event, err := decodeEvent(raw)
	if err != nil {
		return
	}
	for _, name := range sortedKeys(s.events.rules) {
		r := s.events.rules[name]
		if r.matcher == nil || !strings.HasPrefix(r.state, "ENABLED") || !r.matcher.matches(event) {
			continue
		}
		for _, t := range r.targets {
			if _, _, _, ok := parseBusArn(t.Arn); ok {
				s.forwardLocked(r, t, raw, event)
				continue
			}
			if !strings.HasPrefix(t.Arn, "arn:aws:sqs:") {
				continue
			}
			q := s.queueByArn(t.Arn)
			if q == nil || !queueAllows(q, r.arn) {
				s.events.dropped++
				s.log.Debug("event not delivered", zap.String("rule", r.name), zap.String("target", t.Arn))
				continue
			}
			delay := time.Duration(atoiOr(q.attrs["DelaySeconds"], 0)) * time.Second
			s.enqueue(q, targetInput(t, r, raw, event), delay, nil, s.account)
		}
	}
}

// queueAllows reports whether the queue's policy lets the rule send to it.
func queueAllows(q *sqsQueue, ruleArn string) bool {
	doc := q.attrs["Policy"]
	if doc == "" {
		return false
	}
	p, err := parsePolicy(doc)
	if err != nil {
		return false
	}
	return p.allowsService("events.amazonaws.com", q.arn, ruleArn)
}

// Events returns every event put on the bus so far (emitted by the
// simulated services or sent with PutEvents), oldest first, as raw JSON.
func (s *Sim) Events() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), s.events.log...)
}

// DroppedEvents is how many deliveries to SQS targets were dropped because
// the queue did not exist or its policy did not allow the rule.
func (s *Sim) DroppedEvents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.events.dropped
}

type putEventsEntry struct {
	Source       string
	DetailType   string
	Detail       string
	Resources    []string
	EventBusName string
	Time         *json.Number // epoch seconds
	TraceHeader  string
}

type putEventsResult struct {
	EventId      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// ebPutEvents puts custom events on the default bus. Like AWS it refuses,
// entry by entry, sources that start with "aws." (those events come only
// from the services themselves, here through emitEvent).
func (s *Sim) ebPutEvents(_ context.Context, req *request) (any, error) {
	var in struct {
		Entries    []putEventsEntry
		EndpointId string
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if len(in.Entries) == 0 || len(in.Entries) > 10 {
		return nil, ebValidation("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	results := make([]putEventsResult, 0, len(in.Entries))
	failed := 0
	for _, e := range in.Entries {
		res := s.putEntry(e)
		if res.ErrorCode != "" {
			failed++
		}
		results = append(results, res)
	}
	return map[string]any{"FailedEntryCount": failed, "Entries": results}, nil
}

func (s *Sim) putEntry(e putEventsEntry) putEventsResult {
	switch {
	case e.Source == "" || e.DetailType == "" || e.Detail == "":
		return putEventsResult{ErrorCode: "InvalidArgument", ErrorMessage: "Parameters Detail, DetailType, and Source are required."}
	case strings.HasPrefix(e.Source, "aws."):
		return putEventsResult{ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source."}
	case s.checkBus(e.EventBusName) != nil:
		return putEventsResult{ErrorCode: "InvalidArgument", ErrorMessage: "Event bus " + e.EventBusName + " does not exist."}
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &obj); err != nil || obj == nil {
		return putEventsResult{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."}
	}
	at := s.clock.Now()
	if e.Time != nil {
		if f, err := e.Time.Float64(); err == nil {
			at = time.Unix(0, int64(f*1e9))
		}
	}
	return putEventsResult{EventId: s.putEvent(e.Source, e.DetailType, e.Resources, json.RawMessage(e.Detail), at)}
}

// ebTestEventPattern answers whether an event matches a pattern.
func (s *Sim) ebTestEventPattern(_ context.Context, req *request) (any, error) {
	var in struct{ EventPattern, Event string }
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	p, err := parsePattern(in.EventPattern)
	if err != nil {
		return nil, errf("InvalidEventPatternException", "Event pattern is not valid. Reason: %s", err.Error())
	}
	event, err := decodeEvent([]byte(in.Event))
	if err != nil {
		return nil, ebValidation("Parameter Event is not valid.")
	}
	for _, k := range []string{"id", "account", "source", "time", "region", "detail-type"} {
		if _, ok := event[k]; !ok {
			return nil, ebValidation("Parameter Event is not valid.")
		}
	}
	return map[string]bool{"Result": p.matches(event)}, nil
}
