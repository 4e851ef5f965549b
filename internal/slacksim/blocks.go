package slacksim

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits, as Slack enforces them on messages and modals.
const (
	maxMessageBlocks = 50
	maxModalBlocks   = 100
	// maxBlocksText is the cumulative text of all blocks beyond which Slack
	// answers msg_blocks_too_long. Slack does not publish it; reports put it
	// a little above 12,000 characters. Unconfirmed: tests must not sit on it.
	maxBlocksText = 13000
)

// blockTypes are the block types the simulator knows; anything else is
// refused as Slack refuses it.
var blockTypes = map[string]bool{
	"header": true, "section": true, "context": true, "actions": true,
	"divider": true, "image": true, "rich_text": true, "input": true,
}

// elementTypes are the interactive and context elements Slack knows.
// Buttons, menus with options and text inputs are checked in depth
// (elements.go); the rest by type and action_id only.
var elementTypes = map[string]bool{
	"button": true, "image": true, "overflow": true, "static_select": true,
	"external_select": true, "users_select": true, "conversations_select": true,
	"channels_select": true, "multi_static_select": true, "multi_users_select": true,
	"multi_external_select": true, "multi_conversations_select": true, "multi_channels_select": true,
	"datepicker": true, "timepicker": true, "datetimepicker": true, "checkboxes": true,
	"radio_buttons": true, "plain_text_input": true, "number_input": true, "email_text_input": true,
	"url_text_input": true, "rich_text_input": true,
}

// blockChecker walks one message's or view's blocks and collects Slack's
// complaints.
type blockChecker struct {
	inView    bool // a modal or Home tab: input blocks allowed
	errs      []string
	blockIDs  map[string]bool
	actionIDs map[string]bool
	textLen   int
}

func newBlockChecker(inView bool) *blockChecker {
	return &blockChecker{inView: inView, blockIDs: map[string]bool{}, actionIDs: map[string]bool{}}
}

func (b *blockChecker) fail(ptr, format string, args ...any) {
	b.errs = append(b.errs, fmt.Sprintf(format, args...)+" [json-pointer:"+ptr+"]")
}

// validateBlocks checks a message's blocks array as Slack does.
func validateBlocks(raw json.RawMessage) error {
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return fail("invalid_blocks_format")
	}
	if len(blocks) > maxMessageBlocks {
		return fail("invalid_blocks", fmt.Sprintf("no more than %d items allowed [json-pointer:/blocks]", maxMessageBlocks))
	}
	b := newBlockChecker(false)
	for i, blk := range blocks {
		b.block(fmt.Sprintf("/blocks/%d", i), blk)
	}
	if len(b.errs) > 0 {
		return fail("invalid_blocks", b.errs...)
	}
	if b.textLen > maxBlocksText {
		return fail("msg_blocks_too_long")
	}
	return nil
}

func (b *blockChecker) block(ptr string, blk map[string]any) {
	typ, _ := blk["type"].(string)
	if !blockTypes[typ] || (typ == "input" && !b.inView) {
		b.fail(ptr+"/type", "unsupported type: %s", typ)
		return
	}
	if id, ok := blk["block_id"].(string); ok {
		switch {
		case utf8.RuneCountInString(id) > 255:
			b.fail(ptr+"/block_id", "must be less than 256 characters")
		case b.blockIDs[id]:
			b.fail(ptr+"/block_id", "duplicate block_id: %s", id)
		}
		b.blockIDs[id] = true
	}
	switch typ {
	case "header":
		b.text(ptr+"/text", blk["text"], 150, true, true)
	case "section":
		_, hasText := blk["text"]
		fields, hasFields := blk["fields"].([]any)
		if !hasText && !hasFields {
			b.fail(ptr, "must provide either text or fields")
		}
		if hasText {
			b.text(ptr+"/text", blk["text"], 3000, false, true)
		}
		if len(fields) > 10 {
			b.fail(ptr+"/fields", "no more than 10 items allowed")
		}
		for i, f := range fields {
			b.text(fmt.Sprintf("%s/fields/%d", ptr, i), f, 2000, false, true)
		}
		if acc, ok := blk["accessory"]; ok {
			b.element(ptr+"/accessory", acc, map[string]bool{})
		}
	case "context":
		els, _ := blk["elements"].([]any)
		if len(els) == 0 || len(els) > 10 {
			b.fail(ptr+"/elements", "must provide between 1 and 10 items")
		}
		for i, el := range els {
			p := fmt.Sprintf("%s/elements/%d", ptr, i)
			m, _ := el.(map[string]any)
			switch m["type"] {
			case "image":
				b.image(p, m)
			default:
				b.text(p, el, 3000, false, true)
			}
		}
	case "actions":
		els, _ := blk["elements"].([]any)
		if len(els) == 0 || len(els) > 25 {
			b.fail(ptr+"/elements", "must provide between 1 and 25 items")
		}
		inBlock := map[string]bool{}
		for i, el := range els {
			b.element(fmt.Sprintf("%s/elements/%d", ptr, i), el, inBlock)
		}
	case "image":
		b.image(ptr, blk)
		if t, ok := blk["title"]; ok {
			b.text(ptr+"/title", t, 2000, true, true)
		}
	case "input":
		b.input(ptr, blk)
	case "rich_text":
		if _, ok := blk["elements"].([]any); !ok {
			b.fail(ptr+"/elements", "must provide an array")
		}
		b.textLen += countText(blk["elements"])
	}
}

// text checks a text object: plain_text or mrkdwn (plainOnly refuses
// mrkdwn), 1..max characters.
func (b *blockChecker) text(ptr string, v any, max int, plainOnly, required bool) {
	m, ok := v.(map[string]any)
	if !ok {
		if required {
			b.fail(ptr, "must provide an object")
		}
		return
	}
	typ, _ := m["type"].(string)
	switch {
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
	default:
		b.fail(ptr+"/type", "must be a valid enum value")
		return
	}
	s, ok := m["text"].(string)
	n := utf8.RuneCountInString(s)
	b.textLen += n
	switch {
	case !ok || n == 0:
		b.fail(ptr+"/text", "must be more than 0 characters")
	case n > max:
		b.fail(ptr+"/text", "must be less than %d characters", max+1)
	}
}

func (b *blockChecker) image(ptr string, m map[string]any) {
	_, url := m["image_url"].(string)
	_, file := m["slack_file"].(map[string]any)
	if !url && !file {
		b.fail(ptr, "must provide image_url or slack_file")
	}
	alt, _ := m["alt_text"].(string)
	if alt == "" || utf8.RuneCountInString(alt) > 2000 {
		b.fail(ptr+"/alt_text", "must be between 1 and 2000 characters")
	}
}

// element checks an interactive element; buttons in depth.
func (b *blockChecker) element(ptr string, v any, inBlock map[string]bool) {
	m, ok := v.(map[string]any)
	if !ok {
		b.fail(ptr, "must provide an object")
		return
	}
	typ, _ := m["type"].(string)
	if !elementTypes[typ] {
		b.fail(ptr+"/type", "unsupported type: %s", typ)
		return
	}
	if id, ok := m["action_id"].(string); ok {
		switch {
		case id == "" || utf8.RuneCountInString(id) > 255:
			b.fail(ptr+"/action_id", "must be between 1 and 255 characters")
		case inBlock[id] || b.actionIDs[id]:
			b.fail(ptr+"/action_id", "duplicate action_id: %s", id)
		}
		inBlock[id] = true
		b.actionIDs[id] = true
	}
	if typ == "image" {
		b.image(ptr, m)
		return
	}
	if typ != "button" {
		b.elementDetail(ptr, typ, m)
		return
	}
	b.text(ptr+"/text", m["text"], 75, true, true)
	if v, ok := m["value"].(string); ok && utf8.RuneCountInString(v) > 2000 {
		b.fail(ptr+"/value", "must be less than 2001 characters")
	}
	if u, ok := m["url"].(string); ok && utf8.RuneCountInString(u) > 3000 {
		b.fail(ptr+"/url", "must be less than 3001 characters")
	}
	if st, ok := m["style"]; ok && st != "primary" && st != "danger" {
		b.fail(ptr+"/style", "must be a valid enum value")
	}
	if c, ok := m["confirm"]; ok {
		b.confirm(ptr+"/confirm", c)
	}
}

// confirm checks a confirmation dialog object.
func (b *blockChecker) confirm(ptr string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		b.fail(ptr, "must provide an object")
		return
	}
	b.text(ptr+"/title", m["title"], 100, true, true)
	b.text(ptr+"/text", m["text"], 300, false, true)
	b.text(ptr+"/confirm", m["confirm"], 30, true, true)
	b.text(ptr+"/deny", m["deny"], 30, true, true)
	if st, ok := m["style"]; ok && st != "primary" && st != "danger" {
		b.fail(ptr+"/style", "must be a valid enum value")
	}
}

// countText sums the "text" strings anywhere under v (rich text trees).
func countText(v any) int {
	n := 0
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && k == "text" {
				n += utf8.RuneCountInString(s)
			} else {
				n += countText(x)
			}
		}
	case []any:
		for _, x := range t {
			n += countText(x)
		}
	}
	return n
}

// button is a clickable button found on a stored message.
type button struct {
	BlockID  string
	ActionID string
	Text     map[string]any
	Value    string
	Style    string
	URL      string
}

// findButton looks for the button with actionID in a message's blocks.
func findButton(raw json.RawMessage, actionID string) (button, bool) {
	var blocks []map[string]any
	if json.Unmarshal(raw, &blocks) != nil {
		return button{}, false
	}
	for _, blk := range blocks {
		var els []any
		switch blk["type"] {
		case "actions":
			els, _ = blk["elements"].([]any)
		case "section":
			if acc, ok := blk["accessory"]; ok {
				els = []any{acc}
			}
		}
		for _, el := range els {
			m, _ := el.(map[string]any)
			if m["type"] != "button" || m["action_id"] != actionID {
				continue
			}
			bt := button{ActionID: actionID}
			bt.BlockID, _ = blk["block_id"].(string)
			bt.Text, _ = m["text"].(map[string]any)
			bt.Value, _ = m["value"].(string)
			bt.Style, _ = m["style"].(string)
			bt.URL, _ = m["url"].(string)
			return bt, true
		}
	}
	return button{}, false
}
