package deployer_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go/middleware"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/awssim"
	"github.com/switchyard/switchyard/internal/simtest"
)

// start is the simulated time every test begins at.
var start = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// harness is one simulator seeded with testdata/world.yaml, real SDK
// clients talking to it over HTTP on 127.0.0.1, a recorder of every call
// they make, and a Deployer using them.
type harness struct {
	t   testing.TB
	sim *awssim.Sim
	cfg aws.Config
	rec *recorder
	d   *deployer.Deployer
	cd  *codedeploy.Client // for checks and for deployments "from outside"
	ecs *ecs.Client
}

func newHarness(t testing.TB) *harness {
	return newHarnessWith(t, nil)
}

// newHarnessWith builds a harness; wrap, when set, replaces the deployer's
// clients (to put a hand-written fake in front of one interface).
func newHarnessWith(t testing.TB, wrap func(deployer.Clients) deployer.Clients) *harness {
	t.Helper()
	sim, transport := startWorld(t, "deployer/testdata/world.yaml")
	rec := &recorder{next: transport}
	cfg := sim.Config()
	cfg.HTTPClient = &http.Client{Transport: rec}
	cfg.APIOptions = append(cfg.APIOptions, rec.middleware)
	// The SDK's standard retryer, with short pauses so that throttling
	// tests stay quick, and no retry quota to run dry.
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxBackoff = 5 * time.Millisecond
			o.RateLimiter = ratelimit.None
		})
	}
	clients := deployer.ClientsFromConfig(cfg)
	if wrap != nil {
		clients = wrap(clients)
	}
	var log *zap.Logger
	if tt, ok := t.(*testing.T); ok {
		log = zaptest.NewLogger(tt, zaptest.Level(zap.WarnLevel))
	}
	outside := cfg.Copy()
	outside.HTTPClient = &http.Client{Transport: transport}
	return &harness{
		t: t, sim: sim, cfg: cfg, rec: rec,
		d:   deployer.New(clients, log, deployer.Options{Now: sim.Clock().Now}),
		cd:  codedeploy.NewFromConfig(outside),
		ecs: ecs.NewFromConfig(outside),
	}
}

// startWorld starts a simulator seeded with the world file at path (from
// the module's root), and gives a transport of its own for clients, closed
// before the simulator: the SDK's parallel calls can leave a dialled
// connection that never carried a request, and the server's graceful
// shutdown waits for those.
func startWorld(t testing.TB, path string) (*awssim.Sim, *http.Transport) {
	t.Helper()
	sim := simtest.AWS(t, path, start)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	return sim, transport
}

// Environments of the seeded world.
var (
	webEnv = switchyard.Environment{
		Name: "production", Region: "us-east-1", Cluster: "prod", Service: "web", Container: "web",
		Application: "web", DeploymentGroup: "web-prod",
		Hooks: map[string]string{switchyard.BeforeAllowTraffic: "web-smoke-test"},
	}
	apiEnv = switchyard.Environment{
		Name: "production", Region: "us-east-1", Cluster: "prod", Service: "api",
		Application: "api", DeploymentGroup: "api-prod",
	}
	hubEnv = switchyard.Environment{
		Name: "production", Region: "us-east-1", Cluster: "prod", Service: "hub", Container: "hub",
		Application: "hub", DeploymentGroup: "hub-prod",
	}
	workerEnv = switchyard.Environment{
		Name: "production", Region: "us-east-1", Cluster: "prod", Service: "worker",
		Application: "worker", DeploymentGroup: "worker-prod",
	}
)

// deploy plans and starts version of env and returns the plan and id.
// testRequest is the request id deploy names in descriptions.
const testRequest = "p-00000000000000aa"

func (h *harness) deploy(env switchyard.Environment, version string) (*switchyard.Plan, string) {
	h.t.Helper()
	ctx := context.Background()
	p, err := h.d.Plan(ctx, env, version, switchyard.PlanOptions{App: env.Application})
	if err != nil {
		h.t.Fatalf("plan %s %s: %v", env.Application, version, err)
	}
	id, err := h.d.Start(ctx, p, switchyard.Actor{User: "alice", Channel: "#deploys", Request: testRequest})
	if err != nil {
		h.t.Fatalf("start %s %s: %v", env.Application, version, err)
	}
	return p, id
}

// describe is Describe that must succeed.
func (h *harness) describe(env switchyard.Environment, id string) *switchyard.Observation {
	h.t.Helper()
	st, err := h.d.Describe(context.Background(), env, id)
	if err != nil {
		h.t.Fatalf("describe %s: %v", id, err)
	}
	return st
}

// advanceUntil moves the simulated clock in steps of step until cond holds
// for deployment id, at most limit of simulated time, and returns the last
// status.
func (h *harness) advanceUntil(env switchyard.Environment, id string, step, limit time.Duration, cond func(*switchyard.Observation) bool) *switchyard.Observation {
	h.t.Helper()
	for waited := time.Duration(0); ; waited += step {
		st := h.describe(env, id)
		if cond(st) {
			return st
		}
		if waited >= limit {
			h.t.Fatalf("after %s %s is %s (stages %v), condition still false", limit, id, st.Status, stageNames(st))
		}
		h.sim.Advance(step)
	}
}

func stageNames(st *switchyard.Observation) []string {
	var out []string
	for _, s := range st.Stages {
		out = append(out, s.Name+"="+string(s.Status))
	}
	return out
}

func stage(st *switchyard.Observation, name string) (switchyard.Stage, bool) {
	for _, s := range st.Stages {
		if s.Name == name {
			return s, true
		}
	}
	return switchyard.Stage{}, false
}

// errorCode asserts err is a *switchyard.Error with code and returns it.
func errorCode(t testing.TB, err error, code string) *switchyard.Error {
	t.Helper()
	var se *switchyard.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *switchyard.Error", err, err)
	}
	if se.Code != code {
		t.Fatalf("error code %q, want %q (%v)", se.Code, code, err)
	}
	return se
}

// recorder notes every AWS operation the deployer calls (once per call,
// however often the SDK retries it) and, as an http.RoundTripper, every
// attempt that reached the simulator. It can also answer a chosen
// operation with a failure after passing it on.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	ops  []string // operations, as the deployer called them
	// attempts are the HTTP requests the simulator answered, retries
	// included.
	attempts []string
	// lose, when set, names an operation whose next answer is replaced by a
	// 500 after the simulator has handled it: the call ran, the client does
	// not know.
	lose string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	op := req.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(op, '.'); i >= 0 {
		op = op[i+1:]
	}
	if op == "" {
		op = req.URL.Path[strings.LastIndexByte(req.URL.Path, '/')+1:] // CloudWatch's RPC v2 CBOR path
	}
	r.mu.Lock()
	lose := r.lose == op
	if lose {
		r.lose = ""
	}
	r.mu.Unlock()
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	r.mu.Lock()
	r.attempts = append(r.attempts, op)
	r.mu.Unlock()
	if !lose {
		return resp, nil
	}
	_ = resp.Body.Close()
	return &http.Response{
		StatusCode: http.StatusInternalServerError, Status: "500 Internal Server Error",
		Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body:   http.NoBody, Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

// take returns the operations called since the last take.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := r.ops
	r.ops, r.attempts = nil, nil
	return ops
}

// takeAttempts returns the HTTP attempts answered since the last take.
func (r *recorder) takeAttempts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.attempts
	r.ops, r.attempts = nil, nil
	return a
}

// middleware records each operation once, before the SDK's retry loop.
func (r *recorder) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("recordOperation",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			r.mu.Lock()
			r.ops = append(r.ops, awsmiddleware.GetOperationName(ctx))
			r.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

func count(ops []string, op string) int {
	n := 0
	for _, o := range ops {
		if o == op {
			n++
		}
	}
	return n
}
