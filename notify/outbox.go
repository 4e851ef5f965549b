package notify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
)

// cards delivers card edits and thread replies to Slack within its limits:
// one box per card, drained by at most one goroutine, so there is at most
// one request in flight per card, replies keep their order, and a card
// edit always carries the latest state (older pending renders are dropped).
type cards struct {
	n  *Notifier
	mu sync.Mutex
	// halted is closed when the senders must give up: Run's grace period
	// after its context ended is over, or Run returned. Until then senders
	// outlive the context of whoever queued their work, so that what is
	// queued at shutdown (the final state above all) still gets out.
	halted chan struct{}
	boxes  map[string]*box
	gates  map[string]time.Time // method/channel → no call before (real time)
	// turns lets one sender at a time call each method/channel, so that
	// after a 429 the senders queue instead of all retrying at once.
	turns  map[string]chan struct{}
	hits   map[string]time.Time // method/channel → last 429
	wg     sync.WaitGroup
	closed bool // halted is closed
}

// box is the outgoing work of one card, keyed by the deployment that owns
// the card.
type box struct {
	owner      string
	channel    string // card location, "" until known
	ts         string
	loaded     bool
	newChannel string          // where to post the card if it has none
	card       *blocks.Message // latest render not yet sent
	replies    []reply
	running    bool
}

func newCards(n *Notifier) *cards {
	return &cards{n: n, halted: make(chan struct{}), boxes: map[string]*box{},
		gates: map[string]time.Time{}, hits: map[string]time.Time{}, turns: map[string]chan struct{}{}}
}

// halt makes every sender give up, now and from now on.
func (c *cards) halt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.halted)
	}
}

// publish queues a render of the card of owner (nil for none) and replies
// for its thread, and makes sure a sender drains them. The sender keeps
// ctx's values but not its end: it stops only when halted.
func (c *cards) publish(ctx context.Context, owner, newChannel string, card *blocks.Message, rs []reply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.boxes[owner]
	if b == nil {
		b = &box{owner: owner}
		c.boxes[owner] = b
	}
	if newChannel != "" {
		b.newChannel = newChannel
	}
	if card != nil {
		b.card = card
	}
	b.replies = append(b.replies, rs...)
	if !b.running && (b.card != nil || len(b.replies) > 0) {
		b.running = true
		c.wg.Add(1)
		go c.drain(context.WithoutCancel(ctx), b)
	}
}

// wait blocks until every box is drained or grace has passed, when it
// halts the senders and waits for them to stop.
func (c *cards) wait(grace time.Duration) {
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		c.halt()
		<-done
	}
}

// drain sends what box b holds, one request at a time, in a context that
// ends when the senders are halted.
func (c *cards) drain(parent context.Context, b *box) {
	defer c.wg.Done()
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	select {
	case <-c.halted:
		cancel() // started after the halt: send nothing
	default:
	}
	go func() {
		select {
		case <-c.halted:
			cancel()
		case <-ctx.Done():
		}
	}()
	log := c.n.log.With(zap.String("deployment_id", b.owner))
	for {
		if ctx.Err() != nil {
			c.mu.Lock()
			b.running = false
			c.mu.Unlock()
			return
		}
		if !b.loaded {
			rec, err := c.n.store.GetDeployment(ctx, b.owner)
			if err != nil {
				log.Warn("read card location", zap.Error(err))
				c.sleep(ctx, time.Second)
				continue
			}
			c.mu.Lock()
			b.channel, b.ts, b.loaded = rec.CardChannel, rec.CardTS, true
			c.mu.Unlock()
		}
		c.mu.Lock()
		card, rs := b.card, b.replies
		switch {
		case b.ts == "" && card == nil:
			// Nothing to post the replies under yet: the owner's own look
			// will render its card.
			b.running = false
			c.mu.Unlock()
			return
		case card != nil:
			b.card = nil
		case len(rs) > 0:
			n := c.batchLocked(b.channel, rs)
			rs = rs[:n]
			b.replies = b.replies[n:]
		default:
			b.running = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if card != nil {
			if err := c.sendCard(ctx, b, card); err != nil {
				log.Warn("card not sent", zap.Error(err))
				c.requeueCard(b, card)
				c.sleep(ctx, time.Second)
			}
			continue
		}
		if err := c.sendReplies(ctx, b, rs); err != nil {
			log.Warn("reply not posted", zap.Error(err))
		}
	}
}

// idle reports whether nothing is queued or being sent.
func (c *cards) idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.boxes {
		if b.running {
			return false
		}
	}
	return true
}

// requeueCard puts back a render that failed unless a newer one came.
func (c *cards) requeueCard(b *box, m *blocks.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b.card == nil {
		b.card = m
	}
}

// batchLocked says how many queued replies to post in one message: one,
// unless Slack limited posting in this channel lately, when consecutive
// thread-only replies are joined so that the thread catches up.
func (c *cards) batchLocked(channel string, rs []reply) int {
	if rs[0].broadcast || time.Since(c.hits["chat.postMessage/"+channel]) > time.Minute {
		return 1
	}
	n := 1
	for n < len(rs) && n < 10 && !rs[n].broadcast {
		n++
	}
	return n
}

// sendCard posts the card if it has none yet, else edits it.
func (c *cards) sendCard(ctx context.Context, b *box, m *blocks.Message) error {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
	if b.ts != "" {
		return c.call(ctx, "chat.update", b.channel, func() error {
			_, _, _, err := c.n.slack.UpdateMessageContext(ctx, b.channel, b.ts, opts...)
			return err
		})
	}
	c.mu.Lock()
	newChannel := b.newChannel
	c.mu.Unlock()
	if newChannel == "" {
		return errors.New("no channel to post the card in")
	}
	won, err := c.n.store.MarkReply(ctx, b.owner, keyCard, "")
	if err != nil {
		return err
	}
	if !won {
		// Another process posted it (or is posting it): read where.
		rec, err := c.n.store.GetDeployment(ctx, b.owner)
		if err != nil {
			return err
		}
		if rec.CardTS == "" {
			return errors.New("card claimed elsewhere and not posted yet")
		}
		c.setLocation(b, rec.CardChannel, rec.CardTS)
		return errors.New("card posted elsewhere; editing it next")
	}
	var channel, ts string
	err = c.call(ctx, "chat.postMessage", newChannel, func() error {
		var err error
		channel, ts, err = c.n.slack.PostMessageContext(ctx, newChannel, append(opts, slack.MsgOptionDisableLinkUnfurl())...)
		return err
	})
	if err != nil {
		return err
	}
	c.setLocation(b, channel, ts)
	if err := c.n.store.SetReplyTS(ctx, b.owner, keyCard, ts); err != nil {
		c.n.log.Warn("record card ts", zap.Error(err))
	}
	_, err = c.n.store.UpdateDeploymentIf(ctx, b.owner, switchyard.AnyRev, func(r *switchyard.Record) error {
		r.CardChannel, r.CardTS = channel, ts
		return nil
	})
	return err
}

func (c *cards) setLocation(b *box, channel, ts string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b.channel, b.ts = channel, ts
}

// sendReplies posts rs as one thread message, each key claimed first so
// that no reply is ever posted twice, even by two processes.
func (c *cards) sendReplies(ctx context.Context, b *box, rs []reply) error {
	var lines []string
	var mine []reply
	for _, r := range rs {
		won, err := c.n.store.MarkReply(ctx, r.deployment, r.key, "")
		if err != nil && r.key == keyFinal {
			// The final result is never dropped: keep trying.
			c.mu.Lock()
			b.replies = append([]reply{r}, b.replies...)
			c.mu.Unlock()
			c.sleep(ctx, time.Second)
			return err
		}
		if err != nil {
			return err
		}
		if !won && r.key != keyFinal {
			continue
		}
		if !won {
			got, err := c.n.store.Replies(ctx, r.deployment)
			if err != nil || got[keyFinal] != "" {
				continue
			}
		}
		lines, mine = append(lines, r.text), append(mine, r)
	}
	if len(mine) == 0 {
		return nil
	}
	opts := []slack.MsgOption{slack.MsgOptionText(strings.Join(lines, "\n"), false), slack.MsgOptionTS(b.ts),
		slack.MsgOptionDisableLinkUnfurl()}
	if len(mine) == 1 && mine[0].broadcast {
		opts = append(opts, slack.MsgOptionBroadcast())
	}
	var ts string
	err := c.call(ctx, "chat.postMessage", b.channel, func() error {
		var err error
		_, ts, err = c.n.slack.PostMessageContext(ctx, b.channel, opts...)
		return err
	})
	if err != nil {
		return err
	}
	for _, r := range mine {
		if err := c.n.store.SetReplyTS(ctx, r.deployment, r.key, ts); err != nil {
			c.n.log.Warn("record reply ts", zap.String("key", r.key), zap.Error(err))
		}
	}
	return nil
}

// call runs one Slack request for method in channel, waiting out rate
// limits: before the call while another sender was told to wait, and after
// a 429 for as long as Retry-After says. Other errors are retried twice.
func (c *cards) call(ctx context.Context, method, channel string, fn func() error) error {
	gate := method + "/" + channel
	if method == "chat.update" {
		gate = method // Tier 3 counts per app, not per channel
	}
	c.mu.Lock()
	turn := c.turns[gate]
	if turn == nil {
		turn = make(chan struct{}, 1)
		c.turns[gate] = turn
	}
	c.mu.Unlock()
	select {
	case turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-turn }()
	var err error
	for attempt := 0; ; {
		c.mu.Lock()
		wait := time.Until(c.gates[gate])
		c.mu.Unlock()
		if wait > 0 && !c.sleep(ctx, wait) {
			return ctx.Err()
		}
		err = fn()
		var rl *slack.RateLimitedError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &rl):
			after := max(rl.RetryAfter, 100*time.Millisecond)
			c.mu.Lock()
			if until := time.Now().Add(after); until.After(c.gates[gate]) {
				c.gates[gate] = until
			}
			c.hits[gate] = time.Now()
			c.mu.Unlock()
			continue
		case ctx.Err() != nil || permanent(err) || attempt >= 2:
			return err
		}
		attempt++
		if !c.sleep(ctx, time.Duration(attempt)*500*time.Millisecond) {
			return ctx.Err()
		}
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
func (c *cards) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
