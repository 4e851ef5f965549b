package slackout

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"
)

// Calls to Slack: one caller at a time per rate-limit bucket, a 429 waited
// out by every caller of that bucket, and a few retries of what may pass
// on a second try.

// gate is what the senders of one method and channel share: one caller at
// a time, no call before until, and when Slack last limited them.
type gate struct {
	turn  chan struct{}
	until time.Time
	hit   time.Time
}

// call runs one Slack request for method in channel, waiting out rate
// limits: before the call while another sender was told to wait, and after
// a 429 for as long as Retry-After says. Other errors are retried twice.
func (s *Sender) call(ctx context.Context, method, channel string, fn func() error) error {
	key := method + "/" + channel
	if method == "chat.update" {
		key = method // Tier 3 counts per app, not per channel
	}
	s.mu.Lock()
	g := s.gates[key]
	if g == nil {
		g = &gate{turn: make(chan struct{}, 1)}
		s.gates[key] = g
	}
	s.mu.Unlock()
	select {
	case g.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g.turn }()
	for attempt := 0; ; {
		s.mu.Lock()
		wait := time.Until(g.until)
		s.mu.Unlock()
		if wait > 0 && !sleep(ctx, wait) {
			return ctx.Err()
		}
		start := time.Now()
		err := fn()
		s.obs.SlackCall(method, callResult(err), time.Since(start))
		var rl *slack.RateLimitedError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &rl):
			after := max(rl.RetryAfter, 100*time.Millisecond)
			s.mu.Lock()
			if until := time.Now().Add(after); until.After(g.until) {
				g.until = until
			}
			g.hit = time.Now()
			s.mu.Unlock()
			continue
		case ctx.Err() != nil || permanent(err) || attempt >= 2:
			return err
		}
		attempt++
		if !sleep(ctx, time.Duration(attempt)*500*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// callResult names how a Slack call ended, for metrics.
func callResult(err error) string {
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &rl):
		return "rate_limited"
	case errors.As(err, &se):
		return se.Err
	default:
		return "error"
	}
}

// permanent reports Slack refusals that retrying cannot fix: every
// {"ok":false} answer but Slack's own transient failures.
func permanent(err error) bool {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return false
	}
	switch se.Err {
	case "internal_error", "fatal_error", "service_unavailable", "request_timeout":
		return false
	}
	return true
}

// sleep waits d or until ctx ends, and reports whether the wait was whole.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
