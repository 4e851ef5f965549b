package slacksim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
)

// SubmitRequest is a user pressing a modal's submit button. Values are
// shaped as view.state.values (block_id → action_id → value object, e.g.
// {"type":"plain_text_input","value":"v1.4"} or {"selected_option":
// {"value":"prod"}}); they are entered in the view first, and options named
// by value alone get the view's full option object.
type SubmitRequest struct {
	UserID string                               `json:"user_id"`
	ViewID string                               `json:"view_id"`
	Values map[string]map[string]map[string]any `json:"values"`
}

// ViewActionRequest is a user pressing a button, or choosing Value in a
// menu (an option's value, a user or conversation ID, a date) or typing it
// in a text input, of a view.
type ViewActionRequest struct {
	UserID   string `json:"user_id"`
	ViewID   string `json:"view_id"`
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
}

// SuggestRequest is a user typing Value in an external select.
type SuggestRequest struct {
	UserID   string `json:"user_id"`
	ViewID   string `json:"view_id"`
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
}

// CloseRequest is a user closing the modal on top (its close button) or,
// with Clear, the whole stack at once (the ✕).
type CloseRequest struct {
	UserID string `json:"user_id"`
	ViewID string `json:"view_id"`
	Clear  bool   `json:"clear,omitempty"`
}

// ViewResult is the app's answer to a user's act in a view and what the
// user sees next.
type ViewResult struct {
	AckResult
	// Errors are shown under input blocks, by block_id: the app's
	// response_action errors, or Slack's own for empty required inputs.
	Errors map[string]string `json:"errors,omitempty"`
	// View is what the user now sees: the modal on top of their stack (nil
	// once it has closed), or their Home tab for an act there.
	View *View `json:"view"`
}

// SuggestResult is the app's answer to a block_suggestion: the options the
// user now sees, exactly one of the two lists.
type SuggestResult struct {
	AckResult
	Options      json.RawMessage `json:"options,omitempty"`
	OptionGroups json.RawMessage `json:"option_groups,omitempty"`
}

// visibleViewLocked finds the view a user is looking at: the modal on top
// of their stack, or their Home tab.
func (s *Server) visibleViewLocked(userID, viewID string) (User, *viewRec, error) {
	u, err := s.humanLocked(userID)
	if err != nil {
		return u, nil, err
	}
	v := s.views.byID[viewID]
	if v == nil || !v.open || v.user != userID {
		return u, nil, ErrNoSuchView
	}
	if stack := s.views.stacks[userID]; v.typ == "modal" && stack[len(stack)-1] != v {
		return u, nil, fmt.Errorf("%w: view %s is under another modal", ErrNoSuchView, viewID)
	}
	return u, v, nil
}

// humanLocked finds a person of the workspace: not the bot.
func (s *Server) humanLocked(userID string) (User, error) {
	u, ok := s.ws.users[userID]
	if !ok || u.IsBot {
		return User{}, ErrUnknownUser
	}
	return u, nil
}

// interactionLocked is what every interaction payload carries.
func (s *Server) interactionLocked(u User, typ string) map[string]any {
	team := s.opts.Workspace.Team
	return map[string]any{
		"type": typ, "token": "slacksim-verification", "api_app_id": s.opts.Workspace.Bot.AppID,
		"user":                  map[string]any{"id": u.ID, "username": u.Name, "name": u.Name, "team_id": team.ID},
		"team":                  map[string]any{"id": team.ID, "domain": team.Domain},
		"is_enterprise_install": false, "enterprise": nil,
	}
}

// resultLocked builds a ViewResult showing what user now sees of kind typ.
func (s *Server) resultLocked(res AckResult, user, typ string, errs map[string]string) ViewResult {
	out := ViewResult{AckResult: res, Errors: errs}
	var v *viewRec
	if typ == "home" {
		v = s.views.homes[user]
	} else if stack := s.views.stacks[user]; len(stack) > 0 {
		v = stack[len(stack)-1]
	}
	if v != nil {
		view := s.exportLocked(v)
		view.View = nil
		out.View = &view
	}
	return out
}

func (s *Server) result(res AckResult, user, typ string, errs map[string]string) ViewResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resultLocked(res, user, typ, errs)
}

// SubmitView enters req.Values, then submits the modal on top: a
// view_submission envelope whose ack Slack applies (errors, update, push,
// clear; an empty ack closes the view). Past the ack deadline it answers
// ErrNoAck and the modal stays open.
func (s *Server) SubmitView(ctx context.Context, req SubmitRequest) (ViewResult, error) {
	s.mu.Lock()
	u, v, err := s.visibleViewLocked(req.UserID, req.ViewID)
	if err == nil && v.typ != "modal" {
		err = fmt.Errorf("%w: a Home tab has no submit button", ErrNoSuchView)
	}
	if err == nil {
		err = s.enterValuesLocked(v, req.Values)
	}
	if err != nil {
		s.mu.Unlock()
		return ViewResult{}, err
	}
	if missing := requiredMissing(v); len(missing) > 0 {
		v.errors = missing
		s.stream.publish(StreamEvent{Kind: "view_updated", ViewID: v.id, User: v.user})
		out := s.resultLocked(AckResult{}, u.ID, "modal", missing)
		s.mu.Unlock()
		return out, ErrInputRequired
	}
	v.errors = nil
	payload := s.interactionLocked(u, "view_submission")
	payload["trigger_id"] = s.newTriggerLocked(u.ID, v.id)
	payload["view"] = s.viewJSONLocked(v, true)
	payload["response_urls"] = []any{}
	s.mu.Unlock()

	res, err := s.deliver(ctx, delivery{kind: "interactive", user: u.ID, payload: payload, accepts: true})
	if err != nil {
		return s.result(res, u.ID, "modal", nil), err
	}
	errs, err := s.applySubmitAck(res, v)
	return s.result(res, u.ID, "modal", errs), err
}

// enterValuesLocked records values typed or chosen by the user, all or
// none of them.
func (s *Server) enterValuesLocked(v *viewRec, values map[string]map[string]map[string]any) error {
	type entry struct {
		e   viewElement
		val stateValue
	}
	var entries []entry
	for block, actions := range values {
		for action, given := range actions {
			e, ok := findElement(v.body, action)
			k, stateful := stateKinds[e.typ]
			if !ok || e.blockID != block || !stateful {
				return fmt.Errorf("%w: no input %s/%s", ErrNoSuchElement, block, action)
			}
			val := maps.Clone(given)
			if val == nil {
				val = stateValue{}
			}
			val["type"] = e.typ
			var err error
			switch k.key {
			case "selected_option":
				val[k.key], err = s.fullOption(v, e, val[k.key])
			case "selected_options":
				list, _ := val[k.key].([]any)
				full := make([]any, len(list))
				for i, o := range list {
					if full[i], err = s.fullOption(v, e, o); err != nil {
						break
					}
				}
				val[k.key] = full
			}
			if err != nil {
				return err
			}
			entries = append(entries, entry{e, val})
		}
	}
	for _, en := range entries {
		v.setValue(en.e, en.val)
	}
	return nil
}

// fullOption turns a chosen option named by its value into the option the
// view (or the app's last suggestions) offers.
func (s *Server) fullOption(v *viewRec, e viewElement, given any) (any, error) {
	m, ok := given.(map[string]any)
	if given == nil || !ok {
		return given, nil
	}
	value, _ := m["value"].(string)
	opt := findOption(e.el, value)
	if opt == nil {
		opt = findIn(v.suggested[e.actionID], value)
	}
	if opt == nil {
		return nil, fmt.Errorf("%w: %s offers no option %q", ErrInvalidValue, e.actionID, value)
	}
	return opt, nil
}

// requiredMissing names the required inputs left empty, as Slack's client
// marks them.
func requiredMissing(v *viewRec) map[string]string {
	out := map[string]string{}
	for _, e := range viewElements(v.body) {
		if _, ok := stateKinds[e.typ]; ok && e.inInput && !e.optional && isEmpty(v.current(e)) {
			out[e.blockID] = "Please complete this required field."
		}
	}
	return out
}

// submitAck is a view_submission ack payload.
type submitAck struct {
	ResponseAction string            `json:"response_action"`
	View           map[string]any    `json:"view"`
	Errors         map[string]string `json:"errors"`
}

// applySubmitAck does what Slack does with a view_submission ack.
func (s *Server) applySubmitAck(res AckResult, v *viewRec) (map[string]string, error) {
	var a submitAck
	if len(res.Ack) > 0 && json.Unmarshal(res.Ack, &a) != nil {
		return nil, s.refuseAck(res, v.user, "the ack payload is not a view_submission response")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !v.open { // the app closed it meanwhile
		return nil, nil
	}
	switch a.ResponseAction {
	case "":
		s.popLocked(v)
	case "clear":
		s.clearLocked(v.user)
	case "errors":
		if len(a.Errors) == 0 {
			return nil, s.refuseAckLocked(res, v.user, "response_action errors without errors")
		}
		for block := range a.Errors {
			if !hasInputBlock(v.body, block) {
				return nil, s.refuseAckLocked(res, v.user, fmt.Sprintf("errors names %q, which is not an input block of the view", block))
			}
		}
		v.errors = maps.Clone(a.Errors)
		s.stream.publish(StreamEvent{Kind: "view_updated", ViewID: v.id, User: v.user})
		return v.errors, nil
	case "update", "push":
		if err := validateView(a.View, "modal"); err != nil {
			return nil, s.refuseAckLocked(res, v.user, fmt.Sprintf("response_action %s with an invalid view: %v", a.ResponseAction, describe(err)))
		}
		if a.ResponseAction == "update" {
			s.setBodyLocked(v, a.View)
			s.stream.publish(StreamEvent{Kind: "view_updated", ViewID: v.id, User: v.user})
			return nil, nil
		}
		if len(s.views.stacks[v.user]) >= maxStack {
			return nil, s.refuseAckLocked(res, v.user, "response_action push: push_limit_reached")
		}
		s.pushLocked(v.user, a.View, "")
	default:
		return nil, s.refuseAckLocked(res, v.user, fmt.Sprintf("unknown response_action %q", a.ResponseAction))
	}
	return nil, nil
}

func hasInputBlock(body map[string]any, blockID string) bool {
	blocks, _ := body["blocks"].([]any)
	for _, raw := range blocks {
		if blk, ok := raw.(map[string]any); ok && blk["type"] == "input" && blk["block_id"] == blockID {
			return true
		}
	}
	return false
}

// describe is an API error with its messages.
func describe(err error) string {
	var e *apiError
	if errors.As(err, &e) && len(e.detail) > 0 {
		return fmt.Sprintf("%s %v", e.code, e.detail)
	}
	return err.Error()
}

// refuseAck records that the user saw an error instead of the app's answer.
func (s *Server) refuseAck(res AckResult, user, why string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refuseAckLocked(res, user, why)
}

func (s *Server) refuseAckLocked(res AckResult, user, why string) error {
	s.failures = append(s.failures, UserError{UserID: user, EnvelopeID: res.EnvelopeID, Kind: "interactive", Error: why, At: s.now()})
	return fmt.Errorf("%w: %s", ErrBadAck, why)
}

// CloseView closes the modal on top (or, with Clear, the whole stack) and,
// when that view asked for notify_on_close, delivers view_closed and waits
// for its ack. The view is closed whatever the app answers.
func (s *Server) CloseView(ctx context.Context, req CloseRequest) (ViewResult, error) {
	s.mu.Lock()
	u, v, err := s.visibleViewLocked(req.UserID, req.ViewID)
	if err == nil && v.typ != "modal" {
		err = fmt.Errorf("%w: a Home tab cannot be closed", ErrNoSuchView)
	}
	if err != nil {
		s.mu.Unlock()
		return ViewResult{}, err
	}
	cleared := req.Clear && len(s.views.stacks[u.ID]) > 1
	view := s.viewJSONLocked(v, false)
	notify, _ := v.body["notify_on_close"].(bool)
	if req.Clear {
		s.clearLocked(u.ID)
	} else {
		s.popLocked(v)
	}
	if !notify {
		out := s.resultLocked(AckResult{}, u.ID, "modal", nil)
		s.mu.Unlock()
		return out, nil
	}
	payload := s.interactionLocked(u, "view_closed")
	payload["view"], payload["is_cleared"] = view, cleared
	s.mu.Unlock()
	res, err := s.deliver(ctx, delivery{kind: "interactive", user: u.ID, payload: payload})
	return s.result(res, u.ID, "modal", nil), err
}
