package slacksim

import (
	"math"
	"sync"
	"time"
)

// RateMode selects how the simulator applies Web API rate limits.
type RateMode string

const (
	// RateOff never limits.
	RateOff RateMode = "off"
	// RateReal applies Slack's published tiers: Tier 2 20/min, Tier 3
	// 50/min, Tier 4 100/min, each with a burst of one minute's worth, and
	// chat.postMessage about 1/s per channel with a burst of 5.
	RateReal RateMode = "real"
	// RateTight allows one call and then one every few seconds per method
	// (see tightInterval), so tests can force a 429 with two calls.
	RateTight RateMode = "tight"
)

// tier is a rate limit class.
type tier int

const (
	tier2 tier = iota + 2
	tier3
	tier4
	tierPost        // chat.postMessage, per channel
	tierConnections // apps.connections.open
)

// realLimit is the sustained rate (calls per minute) and burst of each class
// in RateReal. apps.connections.open is documented as Tier 1, but Slack lets
// an app open its 10 sockets at once; the simulator allows that.
func realLimit(t tier) (perMinute, burst float64) {
	switch t {
	case tier2:
		return 20, 20
	case tier3:
		return 50, 50
	case tierPost:
		return 60, 5
	case tierConnections:
		return 20, 10
	default:
		return 100, 100
	}
}

// tightInterval is the time between calls of each class in RateTight, after
// a burst of one. Socket connections are left at their real rate so that
// tests of Web API limits keep their sockets.
func tightInterval(t tier) time.Duration {
	switch t {
	case tier2:
		return 10 * time.Second
	case tier3:
		return 5 * time.Second
	case tierPost:
		return 2 * time.Second
	default:
		return 2 * time.Second
	}
}

// limiter is a set of token buckets in real time, one per method (per
// method and channel for chat.postMessage).
type limiter struct {
	mu      sync.Mutex
	mode    RateMode
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(mode RateMode) *limiter {
	return &limiter{mode: mode, buckets: map[string]*bucket{}, now: time.Now}
}

func (l *limiter) setMode(mode RateMode) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mode = mode
	l.buckets = map[string]*bucket{}
}

// take spends one token for key. When none is left it answers false and the
// whole seconds to wait (at least 1), as Slack's Retry-After does.
func (l *limiter) take(key string, t tier) (retryAfter int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var perSecond, burst float64
	switch l.mode {
	case RateReal:
		pm, b := realLimit(t)
		perSecond, burst = pm/60, b
	case RateTight:
		if t == tierConnections {
			pm, b := realLimit(t)
			perSecond, burst = pm/60, b
		} else {
			perSecond, burst = 1/tightInterval(t).Seconds(), 1
		}
	default:
		return 0, true
	}
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*perSecond)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	wait := int(math.Ceil((1 - b.tokens) / perSecond))
	if wait < 1 {
		wait = 1
	}
	return wait, false
}
