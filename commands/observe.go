package commands

import (
	"time"

	"go.uber.org/zap"

	"github.com/slack-go/slack/socketmode"

	"github.com/switchyard/switchyard"
)

// Observer is told what the handler does, for metrics. Its methods must be
// cheap and must not block; nil observers are fine.
type Observer interface {
	// Envelope is called for every envelope acked, with its type and how
	// long the ack took from the envelope's arrival.
	Envelope(kind string, ack time.Duration)
	// Outcome is called for every audited action with its result.
	Outcome(action string, result switchyard.Result)
	// Socket is called when the Socket Mode connection comes up or goes
	// down; connections is Slack's count of the app's open connections
	// (from hello), 0 when unknown.
	Socket(up bool, connections int)
}

type nopObserver struct{}

func (nopObserver) Envelope(string, time.Duration)    {}
func (nopObserver) Outcome(string, switchyard.Result) {}
func (nopObserver) Socket(bool, int)                  {}

// Connected reports whether the Socket Mode connection is up now: the
// replica can receive commands and clicks (readiness).
func (h *Handler) Connected() bool { return h.connected.Load() }

// socketEvent follows the connection's state from the client's events and
// logs how many connections Slack says the app has, at every hello: more
// than the replicas running means ghost connections that eat envelopes.
func (h *Handler) socketEvent(evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeHello:
		n := 0
		if evt.Request != nil {
			n = evt.Request.NumConnections
		}
		h.log.Info("connected to Slack", zap.Int("num_connections", n))
		h.connected.Store(true)
		h.obs.Socket(true, n)
	case socketmode.EventTypeConnected:
		h.connected.Store(true)
		h.obs.Socket(true, 0)
	case socketmode.EventTypeConnecting, socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError,
		socketmode.EventTypeDisconnect, socketmode.EventTypeInvalidAuth:
		if h.connected.Swap(false) {
			h.obs.Socket(false, 0)
		}
	}
}
