package slackout

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// memLedger is a ledger in memory, shared by several senders as the store
// is shared by several processes.
type memLedger struct {
	mu      sync.Mutex
	claimed map[string]string // owner/key → ts ("" until posted)
	where   map[string][2]string
}

func newMemLedger() *memLedger {
	return &memLedger{claimed: map[string]string{}, where: map[string][2]string{}}
}

func (l *memLedger) Location(_ context.Context, owner string) (string, string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.where[owner]
	return w[0], w[1], nil
}

func (l *memLedger) Claim(_ context.Context, owner, key string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.claimed[owner+"/"+key]; ok {
		return false, nil
	}
	l.claimed[owner+"/"+key] = ""
	return true, nil
}

func (l *memLedger) Claimed(_ context.Context, owner, key string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.claimed[owner+"/"+key], nil
}

func (l *memLedger) Posted(_ context.Context, owner, key, channel, ts string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.claimed[owner+"/"+key] = ts
	if key == CardKey {
		l.where[owner] = [2]string{channel, ts}
	}
	return nil
}

// Three senders (three processes that all think they deliver one card)
// publish the same card and the same replies at once, against the Slack
// simulator with Slack's tight limits: one card, every reply once. (Order
// across senders is not kept; the lease that makes one process deliver a
// deployment keeps it.)
func TestSendersSharingALedgerPostEachThingOnce(t *testing.T) {
	ss := slacksim.New(slacksim.Options{RateLimit: slacksim.RateTight})
	if err := ss.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ss.Close)
	api := slack.New(ss.BotToken(), slack.OptionAPIURL(ss.URL()))
	ledger := newMemLedger()
	const channel = "C0DEPLOYS"
	var senders []*Sender
	for range 3 {
		senders = append(senders, New(api, ledger, nil))
	}
	ctx := context.Background()
	for step := range 5 {
		card := blocks.Notice("step " + string(rune('0'+step)))
		replies := []Reply{{Owner: "d-1", Key: "k" + string(rune('0'+step)), Text: "reply " + string(rune('0'+step))}}
		for _, s := range senders {
			s.Publish(ctx, "d-1", channel, &card, replies)
		}
	}
	last := blocks.Notice("the end")
	for _, s := range senders {
		s.Publish(ctx, "d-1", channel, &last, []Reply{{Owner: "d-1", Key: "final", Text: "done", Broadcast: true}})
	}
	for _, s := range senders {
		s.Wait(time.Minute)
	}
	var top, thread []slacksim.Message
	for _, m := range ss.Messages(channel) {
		if m.ThreadTS == "" || m.ThreadTS == m.TS {
			top = append(top, m)
		} else {
			thread = append(thread, m)
		}
	}
	if len(top) != 1 {
		t.Fatalf("%d cards posted, want one: %+v", len(top), top)
	}
	var texts []string
	for _, m := range thread {
		texts = append(texts, m.Text)
	}
	got := strings.Join(texts, "\n")
	for i := range 5 {
		if c := strings.Count(got, "reply "+string(rune('0'+i))); c != 1 {
			t.Errorf("reply %d posted %d times:\n%s", i, c, got)
		}
	}
	if c := strings.Count(got, "done"); c != 1 {
		t.Errorf("the final reply posted %d times:\n%s", c, got)
	}
	if ch, ts, _ := ledger.Location(ctx, "d-1"); ch != channel || ts != top[0].TS {
		t.Errorf("ledger says the card is %s/%s, Slack has %s", ch, ts, top[0].TS)
	}
}
