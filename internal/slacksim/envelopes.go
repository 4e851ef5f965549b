package slacksim

import (
	"encoding/json"
	"sync"
	"time"
)

// Ack is the record of one envelope's fate.
type Ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Type       string          `json:"type"` // slash_commands or interactive
	UserID     string          `json:"user_id"`
	ChannelID  string          `json:"channel_id"`
	Payload    json.RawMessage `json:"payload,omitempty"` // the app's ack payload, if any
	Latency    time.Duration   `json:"latency"`           // from first delivery to ack
	Late       bool            `json:"late"`              // acked after the deadline
	Missing    bool            `json:"missing"`           // not acked by the deadline
	Deliveries int             `json:"deliveries"`        // >1 when redelivered after a lost connection
	Sent       time.Time       `json:"sent"`              // when the envelope was first queued
}

// envelope is one Socket Mode request waiting for its ack.
type envelope struct {
	id      string
	kind    string
	user    string
	channel string
	frame   []byte // the whole websocket message
	created time.Time

	// guarded by hub.mu
	conn       *conn
	deliveries int
	timer      *time.Timer

	once   sync.Once
	result chan ackResult // buffered 1, written once
}

type ackResult struct {
	payload json.RawMessage
	latency time.Duration
	err     error
}

func (e *envelope) finish(r ackResult) {
	e.once.Do(func() { e.result <- r })
}

// send queues an envelope for delivery and arms its ack deadline.
func (h *hub) send(d delivery) (*envelope, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errClosed
	}
	id := h.s.newID("env-")
	fields := map[string]any{"envelope_id": id, "type": d.kind, "payload": d.payload, "accepts_response_payload": d.accepts}
	for k, v := range d.extra {
		fields[k] = v
	}
	frame, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	env := &envelope{id: id, kind: d.kind, user: d.user, channel: d.channel, frame: frame, created: time.Now(), result: make(chan ackResult, 1)}
	h.pending[id] = env
	env.timer = time.AfterFunc(h.s.opts.AckTimeout, func() { h.expire(env) })
	h.queue = append(h.queue, env)
	h.flushQueueLocked()
	return env, nil
}

// flushQueueLocked hands queued envelopes to live connections in turn; each
// envelope goes to exactly one connection at a time.
func (h *hub) flushQueueLocked() {
	var live []*conn
	for _, c := range h.conns {
		if !c.draining {
			live = append(live, c)
		}
	}
	if len(live) == 0 {
		return
	}
	rest := h.queue[:0]
	for _, env := range h.queue {
		if _, ok := h.pending[env.id]; !ok {
			continue // acked or expired while queued
		}
		delivered := false
		for range live {
			c := live[h.rr%len(live)]
			h.rr++
			select {
			case c.out <- env.frame:
				env.conn = c
				env.deliveries++
				c.inflight[env.id] = env
				delivered = true
			default: // this socket is backed up; try the next
			}
			if delivered {
				break
			}
		}
		if !delivered {
			rest = append(rest, env)
		}
	}
	h.queue = rest
}

// ack settles an envelope. Acks may arrive on another connection than the
// one that carried the envelope: slack-go sends queued acks on its new
// socket after a reconnect.
func (h *hub) ack(_ *conn, id string, payload json.RawMessage) {
	if string(payload) == "null" {
		payload = nil
	}
	h.mu.Lock()
	env, ok := h.pending[id]
	if ok {
		delete(h.pending, id)
		if env.conn != nil && env.conn.inflight != nil {
			delete(env.conn.inflight, id)
		}
		env.timer.Stop()
	}
	h.mu.Unlock()
	if !ok {
		h.s.markLate(id, payload)
		return
	}
	lat := time.Since(env.created)
	h.s.recordAck(Ack{
		EnvelopeID: id, Type: env.kind, UserID: env.user, ChannelID: env.channel,
		Payload: payload, Latency: lat, Deliveries: env.deliveries, Sent: env.created,
	})
	env.finish(ackResult{payload: payload, latency: lat})
}

// expire gives up on an envelope at its deadline: the user sees
// dispatch_failed.
func (h *hub) expire(env *envelope) {
	h.mu.Lock()
	_, ok := h.pending[env.id]
	if ok {
		delete(h.pending, env.id)
		if env.conn != nil && env.conn.inflight != nil {
			delete(env.conn.inflight, env.id)
		}
	}
	deliveries := env.deliveries
	h.mu.Unlock()
	if !ok {
		return
	}
	h.s.recordAck(Ack{
		EnvelopeID: env.id, Type: env.kind, UserID: env.user, ChannelID: env.channel,
		Missing: true, Deliveries: deliveries, Latency: time.Since(env.created), Sent: env.created,
	})
	if env.kind != "events_api" { // events are retried, and no user waits on them
		h.s.recordFailure(UserError{
			UserID: env.user, ChannelID: env.channel, EnvelopeID: env.id, Kind: env.kind,
			Error: "dispatch_failed", At: h.s.now(),
		})
	}
	env.finish(ackResult{err: ErrNoAck})
}

func (s *Server) recordAck(a Ack) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acks = append(s.acks, a)
}

// markLate notes an ack that came after its envelope expired.
func (s *Server) markLate(id string, payload json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.acks {
		if s.acks[i].EnvelopeID == id && s.acks[i].Missing {
			s.acks[i].Late = true
			s.acks[i].Payload = payload
			s.acks[i].Latency = time.Since(s.acks[i].Sent)
			return
		}
	}
}

// Acks lists every envelope that was acked or given up on, in that order.
// A late ack shows as Missing and Late: the user already saw the error.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.acks...)
}
