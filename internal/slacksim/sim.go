package slacksim

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Options configures a Server. The zero value is usable: the default
// workspace (DefaultWorkspace), rate limits off, pings every 5 s, a 3 s ack
// deadline, real time.
type Options struct {
	// Workspace is the seeded team; a workspace without users means
	// DefaultWorkspace().
	Workspace Workspace
	// RateLimit selects how Web API rate limits apply; empty means RateOff.
	RateLimit RateMode
	// PingInterval is how often the server pings each socket; zero means 5 s.
	// slack-go reconnects when no ping arrives within its own interval (30 s
	// by default), so tests that shorten the client's interval shorten this.
	PingInterval time.Duration
	// AckTimeout is how long the app has to ack an envelope; zero means 3 s.
	AckTimeout time.Duration
	// TriggerTTL is how long a trigger_id may open or push a view, in real
	// time whatever Now says; zero means 3 s.
	TriggerTTL time.Duration
	// MaxConnections is how many sockets one app may hold; zero means 10.
	MaxConnections int
	// Now reads the workspace clock: message, action and event ts, view
	// hashes, the times the simulator reports (edits, user errors) and
	// response_url expiry. nil means time.Now; the sandbox passes the AWS
	// simulator's simulated clock. Every ts stays unique and increasing
	// even when this clock stands still. Rate limits, ack deadlines and
	// trigger_id expiry always use real time.
	Now func() time.Time
	// Log receives the simulator's own diagnostics; nil means none.
	Log *zap.Logger
}

// Server is the simulated Slack. All workspace state sits behind mu; the
// socket hub has its own lock so that slow sockets never stall the Web API.
type Server struct {
	opts    Options
	log     *zap.Logger
	now     func() time.Time
	realNow func() time.Time // trigger expiry; replaced only by tests
	mux     *http.ServeMux

	routes map[string]apiRoute

	mu       sync.Mutex
	ws       workspace
	calls    map[string]int
	triggers map[string]*trigger
	respURLs map[string]*responseURL
	failures []UserError
	acks     []Ack
	views    viewStore
	lastTS   time.Time
	seq      int

	limits *limiter
	hub    *hub
	stream *broadcaster

	startMu  sync.Mutex
	srv      *http.Server
	listener net.Listener
	baseURL  string
}

// New builds a simulator seeded with opts.Workspace. It opens no socket:
// call Start to listen, or mount Handler in a server of your own and tell it
// the public base URL with SetBaseURL.
func New(opts Options) *Server {
	if len(opts.Workspace.Users) == 0 {
		opts.Workspace = DefaultWorkspace()
	}
	if opts.RateLimit == "" {
		opts.RateLimit = RateOff
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 5 * time.Second
	}
	if opts.AckTimeout <= 0 {
		opts.AckTimeout = 3 * time.Second
	}
	if opts.TriggerTTL <= 0 {
		opts.TriggerTTL = 3 * time.Second
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = 10
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	s := &Server{
		opts:     opts,
		log:      opts.Log,
		now:      opts.Now,
		realNow:  time.Now,
		calls:    map[string]int{},
		triggers: map[string]*trigger{},
		views:    newViewStore(),
		respURLs: map[string]*responseURL{},
		limits:   newLimiter(opts.RateLimit),
		stream:   newBroadcaster(),
	}
	s.ws = newWorkspace(opts.Workspace)
	s.routes = s.methods()
	s.hub = newHub(s)
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/api/", s.serveAPI)
	s.mux.HandleFunc("/_sim/link/", s.hub.serveSocket)
	s.mux.HandleFunc("/_sim/response_url/", s.serveResponseURL)
	s.routeControl(s.mux)
	return s
}

// Handler serves the Web API under /api/ and everything else under /_sim/:
// the control API, Socket Mode links (/_sim/link/) and response_url
// endpoints (/_sim/response_url/). Its paths are absolute: mount it at the
// root, or route /api/ and /_sim/ of your own mux to it.
func (s *Server) Handler() http.Handler { return s.mux }

// Start listens on addr ("127.0.0.1:0" for any free port) and serves Handler.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	s.startMu.Lock()
	s.listener = ln
	s.srv = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	s.baseURL = "http://" + ln.Addr().String()
	srv := s.srv
	s.startMu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("slack simulator stopped serving", zap.Error(err))
		}
	}()
	return nil
}

// SetBaseURL tells a simulator mounted in someone else's server where it is
// reachable ("http://host:port", no trailing slash), so that the URLs it hands
// out (sockets, response_url, permalinks) point there.
func (s *Server) SetBaseURL(base string) {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	s.baseURL = strings.TrimSuffix(base, "/")
}

// BaseURL is "http://host:port" of the simulator, empty before Start or
// SetBaseURL.
func (s *Server) BaseURL() string {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	return s.baseURL
}

// URL is the Web API base for slack.OptionAPIURL: BaseURL + "/api/".
func (s *Server) URL() string { return s.BaseURL() + "/api/" }

// Close drops every socket, ends pending control calls and stops listening.
func (s *Server) Close() {
	s.hub.close()
	s.stream.close()
	s.startMu.Lock()
	srv := s.srv
	s.startMu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// BotToken is the bot token (xoxb-…) the simulator accepts.
func (s *Server) BotToken() string { return s.opts.Workspace.Bot.Token }

// AppToken is the app-level token (xapp-…) that opens Socket Mode.
func (s *Server) AppToken() string { return s.opts.Workspace.Bot.AppToken }

// SetRateLimit switches the rate limit mode and forgets past usage.
func (s *Server) SetRateLimit(mode RateMode) { s.limits.setMode(mode) }

// Calls counts Web API calls per method since start, rate-limited and
// failed calls included.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// UserErrors lists what users saw go wrong (dispatch_failed after a late or
// missing ack), oldest first.
func (s *Server) UserErrors() []UserError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]UserError(nil), s.failures...)
}

// UserError is an error Slack showed a user instead of the app's answer.
type UserError struct {
	UserID     string    `json:"user_id"`
	ChannelID  string    `json:"channel_id"`
	EnvelopeID string    `json:"envelope_id"`
	Kind       string    `json:"kind"` // slash_commands or interactive
	Error      string    `json:"error"`
	At         time.Time `json:"at"`
}

func (s *Server) recordFailure(e UserError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, e)
}

// newID returns a fresh identifier with the given prefix, unique in this
// simulator.
func (s *Server) newID(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newIDLocked(prefix)
}

func (s *Server) newIDLocked(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%08d", prefix, s.seq)
}

// nextTSLocked returns a message ts "%d.%06d", strictly later than every ts
// handed out before, so that it is unique per channel even when the clock
// stands still.
func (s *Server) nextTSLocked() string {
	t := s.now().Truncate(time.Microsecond)
	if !t.After(s.lastTS) {
		t = s.lastTS.Add(time.Microsecond)
	}
	s.lastTS = t
	return formatTS(t)
}

func formatTS(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}
