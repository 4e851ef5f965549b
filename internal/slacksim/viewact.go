package slacksim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"unicode/utf8"
)

// ViewAction presses a button, or chooses or types a value, in the modal on
// top of the user's stack or in their Home tab, and delivers block_actions
// as Slack does: always for buttons and elements outside input blocks, for
// an input block's element only when the block has dispatch_action. The
// value is kept in the view's state either way; with no delivery the
// result has no envelope_id.
func (s *Server) ViewAction(ctx context.Context, req ViewActionRequest) (ViewResult, error) {
	s.mu.Lock()
	u, v, err := s.visibleViewLocked(req.UserID, req.ViewID)
	if err != nil {
		s.mu.Unlock()
		return ViewResult{}, err
	}
	action, e, err := s.actLocked(v, req.ActionID, req.Value)
	if err != nil {
		s.mu.Unlock()
		return ViewResult{}, err
	}
	if e.inInput && !e.dispatch {
		out := s.resultLocked(AckResult{}, u.ID, v.typ, nil)
		s.mu.Unlock()
		return out, nil
	}
	action["action_ts"] = s.nextTSLocked()
	payload := s.interactionLocked(u, "block_actions")
	payload["trigger_id"] = s.newTriggerLocked(u.ID, v.id)
	payload["container"] = map[string]any{"type": "view", "view_id": v.id}
	payload["view"] = s.viewJSONLocked(v, false)
	payload["state"] = map[string]any{"values": stateValues(v, false)}
	payload["actions"] = []any{action}
	s.mu.Unlock()
	res, err := s.deliver(ctx, delivery{kind: "interactive", user: u.ID, payload: payload})
	return s.result(res, u.ID, v.typ, nil), err
}

// actLocked applies one act on an element and returns the action object
// block_actions reports.
func (s *Server) actLocked(v *viewRec, actionID, value string) (map[string]any, viewElement, error) {
	e, ok := findElement(v.body, actionID)
	if !ok {
		return nil, e, fmt.Errorf("%w: no action_id %q", ErrNoSuchElement, actionID)
	}
	action := map[string]any{"action_id": e.actionID, "block_id": e.blockID, "type": e.typ}
	switch e.typ {
	case "button":
		for _, key := range []string{"text", "value", "style", "url"} {
			if x, ok := e.el[key]; ok {
				action[key] = x
			}
		}
	case "overflow":
		opt := findOption(e.el, value)
		if opt == nil {
			return nil, e, fmt.Errorf("%w: %s offers no option %q", ErrInvalidValue, actionID, value)
		}
		action["selected_option"] = opt
	default:
		if _, ok := stateKinds[e.typ]; !ok {
			return nil, e, fmt.Errorf("%w: a %s cannot be acted on", ErrNoSuchElement, e.typ)
		}
		val, err := s.chooseLocked(v, e, value)
		if err != nil {
			return nil, e, err
		}
		v.setValue(e, val)
		maps.Copy(action, val)
	}
	return action, e, nil
}

// Suggest types req.Value in an external select of the view the user sees,
// delivers block_suggestion, and answers the options the app returned once
// Slack has checked them (at most 100, option text ≤75, value ≤150). Those
// options can then be chosen with ViewAction or SubmitView.
func (s *Server) Suggest(ctx context.Context, req SuggestRequest) (SuggestResult, error) {
	s.mu.Lock()
	u, v, err := s.visibleViewLocked(req.UserID, req.ViewID)
	var e viewElement
	if err == nil {
		var ok bool
		e, ok = findElement(v.body, req.ActionID)
		if !ok || (e.typ != "external_select" && e.typ != "multi_external_select") {
			err = fmt.Errorf("%w: no external select %q", ErrNoSuchElement, req.ActionID)
		}
	}
	if err == nil {
		minLen := 3
		if n, ok := e.el["min_query_length"].(float64); ok {
			minLen = int(n)
		}
		if utf8.RuneCountInString(req.Value) < minLen {
			err = fmt.Errorf("%w (%d)", ErrQueryTooShort, minLen)
		}
	}
	if err != nil {
		s.mu.Unlock()
		return SuggestResult{}, err
	}
	payload := s.interactionLocked(u, "block_suggestion")
	payload["container"] = map[string]any{"type": "view", "view_id": v.id}
	payload["view"] = s.viewJSONLocked(v, false)
	payload["action_id"], payload["block_id"], payload["value"] = e.actionID, e.blockID, req.Value
	s.mu.Unlock()

	res, err := s.deliver(ctx, delivery{kind: "interactive", user: u.ID, payload: payload, accepts: true})
	if err != nil {
		return SuggestResult{AckResult: res}, err
	}
	out, offered, err := checkSuggestions(res)
	if err != nil {
		return SuggestResult{AckResult: res}, s.refuseAck(res, u.ID, err.Error())
	}
	s.mu.Lock()
	v.suggested[e.actionID] = offered
	s.mu.Unlock()
	return out, nil
}

// checkSuggestions reads a block_suggestion ack: {"options":[…]} or
// {"option_groups":[…]}; an empty ack offers nothing.
func checkSuggestions(res AckResult) (SuggestResult, []map[string]any, error) {
	out := SuggestResult{AckResult: res, Options: json.RawMessage("[]")}
	var ack map[string]any
	if len(res.Ack) > 0 {
		if err := json.Unmarshal(res.Ack, &ack); err != nil {
			return out, nil, errors.New("the ack payload is not an options response")
		}
	}
	for _, key := range []string{"options", "option_groups"} {
		if x, ok := ack[key]; ok && x == nil {
			delete(ack, key)
		}
	}
	b := newBlockChecker(true)
	b.options("", ack, 0)
	if len(b.errs) > 0 {
		return out, nil, fmt.Errorf("invalid options: %v", b.errs)
	}
	if groups, ok := ack["option_groups"]; ok {
		out.Options = nil
		out.OptionGroups, _ = json.Marshal(groups)
	} else if opts, ok := ack["options"]; ok {
		out.Options, _ = json.Marshal(opts)
	}
	return out, elementOptions(ack), nil
}
