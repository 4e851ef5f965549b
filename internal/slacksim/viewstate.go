package slacksim

import (
	"fmt"
	"strconv"
	"time"
)

// stateValue is one element's entry in view.state.values, e.g.
// {"type":"plain_text_input","value":"v1.4"}.
type stateValue = map[string]any

// viewElement is one interactive element of a view and where it sits.
type viewElement struct {
	blockID  string
	inInput  bool // the element of an input block
	dispatch bool // that input block has dispatch_action: true
	optional bool // that input block may be left empty
	el       map[string]any
	typ      string
	actionID string
}

// blockElements are the interactive elements of one block: an input's
// element, an actions block's elements, a section's accessory.
func blockElements(blk map[string]any) []map[string]any {
	var out []map[string]any
	add := func(v any) {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	switch blk["type"] {
	case "input":
		add(blk["element"])
	case "actions":
		els, _ := blk["elements"].([]any)
		for _, el := range els {
			add(el)
		}
	case "section":
		add(blk["accessory"])
	}
	return out
}

// viewElements lists a view's interactive elements in block order.
func viewElements(body map[string]any) []viewElement {
	var out []viewElement
	blocks, _ := body["blocks"].([]any)
	for _, raw := range blocks {
		blk, ok := raw.(map[string]any)
		if !ok {
			continue
		}
		id, _ := blk["block_id"].(string)
		input := blk["type"] == "input"
		dispatch, _ := blk["dispatch_action"].(bool)
		optional, _ := blk["optional"].(bool)
		for _, el := range blockElements(blk) {
			typ, _ := el["type"].(string)
			aid, _ := el["action_id"].(string)
			out = append(out, viewElement{blockID: id, inInput: input, dispatch: dispatch, optional: optional, el: el, typ: typ, actionID: aid})
		}
	}
	return out
}

func findElement(body map[string]any, actionID string) (viewElement, bool) {
	for _, e := range viewElements(body) {
		if e.actionID == actionID {
			return e, true
		}
	}
	return viewElement{}, false
}

// stateKind says how an element's value sits in view.state.values: the key
// that holds it, the element field that gives its initial value, and
// whether it is a list.
type stateKind struct {
	key, initial string
	many         bool
}

// stateKinds are the elements that keep a value in view.state.values;
// buttons and overflow menus do not.
var stateKinds = map[string]stateKind{
	"plain_text_input":           {"value", "initial_value", false},
	"email_text_input":           {"value", "initial_value", false},
	"url_text_input":             {"value", "initial_value", false},
	"number_input":               {"value", "initial_value", false},
	"rich_text_input":            {"rich_text_value", "initial_value", false},
	"static_select":              {"selected_option", "initial_option", false},
	"external_select":            {"selected_option", "initial_option", false},
	"radio_buttons":              {"selected_option", "initial_option", false},
	"multi_static_select":        {"selected_options", "initial_options", true},
	"multi_external_select":      {"selected_options", "initial_options", true},
	"checkboxes":                 {"selected_options", "initial_options", true},
	"users_select":               {"selected_user", "initial_user", false},
	"multi_users_select":         {"selected_users", "initial_users", true},
	"conversations_select":       {"selected_conversation", "initial_conversation", false},
	"multi_conversations_select": {"selected_conversations", "initial_conversations", true},
	"channels_select":            {"selected_channel", "initial_channel", false},
	"multi_channels_select":      {"selected_channels", "initial_channels", true},
	"datepicker":                 {"selected_date", "initial_date", false},
	"timepicker":                 {"selected_time", "initial_time", false},
	"datetimepicker":             {"selected_date_time", "initial_date_time", false},
}

// initialState is an untouched element's state: its initial value, or
// null (an empty list for multi-selects).
func initialState(e viewElement) map[string]any {
	k := stateKinds[e.typ]
	v, ok := e.el[k.initial]
	if !ok {
		v = nil
		if k.many {
			v = []any{}
		}
	}
	return map[string]any{"type": e.typ, k.key: v}
}

// stateValues renders view.state.values: what the user entered, and for a
// submission also every input block's element, filled or not (null), as
// Slack sends them.
func stateValues(v *viewRec, submitted bool) map[string]any {
	out := map[string]any{}
	put := func(block, action string, val map[string]any) {
		m, _ := out[block].(map[string]any)
		if m == nil {
			m = map[string]any{}
			out[block] = m
		}
		m[action] = val
	}
	if submitted {
		for _, e := range viewElements(v.body) {
			if _, ok := stateKinds[e.typ]; ok && e.inInput {
				put(e.blockID, e.actionID, initialState(e))
			}
		}
	}
	for block, actions := range v.values {
		for action, val := range actions {
			put(block, action, val)
		}
	}
	return out
}

// keepValues keeps what the user entered in elements whose block_id,
// action_id and type are still in the view.
func keepValues(old map[string]map[string]stateValue, body map[string]any) map[string]map[string]stateValue {
	out := map[string]map[string]stateValue{}
	for _, e := range viewElements(body) {
		val, ok := old[e.blockID][e.actionID]
		if !ok || val["type"] != e.typ {
			continue
		}
		if out[e.blockID] == nil {
			out[e.blockID] = map[string]stateValue{}
		}
		out[e.blockID][e.actionID] = val
	}
	return out
}

// setValue records what the user entered in one element.
func (v *viewRec) setValue(e viewElement, val map[string]any) {
	if v.values[e.blockID] == nil {
		v.values[e.blockID] = map[string]stateValue{}
	}
	v.values[e.blockID][e.actionID] = val
}

// current is an element's state now: what the user entered, else its
// initial value.
func (v *viewRec) current(e viewElement) map[string]any {
	if val, ok := v.values[e.blockID][e.actionID]; ok {
		return val
	}
	return initialState(e)
}

// isEmpty: a required input holding this state blocks submission.
func isEmpty(val map[string]any) bool {
	for k, x := range val {
		if k == "type" {
			continue
		}
		switch t := x.(type) {
		case nil:
			return true
		case string:
			return t == ""
		case []any:
			return len(t) == 0
		default:
			return false
		}
	}
	return true
}

// chooseLocked is the state after the user picks or types value in element e,
// given what the app last suggested for it. Lists toggle the value.
func (s *Server) chooseLocked(v *viewRec, e viewElement, value string) (map[string]any, error) {
	k, ok := stateKinds[e.typ]
	if !ok {
		return nil, fmt.Errorf("%w: %s keeps no value", ErrInvalidValue, e.typ)
	}
	var picked any
	switch k.key {
	case "selected_option", "selected_options":
		opt := findOption(e.el, value)
		if opt == nil {
			opt = findIn(v.suggested[e.actionID], value)
		}
		if opt == nil {
			return nil, fmt.Errorf("%w: no option with value %q", ErrInvalidValue, value)
		}
		picked = opt
	case "selected_user", "selected_users":
		if u, ok := s.ws.users[value]; !ok || u.IsBot {
			return nil, fmt.Errorf("%w: no user %q", ErrInvalidValue, value)
		}
		picked = value
	case "selected_conversation", "selected_conversations", "selected_channel", "selected_channels":
		if s.ws.channels[value] == nil {
			return nil, fmt.Errorf("%w: no conversation %q", ErrInvalidValue, value)
		}
		picked = value
	case "selected_date", "selected_time":
		layout := map[string]string{"selected_date": "2006-01-02", "selected_time": "15:04"}[k.key]
		if _, err := time.Parse(layout, value); err != nil {
			return nil, fmt.Errorf("%w: %q is not %s", ErrInvalidValue, value, layout)
		}
		picked = value
	case "selected_date_time":
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %q is not a unix time", ErrInvalidValue, value)
		}
		picked = n
	default:
		picked = value
	}
	if !k.many {
		return map[string]any{"type": e.typ, k.key: picked}, nil
	}
	prev, _ := v.current(e)[k.key].([]any)
	list := []any{}
	removed := false
	for _, x := range prev {
		if sameChoice(x, picked) {
			removed = true
			continue
		}
		list = append(list, x)
	}
	if !removed {
		list = append(list, picked)
	}
	return map[string]any{"type": e.typ, k.key: list}, nil
}

func sameChoice(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		return am["value"] == bm["value"]
	}
	return a == b
}

// elementOptions flattens an element's options and option groups.
func elementOptions(el map[string]any) []map[string]any {
	var out []map[string]any
	add := func(list any) {
		items, _ := list.([]any)
		for _, o := range items {
			if m, ok := o.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	add(el["options"])
	groups, _ := el["option_groups"].([]any)
	for _, g := range groups {
		if m, ok := g.(map[string]any); ok {
			add(m["options"])
		}
	}
	if m, ok := el["initial_option"].(map[string]any); ok {
		out = append(out, m)
	}
	add(el["initial_options"])
	return out
}

func findOption(el map[string]any, value string) map[string]any {
	return findIn(elementOptions(el), value)
}

func findIn(opts []map[string]any, value string) map[string]any {
	for _, o := range opts {
		if o["value"] == value {
			return o
		}
	}
	return nil
}
