package awssim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

// Sim is the in-process AWS simulator: one account in one region (a
// partition, see partition.go) of a simulator that may hold several. All
// world state sits behind mu, which every partition of one simulator
// shares: the services touch each other (a deployment moves ECS task sets
// and emits events into SQS queues, a rule forwards events to another
// account's bus), and one lock keeps them consistent.
type Sim struct {
	account string
	region  string
	log     *zap.Logger
	clock   *Clock
	front   *front // what the partitions share: registry, IAM, STS

	routes map[string]route // "<target prefix>.<Op>" → handler

	faults faults

	mu *sync.Mutex // the front's lock
	// world state, one part per service; each service file owns its part.
	ecs        ecsState
	ecr        ecrState
	cloudwatch cloudwatchState
	codedeploy codedeployState
	events     eventsState
	bus        busState
	sqs        sqsState
	trail      trailState

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
	f := newFront(NewClock(start, opts.Speed), opts.Log)
	f.root = f.newPartition(opts.Account, opts.Region, opts.Log)
	return f.root
}

// initState prepares each service's state and registers its operations.
func (s *Sim) initState() {
	s.registerECS()
	s.registerECR()
	s.registerCloudWatch()
	s.registerCodeDeploy()
	s.registerEvents()
	s.registerEventBus()
	s.registerSQS()
	s.registerCloudTrail()
}

// handle registers op of the service reached with X-Amz-Target prefix target.
func (s *Sim) handle(target, service, op string, fn func(ctx context.Context, req *request) (any, error)) {
	s.routes[target+"."+op] = route{service: service, op: op, handle: fn}
}

// route finds the operation an X-Amz-Target names. botocore may spell the
// prefix in full (com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.
// LookupEvents) where the Go SDK sends the last two parts: both are looked
// up by those two.
func (s *Sim) route(target string) (route, bool) {
	if rt, ok := s.routes[target]; ok {
		return rt, true
	}
	i := strings.LastIndexByte(target, '.')
	if i < 0 {
		return route{}, false
	}
	j := strings.LastIndexByte(target[:i], '.')
	rt, ok := s.routes[target[j+1:]]
	return rt, ok
}

// Account is the simulated AWS account id.
func (s *Sim) Account() string { return s.account }

// Region is the simulated region.
func (s *Sim) Region() string { return s.region }

// Clock is the simulator's clock; tests move it with Advance.
func (s *Sim) Clock() *Clock { return s.clock }

// Start listens on addr ("127.0.0.1:0" for any free port) and serves until
// Close. It also starts the engines that play deployments on the clock, one
// per partition. Every partition answers on the one endpoint: Start and
// Close act on the whole simulator whichever partition they are called on.
func (s *Sim) Start(addr string) error {
	s = s.front.root
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
	s.front.startEngines()
	return nil
}

// URL is the endpoint to give AWS clients (BaseEndpoint, --endpoint-url),
// the same for every partition.
func (s *Sim) URL() string {
	s = s.front.root
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String()
}

// Close stops the server and the engines.
func (s *Sim) Close() error {
	s = s.front.root
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
	s.front.waitEngines()
	return err
}

// ServeHTTP answers one AWS API call in the partition of the caller's
// account and the request's region (see router.go).
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.front.serve(w, r)
}

// serveJSON answers a JSON 1.0/1.1 call routed on X-Amz-Target.
func (s *Sim) serveJSON(w http.ResponseWriter, r *http.Request, target string, body []byte) {
	rt, ok := s.route(target)
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
	if aerr := s.faults.check(rt.service, rt.op, callerOf(r.Context(), s).arn); aerr != nil {
		s.writeError(w, rt.service, aerr)
		return
	}
	out, err := rt.handle(r.Context(), req)
	if err != nil {
		s.writeError(w, rt.service, asAPIError(err))
		return
	}
	if s.faults.takeLoss(rt.service, rt.op) {
		dropAnswer(w)
		return
	}
	writeJSON(w, rt.service, out)
}

// signingService returns the service name of a SigV4 Authorization header's
// credential scope (…/REGION/SERVICE/aws4_request), or "" when unsigned.
func signingService(auth string) string {
	return parseCredential(auth).service
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
