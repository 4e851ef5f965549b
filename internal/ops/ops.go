// Package ops serves the bot's operational endpoints, for load balancers,
// container health checks and Prometheus:
//
//   - GET /healthz: 200 "ok" while the process serves HTTP at all (liveness);
//   - GET /readyz: 200 only while the Slack socket is connected and the
//     store answers a ping, else 503; the body says which part is not ready,
//     as JSON: {"ready":false,"socket":"down","store":"up"} (each part "up",
//     "down", or "starting" before the bot has a socket and a store);
//   - GET /metrics: the registry in Prometheus's text format.
//
// The Handler is an http.Handler with no process or port of its own, so
// tests drive it with httptest; Serve runs it on a listener until a context
// ends. Readiness never shows an error's text (a store's error may name its
// host): the log gets it, once per change of state.
package ops

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// Socket is the Slack connection as readiness sees it; commands.Handler
// has this method.
type Socket interface {
	// Connected reports whether the Socket Mode connection is up now.
	Connected() bool
}

// Pinger is the store as readiness sees it; store.Store has this method.
type Pinger interface {
	// Ping returns nil if the database answers now.
	Ping(ctx context.Context) error
}

// The states of a part of readiness.
const (
	Up       = "up"
	Down     = "down"
	Starting = "starting"
)

// Status is the body of /readyz.
type Status struct {
	Ready  bool   `json:"ready"`
	Socket string `json:"socket"`
	Store  string `json:"store"`
}

// Options are the optional settings of New.
type Options struct {
	// PingTimeout bounds the store's ping in /readyz (default 2 s).
	PingTimeout time.Duration
	Log         *zap.Logger
}

// Handler serves /healthz, /readyz and /metrics. Build it with New.
type Handler struct {
	mux   *http.ServeMux
	opts  Options
	parts atomic.Pointer[parts]

	mu   sync.Mutex // guards last
	last Status     // what /readyz said last, to log changes once
}

type parts struct {
	socket Socket
	store  Pinger
}

// New returns a handler that serves g's metrics. /readyz answers 503
// "starting" until Attach gives it the socket and the store.
func New(g prometheus.Gatherer, o Options) *Handler {
	if o.PingTimeout <= 0 {
		o.PingTimeout = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	h := &Handler{mux: http.NewServeMux(), opts: o, last: Status{Ready: false, Socket: Starting, Store: Starting}}
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	h.mux.HandleFunc("GET /readyz", h.readyz)
	h.mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog: zap.NewStdLog(o.Log), ErrorHandling: promhttp.ContinueOnError, Timeout: 10 * time.Second,
	}))
	return h
}

// Attach gives readiness what it checks: the bot's Slack connection and
// its store. Call it once both exist.
func (h *Handler) Attach(socket Socket, store Pinger) {
	h.parts.Store(&parts{socket: socket, store: store})
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Check says what /readyz would say now.
func (h *Handler) Check(ctx context.Context) Status {
	p := h.parts.Load()
	if p == nil {
		return Status{Socket: Starting, Store: Starting}
	}
	st := Status{Socket: Down, Store: Down}
	if p.socket.Connected() {
		st.Socket = Up
	}
	ctx, cancel := context.WithTimeout(ctx, h.opts.PingTimeout)
	defer cancel()
	err := p.store.Ping(ctx)
	if err == nil {
		st.Store = Up
	}
	st.Ready = st.Socket == Up && st.Store == Up
	h.logChange(st, err)
	return st
}

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	st := h.Check(r.Context())
	code := http.StatusOK
	if !st.Ready {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(st)
}

// logChange logs readiness when it changes, with the store's error: a
// probe every few seconds during an outage says it once.
func (h *Handler) logChange(st Status, storeErr error) {
	h.mu.Lock()
	changed := st != h.last
	h.last = st
	h.mu.Unlock()
	if !changed {
		return
	}
	fields := []zap.Field{zap.Bool("ready", st.Ready), zap.String("socket", st.Socket), zap.String("store", st.Store)}
	if storeErr != nil {
		fields = append(fields, zap.NamedError("store_error", storeErr))
	}
	if st.Ready {
		h.opts.Log.Info("ready", fields...)
	} else {
		h.opts.Log.Warn("not ready", fields...)
	}
}

// Serve serves h on ln until ctx ends, then shuts down, giving requests in
// flight a moment. It returns nil after a shutdown, or why it stopped
// serving before.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
