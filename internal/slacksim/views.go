package slacksim

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// View is a modal or a Home tab as a user sees it: what GET /_sim/views
// lists and what the user-side view calls answer with.
type View struct {
	ID     string `json:"id"`
	Type   string `json:"type"` // modal or home
	UserID string `json:"user_id"`
	// CallbackID, PrivateMetadata and ExternalID are the app's, as it set them.
	CallbackID      string `json:"callback_id"`
	PrivateMetadata string `json:"private_metadata"`
	ExternalID      string `json:"external_id,omitempty"`
	// Title, Submit and Close are the text of those plain_text objects;
	// empty when absent (always, for a Home tab).
	Title  string          `json:"title"`
	Submit string          `json:"submit,omitempty"`
	Close  string          `json:"close,omitempty"`
	Blocks json.RawMessage `json:"blocks"`
	Hash   string          `json:"hash"`
	// State is {"values":{…}}: what the user has entered, as the app sees it.
	State json.RawMessage `json:"state"`
	// Errors are the messages shown under input blocks, by block_id, after
	// the app answered a submission with response_action errors.
	Errors         map[string]string `json:"errors,omitempty"`
	RootViewID     string            `json:"root_view_id,omitempty"`
	PreviousViewID string            `json:"previous_view_id,omitempty"`
	NotifyOnClose  bool              `json:"notify_on_close"`
	// Open is false once the user or the app has closed the view.
	Open bool `json:"open"`
	// TriggerID is the trigger_id that opened or pushed the view; empty for
	// a Home tab and for views pushed by a submission's ack.
	TriggerID string `json:"trigger_id,omitempty"`
	// View is the whole view object as the Web API returns it.
	View json.RawMessage `json:"view,omitempty"`
}

// viewRec is one view as the simulator keeps it. All fields are guarded by
// Server.mu.
type viewRec struct {
	id, typ, user string
	// body is the view as the app last sent it, with generated block_id and
	// action_id filled in. Its maps are replaced, never changed in place.
	body    map[string]any
	hash    string
	trigger string
	// values is what the user has entered: block_id → action_id → state
	// value object ({"type":…,"value":…} and friends).
	values     map[string]map[string]stateValue
	errors     map[string]string
	rootID     string
	previousID string
	open       bool
	// suggested holds, per action_id of an external select, the options
	// the app last answered a block_suggestion with.
	suggested map[string][]map[string]any
}

// viewStore is every view of the workspace, guarded by Server.mu.
type viewStore struct {
	byID   map[string]*viewRec
	log    []*viewRec            // every view, in the order first shown
	stacks map[string][]*viewRec // user → open modals, root first
	homes  map[string]*viewRec   // user → published Home tab
}

func newViewStore() viewStore {
	return viewStore{byID: map[string]*viewRec{}, stacks: map[string][]*viewRec{}, homes: map[string]*viewRec{}}
}

// newViewLocked records a new open view for user.
func (s *Server) newViewLocked(user, typ string, body map[string]any, trigger string) *viewRec {
	v := &viewRec{
		id: s.newIDLocked("V"), typ: typ, user: user, trigger: trigger, open: true,
		values: map[string]map[string]stateValue{}, suggested: map[string][]map[string]any{},
	}
	v.rootID = v.id
	s.setBodyLocked(v, body)
	s.views.byID[v.id] = v
	s.views.log = append(s.views.log, v)
	return v
}

// setBodyLocked gives v a new body and hash. What the user entered stays
// where the block_id and action_id are unchanged, as in Slack.
func (s *Server) setBodyLocked(v *viewRec, body map[string]any) {
	s.fillIDsLocked(body)
	v.body = body
	v.values = keepValues(v.values, body)
	v.errors = nil
	s.seq++
	v.hash = fmt.Sprintf("%d.%08x", s.now().Unix(), uint32(s.seq)*2654435761)
}

// fillIDsLocked gives every block a block_id and every interactive element
// an action_id, as Slack does. Generated IDs are new on each version of the
// view, so inputs without IDs lose what the user typed on update.
func (s *Server) fillIDsLocked(body map[string]any) {
	blocks, _ := body["blocks"].([]any)
	for _, raw := range blocks {
		blk, ok := raw.(map[string]any)
		if !ok {
			continue
		}
		if id, _ := blk["block_id"].(string); id == "" {
			s.seq++
			blk["block_id"] = "g" + strconv.FormatInt(int64(s.seq), 36)
		}
		for _, el := range blockElements(blk) {
			if id, _ := el["action_id"].(string); id == "" && el["type"] != "image" {
				s.seq++
				el["action_id"] = "g" + strconv.FormatInt(int64(s.seq), 36)
			}
		}
	}
}

// closeLocked takes v off the screen.
func (s *Server) closeLocked(v *viewRec) {
	if !v.open {
		return
	}
	v.open = false
	s.stream.publish(StreamEvent{Kind: "view_closed", ViewID: v.id, User: v.user})
}

// popLocked closes v and every view pushed above it in its user's stack.
func (s *Server) popLocked(v *viewRec) {
	stack := s.views.stacks[v.user]
	for i, x := range stack {
		if x != v {
			continue
		}
		for j := len(stack) - 1; j >= i; j-- {
			s.closeLocked(stack[j])
		}
		s.views.stacks[v.user] = stack[:i]
		return
	}
}

// clearLocked closes a user's whole modal stack.
func (s *Server) clearLocked(user string) {
	if stack := s.views.stacks[user]; len(stack) > 0 {
		s.popLocked(stack[0])
	}
}

// openViewLocked finds an open view by ID or, when id is empty, by
// external_id.
func (s *Server) openViewLocked(id, externalID string) *viewRec {
	if id != "" {
		if v := s.views.byID[id]; v != nil && v.open {
			return v
		}
		return nil
	}
	for _, v := range s.views.log {
		if v.open && externalID != "" && v.body["external_id"] == externalID {
			return v
		}
	}
	return nil
}

// externalIDTakenLocked: external_id is unique among the team's open views.
func (s *Server) externalIDTakenLocked(body map[string]any, except *viewRec) bool {
	ext, _ := body["external_id"].(string)
	if ext == "" {
		return false
	}
	v := s.openViewLocked("", ext)
	return v != nil && v != except
}

// viewJSONLocked renders v as the Web API and interaction payloads carry
// it. submitted fills in every input, as a view_submission does.
func (s *Server) viewJSONLocked(v *viewRec, submitted bool) map[string]any {
	ws := s.opts.Workspace
	out := map[string]any{
		"private_metadata": "", "callback_id": "", "external_id": "", "clear_on_close": false, "notify_on_close": false,
		"previous_view_id": nil, "root_view_id": v.rootID,
	}
	for k, x := range v.body {
		out[k] = x
	}
	if out["blocks"] == nil {
		out["blocks"] = []any{}
	}
	if v.typ == "home" {
		out["root_view_id"] = nil
	}
	if v.previousID != "" {
		out["previous_view_id"] = v.previousID
	}
	out["id"], out["type"], out["team_id"], out["hash"] = v.id, v.typ, ws.Team.ID, v.hash
	out["app_id"], out["bot_id"], out["app_installed_team_id"] = ws.Bot.AppID, ws.Bot.BotID, ws.Team.ID
	out["state"] = map[string]any{"values": stateValues(v, submitted)}
	return out
}

// exportLocked is v as the Go and control APIs show it.
func (s *Server) exportLocked(v *viewRec) View {
	text := func(key string) string {
		m, _ := v.body[key].(map[string]any)
		t, _ := m["text"].(string)
		return t
	}
	str := func(key string) string { t, _ := v.body[key].(string); return t }
	blocks, _ := json.Marshal(v.body["blocks"])
	if string(blocks) == "null" {
		blocks = []byte("[]")
	}
	state, _ := json.Marshal(map[string]any{"values": stateValues(v, false)})
	whole, _ := json.Marshal(s.viewJSONLocked(v, false))
	notify, _ := v.body["notify_on_close"].(bool)
	out := View{
		ID: v.id, Type: v.typ, UserID: v.user, CallbackID: str("callback_id"), PrivateMetadata: str("private_metadata"),
		ExternalID: str("external_id"), Title: text("title"), Submit: text("submit"), Close: text("close"),
		Blocks: blocks, Hash: v.hash, State: state, PreviousViewID: v.previousID, NotifyOnClose: notify,
		Open: v.open, TriggerID: v.trigger, View: whole,
	}
	if v.typ == "modal" {
		out.RootViewID = v.rootID
	}
	if len(v.errors) > 0 {
		out.Errors = map[string]string{}
		for k, e := range v.errors {
			out.Errors[k] = e
		}
	}
	return out
}

// Views lists every view shown so far, open or closed, oldest first:
// modals opened or pushed, Home tabs published (one per user, kept across
// publishes).
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.views.log))
	for _, v := range s.views.log {
		out = append(out, s.exportLocked(v))
	}
	return out
}

// UserViews lists what a user has open: their modal stack from the root to
// the view on top, then their Home tab if the app has published one.
func (s *Server) UserViews(userID string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []View{}
	for _, v := range s.views.stacks[userID] {
		out = append(out, s.exportLocked(v))
	}
	if h := s.views.homes[userID]; h != nil {
		out = append(out, s.exportLocked(h))
	}
	return out
}
