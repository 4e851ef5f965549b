package slacksim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// responseURL is one response_url handed out with a slash command or a
// click. original is the message it may replace or delete: the clicked
// message, or for a slash command the last message shown in answer to it.
type responseURL struct {
	id       string
	channel  string
	user     string
	original string
	created  time.Time
	uses     int
	// fromClick: original is the clicked message and stays so; otherwise
	// (a slash command) original follows the last answer shown.
	fromClick bool
}

func (s *Server) newResponseURLLocked(channel, user, original string) *responseURL {
	r := &responseURL{id: s.newIDLocked("ru"), channel: channel, user: user, original: original, created: s.now(), fromClick: original != ""}
	s.respURLs[r.id] = r
	return r
}

// responseMessage is what an app posts to a response_url (or puts in a
// slash command's ack).
type responseMessage struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

// blocks is the message's blocks, nil when absent, null or empty.
func (m responseMessage) blocks() json.RawMessage {
	b := strings.TrimSpace(string(m.Blocks))
	if b == "" || b == "null" || b == "[]" {
		return nil
	}
	return m.Blocks
}

// serveResponseURL answers POSTs to a response_url. Failures are HTTP 200
// with ok:false and Slack's error name (expired_url, used_url,
// invalid_blocks, no_text, message_not_found), so clients see the reason.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/_sim/response_url/")
	s.mu.Lock()
	ru := s.respURLs[id]
	s.mu.Unlock()
	if ru == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "invalid_url"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var msg responseMessage
	if err != nil || json.Unmarshal(body, &msg) != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	if err := s.respond(ru, msg, true); err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// respond applies one response to the workspace. counted responses use up
// the response_url (5 within 30 minutes); a slash command's ack does not.
func (s *Server) respond(ru *responseURL, msg responseMessage, counted bool) error {
	blocks := msg.blocks()
	if blocks != nil {
		if err := validateBlocks(blocks); err != nil {
			return err
		}
		blocks = withBlockIDs(blocks)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if counted {
		if s.now().Sub(ru.created) > responseURLTTL {
			return fail("expired_url")
		}
		if ru.uses >= responseURLUses {
			return fail("used_url")
		}
		ru.uses++
	}
	ch := s.ws.channels[ru.channel]
	if ch == nil {
		return fail("channel_not_found")
	}
	if msg.DeleteOriginal {
		_, m := ch.find(ru.original)
		if m == nil {
			return fail("message_not_found")
		}
		s.removeLocked(ch, m)
		return nil
	}
	if msg.Text == "" && blocks == nil {
		return fail("no_text")
	}
	if msg.ReplaceOriginal {
		_, m := ch.find(ru.original)
		if m == nil {
			return fail("message_not_found")
		}
		m.Edits = append(m.Edits, Edit{Text: m.Text, Blocks: m.Blocks, Replaced: s.now(), By: s.opts.Workspace.Bot.UserID})
		m.Text, m.Blocks = msg.Text, blocks
		s.stream.publish(StreamEvent{Channel: ch.ID, TS: m.TS, Kind: "update"})
		return nil
	}
	thread := msg.ThreadTS
	if _, orig := ch.find(ru.original); thread == "" && orig != nil {
		thread = orig.ThreadTS
	}
	var m *Message
	if msg.ResponseType == "in_channel" {
		m = &Message{
			Channel: ch.ID, User: s.opts.Workspace.Bot.UserID, BotID: s.opts.Workspace.Bot.BotID,
			Text: msg.Text, Blocks: blocks, Edits: []Edit{}, ThreadTS: thread, TS: s.nextTSLocked(),
		}
		s.insertLocked(ch, m, "post")
	} else {
		m = s.addEphemeralLocked(ch, ru.user, msg.Text, blocks, thread)
	}
	if !ru.fromClick {
		ru.original = m.TS
	}
	return nil
}
