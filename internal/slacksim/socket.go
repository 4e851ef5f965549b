package slacksim

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
)

// hub holds the app's Socket Mode connections and the envelopes in flight.
// Its lock is separate from the workspace lock; code holding hub.mu never
// takes Server.mu.
type hub struct {
	s        *Server
	upgrader websocket.Upgrader

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever conns changes
	conns   []*conn
	tickets map[string]time.Time
	pending map[string]*envelope // created, not yet acked nor expired
	queue   []*envelope          // waiting for a live connection
	rr      int
	nextID  int
	closed  bool
}

// conn is one Socket Mode websocket. Only its writer goroutine writes data
// frames; pings go through WriteControl, which gorilla allows concurrently.
type conn struct {
	id       int
	ws       *websocket.Conn
	out      chan []byte
	done     chan struct{}
	once     sync.Once
	draining bool                 // told to disconnect: gets no new envelopes
	inflight map[string]*envelope // delivered here, not yet acked
}

func newHub(s *Server) *hub {
	return &hub{
		s:       s,
		changed: make(chan struct{}),
		tickets: map[string]time.Time{},
		pending: map[string]*envelope{},
		upgrader: websocket.Upgrader{
			// slack-go dials with Origin https://api.slack.com; Node's ws
			// sends none. Both are Slack's own clients.
			CheckOrigin: func(*http.Request) bool { return true },
		},
	}
}

// connectionsOpen is apps.connections.open: a single-use websocket URL.
func (s *Server) connectionsOpen(c *call) (map[string]any, error) {
	ticket := s.newID("tkt")
	h := s.hub
	h.mu.Lock()
	h.tickets[ticket] = time.Now()
	h.mu.Unlock()
	base := s.BaseURL()
	if base == "" { // mounted without SetBaseURL: answer on the address asked
		base = "http://" + c.host
	}
	wsURL := "ws" + base[len("http"):] + "/_sim/link/?ticket=" + ticket + "&app_id=" + s.opts.Workspace.Bot.AppID
	return map[string]any{"url": wsURL}, nil
}

func (h *hub) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	h.mu.Lock()
	issued, ok := h.tickets[ticket]
	delete(h.tickets, ticket)
	h.mu.Unlock()
	if !ok || time.Since(issued) > time.Minute {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &conn{ws: ws, out: make(chan []byte, 4096), done: make(chan struct{}), inflight: map[string]*envelope{}}

	h.mu.Lock()
	live := 0
	for _, other := range h.conns {
		if !other.draining {
			live++
		}
	}
	if h.closed || live >= h.s.opts.MaxConnections {
		h.mu.Unlock()
		msg, _ := json.Marshal(map[string]any{"type": "disconnect", "reason": "too_many_websockets", "debug_info": h.debugInfo()})
		_ = ws.WriteMessage(websocket.TextMessage, msg)
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "too_many_websockets"), time.Now().Add(time.Second))
		_ = ws.Close()
		return
	}
	h.nextID++
	c.id = h.nextID
	hello, _ := json.Marshal(map[string]any{
		"type": "hello", "num_connections": live + 1,
		"connection_info": map[string]any{"app_id": h.s.opts.Workspace.Bot.AppID},
		"debug_info":      h.debugInfo(),
	})
	c.out <- hello // first frame on the socket, before any envelope
	h.conns = append(h.conns, c)
	h.signalLocked()
	h.flushQueueLocked()
	h.mu.Unlock()

	go h.writeLoop(c)
	go h.pingLoop(c)
	h.readLoop(c)
}

func (h *hub) debugInfo() map[string]any {
	return map[string]any{"host": "applink-slacksim", "build_number": 1, "approximate_connection_time": 18060}
}

// signalLocked wakes everyone waiting for the set of connections to change.
func (h *hub) signalLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *hub) writeLoop(c *conn) {
	for {
		select {
		case <-c.done:
			return
		case msg := <-c.out:
			_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
				h.kill(c)
				return
			}
		}
	}
}

func (h *hub) pingLoop(c *conn) {
	t := time.NewTicker(h.s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second)); err != nil {
				h.kill(c)
				return
			}
		}
	}
}

// readLoop takes acks until the socket fails. A peer silent (no pong, no
// message) for four ping intervals, and at least 30 s, is taken for dead: a
// busy client answers pings only between reads, so less would cut links
// that are merely slow.
func (h *hub) readLoop(c *conn) {
	defer h.kill(c)
	grace := max(4*h.s.opts.PingInterval, 30*time.Second)
	_ = c.ws.SetReadDeadline(time.Now().Add(grace))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(grace)) })
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(grace))
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			h.s.log.Debug("ignored socket message", zap.ByteString("message", data))
			continue
		}
		h.ack(c, ack.EnvelopeID, ack.Payload)
	}
}

// kill forgets a dead connection and redelivers what it had not acked.
func (h *hub) kill(c *conn) {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.Close()
		h.mu.Lock()
		defer h.mu.Unlock()
		for i, other := range h.conns {
			if other == c {
				h.conns = append(h.conns[:i], h.conns[i+1:]...)
				break
			}
		}
		for _, env := range c.inflight {
			env.conn = nil
			if _, ok := h.pending[env.id]; ok {
				h.queue = append(h.queue, env)
			}
		}
		c.inflight = nil
		h.signalLocked()
		h.flushQueueLocked()
	})
}

// Connections is the number of live Socket Mode connections.
func (s *Server) Connections() int {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.conns {
		if !c.draining {
			n++
		}
	}
	return n
}

// WaitConnections blocks until exactly n live connections are open or ctx
// ends.
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	for {
		h := s.hub
		h.mu.Lock()
		ch := h.changed
		h.mu.Unlock()
		if s.Connections() == n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// disconnectGrace is how long a link told to disconnect stays open.
const disconnectGrace = 10 * time.Second

// Disconnect sends a disconnect message with reason ("warning",
// "refresh_requested", "link_disabled") to every live connection and stops
// giving them envelopes, as Slack does before it closes a link. It answers
// how many connections were told.
func (s *Server) Disconnect(reason string) int {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{"type": "disconnect", "reason": reason, "debug_info": h.debugInfo()})
	n := 0
	for _, c := range h.conns {
		if c.draining {
			continue
		}
		c.draining = true
		n++
		// Slack closes the link itself a little later; a client that
		// ignores the message loses it then, and its unacked envelopes
		// go elsewhere.
		time.AfterFunc(disconnectGrace, func() { h.kill(c) })
		select {
		case c.out <- msg:
		default:
		}
	}
	h.signalLocked()
	return n
}

// DropConnections cuts up to n live connections at the TCP level, with no
// close frame, as a network failure would; n <= 0 means all. Envelopes they
// had not acked go to the remaining or next connections.
func (s *Server) DropConnections(n int) int {
	h := s.hub
	h.mu.Lock()
	var victims []*conn
	for _, c := range h.conns {
		if n > 0 && len(victims) == n {
			break
		}
		victims = append(victims, c)
	}
	h.mu.Unlock()
	for _, c := range victims {
		_ = c.ws.UnderlyingConn().Close()
		h.kill(c)
	}
	return len(victims)
}

func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	conns := append([]*conn(nil), h.conns...)
	pending := make([]*envelope, 0, len(h.pending))
	for _, env := range h.pending {
		pending = append(pending, env)
	}
	h.pending = map[string]*envelope{}
	h.queue = nil
	h.mu.Unlock()
	for _, c := range conns {
		h.kill(c)
	}
	for _, env := range pending {
		env.finish(ackResult{err: errClosed})
	}
}
