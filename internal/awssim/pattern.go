package awssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// eventPattern is a parsed EventBridge event pattern.
//
// The subset implemented: listed fields are ANDed, the values of an array
// are ORed, strings match exactly and case-sensitively, numbers by value,
// true/false/null literally; unlisted fields are wildcards; nested objects
// (detail.state) recurse; and three content filters: {"prefix": "s"},
// {"anything-but": value | [values] | {"prefix": "s"}} and
// {"exists": true|false}. Other filters (numeric, suffix, wildcard,
// equals-ignore-case, cidr, $or) are refused as not valid, so a rule never
// silently matches differently from AWS.
type eventPattern struct {
	fields map[string]*patternNode
}

// patternNode is either a nested pattern (obj) or a list of alternatives.
type patternNode struct {
	obj  *eventPattern
	alts []matcher
}

// matcher is one alternative of a leaf: a literal or a content filter.
type matcher struct {
	kind    string // literal | prefix | anything-but | anything-but-prefix | exists
	literal any    // string, float64, bool, nil (literal)
	prefix  string
	not     []any // anything-but values
	exists  bool
}

// parsePattern parses and validates an event pattern as EventBridge does;
// the error text is the "Reason: ..." part of InvalidEventPatternException.
func parsePattern(src string) (*eventPattern, error) {
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("Filter is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("Filter is not valid JSON: trailing data")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Filter is not an object")
	}
	if len(obj) == 0 {
		return nil, fmt.Errorf("Empty objects are not allowed")
	}
	return parseObject(obj)
}

func parseObject(obj map[string]any) (*eventPattern, error) {
	p := &eventPattern{fields: map[string]*patternNode{}}
	for key, val := range obj {
		switch v := val.(type) {
		case map[string]any:
			if len(v) == 0 {
				return nil, fmt.Errorf("Empty objects are not allowed")
			}
			sub, err := parseObject(v)
			if err != nil {
				return nil, err
			}
			p.fields[key] = &patternNode{obj: sub}
		case []any:
			if len(v) == 0 {
				return nil, fmt.Errorf("Empty arrays are not allowed")
			}
			node := &patternNode{}
			for _, alt := range v {
				m, err := parseMatcher(alt)
				if err != nil {
					return nil, err
				}
				node.alts = append(node.alts, m)
			}
			p.fields[key] = node
		default:
			return nil, fmt.Errorf("%q must be an object or an array", key)
		}
	}
	return p, nil
}

// parseMatcher parses one element of a leaf array.
func parseMatcher(v any) (matcher, error) {
	switch x := v.(type) {
	case string, bool, nil:
		return matcher{kind: "literal", literal: x}, nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return matcher{}, fmt.Errorf("invalid number %s", x)
		}
		return matcher{kind: "literal", literal: f}, nil
	case []any:
		return matcher{}, fmt.Errorf("Match value must be String, number, true, false, or null")
	case map[string]any:
		return parseFilter(x)
	}
	return matcher{}, fmt.Errorf("Match value must be String, number, true, false, or null")
}

// parseFilter parses a content filter object such as {"prefix": "x"}.
func parseFilter(f map[string]any) (matcher, error) {
	if len(f) != 1 {
		return matcher{}, fmt.Errorf("A content filter must have exactly one match type")
	}
	for op, arg := range f {
		switch op {
		case "prefix":
			s, ok := arg.(string)
			if !ok {
				return matcher{}, fmt.Errorf("prefix match pattern must be a string")
			}
			return matcher{kind: "prefix", prefix: s}, nil
		case "exists":
			b, ok := arg.(bool)
			if !ok {
				return matcher{}, fmt.Errorf("exists match pattern must be either true or false.")
			}
			return matcher{kind: "exists", exists: b}, nil
		case "anything-but":
			return parseAnythingBut(arg)
		default:
			return matcher{}, fmt.Errorf("Unrecognized match type %s", op)
		}
	}
	return matcher{}, fmt.Errorf("A content filter must have exactly one match type")
}

func parseAnythingBut(arg any) (matcher, error) {
	switch a := arg.(type) {
	case string, bool, nil:
		return matcher{kind: "anything-but", not: []any{a}}, nil
	case json.Number:
		f, _ := a.Float64()
		return matcher{kind: "anything-but", not: []any{f}}, nil
	case []any:
		if len(a) == 0 {
			return matcher{}, fmt.Errorf("Empty arrays are not allowed")
		}
		m := matcher{kind: "anything-but"}
		for _, e := range a {
			switch x := e.(type) {
			case string:
				m.not = append(m.not, x)
			case json.Number:
				f, _ := x.Float64()
				m.not = append(m.not, f)
			default:
				return matcher{}, fmt.Errorf("Inside anything but list, start|null|boolean is not supported.")
			}
		}
		return m, nil
	case map[string]any:
		p, ok := a["prefix"].(string)
		if len(a) != 1 || !ok {
			return matcher{}, fmt.Errorf("Unsupported anything-but pattern")
		}
		return matcher{kind: "anything-but-prefix", prefix: p}, nil
	}
	return matcher{}, fmt.Errorf("Unsupported anything-but pattern")
}

// matches reports whether the event (a decoded JSON object) matches.
func (p *eventPattern) matches(event map[string]any) bool {
	for key, node := range p.fields {
		val, present := event[key]
		if node.obj != nil {
			sub, ok := val.(map[string]any)
			if !ok || !node.obj.matches(sub) {
				return false
			}
			continue
		}
		if !node.matchLeaf(val, present) {
			return false
		}
	}
	return true
}

// matchLeaf ORs the alternatives. An array value in the event matches when
// any of its elements does.
func (n *patternNode) matchLeaf(val any, present bool) bool {
	for _, m := range n.alts {
		if m.kind == "exists" {
			if m.exists == present {
				return true
			}
			continue
		}
		if !present {
			continue
		}
		if arr, ok := val.([]any); ok {
			for _, e := range arr {
				if m.matchValue(e) {
					return true
				}
			}
			continue
		}
		if m.matchValue(val) {
			return true
		}
	}
	return false
}

func (m matcher) matchValue(v any) bool {
	switch m.kind {
	case "literal":
		return sameValue(m.literal, v)
	case "prefix":
		s, ok := v.(string)
		return ok && strings.HasPrefix(s, m.prefix)
	case "anything-but":
		if _, isObj := v.(map[string]any); isObj {
			return false
		}
		for _, n := range m.not {
			if sameValue(n, v) {
				return false
			}
		}
		return true
	case "anything-but-prefix":
		s, ok := v.(string)
		return ok && !strings.HasPrefix(s, m.prefix)
	}
	return false
}

// sameValue compares a pattern literal with an event value; events are
// decoded with UseNumber so numbers compare by value.
func sameValue(lit, v any) bool {
	switch l := lit.(type) {
	case string:
		s, ok := v.(string)
		return ok && s == l
	case float64:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		return err == nil && f == l
	case bool:
		b, ok := v.(bool)
		return ok && b == l
	case nil:
		return v == nil
	}
	return false
}

// decodeEvent decodes an event's JSON for matching.
func decodeEvent(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}
