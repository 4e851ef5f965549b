package slacksim

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// View limits (docs.slack.dev/reference/views/modal-views).
const (
	maxViewBytes       = 250 * 1024
	maxViewButtonText  = 24 // title, submit and close
	maxPrivateMetadata = 3000
	maxCallbackID      = 255
	maxExternalID      = 255
)

// parseView reads the view argument of a views.* call: inline JSON (slack-go)
// or a JSON string in a form field (the Node SDK), and checks it as Slack
// does for a view of type want.
func parseView(c *call, want string) (map[string]any, error) {
	raw, ok := c.rawJSON("view")
	if !ok || len(raw) == 0 {
		return nil, fail("invalid_arguments", "missing required field: view [json-pointer:/view]")
	}
	if len(raw) > maxViewBytes {
		return nil, fail("view_too_large")
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		return nil, fail("invalid_arguments", "must be a JSON object [json-pointer:/view]")
	}
	if err := validateView(body, want); err != nil {
		return nil, err
	}
	return body, nil
}

// validateView checks a view object as Slack does, answering
// invalid_arguments with one message per problem.
func validateView(body map[string]any, want string) error {
	b := newBlockChecker(true)
	if typ, _ := body["type"].(string); typ != want {
		b.fail("/view/type", "must be %s", want)
		return fail("invalid_arguments", b.errs...)
	}
	hasInput := false
	switch blocks, ok := body["blocks"].([]any); {
	case !ok && want == "home":
		b.fail("/view/blocks", "must provide an array")
	case len(blocks) > maxModalBlocks:
		b.fail("/view/blocks", "no more than %d items allowed", maxModalBlocks)
	default:
		for i, raw := range blocks {
			ptr := fmt.Sprintf("/view/blocks/%d", i)
			blk, ok := raw.(map[string]any)
			if !ok {
				b.fail(ptr, "must provide an object")
				continue
			}
			hasInput = hasInput || blk["type"] == "input"
			b.block(ptr, blk)
		}
	}
	if want == "modal" {
		b.text("/view/title", body["title"], maxViewButtonText, true, true)
		for _, key := range []string{"close", "submit"} {
			if v, ok := body[key]; ok && v != nil {
				b.text("/view/"+key, v, maxViewButtonText, true, true)
			}
		}
		if hasInput && body["submit"] == nil {
			b.fail("/view/submit", "must provide a submit button when the view has an input block")
		}
	} else {
		for _, key := range []string{"title", "close", "submit"} {
			if _, ok := body[key]; ok {
				b.fail("/view/"+key, "is not allowed in a Home tab")
			}
		}
	}
	b.maxString(body, "private_metadata", maxPrivateMetadata)
	b.maxString(body, "callback_id", maxCallbackID)
	b.maxString(body, "external_id", maxExternalID)
	for _, key := range []string{"clear_on_close", "notify_on_close"} {
		if v, ok := body[key]; ok {
			if _, isBool := v.(bool); !isBool {
				b.fail("/view/"+key, "must be a boolean")
			}
		}
	}
	if len(b.errs) > 0 {
		return fail("invalid_arguments", b.errs...)
	}
	return nil
}

// maxString checks an optional string field of the view.
func (b *blockChecker) maxString(body map[string]any, key string, max int) {
	v, ok := body[key]
	if !ok {
		return
	}
	s, isStr := v.(string)
	switch {
	case !isStr:
		b.fail("/view/"+key, "must be a string")
	case utf8.RuneCountInString(s) > max:
		b.fail("/view/"+key, "must be less than %d characters", max+1)
	}
}
