// Package sandbox runs the whole product on one machine: the AWS simulator,
// the Slack simulator, the bot wired to both, a store in a temporary
// directory, and a browser console that shows #deploys as Slack would. It is
// what `bot sandbox` starts and what the end-to-end tests drive.
package sandbox

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard/commands"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/app"
	"github.com/switchyard/switchyard/internal/awssim"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/setup"
	"github.com/switchyard/switchyard/internal/slacksim"
	"github.com/switchyard/switchyard/notify"
)

//go:embed world.yaml
var worldYAML []byte

//go:embed switchyard.yaml
var configYAML []byte

//go:embed console
var consoleFS embed.FS

// DefaultSpeed is simulated seconds per real second: a linear deployment
// (about twelve simulated minutes with its termination wait) takes about a
// minute.
const DefaultSpeed = 12

// Options configures a sandbox.
type Options struct {
	// Addr serves the console, the Slack Web API (/api/) and the control
	// API (/_sim/); AWSAddr serves the AWS simulator. "127.0.0.1:0" picks a
	// free port.
	Addr    string
	AWSAddr string
	// Speed is simulated seconds per real second; 0 freezes the AWS clock
	// (tests then move it with AWS.Advance).
	Speed float64
	// Dir holds the store; empty means a new temporary directory, removed
	// on Close.
	Dir string
	Log *zap.Logger
	// SlackOptions tune the Slack simulator (rate limits, ping interval);
	// its workspace is always the sandbox's.
	SlackOptions slacksim.Options
}

// Sandbox is a running sandbox.
type Sandbox struct {
	AWS    *awssim.Sim
	Slack  *slacksim.Server
	Config *config.Config
	Log    *zap.Logger

	srv      *http.Server
	listener net.Listener
	dir      string
	ownDir   bool

	botMu     sync.Mutex
	botCancel context.CancelFunc
	botDone   chan error
}

// Workspace is the sandbox's Slack team: alice may deploy, bob is on call
// (may roll back), carol may do nothing, dave approves; all are in #deploys.
func Workspace() slacksim.Workspace {
	ws := slacksim.DefaultWorkspace()
	for i := range ws.Groups {
		if ws.Groups[i].ID == "S0ONCALL" {
			ws.Groups[i].Users = []string{"U0BOB"}
		}
	}
	return ws
}

// Start builds and starts the simulators and serves the console. The bot
// itself is started with StartBot, so tests can stop and restart it.
func Start(opts Options) (*Sandbox, error) {
	log := opts.Log
	if log == nil {
		log = zap.NewNop()
	}
	cfg, err := config.Parse("sandbox switchyard.yaml", configYAML)
	if err != nil {
		return nil, fmt.Errorf("sandbox config: %w", err)
	}
	sb := &Sandbox{Config: cfg, Log: log, dir: opts.Dir}
	if sb.dir == "" {
		if sb.dir, err = os.MkdirTemp("", "switchyard-sandbox-"); err != nil {
			return nil, err
		}
		sb.ownDir = true
	}
	cfg.Store = filepath.Join(sb.dir, "switchyard.db")

	world, err := awssim.LoadWorld(worldYAML)
	if err != nil {
		return nil, fmt.Errorf("sandbox world: %w", err)
	}
	sb.AWS = awssim.New(awssim.Options{Account: world.Account, Region: world.Region, Speed: opts.Speed, Log: log.Named("awssim")})
	if err := sb.AWS.Seed(world); err != nil {
		return nil, fmt.Errorf("seed the AWS simulator: %w", err)
	}
	if err := sb.AWS.Start(orDefault(opts.AWSAddr, "127.0.0.1:0")); err != nil {
		return nil, fmt.Errorf("start the AWS simulator: %w", err)
	}

	// The event path, as `bot setup` would build it in real accounts:
	// staging's account forwards to the bot's, reached through its role.
	awsCfg := sb.AWS.Config()
	reach := setup.RoleReach(awsCfg, deployer.NewSessions(awsCfg, deployer.SessionOptions{}))
	if _, err := setup.Run(context.Background(), cfg, eventbridge.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg),
		setup.Options{Account: sb.AWS.Account(), Reach: reach}); err != nil {
		_ = sb.AWS.Close()
		return nil, fmt.Errorf("set up the event path: %w", err)
	}

	so := opts.SlackOptions
	so.Workspace = Workspace()
	if so.Log == nil {
		so.Log = log.Named("slacksim")
	}
	if so.Now == nil {
		// One clock: messages are stamped with the time the cards speak of.
		so.Now = sb.AWS.Clock().Now
	}
	sb.Slack = slacksim.New(so)

	ln, err := net.Listen("tcp", orDefault(opts.Addr, "127.0.0.1:0"))
	if err != nil {
		_ = sb.AWS.Close()
		return nil, fmt.Errorf("listen for the console: %w", err)
	}
	sb.listener = ln
	sb.Slack.SetBaseURL("http://" + ln.Addr().String())
	sb.srv = &http.Server{Handler: sb.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = sb.srv.Serve(ln) }()
	return sb, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// URL is the console's address; the Slack Web API is URL()+"/api/".
func (sb *Sandbox) URL() string { return "http://" + sb.listener.Addr().String() }

// routes serves the console, the Slack simulator, and the sandbox's own
// controls for breaking things on purpose.
func (sb *Sandbox) routes() http.Handler {
	mux := http.NewServeMux()
	slack := sb.Slack.Handler()
	mux.Handle("/api/", slack)
	mux.Handle("/_sim/", slack)
	mux.HandleFunc("POST /_sim/aws/fail", sb.ctlFail)
	mux.HandleFunc("POST /_sim/aws/alarm", sb.ctlAlarm)
	mux.HandleFunc("POST /_sim/socket/drop", sb.ctlDrop)
	mux.HandleFunc("GET /_sim/world", sb.ctlWorld)
	sb.routeConsole(mux)
	static, _ := fs.Sub(consoleFS, "console")
	mux.Handle("/", http.FileServerFS(static))
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (sb *Sandbox) ctlFail(w http.ResponseWriter, r *http.Request) {
	var req struct{ App, Stage string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"app","stage"}`})
		return
	}
	app, ok := sb.Config.Lookup(req.App)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no app %q", req.App)})
		return
	}
	env, _ := app.Env("")
	const msg = "smoke test failed: GET /health returned 503 (failure armed from the sandbox console)"
	ecsStages := awssim.ServiceDeploymentFaultStages()
	switch {
	case slices.Contains(codeDeployFaultStages, req.Stage):
		sb.AWS.FailNextDeployment(env.Application, req.Stage, msg)
	case slices.Contains(ecsStages, req.Stage):
		// An ECS lifecycle stage: the app's service deploys itself.
		if err := sb.AWS.FailNextServiceDeployment(env.Cluster, env.Service, req.Stage, msg); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "stage must be a hook stage: BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic or AfterAllowTraffic" +
			" (CodeDeploy), or for an ECS-native service one of " + strings.Join(ecsStages, ", ")})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"app": app.Name, "stage": req.Stage})
}

func (sb *Sandbox) ctlAlarm(w http.ResponseWriter, r *http.Request) {
	var req struct{ Name, State string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"name","state"}`})
		return
	}
	if req.State != "ALARM" && req.State != "OK" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "state must be ALARM or OK"})
		return
	}
	if err := sb.AWS.SetAlarm(req.Name, req.State, "set from the sandbox console"); err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"name": req.Name, "state": req.State})
}

func (sb *Sandbox) ctlDrop(w http.ResponseWriter, _ *http.Request) {
	n := sb.Slack.DropConnections(10)
	writeJSON(w, http.StatusOK, map[string]int{"dropped": n})
}

// ctlWorld lists the apps and alarms, for the console's fault panel, and
// the stages each app's next deployment can be made to fail at: CodeDeploy's
// hook events, or ECS's stages for an app ECS deploys itself (no
// codedeploy section).
func (sb *Sandbox) ctlWorld(w http.ResponseWriter, _ *http.Request) {
	var apps []string
	stages := map[string][]string{}
	for _, a := range sb.Config.Apps {
		apps = append(apps, a.Name)
		env, _ := a.Env("")
		stages[a.Name] = codeDeployFaultStages
		if env.Application == "" {
			stages[a.Name] = awssim.ServiceDeploymentFaultStages()
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"apps": apps, "alarms": []string{"myapp-5xx", "payments-errors", "checkout-5xx"},
		"stages": stages, "speed": sb.AWS.Clock().Speed()})
}

// codeDeployFaultStages are the hook events a CodeDeploy deployment can be
// made to fail at.
var codeDeployFaultStages = []string{"BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"}

// Close stops the bot, the servers and removes a temporary store.
func (sb *Sandbox) Close() error {
	errs := []error{sb.StopBot()}
	if sb.srv != nil {
		// Open consoles hold event streams; give them a moment, then cut them.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if sb.srv.Shutdown(ctx) != nil {
			_ = sb.srv.Close()
		}
		cancel()
	}
	sb.Slack.Close()
	errs = append(errs, sb.AWS.Close())
	if sb.ownDir {
		errs = append(errs, os.RemoveAll(sb.dir))
	}
	return errors.Join(errs...)
}

// BotOptions tune the bot the sandbox runs.
type BotOptions struct {
	// Notify and Commands are passed through; the sandbox shortens polling
	// so the console moves as soon as the simulated world does.
	Notify   notify.Options
	Commands commands.Options
}

// StartBot starts the bot against the simulators, as `bot run` would start
// against Slack and AWS. It returns once the bot's Socket Mode connection
// is up.
func (sb *Sandbox) StartBot(ctx context.Context, o BotOptions) error {
	sb.botMu.Lock()
	defer sb.botMu.Unlock()
	if sb.botCancel != nil {
		return errors.New("the bot is already running")
	}
	if o.Notify.Poll == 0 {
		o.Notify.Poll = time.Second
	}
	if o.Notify.FastPoll == 0 {
		o.Notify.FastPoll = 250 * time.Millisecond
	}
	if o.Notify.Discover == 0 {
		o.Notify.Discover = 2 * time.Second
	}
	if o.Commands.SweepEvery == 0 {
		o.Commands.SweepEvery = time.Second
	}
	before := sb.Slack.Connections()
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Run(runCtx, app.Deps{
			Config:      sb.Config,
			BotToken:    sb.Slack.BotToken(),
			AppToken:    sb.Slack.AppToken(),
			SlackAPIURL: sb.Slack.URL(),
			AWS:         sb.AWS.Config(),
			Log:         sb.Log.Named("bot"),
			Now:         sb.AWS.Clock().Now,
			Notify:      o.Notify,
			Commands:    o.Commands,
		})
	}()
	sb.botCancel, sb.botDone = cancel, done
	wait, stop := context.WithTimeout(ctx, 15*time.Second)
	defer stop()
	if err := sb.Slack.WaitConnections(wait, before+1); err != nil {
		select {
		case err := <-done:
			sb.botCancel, sb.botDone = nil, nil
			cancel()
			return fmt.Errorf("the bot did not start: %w", err)
		default:
		}
		return fmt.Errorf("the bot did not connect to the Slack simulator: %w", err)
	}
	return nil
}

// StopBot stops the bot and waits for it, as a SIGTERM would.
func (sb *Sandbox) StopBot() error {
	sb.botMu.Lock()
	defer sb.botMu.Unlock()
	if sb.botCancel == nil {
		return nil
	}
	up := sb.Slack.Connections()
	sb.botCancel()
	err := <-sb.botDone
	sb.botCancel, sb.botDone = nil, nil
	// The simulator notices the closed socket on its own time; until it
	// has, a StartBot would count it among the connections it waits past.
	wait, stop := context.WithTimeout(context.Background(), 15*time.Second)
	defer stop()
	for sb.Slack.Connections() >= up && wait.Err() == nil {
		_ = sb.Slack.WaitConnections(wait, up-1)
	}
	return err
}

// Done reports the bot's end: a value arrives if it stops by itself.
func (sb *Sandbox) Done() <-chan error {
	sb.botMu.Lock()
	defer sb.botMu.Unlock()
	return sb.botDone
}
