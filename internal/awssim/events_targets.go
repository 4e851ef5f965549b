package awssim

import (
	"cmp"
	"context"
	"encoding/json"
	"regexp"
	"strings"
)

var targetIDRE = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)

// failedEntry is one entry of PutTargets' and RemoveTargets' FailedEntries.
type failedEntry struct {
	TargetId     string `json:"TargetId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

func (s *Sim) ebPutTargets(ctx context.Context, req *request) (any, error) {
	var in struct {
		Rule         string
		EventBusName string
		Targets      []json.RawMessage
	}
	if err := s.decodeOnBus(req, &in, &in.EventBusName); err != nil {
		return nil, err
	}
	if len(in.Targets) == 0 || len(in.Targets) > 100 {
		return nil, ebValidation("1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 100")
	}
	targets := make([]*ebTarget, 0, len(in.Targets))
	for _, raw := range in.Targets {
		t := &ebTarget{raw: raw}
		if err := json.Unmarshal(raw, t); err != nil {
			return nil, errSerialization("cannot parse target: " + err.Error())
		}
		if !targetIDRE.MatchString(t.ID) {
			return nil, ebValidation("1 validation error detected: Value '%s' at 'targets.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", t.ID)
		}
		if t.Arn == "" {
			return nil, ebValidation("1 validation error detected: Value null at 'targets.member.arn' failed to satisfy constraint: Member must not be null")
		}
		targets = append(targets, t)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, aerr := s.rule(in.Rule)
	if aerr != nil {
		return nil, aerr
	}
	ids := map[string]bool{}
	for _, t := range r.targets {
		ids[t.ID] = true
	}
	for _, t := range targets {
		ids[t.ID] = true
	}
	if len(ids) > maxTargetsPerRule {
		return nil, errf("LimitExceededException", "The requested resource exceeds the maximum number allowed.")
	}
	problems := make([]string, len(targets))
	for i, t := range targets {
		msg, aerr := s.busTargetLocked(ctx, r, t)
		if aerr != nil {
			return nil, aerr
		}
		problems[i] = msg
	}
	failed := []failedEntry{}
	for i, t := range targets {
		if msg := cmp.Or(problems[i], targetProblem(t)); msg != "" {
			failed = append(failed, failedEntry{TargetId: t.ID, ErrorCode: "ValidationException", ErrorMessage: msg})
			continue
		}
		replaced := false
		for i, old := range r.targets {
			if old.ID == t.ID {
				r.targets[i], replaced = t, true
			}
		}
		if !replaced {
			r.targets = append(r.targets, t)
		}
	}
	return map[string]any{"FailedEntryCount": len(failed), "FailedEntries": failed}, nil
}

// targetProblem is why EventBridge would refuse one target, or "".
func targetProblem(t *ebTarget) string {
	if strings.HasPrefix(t.Arn, "arn:aws:sqs:") && t.RoleArn != "" {
		return "RoleArn is not supported for target " + t.Arn + "."
	}
	n := 0
	if t.Input != nil {
		n++
		if !json.Valid([]byte(*t.Input)) {
			return "Input is not valid JSON text."
		}
	}
	if t.InputPath != "" {
		n++
		if _, ok := parseJSONPath(t.InputPath); !ok {
			return "InputPath is not a valid JsonPath."
		}
	}
	if len(t.InputTransformer) > 0 {
		n++
		var tr inputTransformer
		if err := json.Unmarshal(t.InputTransformer, &tr); err != nil || tr.InputTemplate == "" {
			return "InputTransformer is not valid."
		}
		for _, p := range tr.InputPathsMap {
			if _, ok := parseJSONPath(p); !ok {
				return "InputPathsMap is not valid: " + p + " is not a valid JsonPath."
			}
		}
	}
	if n > 1 {
		return "Only one of Input, InputPath, or InputTransformer must be provided."
	}
	return ""
}

func (s *Sim) ebRemoveTargets(_ context.Context, req *request) (any, error) {
	var in struct {
		Rule         string
		EventBusName string
		Ids          []string
		Force        bool
	}
	if err := s.decodeOnBus(req, &in, &in.EventBusName); err != nil {
		return nil, err
	}
	if len(in.Ids) == 0 || len(in.Ids) > 100 {
		return nil, ebValidation("1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and 100")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, aerr := s.rule(in.Rule)
	if aerr != nil {
		return nil, aerr
	}
	remove := map[string]bool{}
	for _, id := range in.Ids {
		remove[id] = true
	}
	kept := r.targets[:0]
	for _, t := range r.targets {
		if !remove[t.ID] {
			kept = append(kept, t)
		}
	}
	clear(r.targets[len(kept):])
	r.targets = kept
	return map[string]any{"FailedEntryCount": 0, "FailedEntries": []failedEntry{}}, nil
}

func (s *Sim) ebListTargetsByRule(_ context.Context, req *request) (any, error) {
	var in struct {
		Rule         string
		EventBusName string
		Limit        *int
		NextToken    string
	}
	if err := s.decodeOnBus(req, &in, &in.EventBusName); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, aerr := s.rule(in.Rule)
	if aerr != nil {
		return nil, aerr
	}
	ids := make([]string, len(r.targets))
	for i, t := range r.targets {
		ids[i] = t.ID
	}
	start, end, next, aerr := page(ids, in.NextToken, in.Limit)
	if aerr != nil {
		return nil, aerr
	}
	targets := []json.RawMessage{}
	for _, t := range r.targets[start:end] {
		targets = append(targets, t.raw)
	}
	return withToken(map[string]any{"Targets": targets}, "NextToken", next), nil
}

// inputTransformer is a target's InputTransformer.
type inputTransformer struct {
	InputPathsMap map[string]string
	InputTemplate string
}

// parseJSONPath parses the JsonPath subset targets use: $ or $.a.b.c.
func parseJSONPath(p string) ([]string, bool) {
	if p == "$" {
		return nil, true
	}
	rest, ok := strings.CutPrefix(p, "$.")
	if !ok || rest == "" {
		return nil, false
	}
	parts := strings.Split(rest, ".")
	for _, part := range parts {
		if part == "" {
			return nil, false
		}
	}
	return parts, true
}

// lookupPath returns the value at a parsed path in a decoded event.
func lookupPath(event map[string]any, path []string) (any, bool) {
	var cur any = event
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// targetInput is the message a target receives for an event: the whole
// event, or Input, InputPath's value, or InputTransformer's template with
// each <name> replaced (a string value without its quotes, anything else as
// JSON; a path that is missing gives an empty string).
func targetInput(t *ebTarget, r *ebRule, raw []byte, event map[string]any) string {
	switch {
	case t.Input != nil:
		return *t.Input
	case t.InputPath != "":
		path, _ := parseJSONPath(t.InputPath)
		v, ok := lookupPath(event, path)
		if !ok {
			return ""
		}
		b, _ := json.Marshal(v)
		return string(b)
	case len(t.InputTransformer) > 0:
		var tr inputTransformer
		_ = json.Unmarshal(t.InputTransformer, &tr)
		out := tr.InputTemplate
		out = strings.ReplaceAll(out, "<aws.events.event>", string(raw))
		out = strings.ReplaceAll(out, "<aws.events.rule-arn>", r.arn)
		out = strings.ReplaceAll(out, "<aws.events.rule-name>", r.name)
		for name, p := range tr.InputPathsMap {
			path, _ := parseJSONPath(p)
			v, _ := lookupPath(event, path)
			text := ""
			switch x := v.(type) {
			case string:
				text = x
			case nil:
			default:
				b, _ := json.Marshal(x)
				text = string(b)
			}
			out = strings.ReplaceAll(out, "<"+name+">", text)
		}
		return out
	}
	return string(raw)
}
