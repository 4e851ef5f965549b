package awssim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Options configures a simulator. The zero value is usable: account
// 123456789012, region us-east-1, a clock that starts now and only moves when
// told to (Speed 0), and a no-op logger.
type Options struct {
	Account string
	Region  string
	// Speed is simulated seconds per real second. Zero freezes the clock so
	// that tests move it with Advance; the sandbox uses a positive speed.
	Speed float64
	// Start is the simulated time at creation; zero means time.Now().
	Start time.Time
	Log   *zap.Logger
}

// Sim is the in-process AWS simulator. All world state sits behind mu: the
// services touch each other (a deployment moves ECS task sets and emits
// events into SQS queues), and one lock keeps them consistent.
type Sim struct {
	account string
	region  string
	log     *zap.Logger
	clock   *Clock

	routes map[string]route // "<target prefix>.<Op>" → handler

	faults faults

	mu sync.Mutex
	// world state, one part per service; each service file owns its part.
	ecs        ecsState
	ecr        ecrState
	cloudwatch cloudwatchState
	codedeploy codedeployState
	events     eventsState
	sqs        sqsState

	srv      *http.Server
	listener net.Listener
	stop     chan struct{}
	wg       sync.WaitGroup
}

// route is one operation of one service.
type route struct {
	service string // the SigV4 signing name: codedeploy, ecs, ecr, events, sqs, monitoring
	op      string
	handle  func(ctx context.Context, req *request) (any, error)
}

// request is one decoded API call.
type request struct {
	service string
	op      string
	body    []byte
	header  http.Header
}

// New builds a simulator with an empty world. It opens no socket: call
// Start to listen, or mount Handler in a server of your own.
func New(opts Options) *Sim {
	if opts.Account == "" {
		opts.Account = "123456789012"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	start := opts.Start
	if start.IsZero() {
		start = time.Now().UTC().Truncate(time.Second)
	}
	s := &Sim{
		account: opts.Account,
		region:  opts.Region,
		log:     opts.Log,
		clock:   NewClock(start, opts.Speed),
		routes:  map[string]route{},
		stop:    make(chan struct{}),
	}
	s.initState()
	return s
}

// initState prepares each service's state and registers its operations.
func (s *Sim) initState() {
	s.registerECS()
	s.registerECR()
	s.registerCloudWatch()
	s.registerCodeDeploy()
	s.registerEvents()
	s.registerSQS()
}

// handle registers op of the service reached with X-Amz-Target prefix target.
func (s *Sim) handle(target, service, op string, fn func(ctx context.Context, req *request) (any, error)) {
	s.routes[target+"."+op] = route{service: service, op: op, handle: fn}
}

// Account is the simulated AWS account id.
func (s *Sim) Account() string { return s.account }

// Region is the simulated region.
func (s *Sim) Region() string { return s.region }

// Clock is the simulator's clock; tests move it with Advance.
func (s *Sim) Clock() *Clock { return s.clock }

// Start listens on addr ("127.0.0.1:0" for any free port) and serves until
// Close. It also starts the engine that plays deployments on the clock.
func (s *Sim) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.listener = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln)
	}()
	s.startEngine()
	return nil
}

// URL is the endpoint to give AWS clients (BaseEndpoint, --endpoint-url).
func (s *Sim) URL() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String()
}

// Close stops the server and the engine.
func (s *Sim) Close() error {
	select {
	case <-s.stop:
		return nil
	default:
	}
	close(s.stop)
	var err error
	if s.srv != nil {
		// Calls in flight get a moment to finish. A client may also hold a
		// dialled connection that never carried a request, which Shutdown
		// would wait seconds for: after the moment, cut what is left.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if s.srv.Shutdown(ctx) != nil {
			err = s.srv.Close()
		}
	}
	s.wg.Wait()
	return err
}

// ServeHTTP answers one AWS API call. JSON protocols are routed on
// X-Amz-Target; CloudWatch's Smithy RPC v2 CBOR on its URL path.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	if r.Method != http.MethodPost {
		writeJSONError(w, &apiError{Status: http.StatusNotFound, Code: "UnknownOperationException", Message: "only POST is supported"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		writeJSONError(w, errSerialization("cannot read request body"))
		return
	}
	if op, ok := strings.CutPrefix(r.URL.Path, cborPathPrefix); ok {
		s.serveCBOR(w, r, op, body)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	if op, ok := strings.CutPrefix(target, cloudwatchJSONTarget+"."); ok {
		s.serveCloudWatchJSON(w, r, op, body) // botocore's CloudWatch protocol
		return
	}
	rt, ok := s.routes[target]
	if !ok {
		writeJSONError(w, &apiError{Status: http.StatusBadRequest, Code: "UnknownOperationException", Message: "unknown operation " + target})
		return
	}
	if scope := signingService(r.Header.Get("Authorization")); scope != "" && scope != rt.service {
		writeJSONError(w, &apiError{Status: http.StatusBadRequest, Code: "InvalidSignatureException",
			Message: "Credential should be scoped to correct service: '" + rt.service + "'."})
		return
	}
	req := &request{service: rt.service, op: rt.op, body: body, header: r.Header}
	if aerr := s.faults.check(rt.service, rt.op, s.account); aerr != nil {
		s.writeError(w, rt.service, aerr)
		return
	}
	out, err := rt.handle(r.Context(), req)
	if err != nil {
		s.writeError(w, rt.service, asAPIError(err))
		return
	}
	writeJSON(w, rt.service, out)
}

// signingService returns the service name of a SigV4 Authorization header's
// credential scope (…/REGION/SERVICE/aws4_request), or "" when unsigned.
func signingService(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return ""
	}
	return parts[len(parts)-2]
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
