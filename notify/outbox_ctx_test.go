package notify

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// senderStore answers GetDeployment only: it records whether the sender's
// context was alive when asked, and can hold the sender until it ends.
type senderStore struct {
	Store
	block bool
	mu    sync.Mutex
	calls []error // the sender's ctx.Err() at each call
}

func (s *senderStore) GetDeployment(ctx context.Context, id string) (switchyard.Record, error) {
	s.mu.Lock()
	s.calls = append(s.calls, ctx.Err())
	s.mu.Unlock()
	if s.block {
		<-ctx.Done()
		return switchyard.Record{}, ctx.Err()
	}
	return switchyard.Record{Deployment: switchyard.Deployment{ID: id}}, nil // no card yet: nothing to send
}

func (s *senderStore) seen() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.calls...)
}

func newSenderCards(st Store) *cards {
	return newCards(&Notifier{log: zap.NewNop(), store: st})
}

func queueReply(ctx context.Context, c *cards) {
	c.publish(ctx, "d-1", "", nil, []reply{{deployment: "d-1", key: "k", text: "hello"}})
}

// The sender outlives the context of whoever queued the work, so that the
// last replies queued at shutdown still get out.
func TestSenderOutlivesThePublisher(t *testing.T) {
	st := &senderStore{}
	c := newSenderCards(st)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	queueReply(ctx, c)
	c.wait(10 * time.Second)
	if got := st.seen(); len(got) != 1 || got[0] != nil {
		t.Fatalf("the sender read the store %d times with context errors %v; want once, alive", len(got), got)
	}
}

// After the grace period, wait halts a sender that is still busy.
func TestWaitHaltsSendersAfterGrace(t *testing.T) {
	st := &senderStore{block: true}
	c := newSenderCards(st)
	queueReply(context.Background(), c)
	start := time.Now()
	c.wait(50 * time.Millisecond)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("wait took %v", d)
	}
	if !c.idle() {
		t.Fatal("a sender still runs after wait")
	}
}

// Work queued once the senders are halted is not sent.
func TestHaltedSendersSendNothing(t *testing.T) {
	st := &senderStore{}
	c := newSenderCards(st)
	c.halt()
	c.halt() // halting twice is harmless
	queueReply(context.Background(), c)
	c.wait(10 * time.Second)
	if got := st.seen(); len(got) != 0 {
		t.Fatalf("a halted sender read the store %d times", len(got))
	}
}
