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
	"slices"
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
	// Hold returns an error when this process may no longer act for key
	// (another process took it over, or this one could not say it still
	// holds it): what it queued for key is then dropped, not sent.
	Hold(ctx context.Context, key string) error
}

// Reply is one thread reply: recorded under Owner and Key (the owner may
// differ from the card it is posted under, as for a rollback told in its
// parent's thread).
type Reply struct {
	Owner     string
	Key       string
	Text      string
	Broadcast bool
	// Holder is the key this process must hold to post the reply (see
	// Ledger.Hold); "" means Owner.
	Holder string
	// Retry marks a reply that is never dropped: when its claim cannot be
	// recorded it is tried again, and when it was claimed but never posted
	// (the process that claimed it died first), it is posted. Only for a
	// card that one sender at a time delivers: two live senders of one
	// card would both post it.
	Retry bool
}

// Observer is told about every Slack call and card edit, for metrics. Its
// methods must be cheap and must not block.
type Observer interface {
	// SlackCall reports one call of method: result is "ok", "rate_limited"
	// (a 429), Slack's error code, or "error" when no answer came.
	SlackCall(method, result string, took time.Duration)
	// CardEdit reports how long a card render waited, from Publish until
	// Slack took it.
	CardEdit(delay time.Duration)
}

type nopObserver struct{}

func (nopObserver) SlackCall(string, string, time.Duration) {}
func (nopObserver) CardEdit(time.Duration)                  {}

// Options are the optional settings of a Sender.
type Options struct {
	Log      *zap.Logger
	Observer Observer
}

// Sender drains what is published, card by card. It is safe for concurrent
// use; build it with New.
type Sender struct {
	api    Slack
	ledger Ledger
	log    *zap.Logger
	obs    Observer

	mu sync.Mutex
	// halted is closed when the senders must give up: the grace period
	// after shutdown is over. Until then senders outlive the context of
	// whoever queued their work, so that what is queued at shutdown (the
	// final state above all) still gets out.
	halted chan struct{}
	closed bool
	boxes  map[string]*box
	gates  map[string]*gate
	// pending counts, per key to hold (a card's owner, a reply's holder),
	// what is queued or being sent, for Busy.
	pending map[string]int
	wg      sync.WaitGroup
}

// box is the outgoing work of one card.
type box struct {
	owner      string
	channel    string // card location, "" until known
	ts         string
	loaded     bool
	newChannel string          // where to post the card if it has none
	card       *blocks.Message // latest render not yet sent
	cardAt     time.Time       // when the oldest render not yet sent came
	replies    []Reply
	running    bool
}

// New returns a Sender. It starts nothing until something is published.
func New(api Slack, ledger Ledger, o Options) *Sender {
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	return &Sender{api: api, ledger: ledger, log: o.Log, obs: o.Observer, halted: make(chan struct{}),
		boxes: map[string]*box{}, gates: map[string]*gate{}, pending: map[string]int{}}
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
		if b.card == nil {
			b.cardAt = time.Now()
			s.pending[owner]++
		}
		b.card = card
	}
	for _, r := range rs {
		s.pending[r.holder()]++
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

// Busy reports whether something that needs key held (a card of key's, a
// reply key holds) is queued or being sent.
func (s *Sender) Busy(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending[key] > 0
}

// sent counts n items of key as gone, sent or dropped.
func (s *Sender) sent(key string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[key] -= n; s.pending[key] <= 0 {
		delete(s.pending, key)
	}
}

// holder is the key a reply needs held.
func (r Reply) holder() string {
	if r.Holder != "" {
		return r.Holder
	}
	return r.Owner
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
		card, rs, cardAt := b.card, b.replies, b.cardAt
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
				s.requeueCard(b, card, cardAt)
				sleep(ctx, time.Second)
				continue
			}
			s.sent(b.owner, 1)
			s.obs.CardEdit(time.Since(cardAt))
			continue
		}
		requeued, err := s.sendReplies(ctx, b, rs)
		if err != nil {
			log.Warn("reply not posted", zap.Error(err))
		}
		for _, r := range rs[:len(rs)-requeued] {
			s.sent(r.holder(), 1)
		}
	}
}

// requeueCard puts back a render that failed unless a newer one came; the
// wait counts from the first.
func (s *Sender) requeueCard(b *box, m *blocks.Message, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.card == nil {
		b.card = m
	} else {
		s.pending[b.owner]-- // the newer render stands for both
	}
	b.cardAt = at
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

// sendCard posts the card if it has none yet, else edits it, while this
// process holds the card's owner.
func (s *Sender) sendCard(ctx context.Context, b *box, m *blocks.Message) error {
	if err := s.ledger.Hold(ctx, b.owner); err != nil {
		s.log.Info("card left to the process that holds it", zap.String("deployment_id", b.owner), zap.Error(err))
		return nil // dropped: the holder renders its own
	}
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
// that no reply is ever posted twice, even by two processes. A reply whose
// claim could not be recorded is put back with those after it, to be tried
// again (claimed replies before it are still posted); requeued is how many
// of rs, from the end, were put back.
func (s *Sender) sendReplies(ctx context.Context, b *box, rs []Reply) (requeued int, err error) {
	var lines []string
	var mine []Reply
	for i, r := range rs {
		if err := s.ledger.Hold(ctx, r.holder()); err != nil {
			s.log.Info("reply left to the process that holds it", zap.String("deployment_id", r.holder()),
				zap.String("key", r.Key), zap.Error(err))
			continue
		}
		won, cerr := s.ledger.Claim(ctx, r.Owner, r.Key)
		if cerr != nil {
			s.mu.Lock()
			b.replies = append(slices.Clone(rs[i:]), b.replies...)
			s.mu.Unlock()
			requeued, err = len(rs)-i, cerr
			break
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
		if err != nil {
			sleep(ctx, time.Second)
		}
		return requeued, err
	}
	opts := []slack.MsgOption{slack.MsgOptionText(strings.Join(lines, "\n"), false), slack.MsgOptionTS(b.ts),
		slack.MsgOptionDisableLinkUnfurl()}
	if len(mine) == 1 && mine[0].Broadcast {
		opts = append(opts, slack.MsgOptionBroadcast())
	}
	var ts string
	perr := s.call(ctx, "chat.postMessage", b.channel, func() error {
		var err error
		_, ts, err = s.api.PostMessageContext(ctx, b.channel, opts...)
		return err
	})
	if perr != nil {
		return requeued, perr
	}
	for _, r := range mine {
		if err := s.ledger.Posted(ctx, r.Owner, r.Key, b.channel, ts); err != nil {
			s.log.Warn("record reply ts", zap.String("key", r.Key), zap.Error(err))
		}
	}
	return requeued, err
}
