package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/switchyard/switchyard/internal/app"
)

// tapCall is one Web API call as it crossed the wire.
type tapCall struct {
	method     string
	channel    string
	status     int
	retryAfter time.Duration
	sent       time.Time // request reached the tap
	answered   time.Time // answer left the tap
}

// key is the simulator's rate limit bucket: the method, and the channel
// for chat.postMessage.
func (c tapCall) key() string {
	if c.method == "chat.postMessage" {
		return c.method + "/" + c.channel
	}
	return c.method
}

// slackTap is a reverse proxy in front of the sandbox's Slack simulator that
// records every Web API call and its answer. The sandbox points the bot at
// it with Slack.SetBaseURL, so sockets and response_urls go through it too.
type slackTap struct {
	mu    sync.Mutex
	calls []tapCall
	srv   *httptest.Server
}

func newSlackTap(t *testing.T, sb *Sandbox) *slackTap {
	t.Helper()
	target, err := url.Parse(sb.URL())
	if err != nil {
		t.Fatal(err)
	}
	tap := &slackTap{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(r *http.Response) error {
		if method, ok := strings.CutPrefix(r.Request.URL.Path, "/api/"); ok {
			c := tapCall{method: method, status: r.StatusCode, answered: time.Now()}
			c.sent, _ = r.Request.Context().Value(sentKey{}).(time.Time)
			c.channel, _ = r.Request.Context().Value(channelKey{}).(string)
			if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err == nil {
				c.retryAfter = time.Duration(s) * time.Second
			}
			tap.mu.Lock()
			tap.calls = append(tap.calls, c)
			tap.mu.Unlock()
		}
		return nil
	}
	tap.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), sentKey{}, time.Now())
		if strings.HasPrefix(r.URL.Path, "/api/") && r.Body != nil {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			ctx = context.WithValue(ctx, channelKey{}, channelOf(r.Header.Get("Content-Type"), body))
		}
		proxy.ServeHTTP(w, r.WithContext(ctx))
	}))
	t.Cleanup(tap.srv.Close)
	sb.Slack.SetBaseURL(tap.srv.URL)
	t.Cleanup(func() { sb.Slack.SetBaseURL(sb.URL()) })
	return tap
}

type sentKey struct{}
type channelKey struct{}

// channelOf reads the channel argument of a form or JSON call.
func channelOf(contentType string, body []byte) string {
	if strings.HasPrefix(contentType, "application/json") {
		var v struct {
			Channel string `json:"channel"`
		}
		_ = json.Unmarshal(body, &v)
		return v.Channel
	}
	q, _ := url.ParseQuery(string(body))
	return q.Get("channel")
}

func (tap *slackTap) snapshot() []tapCall {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	return append([]tapCall(nil), tap.calls...)
}

// rateLimited counts the 429 answers.
func (tap *slackTap) rateLimited() int {
	n := 0
	for _, c := range tap.snapshot() {
		if c.status == http.StatusTooManyRequests {
			n++
		}
	}
	return n
}

// retryAfterViolations lists each 429 after which the same bucket was
// called again before Retry-After had passed.
func (tap *slackTap) retryAfterViolations() []string {
	calls := tap.snapshot()
	var bad []string
	for i, c := range calls {
		if c.status != http.StatusTooManyRequests {
			continue
		}
		until := c.answered.Add(c.retryAfter)
		for _, next := range calls[i+1:] {
			if next.key() == c.key() && next.sent.After(c.answered) {
				if next.sent.Before(until) {
					bad = append(bad, fmt.Sprintf("%s: 429 with Retry-After %s, next call %s later",
						c.key(), c.retryAfter, next.sent.Sub(c.answered).Round(time.Millisecond)))
				}
				break
			}
		}
	}
	return bad
}

// awsTap records the AWS calls the bot makes and the errors they get.
type awsTap struct {
	mu     sync.Mutex
	calls  int
	errors map[string]int // by X-Amzn-ErrorType
	next   aws.HTTPClient
}

func (a *awsTap) Do(r *http.Request) (*http.Response, error) {
	res, err := a.next.Do(r)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if err == nil && res.StatusCode >= 400 {
		a.errors[res.Header.Get("X-Amzn-ErrorType")]++
	}
	return res, err
}

func (a *awsTap) throttled() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.errors["ThrottlingException"]
}

// startBotWithAWSTap starts the bot as StartBot does, with one difference:
// its AWS HTTP client records what the simulator answered, which the
// sandbox offers no other way to observe.
func (e *e2e) startBotWithAWSTap() *awsTap {
	e.t.Helper()
	sb := e.sb
	tap := &awsTap{errors: map[string]int{}, next: awshttp.NewBuildableClient()}
	awsCfg := sb.AWS.Config()
	awsCfg.HTTPClient = tap
	o := botOptions()
	sb.botMu.Lock()
	defer sb.botMu.Unlock()
	if sb.botCancel != nil {
		e.t.Fatal("the bot is already running")
	}
	before := sb.Slack.Connections()
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Run(runCtx, app.Deps{
			Config: sb.Config, BotToken: sb.Slack.BotToken(), AppToken: sb.Slack.AppToken(),
			SlackAPIURL: sb.Slack.URL(), AWS: awsCfg, Log: sb.Log.Named("bot"), Now: sb.AWS.Clock().Now,
			Notify: o.Notify, Commands: o.Commands,
		})
	}()
	sb.botCancel, sb.botDone = cancel, done
	wait, stop := context.WithTimeout(context.Background(), 15*time.Second)
	defer stop()
	if err := sb.Slack.WaitConnections(wait, before+1); err != nil {
		e.t.Fatalf("the bot did not connect: %v", errors.Join(err, ctxErr(done)))
	}
	return tap
}

func ctxErr(done chan error) error {
	select {
	case err := <-done:
		return err
	default:
		return nil
	}
}
