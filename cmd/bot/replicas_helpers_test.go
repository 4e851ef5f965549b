package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/simtest"
)

// logBuffer is a child's standard error, safe to read while it writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// field returns the value of key in the first JSON log line whose msg is
// msg, or "".
func (l *logBuffer) field(msg, key string) string {
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == msg {
			s, _ := line[key].(string)
			return s
		}
	}
	return ""
}

// count is how many JSON log lines have msg as their msg.
func (l *logBuffer) count(msg string) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == msg {
			n++
		}
	}
	return n
}

// replica is one `bot run` child process with its /healthz, /readyz and
// /metrics.
type replica struct {
	name   string
	cmd    *exec.Cmd
	log    *logBuffer
	addr   string // where it serves HTTP, from its log
	exited chan error
	gate   *slackGate // its own way to Slack, when the test gave it one
}

// startReplica runs `bot run -http 127.0.0.1:0` and reads from its log
// where it listens.
func startReplica(t testing.TB, name, cfgPath string, env []string) *replica {
	t.Helper()
	r := &replica{name: name, log: &logBuffer{}, exited: make(chan error, 1)}
	r.cmd = exec.Command(staticBinary(t), "run", "-config", cfgPath, "-http", "127.0.0.1:0")
	r.cmd.Env = env
	r.cmd.Stderr = r.log
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.exited <- r.cmd.Wait() }()
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.exited
	})
	simtest.WaitFor(t, name+" saying where it serves HTTP", func() bool {
		r.addr = r.log.field("serving /healthz, /readyz and /metrics", "addr")
		return r.addr != ""
	}, r.log.String)
	return r
}

// get answers a GET of path on the replica: its status and body, or 0 and
// the error's text when it did not answer.
func (r *replica) get(path string) (int, string) {
	c := http.Client{Timeout: 10 * time.Second}
	res, err := c.Get("http://" + r.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// waitReadyz waits until /readyz answers code with body want.
func (r *replica) waitReadyz(t testing.TB, code int, want string) {
	t.Helper()
	var gotCode int
	var got string
	simtest.WaitFor(t, r.name+" answering /readyz "+strconv.Itoa(code)+" "+want, func() bool {
		gotCode, got = r.get("/readyz")
		return gotCode == code && strings.TrimSpace(got) == want
	}, func() string { return "last answer " + strconv.Itoa(gotCode) + " " + got + "\n" + r.log.String() })
}

// metric reads one series of the replica's /metrics, such as
// `switchyard_slack_envelopes_total{type="slash_commands"}`; -1 when absent.
func (r *replica) metric(t testing.TB, series string) float64 {
	t.Helper()
	code, body := r.get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("%s /metrics = %d %s", r.name, code, body)
	}
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %q", series, line)
			}
			return f
		}
	}
	return -1
}

// stop sends SIGTERM and wants a clean exit.
func (r *replica) stop(t testing.TB) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.exited:
		r.exited <- err // for the cleanup
		if err != nil {
			t.Errorf("%s exited with %v after SIGTERM\n%s", r.name, err, r.log.String())
		}
	case <-time.After(simtest.Patience):
		t.Errorf("%s did not stop within %v of SIGTERM\n%s", r.name, simtest.Patience, r.log.String())
	}
}

// slackGate is the bots' way to the Slack Web API: a proxy that can hold
// every apps.connections.open call, so that a bot whose socket dropped
// stays disconnected until the test has seen it. It also records the
// messages posted and edited through it, with when each call began and
// ended, so that a test with a gate per bot knows who wrote what.
type slackGate struct {
	url   string // base, without /api/
	held  atomic.Int64
	mu    sync.Mutex
	open  chan struct{} // closed while calls pass
	calls []slackCall
	proxy *httputil.ReverseProxy
}

// slackCall is one chat.postMessage or chat.update that passed a gate.
type slackCall struct {
	method            string
	channel, ts, root string // ts of the edited message; root of a reply's thread
	start, end        time.Time
}

func newSlackGate(t testing.TB, target string) *slackGate {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	g := &slackGate{open: make(chan struct{}), proxy: httputil.NewSingleHostReverseProxy(u)}
	close(g.open)
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	g.url = srv.URL
	return g
}

func (g *slackGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/apps.connections.open" {
		g.mu.Lock()
		open := g.open
		g.mu.Unlock()
		g.held.Add(1)
		select {
		case <-open:
		case <-r.Context().Done():
			return
		}
	}
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if method != "chat.update" && method != "chat.postMessage" {
		g.proxy.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body)) // slack-go posts forms
	c := slackCall{method: method, channel: form.Get("channel"), ts: form.Get("ts"), root: form.Get("thread_ts"), start: time.Now()}
	g.proxy.ServeHTTP(w, r)
	c.end = time.Now()
	g.mu.Lock()
	g.calls = append(g.calls, c)
	g.mu.Unlock()
}

// recorded returns the posts and edits that passed the gate.
func (g *slackGate) recorded() []slackCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.calls)
}

// hold stops apps.connections.open calls until release; held counts the
// calls that arrived meanwhile.
func (g *slackGate) hold() {
	g.mu.Lock()
	g.open = make(chan struct{})
	g.mu.Unlock()
	g.held.Store(0)
}

func (g *slackGate) release() {
	g.mu.Lock()
	close(g.open)
	g.mu.Unlock()
}
