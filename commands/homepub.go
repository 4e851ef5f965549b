package commands

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// HomeOptions tune the Home tab's publisher. Slack allows views.publish
// about a hundred times a minute for the whole workspace (Tier 4), so the
// bot publishes only the tabs of people who opened theirs recently, at
// most once per Gap each, and at most PerMinute in all.
type HomeOptions struct {
	// Recent is how long after a person opened their Home tab it is kept
	// up to date (default 15 minutes); they open it again to see more.
	Recent time.Duration
	// Gap is the least time between two publishes of one person's tab
	// (default 5 s): the changes in between are shown at once.
	Gap time.Duration
	// PerMinute is the sustained rate of views.publish calls (default
	// 60); a tenth of it more may go at once, so no minute sees more than
	// 1.1 times PerMinute.
	PerMinute int
	// Tick is how often the publisher looks for tabs due (default 500 ms).
	Tick time.Duration
	// Now is the publisher's clock, real time (default time.Now).
	Now func() time.Time
	// Look is how often, while someone looks, the store is read for
	// changes other replicas made (default 2 s).
	Look time.Duration
}

func (o *HomeOptions) defaults() {
	if o.Recent <= 0 {
		o.Recent = 15 * time.Minute
	}
	if o.Gap <= 0 {
		o.Gap = 5 * time.Second
	}
	if o.PerMinute <= 0 {
		o.PerMinute = 60
	}
	if o.Tick <= 0 {
		o.Tick = 500 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// homePublisher decides whose Home tab to publish when: a tab just opened
// at once, a tab whose content changed once its Gap has passed, within a
// token bucket of PerMinute. It keeps only who looks, in memory: a replica
// that did not receive someone's app_home_opened does not publish their
// tab, and a restarted bot publishes a tab again at its next opening. What
// other replicas change reaches it through the store (watchHome).
type homePublisher struct {
	opts    HomeOptions
	publish func(ctx context.Context, user string) error

	mu       sync.Mutex
	viewers  map[string]*viewer
	tokens   float64
	refilled time.Time
	pause    time.Time // Slack said to wait until then
	wake     chan struct{}
}

// viewer is one person who opened their Home tab recently.
type viewer struct {
	opened time.Time
	last   time.Time // last publish
	dirty  bool      // something shown changed since
	urgent bool      // they opened it or pressed a button: no Gap
}

func newHomePublisher(opts HomeOptions, publish func(ctx context.Context, user string) error) *homePublisher {
	opts.defaults()
	return &homePublisher{opts: opts, publish: publish, viewers: map[string]*viewer{},
		tokens: float64(burst(opts.PerMinute)), wake: make(chan struct{}, 1)}
}

// burst is how many publishes may go at once: a tenth of a minute's.
func burst(perMinute int) int { return max(1, perMinute/10) }

// opened records that user opened their Home tab: it is published at once
// and kept up to date for Recent.
func (p *homePublisher) opened(user string) {
	p.mu.Lock()
	v := p.viewers[user]
	if v == nil {
		v = &viewer{}
		p.viewers[user] = v
	}
	v.opened, v.dirty, v.urgent = p.opts.Now(), true, true
	p.mu.Unlock()
	p.poke()
}

// touch republishes user's tab at once, if they look at it: they just
// pressed one of its buttons.
func (p *homePublisher) touch(user string) {
	p.mu.Lock()
	if v := p.viewers[user]; v != nil {
		v.dirty, v.urgent = true, true
	}
	p.mu.Unlock()
	p.poke()
}

// changed marks every tab looked at as out of date: what it shows changed.
func (p *homePublisher) changed() {
	p.mu.Lock()
	for _, v := range p.viewers {
		v.dirty = true
	}
	p.mu.Unlock()
	p.poke()
}

// watching reports whether someone opened their tab recently.
func (p *homePublisher) watching() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.opts.Now()
	for _, v := range p.viewers {
		if now.Sub(v.opened) <= p.opts.Recent {
			return true
		}
	}
	return false
}

func (p *homePublisher) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// due returns the users whose tab to publish now, and takes a token for
// each; it forgets people who have not opened their tab for Recent.
func (p *homePublisher) due(now time.Time) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	perSecond := float64(p.opts.PerMinute) / 60
	if !p.refilled.IsZero() {
		p.tokens = min(float64(burst(p.opts.PerMinute)), p.tokens+now.Sub(p.refilled).Seconds()*perSecond)
	}
	p.refilled = now
	if now.Before(p.pause) {
		return nil
	}
	type cand struct {
		user   string
		urgent bool
		since  time.Time
	}
	var cs []cand
	for user, v := range p.viewers {
		if now.Sub(v.opened) > p.opts.Recent {
			delete(p.viewers, user)
			continue
		}
		if v.dirty && (v.urgent || now.Sub(v.last) >= p.opts.Gap) {
			cs = append(cs, cand{user, v.urgent, v.last})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].urgent != cs[j].urgent {
			return cs[i].urgent
		}
		if !cs[i].since.Equal(cs[j].since) {
			return cs[i].since.Before(cs[j].since)
		}
		return cs[i].user < cs[j].user
	})
	var out []string
	for _, c := range cs {
		if p.tokens < 1 {
			break
		}
		p.tokens--
		v := p.viewers[c.user]
		v.dirty, v.urgent, v.last = false, false, now
		out = append(out, c.user)
	}
	return out
}

// failed puts user's tab back as due after a failed publish, and pauses
// every publish for as long as Slack asked, if it did.
func (p *homePublisher) failed(user string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if v := p.viewers[user]; v != nil {
		v.dirty = true
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		p.pause = p.opts.Now().Add(rl.RetryAfter)
	}
}

// run publishes the tabs due, on every change and every Tick, until stop
// ends; publishes use work's context.
func (p *homePublisher) run(stop, work context.Context) {
	publish := func() {
		for _, user := range p.due(p.opts.Now()) {
			if err := p.publish(work, user); err != nil {
				p.failed(user, err)
			}
		}
	}
	every(stop, p.opts.Tick, p.wake, publish, publish)
}
