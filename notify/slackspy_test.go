package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// spyCall is one call the Notifier made to Slack.
type spyCall struct {
	method     string // chat.postMessage or chat.update
	channel    string
	ts         string // the card edited (chat.update)
	text       string
	start, end time.Time
	err        error
	retryAfter time.Duration // when Slack answered 429
}

// key is the bucket Slack rate-limits the call in.
func (c spyCall) key() string { return c.method + "/" + c.channel }

// slackSpy is a hand-written Slack that hands every call to the real
// slack-go client and records it: when it started and ended, what it
// sent, how it was answered, and how many card edits of the same message
// were in flight at once. Until release is closed, the first card edit
// waits at the gate (when one is set).
type slackSpy struct {
	next Slack
	// delay is added to every card edit, to widen any overlap.
	delay time.Duration

	mu          sync.Mutex
	calls       []spyCall
	inflight    map[string]int // ts → card edits in flight
	maxInflight int
	gate        chan struct{} // closed by the test to let the held edit go
	held        chan struct{} // closed when the first edit is held
	holding     bool
}

func newSlackSpy(next Slack) *slackSpy {
	return &slackSpy{next: next, inflight: map[string]int{}}
}

// holdFirstUpdate makes the next card edit wait until the returned release
// is called; held is closed once an edit waits.
func (s *slackSpy) holdFirstUpdate() (held <-chan struct{}, release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gate, s.held = make(chan struct{}), make(chan struct{})
	var once sync.Once
	return s.held, func() { once.Do(func() { close(s.gate) }) }
}

func (s *slackSpy) PostMessageContext(ctx context.Context, channel string, options ...slack.MsgOption) (string, string, error) {
	c := spyCall{method: "chat.postMessage", channel: channel, start: time.Now()}
	c.text = sentText(options)
	ch, ts, err := s.next.PostMessageContext(ctx, channel, options...)
	s.record(c, err)
	return ch, ts, err
}

func (s *slackSpy) UpdateMessageContext(ctx context.Context, channel, ts string, options ...slack.MsgOption) (string, string, string, error) {
	s.mu.Lock()
	s.inflight[ts]++
	s.maxInflight = max(s.maxInflight, s.inflight[ts])
	gate := s.gate
	if gate != nil && !s.holding {
		s.holding = true
		close(s.held)
	} else {
		gate = nil
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight[ts]--
		s.mu.Unlock()
	}()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
		}
	}
	time.Sleep(s.delay)
	c := spyCall{method: "chat.update", channel: channel, ts: ts, start: time.Now()}
	c.text = sentText(options)
	a, b, d, err := s.next.UpdateMessageContext(ctx, channel, ts, options...)
	s.record(c, err)
	return a, b, d, err
}

func (s *slackSpy) record(c spyCall, err error) {
	c.end, c.err = time.Now(), err
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		c.retryAfter = rl.RetryAfter
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

func (s *slackSpy) snapshot() []spyCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]spyCall(nil), s.calls...)
}

// mostInFlight is the most edits of one card that were in flight at once.
func (s *slackSpy) mostInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInflight
}

// updates lists the card edits of ts, in the order they were made.
func (s *slackSpy) updates(ts string) []spyCall {
	var out []spyCall
	for _, c := range s.snapshot() {
		if c.method == "chat.update" && c.ts == ts {
			out = append(out, c)
		}
	}
	return out
}

// rateLimited lists the calls Slack answered with 429.
func (s *slackSpy) rateLimited() []spyCall {
	var out []spyCall
	for _, c := range s.snapshot() {
		if c.retryAfter > 0 {
			out = append(out, c)
		}
	}
	return out
}

// earlyRetries lists each 429 after which the same method and channel was
// next called before Retry-After had passed. Calls already under way when
// the 429 came back are not counted: they could not know.
func (s *slackSpy) earlyRetries() []string {
	calls := s.snapshot()
	var bad []string
	for i, c := range calls {
		if c.retryAfter == 0 {
			continue
		}
		var next *spyCall
		for j := range calls {
			o := &calls[j]
			if j != i && o.key() == c.key() && !o.start.Before(c.end) && (next == nil || o.start.Before(next.start)) {
				next = o
			}
		}
		if next == nil {
			continue
		}
		if gap := next.start.Sub(c.end); gap < c.retryAfter {
			bad = append(bad, fmt.Sprintf("%s: 429 with Retry-After %s, called again %s later", c.key(), c.retryAfter, gap.Round(time.Millisecond)))
		}
	}
	return bad
}

// sentText reads the text a message's options carry, as slack-go would
// send it.
func sentText(options []slack.MsgOption) string {
	_, values, err := slack.UnsafeApplyMsgOptions("", "C", "", options...)
	if err != nil {
		return ""
	}
	return values.Get("text")
}
