package slacksim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// routeControl mounts the sandbox control API (DESIGN.md, "The sandbox").
func (s *Server) routeControl(mux *http.ServeMux) {
	mux.HandleFunc("POST /_sim/slash", control(s.Slash, "{user_id, channel_id, command, text}",
		func(r SlashRequest) bool { return r.Command != "" }))
	mux.HandleFunc("POST /_sim/click", control(s.Click, "{user_id, channel_id (optional), message_ts, action_id}",
		func(r ClickRequest) bool { return r.ActionID != "" }))
	mux.HandleFunc("GET /_sim/messages", s.ctlMessages)
	mux.HandleFunc("GET /_sim/users", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Users()) })
	mux.HandleFunc("GET /_sim/channels", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Channels()) })
	mux.HandleFunc("GET /_sim/tokens", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"bot_token": s.BotToken(), "app_token": s.AppToken()})
	})
	mux.HandleFunc("GET /_sim/acks", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, nonNil(s.Acks())) })
	mux.HandleFunc("GET /_sim/errors", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, nonNil(s.UserErrors())) })
	mux.HandleFunc("GET /_sim/stream", s.ctlStream)
	s.routeViews(mux)
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

func ctlError(w http.ResponseWriter, status int, msg string, extra map[string]any) {
	body := map[string]any{"error": msg}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}

// ctlStatus maps the user-side API's errors to HTTP: 504 after the ack
// deadline, 404 for unknown users, channels, buttons, views and elements,
// 403/400 for what Slack itself would not let the user do, 422 when Slack
// refused the app's ack.
func ctlStatus(err error) int {
	switch {
	case errors.Is(err, ErrNoAck):
		return http.StatusGatewayTimeout
	case errors.Is(err, ErrNoSuchButton), errors.Is(err, ErrUnknownUser), errors.Is(err, ErrUnknownChannel),
		errors.Is(err, ErrNoSuchView), errors.Is(err, ErrNoSuchElement):
		return http.StatusNotFound
	case errors.Is(err, ErrNotInChannel):
		return http.StatusForbidden
	case errors.Is(err, ErrInThread), errors.Is(err, ErrInvalidValue), errors.Is(err, ErrInputRequired), errors.Is(err, ErrQueryTooShort):
		return http.StatusBadRequest
	case errors.Is(err, ErrBadAck):
		return http.StatusUnprocessableEntity
	default:
		return http.StatusServiceUnavailable
	}
}

// ctlResult answers a user-side call: 200 with the result, or the status
// ctlStatus gives with {"error"} beside whatever the result holds (the
// envelope_id after a missed ack, the ack Slack refused, the errors shown
// under inputs).
func ctlResult(w http.ResponseWriter, res any, err error) {
	if err == nil {
		writeJSON(w, http.StatusOK, res)
		return
	}
	body := map[string]any{}
	if raw, mErr := json.Marshal(res); mErr == nil {
		_ = json.Unmarshal(raw, &body)
	}
	for k, v := range body {
		if v == nil || v == "" || v == float64(0) {
			delete(body, k)
		}
	}
	body["error"] = err.Error()
	if errors.Is(err, ErrNoAck) {
		body["error"] = "dispatch_failed: the app did not acknowledge within 3 seconds"
	}
	writeJSON(w, ctlStatus(err), body)
}

// controlMessage is one entry of GET /_sim/messages.
type controlMessage struct {
	TS          string          `json:"ts"`
	ThreadTS    string          `json:"thread_ts"`
	User        string          `json:"user"`
	Text        string          `json:"text"`
	Blocks      json.RawMessage `json:"blocks"`
	Edits       []Edit          `json:"edits"`
	EphemeralTo string          `json:"ephemeral_to"`
	BotID       string          `json:"bot_id,omitempty"`
	Broadcast   bool            `json:"reply_broadcast,omitempty"`
}

func (s *Server) ctlMessages(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("channel")
	s.mu.Lock()
	_, ok := s.ws.channels[id]
	s.mu.Unlock()
	if !ok {
		ctlError(w, http.StatusNotFound, fmt.Sprintf("no channel %q", id), nil)
		return
	}
	out := []controlMessage{}
	for _, m := range s.Messages(id) {
		blocks := m.Blocks
		if len(blocks) == 0 {
			blocks = json.RawMessage("null")
		}
		out = append(out, controlMessage{
			TS: m.TS, ThreadTS: m.ThreadTS, User: m.User, Text: m.Text, Blocks: blocks, Edits: m.Edits,
			EphemeralTo: m.EphemeralTo, BotID: m.BotID, Broadcast: m.ReplyBroadcast,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// StreamEvent says a message or a view changed. Kind is post, update,
// delete or ephemeral for messages (Channel and TS set); view_opened (a
// modal opened or pushed), view_updated, view_closed or home_published for
// views (ViewID and User set).
type StreamEvent struct {
	Channel string `json:"channel,omitempty"`
	TS      string `json:"ts,omitempty"`
	Kind    string `json:"kind"`
	ViewID  string `json:"view_id,omitempty"`
	User    string `json:"user_id,omitempty"`
}

// broadcaster fans message changes out to stream subscribers. A slow
// subscriber loses events rather than stalling the workspace.
type broadcaster struct {
	mu     sync.Mutex
	subs   map[chan StreamEvent]bool
	closed bool
}

func newBroadcaster() *broadcaster { return &broadcaster{subs: map[chan StreamEvent]bool{}} }

func (b *broadcaster) publish(e StreamEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

func (b *broadcaster) subscribe() (chan StreamEvent, func()) {
	ch := make(chan StreamEvent, 256)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(ch)
		return ch, func() {}
	}
	b.subs[ch] = true
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.subs[ch] {
			delete(b.subs, ch)
			close(ch)
		}
	}
}

func (b *broadcaster) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch := range b.subs {
		delete(b.subs, ch)
		close(ch)
	}
}

// Subscribe returns a channel of message and view changes and a function that ends
// the subscription. The channel closes when the simulator does.
func (s *Server) Subscribe() (<-chan StreamEvent, func()) { return s.stream.subscribe() }

// ctlStream is GET /_sim/stream: server-sent events, one "data:" line of
// StreamEvent JSON per message or view change.
func (s *Server) ctlStream(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	events, cancel := s.stream.subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, ": connected\n\n")
	flusher.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			data, _ := json.Marshal(e)
			if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}
