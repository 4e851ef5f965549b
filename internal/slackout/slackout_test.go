package slackout

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeLedger answers Location only: it records whether the sender's
// context was alive when asked, and can hold the sender until it ends.
type fakeLedger struct {
	Ledger
	block bool
	mu    sync.Mutex
	calls []error // the sender's ctx.Err() at each call
}

func (l *fakeLedger) Location(ctx context.Context, _ string) (string, string, error) {
	l.mu.Lock()
	l.calls = append(l.calls, ctx.Err())
	l.mu.Unlock()
	if l.block {
		<-ctx.Done()
		return "", "", ctx.Err()
	}
	return "", "", nil // no card yet: nothing to send
}

func (l *fakeLedger) seen() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.calls...)
}

func queueReply(ctx context.Context, s *Sender) {
	s.Publish(ctx, "d-1", "", nil, []Reply{{Owner: "d-1", Key: "k", Text: "hello"}})
}

// The sender outlives the context of whoever queued the work, so that the
// last replies queued at shutdown still get out.
func TestSenderOutlivesThePublisher(t *testing.T) {
	l := &fakeLedger{}
	s := New(nil, l, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	queueReply(ctx, s)
	s.Wait(10 * time.Second)
	if got := l.seen(); len(got) != 1 || got[0] != nil {
		t.Fatalf("the sender read the ledger %d times with context errors %v; want once, alive", len(got), got)
	}
}

// After the grace period, Wait halts a sender that is still busy.
func TestWaitHaltsSendersAfterGrace(t *testing.T) {
	l := &fakeLedger{block: true}
	s := New(nil, l, nil)
	queueReply(context.Background(), s)
	start := time.Now()
	s.Wait(50 * time.Millisecond)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Wait took %v", d)
	}
	if !s.Idle() {
		t.Fatal("a sender still runs after Wait")
	}
}

// Work queued once the senders are halted is not sent.
func TestHaltedSendersSendNothing(t *testing.T) {
	l := &fakeLedger{}
	s := New(nil, l, nil)
	s.Halt()
	s.Halt() // halting twice is harmless
	queueReply(context.Background(), s)
	s.Wait(10 * time.Second)
	if got := l.seen(); len(got) != 0 {
		t.Fatalf("a halted sender read the ledger %d times", len(got))
	}
}
