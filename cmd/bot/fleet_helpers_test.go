package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard/internal/sandbox"
	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// fleet is `bot sandbox -bots 0 -dir` in a process of its own and the
// `bot run` replicas that join it on one database, each through a
// slackGate of its own, so that the test knows which replica wrote what.
type fleet struct {
	t                             testing.TB
	dir, console, awsURL, cfgPath string
	botToken, appToken            string
	db                            string
}

func newFleet(t testing.TB, db string) *fleet {
	t.Helper()
	f := &fleet{t: t, dir: t.TempDir(), db: db}
	f.console, f.awsURL, f.cfgPath = startSandboxOnly(t, f.dir)
	var tok struct {
		Bot string `json:"bot_token"`
		App string `json:"app_token"`
	}
	if err := getJSON(f.console+"/_sim/tokens", &tok); err != nil || tok.Bot == "" || tok.App == "" {
		t.Fatalf("tokens: %+v %v", tok, err)
	}
	f.botToken, f.appToken = tok.Bot, tok.App
	return f
}

// env is a joining replica's whole environment, with slackAPI as its
// Slack Web API.
func (f *fleet) env(slackAPI string) []string {
	return []string{
		"SLACK_APP_TOKEN=" + f.appToken, "SLACK_BOT_TOKEN=" + f.botToken, "SLACK_API_URL=" + slackAPI,
		"AWS_ENDPOINT_URL=" + f.awsURL, "AWS_ACCESS_KEY_ID=AKIDSIM", "AWS_SECRET_ACCESS_KEY=" + awsSecret,
		"AWS_CONFIG_FILE=" + filepath.Join(f.dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(f.dir, "none"),
		"AWS_EC2_METADATA_DISABLED=true", "HOME=" + f.dir, "SWITCHYARD_STORE=" + f.db,
	}
}

// join starts a replica behind a gate of its own and waits until it is
// ready.
func (f *fleet) join(name string) *replica {
	f.t.Helper()
	gate := newSlackGate(f.t, f.console)
	r := startReplica(f.t, name, f.cfgPath, f.env(gate.url+"/api/"))
	r.gate = gate
	r.waitReadyz(f.t, 200, allReady)
	return r
}

// clock changes the sandbox's simulated clock (POST /_sim/clock).
func (f *fleet) clock(body string) sandbox.Clock {
	f.t.Helper()
	var c sandbox.Clock
	if code, err := postStatus(f.console+"/_sim/clock", body, &c); err != nil || code != http.StatusOK {
		f.t.Fatalf("POST /_sim/clock %s: %d %v", body, code, err)
	}
	return c
}

// slash types a /deploy command as user and fails unless a bot acked it.
func (f *fleet) slash(user, text string) {
	f.t.Helper()
	if err := f.trySlash(user, text); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fleet) trySlash(user, text string) error {
	body, _ := json.Marshal(map[string]string{"user_id": user, "channel_id": "C0DEPLOYS", "command": "/deploy", "text": text})
	var res struct {
		EnvelopeID string `json:"envelope_id"`
		Error      string `json:"error"`
	}
	code, err := postStatus(f.console+"/_sim/slash", string(body), &res)
	if err != nil || code != http.StatusOK || res.EnvelopeID == "" {
		return fmt.Errorf("/deploy %s by %s: %d %+v %v", text, user, code, res, err)
	}
	return nil
}

// click presses a button of a message as user.
func (f *fleet) click(user, ts, action string) {
	f.t.Helper()
	body, _ := json.Marshal(map[string]string{"user_id": user, "channel_id": "C0DEPLOYS", "message_ts": ts, "action_id": action})
	var res struct {
		Error string `json:"error"`
	}
	if code, err := postStatus(f.console+"/_sim/click", string(body), &res); err != nil || code != http.StatusOK {
		f.t.Fatalf("click %s on %s: %d %+v %v", action, ts, code, res, err)
	}
}

// messages is #deploys as the Slack simulator holds it.
func (f *fleet) messages() []slacksim.Message {
	f.t.Helper()
	var msgs []slacksim.Message
	if err := getJSON(f.console+"/_sim/messages?channel=C0DEPLOYS", &msgs); err != nil {
		f.t.Fatal(err)
	}
	return msgs
}

// waitChannel waits until ok holds of the channel and returns it.
func (f *fleet) waitChannel(what string, ok func([]slacksim.Message) bool, logs ...*replica) []slacksim.Message {
	f.t.Helper()
	var msgs []slacksim.Message
	simtest.WaitFor(f.t, what, func() bool {
		msgs = f.messages()
		return ok(msgs)
	}, func() string {
		var b strings.Builder
		for _, m := range msgs {
			fmt.Fprintf(&b, "%s %s %s %q\n", m.TS, m.ThreadTS, m.EphemeralTo, m.Text)
		}
		for _, r := range logs {
			b.WriteString(r.name + ":\n" + r.log.String())
		}
		return b.String()
	})
	return msgs
}

// postStatus posts a JSON body and decodes the answer, whatever its status.
func postStatus(url, body string, v any) (int, error) {
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	return res.StatusCode, json.Unmarshal(b, v)
}

// kill ends the replica with SIGKILL: no lease is given up, no socket
// closed politely, nothing flushed.
func (r *replica) kill(t testing.TB) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r.exited <- <-r.exited // reaped; the cleanup reads it again
}

// owns reports whether a lease's owner names this replica: replicas are
// named host-pid-random.
func (r *replica) owns(owner string) bool {
	return strings.Contains(owner, "-"+strconv.Itoa(r.cmd.Process.Pid)+"-")
}

// leaseRow is one state of a lease row as the test saw it.
type leaseRow struct {
	at      time.Time
	owner   string
	fence   int64
	expires time.Time
}

// leaseWatch reads one lease row every few milliseconds on a connection of
// its own, through database outages, and keeps every change it sees.
type leaseWatch struct {
	mu   sync.Mutex
	rows []leaseRow
	stop func()
}

func watchLease(t testing.TB, db, key string) *leaseWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &leaseWatch{}
	done := make(chan struct{})
	w.stop = func() { cancel(); <-done }
	t.Cleanup(w.stop)
	go func() {
		defer close(done)
		var conn *pgx.Conn
		defer func() {
			if conn != nil {
				conn.Close(context.Background())
			}
		}()
		for ctx.Err() == nil {
			if conn == nil {
				c, err := pgx.Connect(ctx, db)
				if err != nil {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				conn = c
			}
			var row leaseRow
			err := conn.QueryRow(ctx, `SELECT owner, fence, expires FROM leases WHERE key = $1`, key).Scan(&row.owner, &row.fence, &row.expires)
			row.at = time.Now()
			switch {
			case err == pgx.ErrNoRows:
			case err != nil:
				conn.Close(context.Background())
				conn = nil
			default:
				w.mu.Lock()
				if n := len(w.rows); n == 0 || w.rows[n-1].owner != row.owner || w.rows[n-1].fence != row.fence {
					w.rows = append(w.rows, row)
				}
				w.mu.Unlock()
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return w
}

// seen returns every change seen so far.
func (w *leaseWatch) seen() []leaseRow {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.rows)
}

// waitFor waits until the row satisfies ok and returns the first such row.
func (w *leaseWatch) waitFor(t testing.TB, what string, ok func(leaseRow) bool) leaseRow {
	t.Helper()
	var got leaseRow
	simtest.WaitFor(t, what, func() bool {
		for _, r := range w.seen() {
			if ok(r) {
				got = r
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("lease rows seen: %+v", w.seen()) })
	return got
}
