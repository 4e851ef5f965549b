// Package slackout delivers the bot's live cards and thread replies to Slack
// within Slack's limits. It knows Slack and nothing of deployments: each
// card has a key (its owner), its edits coalesce (the latest render wins,
// older ones are dropped), at most one request per card is in flight, its
// replies go out in order, and a 429 is waited out for as long as
// Retry-After says, by every sender of that method and channel, which take
// turns instead of all retrying at once.
//
// A Ledger, supplied by the caller, records what was posted: a card or a
// reply is claimed before it is posted and its ts recorded after, so that
// nothing is posted twice, however many processes deliver.
package slackout

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard/internal/blocks"
)

// Slack posts and edits messages; *slack.Client satisfies it. Errors are
// slack-go's: *slack.RateLimitedError when Slack answered 429.
type Slack interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
}

var _ Slack = (*slack.Client)(nil)

// CardKey is the reply key under which a card itself is claimed.
const CardKey = "card"

// Ledger remembers what was posted for each card owner. Every method may
// be called by several processes at once for one owner.
type Ledger interface {
	// Location returns where owner's card is; ts is "" while it has none.
	Location(ctx context.Context, owner string) (channel, ts string, err error)
	// Claim records that reply key of owner (CardKey for the card) is
	// about to be posted. won is false if it was claimed before; of
	// concurrent claims of one key exactly one wins.
	Claim(ctx context.Context, owner, key string) (won bool, err error)
	// Claimed returns the ts recorded for a claimed key: "" when it was
	// claimed but not (yet) posted.
	Claimed(ctx context.Context, owner, key string) (ts string, err error)
	// Posted records the message a claimed key became; for CardKey it is
	// also the card's location from now on.
	Posted(ctx context.Context, owner, key, channel, ts string) error
}

// Reply is one thread reply: recorded under Owner and Key (the owner may
// differ from the card it is posted under, as for a rollback told in its
// parent's thread).
type Reply struct {
	Owner     string
	Key       string
	Text      string
	Broadcast bool
	// Retry marks a reply that is never dropped: when its claim cannot be
	// recorded it is tried again, and when it was claimed but never posted
	// (the process that claimed it died first), it is posted. Only for a
	// card that one sender at a time delivers: two live senders of one
	// card would both post it.
	Retry bool
}

// Sender drains what is published, card by card. It is safe for concurrent
// use; build it with New.
type Sender struct {
	api    Slack
	ledger Ledger
	log    *zap.Logger

	mu sync.Mutex
	// halted is closed when the senders must give up: the grace period
	// after shutdown is over. Until then senders outlive the context of
	// whoever queued their work, so that what is queued at shutdown (the
	// final state above all) still gets out.
	halted chan struct{}
	closed bool
	boxes  map[string]*box
	gates  map[string]*gate
	wg     sync.WaitGroup
}

// box is the outgoing work of one card.
type box struct {
	owner      string
	channel    string // card location, "" until known
	ts         string
	loaded     bool
	newChannel string          // where to post the card if it has none
	card       *blocks.Message // latest render not yet sent
	replies    []Reply
	running    bool
}

// gate is what the senders of one method and channel share: one caller at
// a time, no call before until, and when Slack last limited them.
type gate struct {
	turn  chan struct{}
	until time.Time
	hit   time.Time
}

// New returns a Sender. It starts nothing until something is published.
func New(api Slack, ledger Ledger, log *zap.Logger) *Sender {
	if log == nil {
		log = zap.NewNop()
	}
	return &Sender{api: api, ledger: ledger, log: log, halted: make(chan struct{}),
		boxes: map[string]*box{}, gates: map[string]*gate{}}
}

// Publish queues a render of owner's card (nil for none) and replies for
// its thread, and makes sure a sender drains them. newChannel is where the
// card is posted if it has none yet. The sender keeps ctx's values but not
// its end: it stops only when halted.
func (s *Sender) Publish(ctx context.Context, owner, newChannel string, card *blocks.Message, rs []Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.boxes[owner]
	if b == nil {
		b = &box{owner: owner}
		s.boxes[owner] = b
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
		s.wg.Add(1)
		go s.drain(context.WithoutCancel(ctx), b)
	}
}

// Halt makes every sender give up, now and from now on.
func (s *Sender) Halt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.halted)
	}
}

// Wait blocks until every box is drained or grace has passed, when it
// halts the senders and waits for them to stop.
func (s *Sender) Wait(grace time.Duration) {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.Halt()
		<-done
	}
}

// Idle reports whether nothing is queued or being sent.
func (s *Sender) Idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.boxes {
		if b.running {
			return false
		}
	}
	return true
}

// drain sends what box b holds, one request at a time, in a context that
// ends when the senders are halted.
func (s *Sender) drain(parent context.Context, b *box) {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	select {
	case <-s.halted:
		cancel() // started after the halt: send nothing
	default:
	}
	go func() {
		select {
		case <-s.halted:
			cancel()
		case <-ctx.Done():
		}
	}()
	log := s.log.With(zap.String("deployment_id", b.owner))
	for {
		if ctx.Err() != nil {
			s.mu.Lock()
			b.running = false
			s.mu.Unlock()
			return
		}
		if !b.loaded {
			channel, ts, err := s.ledger.Location(ctx, b.owner)
			if err != nil {
				log.Warn("read card location", zap.Error(err))
				sleep(ctx, time.Second)
				continue
			}
			s.mu.Lock()
			b.channel, b.ts, b.loaded = channel, ts, true
			s.mu.Unlock()
		}
		s.mu.Lock()
		card, rs := b.card, b.replies
		switch {
		case b.ts == "" && card == nil:
			// Nothing to post the replies under yet: the owner's next
			// render posts its card.
			b.running = false
			s.mu.Unlock()
			return
		case card != nil:
			b.card = nil
		case len(rs) > 0:
			n := s.batchLocked(b.channel, rs)
			rs = rs[:n]
			b.replies = b.replies[n:]
		default:
			b.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if card != nil {
			if err := s.sendCard(ctx, b, card); err != nil {
				log.Warn("card not sent", zap.Error(err))
				s.requeueCard(b, card)
				sleep(ctx, time.Second)
			}
			continue
		}
		if err := s.sendReplies(ctx, b, rs); err != nil {
			log.Warn("reply not posted", zap.Error(err))
		}
	}
}

// requeueCard puts back a render that failed unless a newer one came.
func (s *Sender) requeueCard(b *box, m *blocks.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.card == nil {
		b.card = m
	}
}

// batchLocked says how many queued replies to post in one message: one,
// unless Slack limited posting in this channel lately, when consecutive
// thread-only replies are joined so that the thread catches up.
func (s *Sender) batchLocked(channel string, rs []Reply) int {
	g := s.gates["chat.postMessage/"+channel]
	if rs[0].Broadcast || g == nil || time.Since(g.hit) > time.Minute {
		return 1
	}
	n := 1
	for n < len(rs) && n < 10 && !rs[n].Broadcast {
		n++
	}
	return n
}

// sendCard posts the card if it has none yet, else edits it.
func (s *Sender) sendCard(ctx context.Context, b *box, m *blocks.Message) error {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
	if b.ts != "" {
		return s.call(ctx, "chat.update", b.channel, func() error {
			_, _, _, err := s.api.UpdateMessageContext(ctx, b.channel, b.ts, opts...)
			return err
		})
	}
	s.mu.Lock()
	newChannel := b.newChannel
	s.mu.Unlock()
	if newChannel == "" {
		return errors.New("no channel to post the card in")
	}
	won, err := s.ledger.Claim(ctx, b.owner, CardKey)
	if err != nil {
		return err
	}
	if !won {
		// Another sender posted it (or is posting it): read where.
		channel, ts, err := s.ledger.Location(ctx, b.owner)
		if err != nil {
			return err
		}
		if ts == "" {
			return errors.New("card claimed elsewhere and not posted yet")
		}
		s.setLocation(b, channel, ts)
		return errors.New("card posted elsewhere; editing it next")
	}
	var channel, ts string
	err = s.call(ctx, "chat.postMessage", newChannel, func() error {
		var err error
		channel, ts, err = s.api.PostMessageContext(ctx, newChannel, append(opts, slack.MsgOptionDisableLinkUnfurl())...)
		return err
	})
	if err != nil {
		return err
	}
	s.setLocation(b, channel, ts)
	return s.ledger.Posted(ctx, b.owner, CardKey, channel, ts)
}

func (s *Sender) setLocation(b *box, channel, ts string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b.channel, b.ts = channel, ts
}

// sendReplies posts rs as one thread message, each key claimed first so
// that no reply is ever posted twice, even by two processes.
func (s *Sender) sendReplies(ctx context.Context, b *box, rs []Reply) error {
	var lines []string
	var mine []Reply
	for _, r := range rs {
		won, err := s.ledger.Claim(ctx, r.Owner, r.Key)
		if err != nil && r.Retry {
			s.mu.Lock()
			b.replies = append([]Reply{r}, b.replies...)
			s.mu.Unlock()
			sleep(ctx, time.Second)
			return err
		}
		if err != nil {
			return err
		}
		if !won && !r.Retry {
			continue
		}
		if !won {
			// Claimed before: post it only if that claim never became a
			// message (the process that claimed it died first).
			if ts, err := s.ledger.Claimed(ctx, r.Owner, r.Key); err != nil || ts != "" {
				continue
			}
		}
		lines, mine = append(lines, r.Text), append(mine, r)
	}
	if len(mine) == 0 {
		return nil
	}
	opts := []slack.MsgOption{slack.MsgOptionText(strings.Join(lines, "\n"), false), slack.MsgOptionTS(b.ts),
		slack.MsgOptionDisableLinkUnfurl()}
	if len(mine) == 1 && mine[0].Broadcast {
		opts = append(opts, slack.MsgOptionBroadcast())
	}
	var ts string
	err := s.call(ctx, "chat.postMessage", b.channel, func() error {
		var err error
		_, ts, err = s.api.PostMessageContext(ctx, b.channel, opts...)
		return err
	})
	if err != nil {
		return err
	}
	for _, r := range mine {
		if err := s.ledger.Posted(ctx, r.Owner, r.Key, b.channel, ts); err != nil {
			s.log.Warn("record reply ts", zap.String("key", r.Key), zap.Error(err))
		}
	}
	return nil
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
		err := fn()
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
