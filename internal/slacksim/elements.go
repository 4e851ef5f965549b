package slacksim

import (
	"fmt"
	"math"
	"unicode/utf8"
)

// Limits of option objects and menus (Block Kit composition objects).
const (
	maxOptions         = 100
	maxOptionText      = 75
	maxOptionValue     = 150
	maxPlaceholder     = 150
	maxInputLength     = 3000
	maxInputLabel      = 2000
	maxOverflowOptions = 5
	maxChoiceOptions   = 10 // radio buttons and checkboxes
)

// input checks an input block: a label, and one element that can hold a
// value.
func (b *blockChecker) input(ptr string, blk map[string]any) {
	b.text(ptr+"/label", blk["label"], maxInputLabel, true, true)
	if h, ok := blk["hint"]; ok {
		b.text(ptr+"/hint", h, maxInputLabel, true, true)
	}
	for _, key := range []string{"optional", "dispatch_action"} {
		if v, ok := blk[key]; ok {
			if _, isBool := v.(bool); !isBool {
				b.fail(ptr+"/"+key, "must be a boolean")
			}
		}
	}
	el, ok := blk["element"].(map[string]any)
	if !ok {
		b.fail(ptr+"/element", "must provide an object")
		return
	}
	typ, _ := el["type"].(string)
	if _, ok := stateKinds[typ]; !ok {
		b.fail(ptr+"/element/type", "unsupported type: %s", typ)
		return
	}
	b.element(ptr+"/element", el, map[string]bool{})
}

// elementDetail checks what an element other than a button carries:
// placeholder, options, lengths.
func (b *blockChecker) elementDetail(ptr, typ string, m map[string]any) {
	if p, ok := m["placeholder"]; ok {
		b.text(ptr+"/placeholder", p, maxPlaceholder, true, true)
	}
	mrkdwn := typ == "radio_buttons" || typ == "checkboxes"
	switch typ {
	case "static_select", "multi_static_select":
		b.options(ptr, m, 1)
	case "overflow":
		b.optionList(ptr+"/options", m["options"], 1, maxOverflowOptions, false)
	case "radio_buttons", "checkboxes":
		b.optionList(ptr+"/options", m["options"], 1, maxChoiceOptions, true)
	case "external_select", "multi_external_select":
		if q, ok := m["min_query_length"]; ok {
			if n, isNum := q.(float64); !isNum || n < 0 || n != math.Trunc(n) {
				b.fail(ptr+"/min_query_length", "must be a non-negative integer")
			}
		}
	case "plain_text_input":
		b.lengths(ptr, m)
	case "number_input":
		if _, ok := m["is_decimal_allowed"].(bool); !ok {
			b.fail(ptr+"/is_decimal_allowed", "must provide a boolean")
		}
	}
	if o, ok := m["initial_option"]; ok {
		b.option(ptr+"/initial_option", o, mrkdwn)
	}
	if c, ok := m["confirm"]; ok {
		b.confirm(ptr+"/confirm", c)
	}
}

// options checks a menu's options or option_groups (exactly one of them),
// each list holding at least min and at most 100 items.
func (b *blockChecker) options(ptr string, m map[string]any, min int) {
	opts, hasOpts := m["options"]
	groups, hasGroups := m["option_groups"]
	switch {
	case hasOpts && hasGroups:
		b.fail(ptr, "must provide either options or option_groups, not both")
	case hasOpts:
		b.optionList(ptr+"/options", opts, min, maxOptions, false)
	case hasGroups:
		list, ok := groups.([]any)
		if !ok || len(list) < min || len(list) > maxOptions {
			b.fail(ptr+"/option_groups", "must provide between %d and %d items", min, maxOptions)
			return
		}
		for i, g := range list {
			gp := fmt.Sprintf("%s/option_groups/%d", ptr, i)
			gm, ok := g.(map[string]any)
			if !ok {
				b.fail(gp, "must provide an object")
				continue
			}
			b.text(gp+"/label", gm["label"], maxOptionText, true, true)
			b.optionList(gp+"/options", gm["options"], 1, maxOptions, false)
		}
	case min > 0:
		b.fail(ptr, "must provide either options or option_groups")
	}
}

func (b *blockChecker) optionList(ptr string, v any, min, max int, mrkdwn bool) {
	list, ok := v.([]any)
	if !ok || len(list) < min || len(list) > max {
		b.fail(ptr, "must provide between %d and %d items", min, max)
		return
	}
	for i, o := range list {
		b.option(fmt.Sprintf("%s/%d", ptr, i), o, mrkdwn)
	}
}

// option checks an option object: text ≤75, value 1..150, description ≤75.
// Only radio buttons and checkboxes take mrkdwn text.
func (b *blockChecker) option(ptr string, v any, mrkdwn bool) {
	m, ok := v.(map[string]any)
	if !ok {
		b.fail(ptr, "must provide an object")
		return
	}
	b.text(ptr+"/text", m["text"], maxOptionText, !mrkdwn, true)
	if val, ok := m["value"].(string); !ok || val == "" || utf8.RuneCountInString(val) > maxOptionValue {
		b.fail(ptr+"/value", "must be between 1 and %d characters", maxOptionValue)
	}
	if d, ok := m["description"]; ok {
		b.text(ptr+"/description", d, maxOptionText, !mrkdwn, true)
	}
	if u, ok := m["url"].(string); ok && utf8.RuneCountInString(u) > 3000 {
		b.fail(ptr+"/url", "must be less than 3001 characters")
	}
}

// lengths checks a plain_text_input's min_length and max_length.
func (b *blockChecker) lengths(ptr string, m map[string]any) {
	num := func(key string, lo int) (int, bool) {
		v, ok := m[key]
		if !ok {
			return 0, false
		}
		n, isNum := v.(float64)
		if !isNum || n != math.Trunc(n) || int(n) < lo || int(n) > maxInputLength {
			b.fail(ptr+"/"+key, "must be between %d and %d", lo, maxInputLength)
			return 0, false
		}
		return int(n), true
	}
	lo, hasLo := num("min_length", 0)
	hi, hasHi := num("max_length", 1)
	if hasLo && hasHi && lo > hi {
		b.fail(ptr+"/min_length", "must not be more than max_length")
	}
	if iv, ok := m["initial_value"].(string); ok && hasHi && utf8.RuneCountInString(iv) > hi {
		b.fail(ptr+"/initial_value", "must be no longer than max_length")
	}
}
