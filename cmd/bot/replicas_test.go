package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard/internal/pgtest"
	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// The bodies of /readyz in each state the test brings about.
const (
	allReady    = `{"ready":true,"socket":"up","store":"up"}`
	socketDown  = `{"ready":false,"socket":"down","store":"up"}`
	storeDown   = `{"ready":false,"socket":"up","store":"down"}`
	slashList   = `{"user_id":"U0ALICE","channel_id":"C0DEPLOYS","command":"/deploy","text":"list"}`
	commandsRun = 6
)

// TestSandboxWithReplicas runs the sandbox as `bot sandbox -bots 0 -dir`
// (simulators and console only) and two `bot run` processes that join it
// with the config it wrote, on one PostgreSQL database: slash commands are
// answered whichever process gets them; each process's /readyz is 200, 503
// while its Slack socket is down (the test holds the reconnection at a
// proxy in front of the Slack API until it has seen the 503) and while the
// database refuses connections, and 200 again after; bot healthcheck says
// the same with its exit code; /metrics counts envelopes, acks and Slack
// and AWS calls.
func TestSandboxWithReplicas(t *testing.T) {
	db := pgtest.Database(t)
	f := newFleet(t, db)
	console, cfgPath := f.console, f.cfgPath
	if want := filepath.Join(f.dir, "switchyard.yaml"); cfgPath != want {
		t.Fatalf("the ready line names config %q, want %q", cfgPath, want)
	}
	gate := newSlackGate(t, console)
	env := f.env(gate.url + "/api/")
	replicas := []*replica{startReplica(t, "replica A", cfgPath, env), startReplica(t, "replica B", cfgPath, env)}
	for _, r := range replicas {
		r.waitReadyz(t, 200, allReady)
		if code, body := r.get("/healthz"); code != 200 || body != "ok\n" {
			t.Errorf("%s /healthz = %d %q", r.name, code, body)
		}
		healthcheck(t, r, 0, "ready: http://"+r.addr+"/readyz answered 200 "+allReady)
	}

	// Slack hands the envelopes round the two sockets; each is answered.
	for i := range commandsRun {
		var res struct {
			EnvelopeID string          `json:"envelope_id"`
			Ack        json.RawMessage `json:"ack"`
		}
		if err := postJSON(console+"/_sim/slash", slashList, &res); err != nil || res.EnvelopeID == "" {
			t.Fatalf("slash %d: %+v %v", i, res, err)
		}
	}
	var msgs []slacksim.Message
	simtest.WaitFor(t, "an answer to every /deploy list", func() bool {
		msgs = nil
		answers := 0
		if err := getJSON(console+"/_sim/messages?channel=C0DEPLOYS", &msgs); err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.EphemeralTo == "U0ALICE" && strings.Contains(m.Text+string(m.Blocks), "payments") {
				answers++
			}
		}
		return answers == commandsRun
	}, func() string { return replicas[0].log.String() + replicas[1].log.String() })
	var envelopes, acks, posts float64
	for _, r := range replicas {
		n := r.metric(t, `switchyard_slack_envelopes_total{type="slash_commands"}`)
		if n < 1 {
			t.Errorf("%s received %v slash commands; Slack spreads them over every socket", r.name, n)
		}
		envelopes += n
		acks += r.metric(t, `switchyard_slack_ack_seconds_count{type="slash_commands"}`)
		posts += r.metric(t, `switchyard_slack_calls_total{method="chat.postEphemeral",result="ok"}`)
		for _, series := range []string{
			`switchyard_aws_calls_total{code="ok",operation="GetQueueUrl",service="SQS"}`,
			`switchyard_slack_socket_up`,
		} {
			if v := r.metric(t, series); v != 1 {
				t.Errorf("%s %s = %v, want 1", r.name, series, v)
			}
		}
		if v := r.metric(t, `switchyard_deployments_tracked`); v != 0 {
			t.Errorf("%s tracks %v deployments, want 0", r.name, v)
		}
	}
	if envelopes != commandsRun || acks != commandsRun || posts != commandsRun {
		t.Errorf("envelopes %v, acks %v, ephemeral posts %v over both replicas; want %d each", envelopes, acks, posts, commandsRun)
	}

	// The sockets drop, and cannot come back while the gate holds.
	gate.hold()
	var dropped struct{ Dropped int }
	if err := postJSON(console+"/_sim/socket/drop", ``, &dropped); err != nil || dropped.Dropped != 2 {
		t.Fatalf("socket drop: %+v %v", dropped, err)
	}
	for _, r := range replicas {
		r.waitReadyz(t, 503, socketDown)
		healthcheck(t, r, 1, "bot healthcheck: not ready: http://"+r.addr+"/readyz answered 503 "+socketDown)
		if v := r.metric(t, "switchyard_slack_socket_up"); v != 0 {
			t.Errorf("%s switchyard_slack_socket_up = %v while down", r.name, v)
		}
	}
	simtest.WaitFor(t, "both replicas asking for a new socket", func() bool { return gate.held.Load() >= 2 }, nil)
	gate.release()
	for _, r := range replicas {
		r.waitReadyz(t, 200, allReady)
	}

	// The database refuses every connection, then takes them again.
	setAllowConnections(t, db, false)
	for _, r := range replicas {
		r.waitReadyz(t, 503, storeDown)
		healthcheck(t, r, 1, "bot healthcheck: not ready: http://"+r.addr+"/readyz answered 503 "+storeDown)
	}
	setAllowConnections(t, db, true)
	for _, r := range replicas {
		r.waitReadyz(t, 200, allReady)
	}

	secrets := []string{f.botToken, f.appToken, awsSecret, pgtest.SharedServer(t).Password()}
	for _, r := range replicas {
		r.stop(t)
		logs := r.log.String()
		for _, s := range secrets {
			if strings.Contains(logs, s) {
				t.Errorf("%s logged a secret", r.name)
			}
		}
		if !strings.Contains(logs, `"msg":"not ready"`) || !strings.Contains(logs, `"store_error"`) {
			t.Errorf("%s did not log why it was not ready:\n%s", r.name, logs)
		}
	}
}

// startSandboxOnly runs `bot sandbox -bots 0 -dir dir` and returns the
// console's and the AWS endpoint's URLs and the config it names, from its
// ready line; the sandbox stops cleanly when the test ends.
func startSandboxOnly(t testing.TB, dir string) (console, awsURL, cfgPath string) {
	t.Helper()
	cmd := exec.Command(staticBinary(t), "sandbox", "-bots", "0", "-dir", dir, "-addr", "127.0.0.1:0", "-aws-addr", "127.0.0.1:0")
	cmd.Env = []string{"HOME=" + dir, "TMPDIR=" + t.TempDir()}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &logBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("the sandbox exited with %v after Ctrl-C\n%s", err, stderr.String())
			}
		case <-time.After(simtest.Patience):
			_ = cmd.Process.Kill()
			t.Errorf("the sandbox did not stop after Ctrl-C\n%s", stderr.String())
		}
	})
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var ready string
	select {
	case ready = <-lines:
	case <-time.After(simtest.Patience):
		t.Fatalf("no ready line\n%s", stderr.String())
	}
	// sandbox ready: console URL slack-api URL aws URL config PATH
	f := strings.Fields(ready)
	if len(f) != 10 || strings.Join(f[:3], " ") != "sandbox ready: console" || f[4] != "slack-api" || f[6] != "aws" || f[8] != "config" {
		t.Fatalf("ready line = %q", ready)
	}
	if _, err := os.Stat(f[9]); err != nil {
		t.Fatalf("the config the ready line names: %v", err)
	}
	return f[3], f[7], f[9]
}

// healthcheck runs `bot healthcheck -http` against r and wants the exit
// code and the one line on standard error.
func healthcheck(t testing.TB, r *replica, wantCode int, wantLine string) {
	t.Helper()
	code, out, errOut := invoke(t, nil, "healthcheck", "-http", r.addr)
	if code != wantCode || out != "" || errOut != wantLine+"\n" {
		t.Errorf("%s: bot healthcheck exit %d, stdout %q, stderr %q; want %d and %q", r.name, code, out, errOut, wantCode, wantLine)
	}
}

func postJSON(url, body string, v any) error {
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	return json.NewDecoder(res.Body).Decode(v)
}

// setAllowConnections opens or closes the database to new connections
// and, closing it, cuts the ones open: to the bots, the database is gone.
func setAllowConnections(t testing.TB, dbURL string, allow bool) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin := pgtest.SharedServer(t).URL("postgres")
	ctx := context.Background()
	verb := "false"
	if allow {
		verb = "true"
	}
	if err := pgtest.Exec(ctx, admin, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" ALLOW_CONNECTIONS "+verb); err != nil {
		t.Fatal(err)
	}
	if !allow {
		if err := pgtest.Exec(ctx, admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"+name+"'"); err != nil {
			t.Fatal(err)
		}
	}
}
