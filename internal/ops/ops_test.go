package ops_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/switchyard/switchyard/internal/metrics"
	"github.com/switchyard/switchyard/internal/ops"
)

// socket is a Slack connection that the test turns on and off.
type socket struct{ up atomic.Bool }

func (s *socket) Connected() bool { return s.up.Load() }

// pinger is a store whose answer the test sets; block makes Ping wait for
// its context.
type pinger struct {
	err   atomic.Pointer[error]
	block atomic.Bool
	calls atomic.Int64
}

func (p *pinger) Ping(ctx context.Context) error {
	p.calls.Add(1)
	if p.block.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	if e := p.err.Load(); e != nil {
		return *e
	}
	return nil
}

func (p *pinger) fail(err error) { p.err.Store(&err) }
func (p *pinger) heal()          { p.err.Store(nil) }

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func TestEndpoints(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	m := metrics.New(metrics.Options{Version: "v9"})
	h := ops.New(m.Gatherer(), ops.Options{PingTimeout: 100 * time.Millisecond, Log: zap.New(core)})
	srv := httptest.NewServer(h)
	defer srv.Close()

	if code, body, _ := get(t, srv.URL+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	ready := func(wantCode int, wantBody string) {
		t.Helper()
		code, body, hdr := get(t, srv.URL+"/readyz")
		if code != wantCode || body != wantBody+"\n" || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("/readyz = %d %q (%s); want %d %s", code, body, hdr.Get("Content-Type"), wantCode, wantBody)
		}
	}
	ready(503, `{"ready":false,"socket":"starting","store":"starting"}`)

	sock, store := &socket{}, &pinger{}
	h.Attach(sock, store)
	ready(503, `{"ready":false,"socket":"down","store":"up"}`)
	sock.up.Store(true)
	ready(200, `{"ready":true,"socket":"up","store":"up"}`)

	// The store stops answering: said once in the log, with the cause, and
	// never in the body.
	store.fail(errors.New("dial tcp db.internal.example:5432: connection refused"))
	for range 3 {
		ready(503, `{"ready":false,"socket":"up","store":"down"}`)
	}
	store.heal()
	ready(200, `{"ready":true,"socket":"up","store":"up"}`)
	notReady := logs.FilterMessage("not ready").All()
	if len(notReady) != 2 || logs.FilterMessage("ready").Len() != 2 {
		t.Errorf("log: %d not-ready and %d ready lines, want 2 and 2 (one per change)", len(notReady), logs.FilterMessage("ready").Len())
	}
	if len(notReady) == 2 && !strings.Contains(notReady[1].ContextMap()["store_error"].(string), "connection refused") {
		t.Errorf("the log does not say why the store is down: %v", notReady[1].ContextMap())
	}

	// A store that hangs: /readyz still answers, within the ping timeout.
	store.block.Store(true)
	start := time.Now()
	ready(503, `{"ready":false,"socket":"up","store":"down"}`)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("/readyz took %v with a hanging store", took)
	}
	store.block.Store(false)

	res, err := http.Post(srv.URL+"/readyz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /readyz = %d, want 405", res.StatusCode)
	}
	if code, _, _ := get(t, srv.URL+"/"); code != 404 {
		t.Errorf("/ = %d, want 404", code)
	}

	m.Tracked(3)
	m.SlackCall("chat.update", "rate_limited", time.Millisecond)
	code, body, hdr := get(t, srv.URL+"/metrics")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics = %d %s", code, hdr.Get("Content-Type"))
	}
	for _, want := range []string{
		"switchyard_deployments_tracked 3\n",
		`switchyard_slack_calls_total{method="chat.update",result="rate_limited"} 1` + "\n",
		`switchyard_build_info{version="v9"} 1` + "\n",
		"# TYPE switchyard_slack_ack_seconds histogram\n",
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// Serve answers on its listener until the context ends, then lets go of
// the port.
func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	h := ops.New(metrics.New(metrics.Options{}).Gatherer(), ops.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ops.Serve(ctx, ln, h) }()
	if code, body, _ := get(t, url+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v after the context ended, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the context ended")
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("still answering after Serve returned")
	}
}
